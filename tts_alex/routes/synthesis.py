"""Speech generation: native and custom voices, style instructions, voice design, voice cloning."""

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Response, UploadFile

from ..deps import OutputsDep, QueueDep, SettingsDep, StudioDep
from ..errors import InvalidInput
from ..languages import resolve_language
from .common import AUDIO_RESPONSES, audio_response, read_reference

router = APIRouter(tags=["synthesis"])

TextField = Annotated[str, Form(description="Text to speak.")]
LanguageField = Annotated[
    str, Form(description="ISO code (fr, en, zh, ja, ko, de, ru, pt, es, it), a model name (French...) or auto.")
]


def _check_length(value: str, limit: int, field: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"`{field}` is empty.", field=field)
    if len(value) > limit:
        raise InvalidInput(f"`{field}` has {len(value)} characters; the limit is {limit}.", field=field)
    return value


@router.post("/preset", responses=AUDIO_RESPONSES, response_class=Response)
async def preset(
    studio: StudioDep,
    queue: QueueDep,
    outputs: OutputsDep,
    text: TextField,
    voice: Annotated[str, Form(description="A native speaker (Vivian, Ryan...) or a saved custom voice.")],
    language: LanguageField = "auto",
) -> Response:
    """Speak `text` with a native speaker or a saved custom voice; returns WAV."""
    text = studio.check_text(text)
    lang = resolve_language(language)
    studio.resolve_voice(voice)  # 404 before queueing
    audio = await queue.run(studio.speak, text=text, voice=voice, language=lang)
    return await audio_response(audio, outputs, label=voice)


@router.post("/preset/instruct", responses=AUDIO_RESPONSES, response_class=Response)
async def preset_instruct(
    studio: StudioDep,
    queue: QueueDep,
    outputs: OutputsDep,
    settings: SettingsDep,
    text: TextField,
    voice: Annotated[str, Form(description="A native speaker (custom voices cannot follow instructions).")],
    instruct: Annotated[str, Form(description="Style instruction, e.g. 'Parle lentement, d'un ton chaleureux'.")],
    language: LanguageField = "auto",
) -> Response:
    """Speak `text` with a native speaker following a style instruction; returns WAV."""
    text = studio.check_text(text)
    instruct = _check_length(instruct, settings.max_instruct_chars, "instruct")
    lang = resolve_language(language)
    studio.resolve_voice(voice)
    audio = await queue.run(studio.speak, text=text, voice=voice, language=lang, instruct=instruct)
    return await audio_response(audio, outputs, label=f"{voice}-instruct")


@router.post("/design", responses=AUDIO_RESPONSES, response_class=Response)
async def design(
    studio: StudioDep,
    queue: QueueDep,
    outputs: OutputsDep,
    settings: SettingsDep,
    text: TextField,
    voice_description: Annotated[str, Form(description="The voice in words, e.g. 'A deep, calm male narrator'.")],
    language: LanguageField = "auto",
) -> Response:
    """Speak `text` in a voice designed from a description (VoiceDesign model); returns WAV."""
    text = studio.check_text(text)
    voice_description = _check_length(voice_description, settings.max_voice_description_chars, "voice_description")
    lang = resolve_language(language)
    audio = await queue.run(
        studio.engine.synthesize_design, text=text, voice_description=voice_description, language=lang
    )
    return await audio_response(audio, outputs, label="design")


@router.post("/clone", responses=AUDIO_RESPONSES, response_class=Response)
async def clone(
    studio: StudioDep,
    queue: QueueDep,
    outputs: OutputsDep,
    settings: SettingsDep,
    text: TextField,
    reference_audio: Annotated[UploadFile, File(description="Recording of the voice to clone (WAV, FLAC, OGG, MP3).")],
    reference_text: Annotated[str, Form(description="Exact transcript of the reference recording.")],
    language: LanguageField = "auto",
    model: Annotated[Literal["1.7B", "0.6B"], Form(description="Base model size.")] = "1.7B",
) -> Response:
    """Speak `text` in the voice of a reference recording (Base model); returns WAV."""
    text = studio.check_text(text)
    reference_text = studio.check_text(reference_text, field="reference_text")
    lang = resolve_language(language)
    reference = await read_reference(reference_audio, settings)

    def run() -> object:
        build = studio.build_clone(reference=reference, reference_text=reference_text, model_size=model)
        return studio.engine.synthesize_clone(text=text, language=lang, prompt=build.prompt, model_size=model)

    audio = await queue.run(run)
    return await audio_response(audio, outputs, label="clone")
