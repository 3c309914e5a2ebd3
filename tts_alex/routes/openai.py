"""OpenAI-compatible speech API (`/v1/audio/speech`), so the openai SDKs, Open WebUI and SillyTavern work unchanged."""

import time
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from ..audio import resolve_format
from ..deps import DelivererDep, SettingsDep, StoreDep, StudioDep
from ..errors import InvalidInput, VoiceNotFound
from ..languages import resolve_language
from ..natives import NATIVE_VOICES, find_native
from ..speech import Studio
from .common import AUDIO_RESPONSES

router = APIRouter(prefix="/v1", tags=["openai"])

# OpenAI's model names and the Qwen3-TTS ones; every name speaks with the configured models (the voice picks
# which: a native speaker uses CustomVoice, a custom voice the Base model it was made with).
OPENAI_MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts", "qwen3-tts")
_CREATED = int(time.time())


class VoiceRef(BaseModel):
    id: str = Field(description="Voice name.")


class SpeechRequest(BaseModel):
    model: str = Field(description="tts-1, tts-1-hd, gpt-4o-mini-tts, qwen3-tts or a Qwen3-TTS model name.")
    input: str = Field(description="Text to speak; long texts are spoken sentence by sentence.")
    voice: str | VoiceRef = Field(description="A native voice, a custom voice, or an OpenAI voice name (alloy...).")
    response_format: str = Field("mp3", description="mp3 (default), opus, aac, flac, wav, pcm (or ogg).")
    speed: float = Field(1.0, ge=0.25, le=4.0, description="Tempo, 0.25-4.0; pitch is kept.")
    instructions: str | None = Field(None, description="Style instruction (native voices only).")
    stream_format: Literal["audio", "sse"] = Field("audio", description="audio (raw bytes) or sse (events).")
    language: str | None = Field(None, description="Extension: ISO code or language name; default auto.")


def accepted_models(settings: Any) -> list[str]:
    """Model ids clients may send."""
    configured = [settings.custom_voice_model, settings.voice_design_model, settings.base_1_7b_model]
    configured.append(settings.base_0_6b_model)
    names = [*OPENAI_MODELS]
    for source in configured:
        names += [source, source.rstrip("/").split("/")[-1]]
    return list(dict.fromkeys(names))


@router.get("/models")
async def list_models(settings: SettingsDep) -> dict[str, Any]:
    """Models accepted by /v1/audio/speech (OpenAI's list shape)."""
    data = [
        {"id": name, "object": "model", "created": _CREATED, "owned_by": "tts-alex"}
        for name in accepted_models(settings)
    ]
    return {"object": "list", "data": data}


@router.get("/audio/voices")
async def list_voices(settings: SettingsDep, store: StoreDep) -> dict[str, Any]:
    """Voices accepted by /v1/audio/speech: natives, custom voices and OpenAI aliases."""
    data: list[dict[str, Any]] = [
        {"id": v.name, "object": "voice", "name": v.name, "type": "native", "description": v.description}
        for v in NATIVE_VOICES
    ]
    data += [
        {"id": v.name, "object": "voice", "name": v.name, "type": "custom", "description": v.description}
        for v in store.voices()
    ]
    data += [
        {"id": alias, "object": "voice", "name": alias, "type": "alias", "alias_of": target}
        for alias, target in settings.openai_voices.items()
    ]
    return {"object": "list", "data": data}


SPEECH_RESPONSES = {
    **AUDIO_RESPONSES,
    200: {
        "content": {**AUDIO_RESPONSES[200]["content"], "audio/aac": {}, "text/event-stream": {}},
        "description": "The speech in `response_format`; with stream_format=sse, speech.audio.delta/done events.",
    },
}


@router.post("/audio/speech", responses=SPEECH_RESPONSES, response_class=Response)
async def create_speech(
    body: SpeechRequest,
    studio: StudioDep,
    deliverer: DelivererDep,
    settings: SettingsDep,
) -> Response:
    """OpenAI's speech endpoint: JSON in, audio out (streamed as generated for wav and pcm)."""
    if body.model not in accepted_models(settings):
        raise InvalidInput(
            f"Model '{body.model}' is not available. Use one of: {', '.join(OPENAI_MODELS)}.", field="model"
        )
    text = studio.check_text(body.input, field="input")
    output = resolve_format(body.response_format, settings.ffmpeg)
    language = resolve_language(body.language)
    voice = body.voice.id if isinstance(body.voice, VoiceRef) else body.voice
    voicing = studio.voicing_for(_resolve_alias(voice, studio, settings.openai_voices), language, body.instructions)
    job = studio.plan(voicing, text, output, body.speed)
    if body.stream_format == "sse":
        return await deliverer.events(job)
    return await deliverer.stream(job)


def _resolve_alias(voice: str, studio: Studio, aliases: dict[str, str]) -> str:
    """A native or custom voice name stays; an OpenAI voice name maps to its native speaker."""
    if find_native(voice) is not None or studio.store.find(voice) is not None:
        return voice
    target = aliases.get(voice.strip().lower())
    if target is None:
        raise VoiceNotFound(
            f"Voice '{voice}' not found: use a native voice, a custom voice, or one of {', '.join(aliases)}."
        )
    return target
