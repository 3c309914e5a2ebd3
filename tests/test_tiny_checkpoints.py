"""The tiny random checkpoints load and generate through the real qwen-tts code, fully offline."""

import hashlib
import multiprocessing
import os
import time
from pathlib import Path

# Set before qwen_tts / transformers are imported: no test may reach Hugging Face.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from qwen_tts import Qwen3TTSModel  # noqa: E402

from tts_alex.testing.tiny import TINY_KINDS, build_tiny_checkpoints  # noqa: E402

NATIVE_SPEAKERS = ("Vivian", "Serena", "Uncle_Fu", "Dylan", "Eric", "Ryan", "Aiden", "Ono_Anna", "Sohee")
LANGUAGES = "Chinese English Japanese Korean German French Russian Portuguese Spanish Italian".split()
MAX_NEW_TOKENS = 200  # generation must stop by itself well before this
SAMPLES_PER_FRAME = 1920


def load(path: Path) -> Qwen3TTSModel:
    """Load a checkpoint exactly as the server does."""
    return Qwen3TTSModel.from_pretrained(str(path), device_map="cpu", dtype=torch.float32, attn_implementation="sdpa")


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny") / "models"
    build_tiny_checkpoints(root)
    return root


@pytest.fixture(scope="module")
def models(tiny_root: Path) -> dict[str, Qwen3TTSModel]:
    return {kind: load(path) for kind, path in build_tiny_checkpoints(tiny_root).items()}


@pytest.fixture(autouse=True)
def _seeded() -> None:
    torch.manual_seed(0)


def check_audio(result: tuple[list[np.ndarray], int], count: int = 1) -> None:
    """Plausible speech-like output: 24 kHz float waveforms of at least 0.5 s, with energy, stopped by EOS."""
    wavs, rate = result
    assert rate == 24_000
    assert len(wavs) == count
    for wav in wavs:
        assert wav.ndim == 1 and wav.dtype == np.float32
        assert 0.5 * rate <= wav.size < MAX_NEW_TOKENS * SAMPLES_PER_FRAME
        assert np.isfinite(wav).all()
        assert np.sqrt(np.mean(wav**2)) > 1e-3


def reference(rate: int, seconds: float = 1.0) -> tuple[np.ndarray, int]:
    """A voiced-like reference clip (harmonics + noise)."""
    t = np.arange(int(seconds * rate)) / rate
    noise = 0.01 * np.random.default_rng(0).standard_normal(t.size)
    wave = sum(0.2 / k * np.sin(2 * np.pi * 140 * k * t) for k in range(1, 6)) + noise
    return wave.astype(np.float32), rate


@pytest.mark.parametrize("kind", TINY_KINDS)
def test_each_kind_loads_quickly_with_its_type_and_size(tiny_root: Path, kind: str) -> None:
    start = time.perf_counter()
    model = load(tiny_root / kind)
    assert time.perf_counter() - start < 2.0
    expected_type = {"custom_voice": "custom_voice", "voice_design": "voice_design", "base": "base"}
    assert model.model.tts_model_type == expected_type[kind.removesuffix("_0b6")]
    assert model.model.tts_model_size == ("0b6" if kind.endswith("_0b6") else "1b7")
    assert model.model.speech_tokenizer.get_output_sample_rate() == 24_000
    assert sorted(model.get_supported_languages()) == sorted(["auto", *(name.lower() for name in LANGUAGES)])


def test_text_tokenizer_covers_any_text(models: dict[str, Qwen3TTSModel]) -> None:
    tokenizer = models["custom_voice"].processor.tokenizer
    text = "Ça coûte 5 €, naïve señor — 你好，世界。こんにちは! Привет"
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text
    prompt = tokenizer.tokenize("<|im_start|>assistant\nBonjour<|im_end|>\n")
    assert prompt[:3] == ["<|im_start|>", "assistant", "Ċ"] and prompt[-2:] == ["<|im_end|>", "Ċ"]
    assert tokenizer.pad_token == "<|endoftext|>"


@pytest.mark.parametrize("kind", ["custom_voice", "custom_voice_0b6"])
def test_custom_voice_lists_the_native_speakers(models: dict[str, Qwen3TTSModel], kind: str) -> None:
    assert sorted(models[kind].get_supported_speakers()) == sorted(name.lower() for name in NATIVE_SPEAKERS)


@pytest.mark.parametrize(
    ("text", "language", "instruct"),
    [
        ("Bonjour, ceci est un test.", "French", None),
        ("Bonjour, ceci est un test.", "French", "Parle lentement"),
        ("你好，这是一个测试。", "Chinese", None),
    ],
)
def test_custom_voice_generates(
    models: dict[str, Qwen3TTSModel], text: str, language: str, instruct: str | None
) -> None:
    check_audio(
        models["custom_voice"].generate_custom_voice(
            text=text, speaker="Vivian", language=language, instruct=instruct, max_new_tokens=MAX_NEW_TOKENS
        )
    )


def test_custom_voice_dialect_speaker_and_small_model(models: dict[str, Qwen3TTSModel]) -> None:
    # Dylan speaks Beijing dialect when the language is Chinese or Auto: the dialect map must be there.
    check_audio(models["custom_voice"].generate_custom_voice(text="你好", speaker="Dylan", language="Auto"))
    # The 0.6B model silently drops instructions.
    small = models["custom_voice_0b6"]
    check_audio(small.generate_custom_voice(text="Hello there.", speaker="ryan", language="English", instruct="Loud"))


def test_custom_voice_batch(models: dict[str, Qwen3TTSModel]) -> None:
    result = models["custom_voice"].generate_custom_voice(
        text=["Hello there.", "Guten Tag, wie geht es?"], speaker=["Aiden", "Sohee"], language=["English", "German"]
    )
    check_audio(result, count=2)


def test_unsupported_speaker_or_language_raises(models: dict[str, Qwen3TTSModel]) -> None:
    with pytest.raises(ValueError, match="Unsupported speakers"):
        models["custom_voice"].generate_custom_voice(text="Hello.", speaker="Nobody", language="English")
    with pytest.raises(ValueError, match="Unsupported languages"):
        models["custom_voice"].generate_custom_voice(text="Hello.", speaker="Vivian", language="Klingon")


def test_voice_design_generates(models: dict[str, Qwen3TTSModel]) -> None:
    check_audio(
        models["voice_design"].generate_voice_design(
            text="Hello, this is a test.",
            instruct="A deep male voice",
            language="English",
            max_new_tokens=MAX_NEW_TOKENS,
        )
    )


@pytest.mark.parametrize("kind", ["base", "base_0b6"])
def test_voice_clone(models: dict[str, Qwen3TTSModel], kind: str) -> None:
    model = models[kind]
    items = model.create_voice_clone_prompt(ref_audio=reference(24_000), ref_text="Hello there.")
    assert len(items) == 1 and items[0].icl_mode and not items[0].x_vector_only_mode
    assert isinstance(items[0].ref_code, torch.Tensor) and items[0].ref_code.shape == (13, 4)  # 1 s at 12.5 Hz
    assert isinstance(items[0].ref_spk_embedding, torch.Tensor) and items[0].ref_spk_embedding.shape == (32,)
    text = "Hello, this is a test."
    check_audio(
        model.generate_voice_clone(
            text=text, language="English", voice_clone_prompt=items, max_new_tokens=MAX_NEW_TOKENS
        )
    )

    x_vector = model.create_voice_clone_prompt(ref_audio=reference(24_000), x_vector_only_mode=True)
    assert x_vector[0].ref_code is None and x_vector[0].x_vector_only_mode
    check_audio(model.generate_voice_clone(text=text, language="English", voice_clone_prompt=x_vector))

    # A 16 kHz reference is resampled by qwen-tts (for the codes and the speaker encoder).
    resampled = model.create_voice_clone_prompt(
        ref_audio=reference(16_000, seconds=2.0), ref_text="Hello there, friend."
    )
    assert resampled[0].ref_code.shape == (25, 4)
    check_audio(model.generate_voice_clone(text=text, language="English", voice_clone_prompt=resampled))


def test_rebuild_is_a_fast_no_op(tiny_root: Path) -> None:
    stamp = tiny_root / "tiny-build.json"
    mtime = stamp.stat().st_mtime_ns
    start = time.perf_counter()
    paths = build_tiny_checkpoints(tiny_root)
    assert time.perf_counter() - start < 0.5
    assert paths == {kind: tiny_root / kind for kind in TINY_KINDS}
    assert stamp.stat().st_mtime_ns == mtime


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_concurrent_builds_both_succeed_and_are_deterministic(tmp_path: Path, tiny_root: Path) -> None:
    root = tmp_path / "shared" / "models"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=build_tiny_checkpoints, args=(root,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert sorted(path.name for path in root.parent.iterdir() if not path.name.endswith(".lock")) == ["models"]
    check_audio(load(root / "custom_voice").generate_custom_voice(text="Hello.", speaker="Eric", language="English"))
    # Same seed, same weights.
    for kind in TINY_KINDS:
        assert digest(root / kind / "model.safetensors") == digest(tiny_root / kind / "model.safetensors")
    assert digest(root / "base" / "speech_tokenizer" / "model.safetensors") == digest(
        tiny_root / "base" / "speech_tokenizer" / "model.safetensors"
    )
