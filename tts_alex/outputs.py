"""Keeps a copy of every generated file under outputs/ with a readable name."""

import re
from datetime import datetime
from pathlib import Path

from .fsutil import write_bytes_atomic

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class OutputArchive:
    """Saves generated audio as outputs/<YYYYmmdd-HHMMSS-mmm>_<voice>.<ext>."""

    def __init__(self, directory: Path, *, enabled: bool = True) -> None:
        self.directory = Path(directory)
        self.enabled = enabled

    def save(self, data: bytes, *, label: str, extension: str) -> Path | None:
        """Write `data` and return its path, or None when archiving is off."""
        if not self.enabled:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")[:-3]
        safe = _UNSAFE.sub("-", label).strip("-")[:60] or "audio"
        path = self.directory / f"{stamp}_{safe}.{extension}"
        counter = 1
        while path.exists():
            counter += 1
            path = self.directory / f"{stamp}_{safe}-{counter}.{extension}"
        write_bytes_atomic(path, data, durable=False)  # a convenience copy: no fsync on the request path
        return path
