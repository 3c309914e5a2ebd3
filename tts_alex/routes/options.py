"""Output options shared by every synthesis route: format, speed, streaming."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Request, Response

from ..audio import OutputFormat, resolve_format
from ..delivery import Disconnected, SpeechJob
from ..deps import DelivererDep, SettingsDep


@dataclass(frozen=True)
class OutputOptions:
    output: OutputFormat
    speed: float
    stream: bool
    gone: Disconnected  # tells whether the client has disconnected


def output_options(
    request: Request,
    settings: SettingsDep,
    format: Annotated[
        str,
        Form(description="wav (default), mp3, flac, opus, ogg, pcm (raw 16-bit LE mono 24 kHz) or aac (needs ffmpeg)."),
    ] = "wav",
    speed: Annotated[float, Form(ge=0.25, le=4.0, description="Tempo, 0.25-4.0; pitch is kept.")] = 1.0,
    stream: Annotated[
        bool, Form(description="Send audio while the rest is generated (wav and pcm play as they arrive).")
    ] = False,
) -> OutputOptions:
    """Parse and check the output options (unknown or unavailable format -> 400)."""
    return OutputOptions(resolve_format(format, settings.ffmpeg), speed, stream, request.is_disconnected)


OutputOptionsDep = Annotated[OutputOptions, Depends(output_options)]


async def respond(deliverer: DelivererDep, job: SpeechJob, options: OutputOptions) -> Response:
    """Stream or send whole."""
    if options.stream:
        return await deliverer.stream(job, options.gone)
    return await deliverer.whole(job, options.gone)
