"""The studio page: `GET /` serves static/index.html, `/static` its CSS and JS (plain files, no build, offline)."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# Revalidate on every load (a cheap 304 via ETag), so an updated server never runs with a stale page script.
NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


class _StaticFiles(StaticFiles):
    def file_response(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = super().file_response(*args, **kwargs)
        response.headers.update(NO_CACHE)
        return response


@router.get("/", include_in_schema=False)
async def studio_page() -> FileResponse:
    """The single-page studio; it talks only to the public API."""
    return FileResponse(STATIC_DIR / "index.html", headers=NO_CACHE)


router.mount("/static", _StaticFiles(directory=STATIC_DIR), name="static")
