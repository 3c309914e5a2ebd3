"""Optional bearer-token auth (TTS_ALEX_API_KEY) and the loopback check for the bind address."""

import hmac
import ipaddress
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .errors import Unauthorized

_bearer = HTTPBearer(auto_error=False, description="TTS_ALEX_API_KEY, when the server sets one.")


def require_api_key(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """Reject the request unless it carries `Authorization: Bearer <TTS_ALEX_API_KEY>` (when a key is set)."""
    key = request.app.state.settings.api_key
    if key is None:
        return
    expected = key.get_secret_value().encode()
    given = credentials.credentials.encode() if credentials is not None else b""
    # compare_digest takes the same time wherever the strings differ, so the key can't be guessed byte by byte.
    if not hmac.compare_digest(given, expected):
        raise Unauthorized("Missing or wrong API key: send `Authorization: Bearer <TTS_ALEX_API_KEY>`.")


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server reachable from this machine only."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
