"""Health and languages."""

import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter, Request, Response

from .. import __version__
from ..audio import FORMATS, format_available
from ..deps import EngineDep, QueueDep, SettingsDep
from ..engine import ModelKind
from ..languages import language_table
from ..metrics import CONTENT_TYPE

health_router = APIRouter(tags=["system"])  # open even with an API key
router = APIRouter(tags=["system"])

_PACKAGES = ("qwen-tts", "torch", "torchaudio", "transformers", "fastapi", "soundfile")


def _package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version(), "tts-alex": __version__}
    for name in _PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


@health_router.get("/health")
async def health(engine: EngineDep, settings: SettingsDep, queue: QueueDep) -> dict[str, Any]:
    """Server status: device, dtype, loaded and configured models, queue depth, package versions."""
    return {
        "status": "ok",
        "device": engine.choice.device,
        "dtype": engine.choice.dtype_name,
        "attn_implementation": engine.choice.attn_implementation,
        "models_mode": settings.models,
        "models_loaded": engine.loaded_kinds,
        "models_configured": {kind.value: engine.sources[kind] for kind in ModelKind},
        "queue_depth": queue.depth,
        "limits": {
            "max_text_chars": settings.max_text_chars,
            "max_instruct_chars": settings.max_instruct_chars,
            "max_description_chars": settings.max_description_chars,
            "max_voice_description_chars": settings.max_voice_description_chars,
            "min_reference_seconds": settings.min_reference_seconds,
            "max_reference_seconds": settings.max_reference_seconds,
            "max_upload_bytes": settings.max_upload_bytes,
            "speed": [0.25, 4.0],
        },
        "versions": _package_versions(),
    }


@router.get("/languages")
async def languages() -> dict[str, Any]:
    """Languages accepted by every `language` field: ISO codes, model names, or auto."""
    table = language_table()
    return {"languages": table, "count": len(table), "default": "auto"}


@router.get("/formats")
async def formats(settings: SettingsDep) -> dict[str, Any]:
    """Output formats: media type, whether this machine can produce it, whether it streams progressively."""
    rows = [
        {
            "name": f.name,
            "media_type": f.media_type,
            "available": format_available(f.name, settings.ffmpeg),
            "streamable": f.streamable,
        }
        for f in FORMATS.values()
    ]
    return {"formats": rows, "default": "wav"}


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus metrics: requests by route and status, generation time, audio produced, RTF, queue, models."""
    registry = request.app.state.metrics
    return Response(content=registry.render(), media_type=CONTENT_TYPE)
