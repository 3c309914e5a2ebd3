"""Application factory: lifespan owns the engine and the store; errors map to HTTP in one place."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from . import __version__
from .engine import Engine, ModelKind, model_sources
from .errors import ServiceBusy, TTSAlexError
from .generation import GenerationQueue
from .outputs import OutputArchive
from .routes import synthesis, system, voices
from .settings import Settings
from .speech import Studio
from .store import CustomVoiceStore

log = logging.getLogger("tts_alex")

DESCRIPTION = """Local voice studio on Qwen3-TTS: 9 native speakers, voice design, voice cloning,
and a persistent library of custom voices reusable by name."""


def banner(settings: Settings, engine: Engine, store: CustomVoiceStore) -> str:
    """The start-up summary printed to the console."""
    lines = [
        f"TTS-Alex {__version__}",
        f"  device: {engine.choice.device}  dtype: {engine.choice.dtype_name}"
        f"  attention: {engine.choice.attn_implementation}",
        f"  models: {settings.models}",
    ]
    for kind in ModelKind:
        state = "loaded" if engine.is_loaded(kind) else "lazy"
        lines.append(f"    {kind.value:<13} {state:<6} {engine.sources[kind]}")
    lines.append(f"  {len(store.voices())} voix personnalisées chargées ({store.root})")
    if settings.models == "tiny":
        lines.append("  WARNING: tiny random models (offline demo): every voice speaks noise, not words.")
    lines.append(f"  API docs: http://{settings.host}:{settings.port}/docs")
    return "\n".join(lines)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """Build the FastAPI app; heavy objects are created in the lifespan, not at import.

    `engine` lets a caller (tests, benchmarks) share one set of loaded models between apps.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = CustomVoiceStore(
            settings.custom_voices_dir,
            lock_timeout=settings.store_lock_timeout,
            max_loaded_prompts=settings.max_loaded_prompts,
        )
        store.open()
        nonlocal engine
        engine = engine or Engine(settings, model_sources(settings))
        for kind in (ModelKind.CUSTOM_VOICE, *(ModelKind(k) for k in settings.preload)):
            engine.model(kind)
        app.state.settings = settings
        app.state.engine = engine
        app.state.store = store
        app.state.studio = Studio(settings, engine, store)
        app.state.queue = GenerationQueue(settings.max_queue_depth)
        app.state.outputs = OutputArchive(settings.outputs_dir, enabled=settings.save_outputs)
        print(banner(settings, engine, store), flush=True)
        yield

    app = FastAPI(title="TTS-Alex", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings

    @app.exception_handler(TTSAlexError)
    async def domain_error(request: Request, exc: TTSAlexError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, ServiceBusy) else None
        body = {"detail": str(exc)} | ({"field": exc.field} if exc.field else {})
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("Unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "Internal server error; see the server log."}, status_code=500)

    app.include_router(system.router)
    app.include_router(voices.router)
    app.include_router(synthesis.router)
    return app
