"""Qwen3-TTS models: device choice, lazy loading per kind, one generation at a time."""

import ctypes
import importlib.util
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import torch

from .audio import SAMPLE_RATE, Audio, pad_silence, resample
from .errors import GenerationFailed, InstructNotSupported, ModelUnavailable, VoiceNotFound
from .settings import Settings

log = logging.getLogger("tts_alex.engine")


def _malloc_trim() -> Callable[[], object]:
    """glibc's malloc_trim: hands freed heap pages back to the OS (no-op elsewhere, e.g. macOS)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return lambda: libc.malloc_trim(0)
    except (OSError, AttributeError):
        return lambda: None


release_memory = _malloc_trim()

FRAMES_PER_SECOND = 12  # the 12 Hz speech tokenizer emits 12 codec frames per second of audio
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


class ModelKind(StrEnum):
    CUSTOM_VOICE = "custom_voice"
    VOICE_DESIGN = "voice_design"
    BASE_1_7B = "base_1.7b"
    BASE_0_6B = "base_0.6b"


BASE_BY_SIZE: dict[str, ModelKind] = {"1.7B": ModelKind.BASE_1_7B, "0.6B": ModelKind.BASE_0_6B}


@dataclass(frozen=True)
class DeviceChoice:
    """Where and how models run."""

    device: str
    dtype: torch.dtype
    attn_implementation: str

    @property
    def dtype_name(self) -> str:
        return str(self.dtype).removeprefix("torch.")


def choose_device(device: str = "auto", dtype: str = "auto") -> DeviceChoice:
    """Resolve "auto" to MPS, then CUDA, then CPU, with the dtype and attention that work there."""
    if device == "auto":
        if torch.backends.mps.is_available():
            device = "mps"
        elif torch.cuda.is_available():
            device = "cuda:0"
        else:
            device = "cpu"
    elif device == "cuda":
        device = "cuda:0"
    if dtype == "auto":
        # CUDA: bf16 as the model card uses. CPU: fp16 is reported to hang. MPS: fp16 clones give
        # "probability tensor contains inf/nan" and bf16 is unstable on M1, so float32.
        resolved = torch.bfloat16 if device.startswith("cuda") else torch.float32
    else:
        resolved = getattr(torch, dtype)
    flash = device.startswith("cuda") and importlib.util.find_spec("flash_attn") is not None
    return DeviceChoice(device, resolved, "flash_attention_2" if flash else "sdpa")


def load_qwen_model(source: str, choice: DeviceChoice) -> Any:
    """Load one checkpoint the way qwen-tts documents it."""
    from qwen_tts import Qwen3TTSModel
    from transformers.utils import logging as hf_logging

    # qwen-tts logs every config default at INFO and each generate() warns about pad_token_id.
    hf_logging.set_verbosity_error()
    return Qwen3TTSModel.from_pretrained(
        source,
        device_map=choice.device,
        dtype=choice.dtype,
        attn_implementation=choice.attn_implementation,
    )


ModelLoader = Callable[[str, DeviceChoice], Any]


class Engine:
    """Owns the Qwen3-TTS models. Thread-safe; generations are serialised on the device."""

    def __init__(
        self,
        settings: Settings,
        sources: dict[ModelKind, str],
        *,
        loader: ModelLoader = load_qwen_model,
    ) -> None:
        self.settings = settings
        self.sources = dict(sources)
        self.choice = choose_device(settings.device, settings.dtype)
        self._loader = loader
        self._models: dict[ModelKind, Any] = {}
        self._load_locks = {kind: threading.Lock() for kind in ModelKind}
        self._generation_lock = threading.Lock()
        self.load_counts: dict[ModelKind, int] = {kind: 0 for kind in ModelKind}
        self.generation_count = 0  # finished generate calls, for metrics and tests
        # Called after each successful model call with (kind, seconds, audio seconds): metrics.
        self.observers: list[Callable[[str, float, float], None]] = []

    # ----- models -----------------------------------------------------------------------------
    @property
    def loaded_kinds(self) -> list[str]:
        return [kind.value for kind in ModelKind if kind in self._models]

    def is_loaded(self, kind: ModelKind) -> bool:
        return kind in self._models

    def model(self, kind: ModelKind) -> Any:
        """The model of that kind, loaded on first use exactly once even under concurrent callers.

        Raises:
            ModelUnavailable: the checkpoint could not be loaded (the next call tries again).
        """
        model = self._models.get(kind)
        if model is not None:
            return model
        with self._load_locks[kind]:
            model = self._models.get(kind)
            if model is None:
                source = self.sources[kind]
                log.info("Loading %s model from %s on %s", kind.value, source, self.choice.device)
                try:
                    model = self._loader(source, self.choice)
                except Exception as exc:
                    log.exception("Could not load the %s model from %s", kind.value, source)
                    raise ModelUnavailable(f"The {kind.value} model could not be loaded; see the server log.") from exc
                self.load_counts[kind] += 1
                self._models[kind] = model
        return model

    # ----- generation -------------------------------------------------------------------------
    def max_new_tokens(self, text: str) -> int:
        """Codec-frame budget for `text`: generous for real speech, bounded against runaway output."""
        cjk = len(_CJK.findall(text))
        seconds = 3.0 + cjk * self.settings.seconds_per_cjk_char + (len(text) - cjk) * self.settings.seconds_per_char
        return min(self.settings.max_new_tokens_ceiling, math.ceil(seconds * FRAMES_PER_SECOND))

    def can_follow_instructions(self) -> bool:
        """Whether the CustomVoice model honours `instruct` (the 0.6B checkpoints ignore it)."""
        model = self.model(ModelKind.CUSTOM_VOICE)
        return "0b6" not in str(model.model.tts_model_size)

    def supported_speakers(self) -> set[str]:
        """Lower-cased speaker names the CustomVoice model knows."""
        return {str(s).lower() for s in (self.model(ModelKind.CUSTOM_VOICE).get_supported_speakers() or [])}

    def synthesize_preset(self, *, text: str, speaker: str, language: str, instruct: str | None = None) -> Audio:
        """Speech with a native CustomVoice speaker, optionally style-controlled.

        Raises:
            VoiceNotFound, InstructNotSupported, ModelUnavailable, GenerationFailed.
        """
        model = self.model(ModelKind.CUSTOM_VOICE)
        if speaker.lower() not in self.supported_speakers():
            raise VoiceNotFound(f"Voice '{speaker}' is not a speaker of the loaded CustomVoice model.")
        if instruct and not self.can_follow_instructions():
            raise InstructNotSupported(
                "The loaded CustomVoice model (0.6B) cannot follow style instructions; "
                "configure the 1.7B CustomVoice model or use POST /preset without `instruct`."
            )
        return self._generate(
            ModelKind.CUSTOM_VOICE,
            model.generate_custom_voice,
            text=text,
            speaker=speaker,
            language=language,
            instruct=instruct or None,
            max_new_tokens=self.max_new_tokens(text),
        )

    def synthesize_design(self, *, text: str, voice_description: str, language: str) -> Audio:
        """Speech in a voice described in words (VoiceDesign model)."""
        model = self.model(ModelKind.VOICE_DESIGN)
        return self._generate(
            ModelKind.VOICE_DESIGN,
            model.generate_voice_design,
            text=text,
            instruct=voice_description,
            language=language,
            max_new_tokens=self.max_new_tokens(text),
        )

    def create_clone_prompt(self, *, reference: Audio, reference_text: str, model_size: str) -> list[Any]:
        """Voice-clone prompt items (ICL: speaker embedding + reference codes) from a reference clip."""
        model = self.model(BASE_BY_SIZE[model_size])
        # Trailing silence is the known mitigation for runaway generation on ICL prompts.
        padded = pad_silence(reference, self.settings.reference_padding_seconds)
        with self._generation_lock:
            try:
                return model.create_voice_clone_prompt(
                    ref_audio=(padded.samples, padded.sample_rate), ref_text=reference_text
                )
            except Exception as exc:
                log.exception("create_voice_clone_prompt failed")
                raise GenerationFailed("Voice cloning failed while reading the reference; see the server log.") from exc

    def synthesize_clone(self, *, text: str, language: str, prompt: list[Any], model_size: str) -> Audio:
        """Speech in a cloned voice from prepared prompt items (Base model)."""
        model = self.model(BASE_BY_SIZE[model_size])
        device = getattr(model, "device", None)
        return self._generate(
            BASE_BY_SIZE[model_size],
            model.generate_voice_clone,
            text=text,
            language=language,
            voice_clone_prompt=[_to_device(item, device) for item in prompt],
            max_new_tokens=self.max_new_tokens(text),
        )

    def _generate(self, kind: ModelKind, method: Callable[..., tuple[list[np.ndarray], int]], **kwargs: Any) -> Audio:
        with self._generation_lock:
            start = time.perf_counter()
            try:
                wavs, rate = method(**kwargs)
            except Exception as exc:
                log.exception("Generation failed in %s", getattr(method, "__name__", method))
                raise GenerationFailed("Speech generation failed; see the server log.") from exc
            self.generation_count += 1
            elapsed = time.perf_counter() - start
            # Each generation allocates and frees activations of a different size; without this, glibc keeps
            # the freed pages and a long-running server's RSS creeps up to its worst request and stays there.
            release_memory()
        samples = np.asarray(wavs[0], dtype=np.float32).reshape(-1)
        audio = Audio(resample(samples, int(rate), SAMPLE_RATE), SAMPLE_RATE)
        for observe in list(self.observers):
            observe(kind.value, elapsed, audio.duration)
        return audio


def _to_device(item: Any, device: Any) -> Any:
    """Move a prompt item's tensors to the model device (prompts are stored on CPU)."""
    if device is None:
        return item
    for field in ("ref_code", "ref_spk_embedding"):
        value = getattr(item, field, None)
        if isinstance(value, torch.Tensor) and value.device != torch.device(device):
            item = type(item)(**{**vars(item), field: value.to(device)})
    return item


def model_sources(settings: Settings) -> dict[ModelKind, str]:
    """Where each model kind loads from: the configured ids/dirs, or freshly built tiny checkpoints."""
    if settings.models == "tiny":
        import os

        # Tiny mode is fully offline: no Hugging Face call of any kind.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        from .testing.tiny import build_tiny_checkpoints

        built = build_tiny_checkpoints(settings.tiny_dir)
        return {
            ModelKind.CUSTOM_VOICE: str(built["custom_voice"]),
            ModelKind.VOICE_DESIGN: str(built["voice_design"]),
            ModelKind.BASE_1_7B: str(built["base"]),
            ModelKind.BASE_0_6B: str(built["base_0b6"]),
        }
    return {
        ModelKind.CUSTOM_VOICE: settings.custom_voice_model,
        ModelKind.VOICE_DESIGN: settings.voice_design_model,
        ModelKind.BASE_1_7B: settings.base_1_7b_model,
        ModelKind.BASE_0_6B: settings.base_0_6b_model,
    }
