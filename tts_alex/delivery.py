"""From text to an HTTP answer: split, generate piece by piece in the queue, change speed, encode, stream."""

import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import numpy as np
from fastapi import Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from .audio import SAMPLE_RATE, Audio, OutputFormat, change_speed, encode, pcm16, silence, wav_stream_header
from .generation import GenerationQueue
from .outputs import OutputArchive
from .textsplit import Piece, split_text
from .voicing import Voicing


@dataclass(frozen=True)
class SpeechJob:
    """What to say, in which voice, and how to deliver it."""

    voicing: Voicing
    pieces: list[Piece]
    output: OutputFormat
    speed: float = 1.0

    @classmethod
    def plan(
        cls, voicing: Voicing, text: str, output: OutputFormat, *, speed: float = 1.0, max_piece_cost: int = 300
    ) -> "SpeechJob":
        return cls(voicing, split_text(text, max_piece_cost), output, speed)


def render_piece(voicing: Voicing, piece: Piece, speed: float) -> np.ndarray:
    """One piece spoken, tempo-adjusted, followed by its pause (blocking)."""
    audio = change_speed(voicing.say(piece.text), speed)
    return np.concatenate([audio.samples, silence(piece.pause_after / speed, audio.sample_rate)])


Disconnected = Callable[[], Awaitable[bool]]


async def render_pieces(
    job: SpeechJob, queue: GenerationQueue, gone: Disconnected | None = None
) -> AsyncIterator[np.ndarray]:
    """Samples of each piece as soon as it is generated (each piece queues separately).

    Stops early when `gone()` says the client has left, so an abandoned long text frees the device.
    """
    for index, piece in enumerate(job.pieces):
        if index and gone is not None and await gone():
            return
        yield await queue.run(render_piece, job.voicing, piece, job.speed)


async def synthesize(job: SpeechJob, queue: GenerationQueue, gone: Disconnected | None = None) -> Audio | None:
    """The whole text as one Audio, or None if the client left before the end."""
    parts = [samples async for samples in render_pieces(job, queue, gone)]
    if len(parts) < len(job.pieces):
        return None
    return Audio(np.concatenate(parts) if parts else np.zeros(0, np.float32), SAMPLE_RATE)


class Deliverer:
    """Turns speech jobs into responses; keeps a copy under outputs/."""

    def __init__(self, queue: GenerationQueue, outputs: OutputArchive, *, ffmpeg: str = "ffmpeg") -> None:
        self.queue, self.outputs, self.ffmpeg = queue, outputs, ffmpeg

    async def whole(self, job: SpeechJob, gone: Disconnected | None = None) -> Response:
        """Generate everything, then answer with one encoded file and its duration."""
        audio = await synthesize(job, self.queue, gone)
        if audio is None:
            return Response(status_code=499)  # client closed the request; nobody will read this
        data = await run_in_threadpool(encode, audio, job.output.name, ffmpeg=self.ffmpeg)
        saved = await run_in_threadpool(
            self.outputs.save, data, label=job.voicing.label, extension=job.output.extension
        )
        headers = {"X-Audio-Duration": f"{audio.duration:.3f}", **self._file_headers(job, saved)}
        return Response(content=data, media_type=job.output.media_type, headers=headers)

    async def stream(self, job: SpeechJob, gone: Disconnected | None = None) -> Response:
        """Send audio as each piece is generated (wav, pcm); other formats are sent whole when complete.

        The first piece is generated before the response starts, so a failure there still gets its status code.
        """
        if not job.output.streamable:
            return await self.whole(job, gone)
        pieces = render_pieces(job, self.queue)
        first = await anext(pieces)

        async def body() -> AsyncIterator[bytes]:
            spoken = [first]
            if job.output.name == "wav":
                yield wav_stream_header(SAMPLE_RATE)
            yield pcm16(first)
            async for samples in pieces:
                spoken.append(samples)
                yield pcm16(samples)
            data = await run_in_threadpool(encode, Audio(np.concatenate(spoken)), job.output.name)
            await run_in_threadpool(self.outputs.save, data, label=job.voicing.label, extension=job.output.extension)

        return StreamingResponse(body(), media_type=job.output.media_type, headers=self._file_headers(job, None))

    async def events(self, job: SpeechJob) -> Response:
        """OpenAI's `stream_format=sse`: `speech.audio.delta` events (base64 audio) then `speech.audio.done`."""
        pieces = render_pieces(job, self.queue)
        first = await anext(pieces)

        def event(payload: dict) -> bytes:
            return f"data: {json.dumps(payload)}\n\n".encode()

        async def body() -> AsyncIterator[bytes]:
            spoken = [first]
            if job.output.streamable:
                head = wav_stream_header(SAMPLE_RATE) if job.output.name == "wav" else b""
                yield event({"type": "speech.audio.delta", "audio": base64.b64encode(head + pcm16(first)).decode()})
                async for samples in pieces:
                    spoken.append(samples)
                    yield event({"type": "speech.audio.delta", "audio": base64.b64encode(pcm16(samples)).decode()})
            else:
                spoken.extend([samples async for samples in pieces])
                data = await run_in_threadpool(
                    encode, Audio(np.concatenate(spoken)), job.output.name, ffmpeg=self.ffmpeg
                )
                yield event({"type": "speech.audio.delta", "audio": base64.b64encode(data).decode()})
            characters = sum(len(p.text) for p in job.pieces)
            seconds = sum(s.size for s in spoken) / SAMPLE_RATE
            usage = {"input_tokens": characters, "output_tokens": round(seconds * 12), "total_tokens": 0}
            usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
            yield event({"type": "speech.audio.done", "usage": usage})

        return StreamingResponse(body(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @staticmethod
    def _file_headers(job: SpeechJob, saved: object) -> dict[str, str]:
        name = getattr(saved, "name", None) or f"{job.voicing.label}.{job.output.extension}"
        headers = {"X-Sample-Rate": str(SAMPLE_RATE), "Content-Disposition": f'inline; filename="{name}"'}
        if saved is not None:
            headers["X-Output-Path"] = str(saved)
        return headers
