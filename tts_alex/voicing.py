"""A voicing speaks any number of pieces of text in one consistent voice (blocking calls, run in the queue)."""

import threading
from typing import Any, Protocol

from .audio import Audio
from .engine import Engine
from .store import CustomVoiceStore


class Voicing(Protocol):
    """Speaks text pieces in one voice; `label` names the voice in output file names."""

    label: str

    def say(self, text: str) -> Audio: ...


class NativeVoicing:
    """A CustomVoice speaker, optionally with a style instruction."""

    def __init__(self, engine: Engine, speaker: str, language: str, instruct: str | None = None) -> None:
        self.engine, self.speaker, self.language, self.instruct = engine, speaker, language, instruct
        self.label = speaker

    def say(self, text: str) -> Audio:
        return self.engine.synthesize_preset(
            text=text, speaker=self.speaker, language=self.language, instruct=self.instruct
        )


class CloneVoicing:
    """A cloned voice: from a saved custom voice (prompt loaded lazily) or from a reference clip (prompt built once)."""

    def __init__(
        self,
        engine: Engine,
        language: str,
        *,
        label: str,
        store: CustomVoiceStore | None = None,
        voice_name: str | None = None,
        reference: Audio | None = None,
        reference_text: str | None = None,
        model_size: str = "1.7B",
    ) -> None:
        self.engine, self.language, self.label = engine, language, label
        self.store, self.voice_name = store, voice_name
        self.reference, self.reference_text, self.model_size = reference, reference_text, model_size
        self.prompt: list[Any] | None = None
        self._lock = threading.Lock()

    def _prompt(self) -> list[Any]:
        with self._lock:
            if self.prompt is None:
                if self.store is not None and self.voice_name is not None:
                    voice, self.prompt = self.store.load_prompt(self.voice_name)
                    self.model_size = voice.model
                else:
                    assert self.reference is not None and self.reference_text is not None
                    self.prompt = self.engine.create_clone_prompt(
                        reference=self.reference, reference_text=self.reference_text, model_size=self.model_size
                    )
            return self.prompt

    def say(self, text: str) -> Audio:
        prompt = self._prompt()
        return self.engine.synthesize_clone(
            text=text, language=self.language, prompt=prompt, model_size=self.model_size
        )


class DesignVoicing:
    """A voice described in words. VoiceDesign speaks the first piece; the Base model clones that clip for the
    following pieces, so a long text keeps one voice instead of a new design per sentence."""

    label = "design"

    def __init__(self, engine: Engine, voice_description: str, language: str) -> None:
        self.engine, self.voice_description, self.language = engine, voice_description, language
        self._clone: CloneVoicing | None = None

    def say(self, text: str) -> Audio:
        if self._clone is not None:
            return self._clone.say(text)
        audio = self.engine.synthesize_design(
            text=text, voice_description=self.voice_description, language=self.language
        )
        self._clone = CloneVoicing(
            self.engine, self.language, label=self.label, reference=audio, reference_text=text, model_size="1.7B"
        )
        return audio
