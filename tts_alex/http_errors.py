"""The one place where errors become HTTP answers: `{"detail"}` (+ `field`), or OpenAI's shape on /v1."""

import logging

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .errors import ServiceBusy, TTSAlexError, Unauthorized

log = logging.getLogger("tts_alex")

# Our field names as OpenAI's SDKs know them.
_OPENAI_PARAMS = {"text": "input", "instruct": "instructions", "format": "response_format"}


def is_openai_path(path: str) -> bool:
    """/v1 routes answer errors in OpenAI's shape so the SDKs raise readable exceptions."""
    return path == "/v1" or path.startswith("/v1/")


def is_openai_route(request: Request) -> bool:
    return is_openai_path(request.url.path)


def error_response(path: str, message: str, status: int, *, code: str | None = None) -> JSONResponse:
    """`{"detail"}`, or OpenAI's shape on /v1 paths (for code outside the exception handlers)."""
    if is_openai_path(path):
        return openai_error(message, status, code=code)
    return JSONResponse({"detail": message}, status_code=status)


def error_code(exc: Exception) -> str:
    """snake_case of the exception class: VoiceNotFound -> voice_not_found."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in type(exc).__name__).lstrip("_")


def openai_error(
    message: str, status: int, *, param: str | None = None, code: str | None = None, headers: dict | None = None
) -> JSONResponse:
    """{"error": {"message", "type", "param", "code"}} as OpenAI answers."""
    kind = "server_error" if status >= 500 else "invalid_request_error"
    error = {"message": message, "type": kind, "param": _OPENAI_PARAMS.get(param or "", param), "code": code}
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors, validation errors, HTTP errors and anything unexpected (500, traceback to the log only)."""

    @app.exception_handler(TTSAlexError)
    async def domain_error(request: Request, exc: TTSAlexError) -> JSONResponse:
        headers = None
        if isinstance(exc, ServiceBusy):
            headers = {"Retry-After": str(exc.retry_after)}
        elif isinstance(exc, Unauthorized):
            headers = {"WWW-Authenticate": "Bearer"}
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
        code = "not_found" if exc.status_code == 404 else None
        return openai_error(str(exc.detail), exc.status_code, code=code, headers=exc.headers)  # keeps Allow on 405

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("Unhandled error on %s %s", request.method, request.url.path)
        if is_openai_route(request):
            return openai_error("Internal server error; see the server log.", 500)
        return JSONResponse({"detail": "Internal server error; see the server log."}, status_code=500)
