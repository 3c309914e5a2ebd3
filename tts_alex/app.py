"""Application factory: lifespan owns the engine and the store; errors map to HTTP in one place."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .delivery import Deliverer
from .engine import Engine, ModelKind, model_sources
from .errors import ServiceBusy, TTSAlexError
from .generation import GenerationQueue
from .outputs import OutputArchive
from .routes import openai, synthesis, system, voices
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


def is_openai_route(request: Request) -> bool:
    """/v1 routes answer errors in OpenAI's shape so the SDKs raise readable exceptions."""
    return request.url.path == "/v1" or request.url.path.startswith("/v1/")


_OPENAI_PARAMS = {"text": "input", "instruct": "instructions", "format": "response_format"}


def error_code(exc: TTSAlexError) -> str:
    """snake_case of the exception class: VoiceNotFound -> voice_not_found."""
    name = type(exc).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def openai_error(
    message: str, status: int, *, param: str | None = None, code: str | None = None, headers: dict | None = None
) -> JSONResponse:
    """{"error": {"message", "type", "param", "code"}} as OpenAI answers."""
    kind = "server_error" if status >= 500 else "invalid_request_error"
    error = {"message": message, "type": kind, "param": _OPENAI_PARAMS.get(param or "", param), "code": code}
    return JSONResponse({"error": error}, status_code=status, headers=headers)


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
        print(banner(settings, engine, store), flush=True)
        yield

    app = FastAPI(title="TTS-Alex", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings

    @app.exception_handler(TTSAlexError)
    async def domain_error(request: Request, exc: TTSAlexError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, ServiceBusy) else None
        if is_openai_route(request):
            return openai_error(str(exc), exc.status_code, param=exc.field, code=error_code(exc), headers=headers)
        body = {"detail": str(exc)} | ({"field": exc.field} if exc.field else {})
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        if not is_openai_route(request):
            return await request_validation_exception_handler(request, exc)
        first = exc.errors()[0] if exc.errors() else {}
        location = [str(part) for part in first.get("loc", ()) if part != "body"]
        message = f"{'.'.join(location) or 'body'}: {first.get('msg', 'invalid request')}"
        return openai_error(message, 400, param=location[0] if location else None, code="invalid_value")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_openai_route(request):
            return await http_exception_handler(request, exc)
        return openai_error(str(exc.detail), exc.status_code, code="not_found" if exc.status_code == 404 else None)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("Unhandled error on %s %s", request.method, request.url.path)
        if is_openai_route(request):
            return openai_error("Internal server error; see the server log.", 500)
        return JSONResponse({"detail": "Internal server error; see the server log."}, status_code=500)

    app.include_router(system.router)
    app.include_router(voices.router)
    app.include_router(synthesis.router)
    app.include_router(openai.router)
    return app
