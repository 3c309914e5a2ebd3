"""Persistent custom voices: index.json + <name>/meta.json + <name>/prompt.pt, crash- and process-safe.

Layout (the PRD's, under a configurable root):
    index.json          {"version", "voices": [names], "updated_at"}, the fast start-up list
    index.json.bak      the previous index, kept before each change
    index.json.lock     sidecar lock held across every read-modify-write (filelock)
    <name>/meta.json    metadata; <name>/prompt.pt plain tensors; <name>/reference.wav the source clip

A voice directory is assembled under a `.tmp-` name and renamed into place only when complete, and
removed by renaming it to `.trash-` first, so after any crash each voice is fully there or absent.
"""

import io
import json
import logging
import os
import re
import shutil
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from filelock import FileLock, Timeout

from .audio import Audio, to_wav_bytes
from .errors import (
    InvalidVoiceName,
    NativeVoiceProtected,
    ServiceBusy,
    VoiceDamaged,
    VoiceExists,
    VoiceNotFound,
)
from .fsutil import TEMP_PREFIX, fsync_dir, json_bytes, write_bytes_durable, write_json_atomic
from .natives import find_native

log = logging.getLogger("tts_alex.store")

INDEX_VERSION = "1.0"
PROMPT_FORMAT_VERSION = 1
INDEX_FILE = "index.json"
BACKUP_FILE = "index.json.bak"
LOCK_FILE = "index.json.lock"
META_FILE = "meta.json"
PROMPT_FILE = "prompt.pt"
REFERENCE_FILE = "reference.wav"
TRASH_PREFIX = ".trash-"
NAME_PATTERN = re.compile(r"[A-Za-z0-9-]{3,50}")
NAME_RULE = "3 à 50 caractères : lettres, chiffres et tirets uniquement (ex. narrateur-grave)"
PROMPT_FIELDS = ("ref_code", "ref_spk_embedding", "x_vector_only_mode", "icl_mode", "ref_text")


def utc_now() -> str:
    """ISO-8601 UTC timestamp with a Z, as in the PRD."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_name_format(name: str) -> None:
    """Raise InvalidVoiceName unless `name` is 3-50 ASCII letters, digits or hyphens, and not native.

    This runs before any path is built from the name, so `.`, `..`, slashes, backslashes,
    whitespace, control and non-ASCII characters never reach the file system.
    """
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InvalidVoiceName(f"Nom invalide : {NAME_RULE}.")
    native = find_native(name)
    if native is not None:
        raise InvalidVoiceName(f"Nom invalide : '{native.name}' est réservé (voix native).")


@dataclass
class CustomVoice:
    """Metadata of one custom voice (always in memory; the prompt is loaded lazily)."""

    name: str
    source: str
    description: str = ""
    model: str = "1.7B"
    language: str = "auto"
    created_at: str = ""
    prompt_file: str = PROMPT_FILE
    model_id: str = ""
    prompt_format_version: int = PROMPT_FORMAT_VERSION
    reference_file: str = REFERENCE_FILE
    reference_text: str = ""
    voice_description: str | None = None
    problem: str | None = field(default=None, compare=False)  # set when its files are damaged

    def meta(self) -> dict[str, Any]:
        """The meta.json content."""
        data = asdict(self)
        data.pop("problem")
        return data

    def summary(self) -> dict[str, Any]:
        """The PRD's list/creation shape."""
        return {
            "name": self.name,
            "type": "custom",
            "source": self.source,
            "description": self.description,
            "created_at": self.created_at,
            "model": self.model,
            "language": self.language,
            "status": "damaged" if self.problem else "ok",
        }

    @classmethod
    def from_meta(cls, data: dict[str, Any]) -> "CustomVoice":
        known = {key: data[key] for key in cls.__dataclass_fields__ if key in data and key != "problem"}
        voice = cls(**known)
        if not isinstance(voice.name, str) or voice.source not in ("clone", "design"):
            raise ValueError("meta.json lacks a valid name or source")
        return voice


def prompt_to_payload(items: Iterable[Any]) -> dict[str, Any]:
    """Plain-data form of qwen-tts VoiceClonePromptItem objects (loadable with weights_only=True)."""
    plain = []
    for item in items:
        entry = {}
        for key in PROMPT_FIELDS:
            value = getattr(item, key)
            entry[key] = value.detach().to("cpu").contiguous() if isinstance(value, torch.Tensor) else value
        plain.append(entry)
    return {"format_version": PROMPT_FORMAT_VERSION, "items": plain}


def payload_to_prompt(payload: Any) -> list[Any]:
    """Rebuild VoiceClonePromptItem objects from prompt.pt content, validating its shape."""
    from qwen_tts.inference.qwen3_tts_model import VoiceClonePromptItem

    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list) or not payload["items"]:
        raise ValueError("prompt.pt does not hold a list of prompt items")
    if payload.get("format_version") != PROMPT_FORMAT_VERSION:
        raise ValueError(f"unsupported prompt format version {payload.get('format_version')!r}")
    items = []
    for entry in payload["items"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("ref_spk_embedding"), torch.Tensor):
            raise ValueError("a prompt item lacks its speaker embedding")
        items.append(VoiceClonePromptItem(**{key: entry.get(key) for key in PROMPT_FIELDS}))
    return items


class CustomVoiceStore:
    """The custom voice library on disk, shared safely with other processes writing the same root."""

    def __init__(self, root: Path, *, lock_timeout: float = 10.0, max_loaded_prompts: int = 0) -> None:
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        self.max_loaded_prompts = max_loaded_prompts  # 0 = keep every used prompt in memory
        self._lock = FileLock(str(self.root / LOCK_FILE))
        self._memory_lock = threading.RLock()
        self._voices: dict[str, CustomVoice] = {}  # key: lower-case name
        self._prompts: OrderedDict[str, list[Any]] = OrderedDict()
        self._index_stamp: tuple[int, int, int] | None = None
        self.warnings: list[str] = []

    # ----- start-up -----------------------------------------------------------------------------
    def open(self) -> None:
        """Load the library (metadata only), repairing index.json and leftovers of interrupted writes."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._remove_leftovers()
            names, recovered = self._read_index_with_recovery()
            voices = self._reconcile(names)
            if recovered or [v.name for v in voices] != names or not (self.root / INDEX_FILE).exists():
                self._write_index([v.name for v in voices], backup=recovered is None)
            with self._memory_lock:
                self._voices = {v.name.lower(): v for v in voices}
                self._prompts.clear()
                self._index_stamp = self._stat_index()

    def _remove_leftovers(self) -> None:
        for entry in self.root.iterdir():
            if entry.name.startswith((TEMP_PREFIX, TRASH_PREFIX)):
                log.warning("Removing leftover of an interrupted write: %s", entry.name)
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)

    def _read_index_with_recovery(self) -> tuple[list[str], str | None]:
        """Names from index.json, else from index.json.bak; `recovered` says what was wrong, if anything."""
        primary = self._parse_index(self.root / INDEX_FILE)
        if primary is not None:
            return primary, None
        problem = "index.json is missing" if not (self.root / INDEX_FILE).exists() else "index.json is corrupt"
        backup = self._parse_index(self.root / BACKUP_FILE)
        if (self.root / INDEX_FILE).exists() or backup is not None:
            self._warn(
                f"{problem}; recovered from {'index.json.bak' if backup is not None else 'the voice directories'}"
            )
        return (backup or []), problem

    @staticmethod
    def _parse_index(path: Path) -> list[str] | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        voices = data.get("voices") if isinstance(data, dict) else None
        if not isinstance(voices, list) or not all(isinstance(name, str) for name in voices):
            return None
        return voices

    def _reconcile(self, indexed: list[str]) -> list[CustomVoice]:
        """Voices = indexed entries that have a directory, plus complete directories the index missed."""
        directories = {
            entry.name.lower(): entry.name
            for entry in os.scandir(self.root)
            if entry.is_dir() and NAME_PATTERN.fullmatch(entry.name)
        }
        voices: list[CustomVoice] = []
        seen: set[str] = set()
        for name in indexed:
            key = name.lower()
            if key in seen or not NAME_PATTERN.fullmatch(name):
                continue
            if key not in directories:
                self._warn(f"Voice '{name}' is in index.json but its directory is gone; dropped from the index")
                continue
            seen.add(key)
            voices.append(self._read_voice(directories[key]))
        adopted = []
        for key, dirname in sorted(directories.items()):
            if key in seen:
                continue
            voice = self._read_voice(dirname)
            if voice.problem is None:
                adopted.append(voice)
            else:
                log.warning("Ignoring directory %s: %s", dirname, voice.problem)
        if adopted:
            # Complete directories the index missed (an interrupted creation, a lost index): oldest first.
            adopted.sort(key=lambda v: v.created_at)
            sample = ", ".join(v.name for v in adopted[:5]) + (", ..." if len(adopted) > 5 else "")
            self._warn(f"{len(adopted)} voice(s) missing from index.json were added back: {sample}")
            voices.extend(adopted)
        return voices

    def _read_voice(self, dirname: str) -> CustomVoice:
        """Metadata of one voice directory; a damaged voice is returned with `problem` set."""
        directory = self.root / dirname
        try:
            voice = CustomVoice.from_meta(json.loads((directory / META_FILE).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            voice = CustomVoice(
                name=dirname, source="unknown", problem=f"meta.json unreadable ({exc.__class__.__name__})"
            )
            self._warn(f"Voice '{dirname}' is damaged: {voice.problem}")
            return voice
        voice.name = dirname  # the directory is the source of truth for the exact spelling
        if not (directory / voice.prompt_file).is_file():
            voice.problem = "prompt.pt is missing"
            self._warn(f"Voice '{dirname}' is damaged: {voice.problem}")
        return voice

    def _warn(self, message: str) -> None:
        log.warning(message)
        self.warnings.append(message)

    # ----- reading --------------------------------------------------------------------------------
    def voices(self) -> list[CustomVoice]:
        """Every custom voice, in creation order (re-read if another process changed the library)."""
        self._refresh()
        with self._memory_lock:
            return list(self._voices.values())

    def find(self, name: str) -> CustomVoice | None:
        """The voice of that name, case-insensitively, or None (no disk access for invalid names)."""
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            return None
        self._refresh()
        with self._memory_lock:
            return self._voices.get(name.lower())

    def get(self, name: str) -> CustomVoice:
        """Like find, but raises VoiceNotFound when absent."""
        voice = self.find(name)
        if voice is None:
            raise VoiceNotFound(f"Voix non trouvée : aucune voix personnalisée nommée '{name}'.")
        return voice

    def is_loaded(self, name: str) -> bool:
        """Whether the voice's prompt is in memory."""
        with self._memory_lock:
            return name.lower() in self._prompts

    def details(self, name: str) -> dict[str, Any]:
        """Everything known about one voice, including on-disk size and whether its prompt is loaded."""
        voice = self.get(name)
        directory = self.root / voice.name
        prompt_path = directory / voice.prompt_file
        total = sum(p.stat().st_size for p in directory.iterdir() if p.is_file()) if directory.is_dir() else 0
        return {
            **voice.summary(),
            "model_id": voice.model_id,
            "reference_text": voice.reference_text,
            "voice_description": voice.voice_description,
            "prompt_format_version": voice.prompt_format_version,
            "file_size_bytes": prompt_path.stat().st_size if prompt_path.is_file() else 0,
            "total_size_bytes": total,
            "loaded": self.is_loaded(voice.name),
            "status": "damaged" if voice.problem else "ok",
            "problem": voice.problem,
        }

    def reference_path(self, name: str) -> Path:
        """Path of the clip the voice's prompt was made from."""
        voice = self.get(name)
        return self.root / voice.name / voice.reference_file

    def load_prompt(self, name: str) -> tuple[CustomVoice, list[Any]]:
        """The voice and its prompt items, read from prompt.pt on first use and then kept in memory.

        Raises:
            VoiceNotFound: no such voice. VoiceDamaged: its prompt cannot be read.
        """
        voice = self.get(name)
        key = voice.name.lower()
        with self._memory_lock:
            cached = self._prompts.get(key)
            if cached is not None:
                self._prompts.move_to_end(key)
                return voice, cached
        if voice.problem:
            raise VoiceDamaged(f"La voix '{voice.name}' est endommagée ({voice.problem}) ; supprimez-la et recréez-la.")
        path = self.root / voice.name / voice.prompt_file
        try:
            # weights_only: a prompt.pt from elsewhere must never execute code when loaded.
            items = payload_to_prompt(torch.load(path, map_location="cpu", weights_only=True))
        except FileNotFoundError as exc:
            if not path.parent.is_dir():  # removed by another process since we listed it
                raise VoiceNotFound(f"Voix non trouvée : '{voice.name}' a été supprimée.") from exc
            voice.problem = "prompt.pt is missing"
            raise VoiceDamaged(
                f"La voix '{voice.name}' est endommagée ({voice.problem}) ; supprimez-la et recréez-la."
            ) from exc
        except Exception as exc:
            voice.problem = f"prompt.pt unreadable ({exc.__class__.__name__})"
            log.warning("Voice '%s' is damaged: %s", voice.name, exc)
            raise VoiceDamaged(
                f"La voix '{voice.name}' est endommagée ({voice.problem}) ; supprimez-la et recréez-la."
            ) from exc
        self._remember_prompt(key, items)
        return voice, items

    def _remember_prompt(self, key: str, items: list[Any]) -> None:
        with self._memory_lock:
            self._prompts[key] = items
            self._prompts.move_to_end(key)
            while self.max_loaded_prompts and len(self._prompts) > self.max_loaded_prompts:
                self._prompts.popitem(last=False)

    # ----- writing --------------------------------------------------------------------------------
    def check_available(self, name: str) -> None:
        """Raise InvalidVoiceName or VoiceExists unless `name` can be used for a new voice."""
        check_name_format(name)
        self._refresh()
        with self._memory_lock:
            existing = self._voices.get(name.lower())
        if existing is not None:
            raise VoiceExists(
                f"Nom invalide : la voix '{existing.name}' existe déjà "
                "(les noms ne distinguent pas majuscules et minuscules)."
            )

    def create(self, voice: CustomVoice, prompt: list[Any], reference: Audio) -> CustomVoice:
        """Persist a new voice atomically: assemble its directory aside, rename it in, then index it.

        Raises:
            InvalidVoiceName, VoiceExists, ServiceBusy (lock timeout). On any failure nothing is left.
        """
        check_name_format(voice.name)
        voice.created_at = voice.created_at or utc_now()
        voice.prompt_format_version = PROMPT_FORMAT_VERSION
        prompt_bytes = io.BytesIO()
        torch.save(prompt_to_payload(prompt), prompt_bytes)
        wav_bytes = to_wav_bytes(reference)
        with self._locked():
            names = self._parse_index(self.root / INDEX_FILE) or []
            taken = {n.lower(): n for n in names} | {
                e.name.lower(): e.name for e in os.scandir(self.root) if e.is_dir() and not e.name.startswith(".")
            }
            if voice.name.lower() in taken:
                raise VoiceExists(
                    f"Nom invalide : la voix '{taken[voice.name.lower()]}' existe déjà "
                    "(les noms ne distinguent pas majuscules et minuscules)."
                )
            staging = self.root / f"{TEMP_PREFIX}{voice.name}-{uuid.uuid4().hex[:8]}"
            final = self.root / voice.name
            renamed = False
            try:
                staging.mkdir()
                write_bytes_durable(staging / META_FILE, json_bytes(voice.meta()))
                write_bytes_durable(staging / PROMPT_FILE, prompt_bytes.getvalue())
                write_bytes_durable(staging / REFERENCE_FILE, wav_bytes)
                fsync_dir(staging)
                self._fault("before-rename")
                os.rename(staging, final)
                renamed = True
                fsync_dir(self.root)
                self._fault("before-index")
                self._write_index([*names, voice.name])
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                if renamed and voice.name not in (self._parse_index(self.root / INDEX_FILE) or []):
                    shutil.rmtree(final, ignore_errors=True)
                raise
            with self._memory_lock:
                self._voices[voice.name.lower()] = voice
                self._index_stamp = self._stat_index()
        self._remember_prompt(voice.name.lower(), list(prompt))
        return voice

    def delete(self, name: str) -> str:
        """Remove a custom voice; returns its exact name.

        Raises:
            NativeVoiceProtected, VoiceNotFound, ServiceBusy.
        """
        native = find_native(name) if isinstance(name, str) else None
        if native is not None:
            raise NativeVoiceProtected(f"Impossible de supprimer la voix native '{native.name}'")
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise VoiceNotFound(f"Voix non trouvée : aucune voix personnalisée nommée '{name}'.")
        with self._locked():
            names = self._parse_index(self.root / INDEX_FILE) or []
            match = next((n for n in names if n.lower() == name.lower()), None)
            if match is None:
                raise VoiceNotFound(f"Voix non trouvée : aucune voix personnalisée nommée '{name}'.")
            directory = self.root / match
            trash = self.root / f"{TRASH_PREFIX}{match}-{uuid.uuid4().hex[:8]}"
            if directory.exists():
                os.rename(directory, trash)
                fsync_dir(self.root)
            self._fault("before-index")
            self._write_index([n for n in names if n != match])
            self._fault("before-cleanup")
            shutil.rmtree(trash, ignore_errors=True)
            with self._memory_lock:
                self._voices.pop(match.lower(), None)
                self._prompts.pop(match.lower(), None)
                self._index_stamp = self._stat_index()
        return match

    # ----- internals ------------------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the cross-process lock; ServiceBusy (503) if another writer keeps it too long."""
        try:
            self._lock.acquire(timeout=self.lock_timeout)
        except Timeout as exc:
            raise ServiceBusy("The voice library is busy (locked by another writer); retry shortly.") from exc
        try:
            yield
        finally:
            self._lock.release()

    def _write_index(self, names: list[str], *, backup: bool = True) -> None:
        index = self.root / INDEX_FILE
        if backup and index.exists():
            try:
                write_json_atomic(self.root / BACKUP_FILE, json.loads(index.read_text(encoding="utf-8")))
            except ValueError:
                pass  # never back up a corrupt index over a good backup
        write_json_atomic(index, {"version": INDEX_VERSION, "voices": names, "updated_at": utc_now()})

    def _stat_index(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.root / INDEX_FILE)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _refresh(self) -> None:
        """Pick up voices another process added or removed since we last looked (one stat when unchanged)."""
        stamp = self._stat_index()
        if stamp == self._index_stamp:
            return
        names = self._parse_index(self.root / INDEX_FILE)
        if names is None:
            return  # being replaced or damaged: keep what we have; open() repairs on next start
        with self._memory_lock:
            current = {n.lower() for n in names}
            fresh: dict[str, CustomVoice] = {}
            for name in names:
                key = name.lower()
                if key in fresh:
                    continue
                known = self._voices.get(key)
                if known is not None:
                    fresh[key] = known
                elif (self.root / name).is_dir():
                    fresh[key] = self._read_voice(name)
            for key in list(self._prompts):
                if key not in current:
                    del self._prompts[key]
            self._voices = fresh
            self._index_stamp = stamp

    def _fault(self, point: str) -> None:
        """Test hook: TTS_ALEX_TEST_CRASH_AT=<point> kills the process there (crash-safety tests)."""
        if os.environ.get("TTS_ALEX_TEST_CRASH_AT") == point:
            os._exit(137)
