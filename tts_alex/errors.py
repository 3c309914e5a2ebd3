"""Domain exceptions; app.py maps each to an HTTP status in one place."""


class TTSAlexError(Exception):
    """Base class: `str(exc)` is the message shown to the client as `detail`; `field` names the input at fault."""

    status_code = 500
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field


class InvalidInput(TTSAlexError):
    """The request is well-formed but a value is not acceptable."""

    status_code = 400


class InvalidVoiceName(InvalidInput):
    """A custom voice name breaks the naming rules or is reserved."""

    field = "name"


class VoiceExists(InvalidInput):
    """A custom voice of that name (case-insensitively) already exists."""

    field = "name"


class UnsupportedLanguage(InvalidInput):
    """The language is neither an accepted ISO code nor a model language name."""

    field = "language"


class InvalidAudio(InvalidInput):
    """An uploaded file is not decodable audio, is empty, or has an unusable duration."""

    field = "reference_audio"


class InstructNotSupported(InvalidInput):
    """The model that would voice this request cannot follow style instructions."""

    field = "instruct"


class UnsupportedFormat(InvalidInput):
    """The requested output format cannot be produced on this machine."""

    field = "format"


class Unauthorized(TTSAlexError):
    """The API key is missing or wrong."""

    status_code = 401


class VoiceNotFound(TTSAlexError):
    """No native or custom voice has that name."""

    status_code = 404
    field = "voice"


class NativeVoiceProtected(TTSAlexError):
    """Native voices cannot be deleted."""

    status_code = 403


class PayloadTooLarge(TTSAlexError):
    """An upload is larger than the configured limit."""

    status_code = 413


class ServiceBusy(TTSAlexError):
    """A shared resource (store lock, generation queue) is not available in time."""

    status_code = 503

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ModelUnavailable(TTSAlexError):
    """A model could not be loaded."""

    status_code = 503


class GenerationFailed(TTSAlexError):
    """The model raised while generating; details are in the server log only."""

    status_code = 500


class VoiceDamaged(TTSAlexError):
    """A custom voice's files on disk cannot be read."""

    status_code = 500
