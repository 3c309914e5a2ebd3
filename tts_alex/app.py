"""Application factory: lifespan owns the engine and the store; errors map to HTTP in one place."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from . import __version__
from .delivery import Deliverer
from .engine import Engine, ModelKind, model_sources
from .generation import GenerationQueue
from .http_errors import install_error_handlers
from .limits import BodyLimitMiddleware
from .metrics import Metrics, RequestMetricsMiddleware
from .outputs import OutputArchive
from .routes import openai, synthesis, system, ui, voices
from .security import is_loopback, require_api_key
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
    if not is_loopback(settings.host) and settings.api_key is None:
        lines.append(
            f"  !!! WARNING: listening on {settings.host} with NO API KEY: anyone on your network can use this server"
            " and read your voice library. Set TTS_ALEX_API_KEY or bind 127.0.0.1. !!!"
        )
    if settings.api_key is not None:
        lines.append("  API key required (Authorization: Bearer ...) on every route but /health and the page.")
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
        app.state.deliverer = Deliverer(app.state.queue, app.state.outputs, ffmpeg=settings.ffmpeg)
        metrics.bind(
            queue_depth=lambda: app.state.queue.depth,
            loaded=lambda: {kind.value: engine.is_loaded(kind) for kind in ModelKind},
            voices=lambda: len(store.voices()),
        )
        engine.observers.append(metrics.observe_generation)
        print(banner(settings, engine, store), flush=True)
        if not is_loopback(settings.host) and settings.api_key is None:
            log.warning("Listening on %s without TTS_ALEX_API_KEY: anyone on the network can use it.", settings.host)
        try:
            yield
        finally:
            engine.observers.remove(metrics.observe_generation)

    metrics = Metrics()
    app = FastAPI(
        title="TTS-Alex",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = metrics

    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Audio-Duration", "X-Output-Path", "X-Sample-Rate", "Content-Disposition"],
        )
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)  # outermost

    auth = {
        "dependencies": [Depends(require_api_key)],
        "responses": {401: {"description": "Missing or wrong API key."}},
    }
    app.include_router(system.health_router)  # always open: monitoring and the page's status badge
    app.include_router(system.router, **auth)
    app.include_router(voices.router, **auth)
    app.include_router(synthesis.router, **auth)
    app.include_router(openai.router, **auth)
    app.include_router(ui.router)  # the page and its assets hold no data; every call it makes is authenticated
    return app
