"""Drive an ASGI app by hand, to see when body chunks leave and to simulate a client that goes away."""

from collections.abc import Callable

import anyio


def multipart(fields: dict[str, str], boundary: str = "tts-alex-boundary") -> tuple[bytes, bytes]:
    """(body, content-type) of a multipart form of text fields."""
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()
    )
    return (parts + f"--{boundary}--\r\n").encode(), f"multipart/form-data; boundary={boundary}".encode()


async def post_form(
    app, path: str, fields: dict[str, str], *, on_body: Callable[[bytes], None], leave_after_body: bool = False
) -> int:
    """POST a form; `on_body` sees each response body chunk; returns the status.

    With leave_after_body the client disconnects right after sending its request.
    """
    body, content_type = multipart(fields)
    sent = False
    status = 0

    async def receive() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if leave_after_body:
            return {"type": "http.disconnect"}
        await anyio.sleep_forever()  # stays connected until the response is complete
        raise AssertionError("unreachable")

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and message.get("body"):
            on_body(message["body"])

    scope = {
        "type": "http", "http_version": "1.1", "method": "POST", "path": path, "raw_path": path.encode(),
        "query_string": b"", "root_path": "", "scheme": "http", "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234), "app": app,
        "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
    }  # fmt: skip
    await app(scope, receive, send)
    return status
