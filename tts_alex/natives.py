"""The 9 speakers built into the Qwen3-TTS CustomVoice model, described as in the PRD."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class NativeVoice:
    name: str
    gender: str
    native_lang: str
    description: str

    def as_dict(self) -> dict[str, str]:
        """The PRD's JSON shape for a native voice."""
        return {"name": self.name, "type": "native", **{k: v for k, v in asdict(self).items() if k != "name"}}


NATIVE_VOICES: tuple[NativeVoice, ...] = (
    NativeVoice("Vivian", "Femme", "Chinois", "Voix feminine jeune, vive et legerement incisive"),
    NativeVoice("Serena", "Femme", "Chinois", "Voix feminine jeune, chaleureuse et douce"),
    NativeVoice("Uncle_Fu", "Homme", "Chinois", "Voix masculine mure, timbre grave et veloute"),
    NativeVoice("Dylan", "Homme", "Chinois (Pekin)", "Voix masculine jeune de Pekin, timbre clair et naturel"),
    NativeVoice("Eric", "Homme", "Chinois (Sichuan)", "Voix masculine enjouee de Chengdu, legerement voilee"),
    NativeVoice("Ryan", "Homme", "Anglais", "Voix masculine dynamique au rythme affirme"),
    NativeVoice("Aiden", "Homme", "Anglais", "Voix masculine americaine solaire, mediums clairs"),
    NativeVoice("Ono_Anna", "Femme", "Japonais", "Voix feminine japonaise espiegle, timbre leger et agile"),
    NativeVoice("Sohee", "Femme", "Coreen", "Voix feminine coreenne chaleureuse, riche en emotion"),
)

_BY_KEY = {voice.name.lower(): voice for voice in NATIVE_VOICES}


def find_native(name: str) -> NativeVoice | None:
    """The native voice of that name, case-insensitively, or None."""
    return _BY_KEY.get(name.strip().lower())
