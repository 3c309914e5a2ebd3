"""Language names accepted by the API and their Qwen3-TTS names."""

from .errors import UnsupportedLanguage

# ISO 639-1 code -> the language name Qwen3-TTS uses.
ISO_TO_MODEL: dict[str, str] = {
    "zh": "Chinese",
    "en": "English",
    "ja": "Japanese",
    "ko": "Korean",
    "de": "German",
    "fr": "French",
    "ru": "Russian",
    "pt": "Portuguese",
    "es": "Spanish",
    "it": "Italian",
}
AUTO = "Auto"
_BY_NAME = {name.lower(): name for name in ISO_TO_MODEL.values()}


def resolve_language(value: str | None) -> str:
    """Map an ISO code, a model language name or "auto" (any case) to the model's name.

    Raises:
        UnsupportedLanguage: the value is none of those.
    """
    key = (value or "auto").strip().lower()
    if key == "auto":
        return AUTO
    if key in ISO_TO_MODEL:
        return ISO_TO_MODEL[key]
    if key in _BY_NAME:
        return _BY_NAME[key]
    accepted = ", ".join([*ISO_TO_MODEL, "auto"])
    raise UnsupportedLanguage(
        f"Unsupported language '{value}'. Use one of: {accepted} "
        f"(or a full name such as {', '.join(ISO_TO_MODEL.values())})."
    )


def language_table() -> list[dict[str, str]]:
    """The supported languages as {code, name} rows, auto first."""
    return [{"code": "auto", "name": AUTO}] + [{"code": code, "name": name} for code, name in ISO_TO_MODEL.items()]


def language_code(model_name: str) -> str:
    """ISO code of a model language name ("French" -> "fr"), "auto" for Auto."""
    for code, name in ISO_TO_MODEL.items():
        if name == model_name:
            return code
    return "auto"
