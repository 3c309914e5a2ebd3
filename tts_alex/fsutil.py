"""Crash-safe file writes: temp file in the same directory, fsync, os.replace."""

import json
import os
import uuid
from pathlib import Path
from typing import Any

TEMP_PREFIX = ".tmp-"


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new entry in `directory` durable (no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace `path` with `data` so readers see the old or the new file, never half of one.

    `durable` also fsyncs, so the new content survives a power cut (the voice library needs it; copies don't).
    """
    temp = path.with_name(f"{TEMP_PREFIX}{path.name}.{uuid.uuid4().hex}")
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


def json_bytes(payload: Any) -> bytes:
    """Pretty UTF-8 JSON, as every file of the store is written."""
    return (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_json_atomic(path: Path, payload: Any) -> None:
    """Atomically write pretty, UTF-8 JSON."""
    write_bytes_atomic(path, json_bytes(payload))


def write_bytes_durable(path: Path, data: bytes) -> None:
    """Write a new file and fsync it (for files inside a directory that is renamed into place later)."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
