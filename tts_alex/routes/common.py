"""Helpers shared by the routers: uploads in, audio out."""

from fastapi import UploadFile
from starlette.concurrency import run_in_threadpool

from ..audio import Audio, decode_audio
from ..errors import InvalidAudio, PayloadTooLarge
from ..settings import Settings

AUDIO_RESPONSES = {
    200: {
        "content": {
            "audio/wav": {},
            "audio/mpeg": {},
            "audio/flac": {},
            "audio/ogg": {},
            "audio/pcm": {},
            "audio/aac": {},
        },  # fmt: skip
        "description": "The generated speech, 24 kHz mono, in the requested `format` (default WAV).",
    },
    400: {"description": "Invalid value (text, language, audio...): `detail` says what to fix."},
    404: {"description": "Unknown voice."},
    503: {"description": "Busy or a model could not be loaded; retry later."},
}


async def read_reference(upload: UploadFile | None, settings: Settings, *, field: str = "reference_audio") -> Audio:
    """Read an uploaded reference recording within the size limit, decode it and check its duration.

    Raises:
        InvalidAudio, PayloadTooLarge.
    """
    if upload is None:
        raise InvalidAudio(
            f"`{field}` is required: upload a recording of the voice (WAV, FLAC, OGG or MP3).", field=field
        )
    limit = settings.max_upload_bytes
    if upload.size is not None and upload.size > limit:
        raise PayloadTooLarge(f"`{field}` is {upload.size} bytes; the limit is {limit} bytes.", field=field)
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"`{field}` is larger than the limit of {limit} bytes.", field=field)
    try:
        audio = await run_in_threadpool(decode_audio, data)
    except InvalidAudio as exc:
        exc.field = field
        raise
    low, high = settings.min_reference_seconds, settings.max_reference_seconds
    if not low <= audio.duration <= high:
        raise InvalidAudio(
            f"`{field}` lasts {audio.duration:.2f} s; a reference must last between {low:g} and {high:g} seconds.",
            field=field,
        )
    return audio
