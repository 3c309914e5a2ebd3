"""The 9 speakers built into the Qwen3-TTS CustomVoice model, described as in the PRD."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class NativeVoice:
    name: str
    gender: str
    native_lang: str
    description: str
    native_lang_code: str  # ISO code, for clients that pick a preview language

    def as_dict(self) -> dict[str, str]:
        """The PRD's JSON shape for a native voice (plus `native_lang_code`)."""
        return {"name": self.name, "type": "native", **{k: v for k, v in asdict(self).items() if k != "name"}}


NATIVE_VOICES: tuple[NativeVoice, ...] = (
    NativeVoice("Vivian", "Femme", "Chinois", "Voix féminine jeune, vive et légèrement incisive", "zh"),
    NativeVoice("Serena", "Femme", "Chinois", "Voix féminine jeune, chaleureuse et douce", "zh"),
    NativeVoice("Uncle_Fu", "Homme", "Chinois", "Voix masculine mûre, timbre grave et velouté", "zh"),
    NativeVoice("Dylan", "Homme", "Chinois (Pékin)", "Voix masculine jeune de Pékin, timbre clair et naturel", "zh"),
    NativeVoice("Eric", "Homme", "Chinois (Sichuan)", "Voix masculine enjouée de Chengdu, légèrement voilée", "zh"),
    NativeVoice("Ryan", "Homme", "Anglais", "Voix masculine dynamique au rythme affirmé", "en"),
    NativeVoice("Aiden", "Homme", "Anglais", "Voix masculine américaine solaire, médiums clairs", "en"),
    NativeVoice("Ono_Anna", "Femme", "Japonais", "Voix féminine japonaise espiègle, timbre léger et agile", "ja"),
    NativeVoice("Sohee", "Femme", "Coréen", "Voix féminine coréenne chaleureuse, riche en émotion", "ko"),
)

_BY_KEY = {voice.name.lower(): voice for voice in NATIVE_VOICES}


def find_native(name: str) -> NativeVoice | None:
    """The native voice of that name, case-insensitively, or None."""
    return _BY_KEY.get(name.strip().lower())
