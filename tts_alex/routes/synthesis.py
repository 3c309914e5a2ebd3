"""Speech generation: native and custom voices, style instructions, voice design, voice cloning."""

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Response, UploadFile

from ..deps import DelivererDep, SettingsDep, StudioDep
from ..errors import InvalidInput
from ..languages import resolve_language
from .common import AUDIO_RESPONSES, read_reference
from .options import OutputOptionsDep, respond

router = APIRouter(tags=["synthesis"])

TextField = Annotated[str, Form(min_length=1, description="Text to speak; long texts are spoken sentence by sentence.")]
LanguageField = Annotated[
    str, Form(description="ISO code (fr, en, zh, ja, ko, de, ru, pt, es, it), a model name (French...) or auto.")
]


def check_length(value: str, limit: int, field: str) -> str:
    """Stripped `value`, or InvalidInput if empty or longer than `limit`."""
    value = value.strip()
    if not value:
        raise InvalidInput(f"`{field}` is empty.", field=field)
    if len(value) > limit:
        raise InvalidInput(f"`{field}` has {len(value)} characters; the limit is {limit}.", field=field)
    return value


@router.post("/preset", responses=AUDIO_RESPONSES, response_class=Response)
async def preset(
    studio: StudioDep,
    deliverer: DelivererDep,
    options: OutputOptionsDep,
    text: TextField,
    voice: Annotated[
        str, Form(min_length=1, description="A native speaker (Vivian, Ryan...) or a saved custom voice.")
    ],
    language: LanguageField = "auto",
) -> Response:
    """Speak `text` with a native speaker or a saved custom voice."""
    text = studio.check_text(text)
    voicing = studio.voicing_for(voice, resolve_language(language))
    return await respond(deliverer, studio.plan(voicing, text, options.output, options.speed), options)


@router.post("/preset/instruct", responses=AUDIO_RESPONSES, response_class=Response)
async def preset_instruct(
    studio: StudioDep,
    deliverer: DelivererDep,
    settings: SettingsDep,
    options: OutputOptionsDep,
    text: TextField,
    voice: Annotated[
        str, Form(min_length=1, description="A native speaker (custom voices cannot follow instructions).")
    ],
    instruct: Annotated[
        str, Form(min_length=1, description="Style instruction, e.g. 'Parle lentement, d'un ton chaleureux'.")
    ],
    language: LanguageField = "auto",
) -> Response:
    """Speak `text` with a native speaker following a style instruction."""
    text = studio.check_text(text)
    instruct = check_length(instruct, settings.max_instruct_chars, "instruct")
    voicing = studio.voicing_for(voice, resolve_language(language), instruct)
    return await respond(deliverer, studio.plan(voicing, text, options.output, options.speed), options)


@router.post("/design", responses=AUDIO_RESPONSES, response_class=Response)
async def design(
    studio: StudioDep,
    deliverer: DelivererDep,
    settings: SettingsDep,
    options: OutputOptionsDep,
    text: TextField,
    voice_description: Annotated[
        str, Form(min_length=1, description="The voice in words, e.g. 'A deep, calm male narrator'.")
    ],
    language: LanguageField = "auto",
) -> Response:
    """Speak `text` in a voice designed from a description (VoiceDesign model)."""
    text = studio.check_text(text)
    description = check_length(voice_description, settings.max_voice_description_chars, "voice_description")
    voicing = studio.design_voicing(description, resolve_language(language))
    return await respond(deliverer, studio.plan(voicing, text, options.output, options.speed), options)


@router.post("/clone", responses=AUDIO_RESPONSES, response_class=Response)
async def clone(
    studio: StudioDep,
    deliverer: DelivererDep,
    settings: SettingsDep,
    options: OutputOptionsDep,
    text: TextField,
    reference_audio: Annotated[UploadFile, File(description="Recording of the voice to clone (WAV, FLAC, OGG, MP3).")],
    reference_text: Annotated[str, Form(min_length=1, description="Exact transcript of the reference recording.")],
    language: LanguageField = "auto",
    model: Annotated[Literal["1.7B", "0.6B"], Form(description="Base model size.")] = "1.7B",
) -> Response:
    """Speak `text` in the voice of a reference recording (Base model)."""
    text = studio.check_text(text)
    reference_text = studio.check_text(reference_text, field="reference_text")
    lang = resolve_language(language)
    reference = await read_reference(reference_audio, settings)
    voicing = studio.clone_voicing(reference, reference_text, lang, model)
    return await respond(deliverer, studio.plan(voicing, text, options.output, options.speed), options)
