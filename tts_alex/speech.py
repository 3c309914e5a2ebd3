"""The studio's use cases: speak with any voice, design, clone, and build custom voices."""

import logging
from dataclasses import dataclass
from typing import Any

from .audio import Audio, OutputFormat
from .delivery import SpeechJob
from .engine import BASE_BY_SIZE, Engine
from .errors import InstructNotSupported, InvalidInput, VoiceNotFound
from .natives import NativeVoice, find_native
from .settings import Settings
from .store import CustomVoice, CustomVoiceStore
from .voicing import CloneVoicing, DesignVoicing, NativeVoicing, Voicing

log = logging.getLogger("tts_alex.speech")

MODEL_SIZES = tuple(BASE_BY_SIZE)

# What a designed voice says in the clip its clone prompt is made from.
DESIGN_REFERENCE_TEXTS: dict[str, str] = {
    "French": "Bonjour, voici ma voix. Je lis ce texte calmement, avec une diction claire et naturelle.",
    "English": "Hello, this is my voice. I am reading this text calmly, with clear and natural diction.",
    "Chinese": "你好，这是我的声音。我正在平静地朗读这段文字，吐字清晰自然。",
    "Japanese": "こんにちは、これが私の声です。落ち着いて、はっきりと自然に読んでいます。",
    "Korean": "안녕하세요, 제 목소리입니다. 차분하고 또렷하게 이 글을 읽고 있습니다.",
    "German": "Hallo, das ist meine Stimme. Ich lese diesen Text ruhig, klar und natürlich vor.",
    "Russian": "Здравствуйте, это мой голос. Я читаю этот текст спокойно, чётко и естественно.",
    "Portuguese": "Olá, esta é a minha voz. Leio este texto com calma, de forma clara e natural.",
    "Spanish": "Hola, esta es mi voz. Leo este texto con calma, de forma clara y natural.",
    "Italian": "Ciao, questa è la mia voce. Leggo questo testo con calma, in modo chiaro e naturale.",
}


@dataclass(frozen=True)
class VoiceBuild:
    """What a new custom voice is made of, ready for the store."""

    prompt: list[Any]
    reference: Audio
    reference_text: str
    model: str
    model_id: str


class Studio:
    """Resolves voice names and drives the engine; routes stay thin."""

    def __init__(self, settings: Settings, engine: Engine, store: CustomVoiceStore) -> None:
        self.settings = settings
        self.engine = engine
        self.store = store

    def check_text(self, text: str | None, *, field: str = "text") -> str:
        """Return the stripped text, or raise InvalidInput when it is empty or too long."""
        text = (text or "").strip()
        if not text:
            raise InvalidInput(f"`{field}` is empty: give the words to speak.", field=field)
        if len(text) > self.settings.max_text_chars:
            raise InvalidInput(
                f"`{field}` has {len(text)} characters; the limit is {self.settings.max_text_chars} "
                "(TTS_ALEX_MAX_TEXT_CHARS).",
                field=field,
            )
        return text

    def resolve_voice(self, name: str) -> NativeVoice | CustomVoice:
        """The native or custom voice called `name` (case-insensitive).

        Raises:
            VoiceNotFound: neither a native nor a custom voice has that name.
        """
        native = find_native(name)
        if native is not None:
            return native
        custom = self.store.find(name)
        if custom is None:
            raise VoiceNotFound(f"Voice '{name}' not found: use a native voice (GET /voices) or a saved custom voice.")
        return custom

    def voicing_for(self, voice: str, language: str, instruct: str | None = None) -> Voicing:
        """The voicing of a native or custom voice, checked before any model work.

        Raises:
            VoiceNotFound; InstructNotSupported for a custom voice with an instruction.
        """
        resolved = self.resolve_voice(voice)
        if isinstance(resolved, NativeVoice):
            return NativeVoicing(self.engine, resolved.name, language, instruct or None)
        if instruct:
            raise InstructNotSupported(
                f"'{resolved.name}' is a custom voice: it is spoken by the Base model, which cannot follow "
                "style instructions. Use POST /preset, or a native voice with /preset/instruct."
            )
        return CloneVoicing(self.engine, language, label=resolved.name, store=self.store, voice_name=resolved.name)

    def design_voicing(self, voice_description: str, language: str) -> Voicing:
        """A voice described in words, consistent across the pieces of a long text."""
        return DesignVoicing(self.engine, voice_description, language)

    def clone_voicing(self, reference: Audio, reference_text: str, language: str, model_size: str) -> Voicing:
        """The voice of a reference recording (its prompt is built once, on first use)."""
        return CloneVoicing(
            self.engine,
            language,
            label="clone",
            reference=reference,
            reference_text=reference_text,
            model_size=model_size,
        )

    def plan(self, voicing: Voicing, text: str, output: OutputFormat, speed: float = 1.0) -> SpeechJob:
        """Split `text` into pieces for `voicing`."""
        return SpeechJob.plan(voicing, text, output, speed=speed, max_piece_cost=self.settings.max_piece_cost)

    def build_clone(self, *, reference: Audio, reference_text: str, model_size: str) -> VoiceBuild:
        """Clone prompt from a reference recording (blocking)."""
        prompt = self.engine.create_clone_prompt(
            reference=reference, reference_text=reference_text, model_size=model_size
        )
        return VoiceBuild(prompt, reference, reference_text, model_size, self.engine.sources[BASE_BY_SIZE[model_size]])

    def build_design(self, *, voice_description: str, language: str) -> VoiceBuild:
        """Design a voice: VoiceDesign speaks a reference sentence, the Base 1.7B model clones it (blocking)."""
        reference_text = DESIGN_REFERENCE_TEXTS.get(language, DESIGN_REFERENCE_TEXTS["French"])
        clip = self.engine.synthesize_design(
            text=reference_text, voice_description=voice_description, language=language
        )
        return self.build_clone(reference=clip, reference_text=reference_text, model_size="1.7B")
