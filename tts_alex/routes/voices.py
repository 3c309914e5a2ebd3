"""The voice library: native speakers and persistent custom voices."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from starlette.concurrency import run_in_threadpool

from ..deps import QueueDep, SettingsDep, StoreDep, StudioDep
from ..errors import InvalidInput
from ..languages import language_code, resolve_language
from ..natives import NATIVE_VOICES
from ..speech import MODEL_SIZES, VoiceBuild
from ..store import CustomVoice
from .common import read_reference

router = APIRouter(tags=["voices"])


@router.get("/voices")
async def list_voices(store: StoreDep) -> dict[str, Any]:
    """Every voice: the 9 native speakers and the saved custom voices, with counts."""
    customs = await run_in_threadpool(store.voices)
    voices = [v.as_dict() for v in NATIVE_VOICES] + [c.summary() for c in customs]
    return {
        "voices": voices,
        "count": len(voices),
        "native_count": len(NATIVE_VOICES),
        "custom_count": len(customs),
    }


def _missing(field: str, source: str) -> InvalidInput:
    return InvalidInput(f"Paramètre manquant : `{field}` est requis quand source={source}.", field=field)


@router.post(
    "/voices/custom",
    status_code=201,
    responses={
        400: {"description": "Invalid name or parameters."},
        413: {"description": "Upload too large."},
        500: {"description": "Generation failed; nothing was saved."},
        503: {"description": "Busy (library lock or generation queue); retry."},
    },
)
async def create_custom_voice(
    studio: StudioDep,
    store: StoreDep,
    queue: QueueDep,
    settings: SettingsDep,
    name: Annotated[
        str | None, Form(description="Unique name: 3-50 letters, digits or hyphens (case-insensitive).")
    ] = None,
    source: Annotated[
        str | None, Form(description='"clone" (from a recording) or "design" (from a description).')
    ] = None,
    description: Annotated[str | None, Form(description="What the voice is for (max 200 characters).")] = None,
    voice_description: Annotated[str | None, Form(description="design: the voice in words.")] = None,
    language: Annotated[
        str | None,
        Form(
            description="design: language of the reference clip (default fr); "
            "clone: language of the recording (default auto)."
        ),
    ] = None,
    reference_audio: Annotated[UploadFile, File(description="clone: recording of the voice.")] = None,  # type: ignore[assignment]
    reference_text: Annotated[str | None, Form(description="clone: exact transcript of the recording.")] = None,
    model: Annotated[str | None, Form(description='clone: Base model size, "1.7B" (default) or "0.6B".')] = None,
) -> dict[str, Any]:
    """Save a voice made by cloning a recording or by design, persistently, under a unique name."""
    # Everything is validated before any model work, so a bad request costs nothing and writes nothing.
    store.check_available((name or "").strip())
    name = (name or "").strip()
    if source not in ("clone", "design"):
        raise InvalidInput('Paramètre `source` invalide : utilisez "clone" ou "design".', field="source")
    description = (description or "").strip()
    if len(description) > settings.max_description_chars:
        raise InvalidInput(
            f"La description fait {len(description)} caractères ; maximum {settings.max_description_chars}.",
            field="description",
        )
    build: VoiceBuild
    if source == "design":
        if not (voice_description or "").strip():
            raise _missing("voice_description", "design")
        voice_description = voice_description.strip()
        if len(voice_description) > settings.max_voice_description_chars:
            raise InvalidInput(
                f"`voice_description` has {len(voice_description)} characters; the limit is "
                f"{settings.max_voice_description_chars}.",
                field="voice_description",
            )
        lang = resolve_language(language or "fr")
        build = await queue.run(studio.build_design, voice_description=voice_description, language=lang)
    else:
        if reference_audio is None:
            raise _missing("reference_audio", "clone")
        if not (reference_text or "").strip():
            raise _missing("reference_text", "clone")
        model = (model or "1.7B").strip()
        if model not in MODEL_SIZES:
            raise InvalidInput(f"Paramètre `model` invalide : utilisez {' ou '.join(MODEL_SIZES)}.", field="model")
        lang = resolve_language(language or "auto")
        reference_text = studio.check_text(reference_text, field="reference_text")
        reference = await read_reference(reference_audio, settings)
        build = await queue.run(
            studio.build_clone, reference=reference, reference_text=reference_text, model_size=model
        )
        voice_description = None
    voice = CustomVoice(
        name=name,
        source=source,
        description=description,
        model=build.model,
        model_id=build.model_id,
        language=language_code(lang),
        reference_text=build.reference_text,
        voice_description=voice_description,
    )
    saved = await run_in_threadpool(store.create, voice, build.prompt, build.reference)
    return {"status": "created", "voice": saved.summary()}


@router.get("/voices/custom/{name}", responses={404: {"description": "No custom voice has that name."}})
async def custom_voice_details(name: str, store: StoreDep) -> dict[str, Any]:
    """Details of a custom voice: model, language, size on disk, whether its prompt is in memory."""
    return await run_in_threadpool(store.details, name)


@router.delete(
    "/voices/custom/{name}",
    responses={403: {"description": "Native voices cannot be deleted."}, 404: {"description": "Unknown voice."}},
)
async def delete_custom_voice(name: str, store: StoreDep) -> dict[str, str]:
    """Delete a custom voice (native voices cannot be deleted)."""
    deleted = await run_in_threadpool(store.delete, name)
    return {"status": "deleted", "name": deleted}
