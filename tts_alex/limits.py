"""Bounded request bodies: refuse an oversized upload with 413 before reading it (declared length) or as soon
as it passes the limit (chunked), so it is never held in memory nor spooled to disk whole."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .http_errors import error_response


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Outermost middleware: answers 413 `{"detail"}` (OpenAI's error shape on /v1) past `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        received = 0
        exceeded = started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's answer to the broken body (a 400 or 500) is replaced by our 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"The request body is larger than {self.max_bytes} bytes (TTS_ALEX_MAX_UPLOAD_BYTES)."
        response = error_response(scope.get("path", ""), message, 413, code="payload_too_large")
        response.headers["connection"] = "close"  # the rest of the body is never read
        await response(scope, receive, send)
