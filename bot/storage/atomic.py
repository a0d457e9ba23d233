"""Crash-safe JSON files for TinyDB: atomic replace on write, quarantine on a bad read.

TinyDB's own JSONStorage rewrites its file in place, so a kill mid-write can leave a
truncated or corrupt file. `AtomicJSONStorage` writes a temp file next to the target,
fsyncs it, ``os.replace``s it over the target and fsyncs the directory: after a crash the
file is either the old or the new version, never a mix. A file that cannot be parsed is
never overwritten: it is renamed to ``<name>.corrupt-<timestamp>`` and reported.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from bot.storage.base import StoreError
from bot.storage.modes import FILE_MODE

log = logging.getLogger(__name__)

TEMP_MARK = ".tmp-"
CORRUPT_MARK = ".corrupt-"


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str, *, sync_dir: bool = True) -> int:
    """Replace ``path`` with ``text`` atomically and durably; returns the bytes written.

    With ``sync_dir=False`` the caller syncs the directory itself (once for many files)
    before it relies on the new version being there after a crash.
    """
    return atomic_write_bytes(path, text.encode("utf-8"), sync_dir=sync_dir)


def atomic_write_bytes(path: Path, data: bytes, *, sync_dir: bool = True) -> int:
    """`atomic_write_text` for bytes already encoded."""
    tmp = path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync_dir:
        fsync_dir(path.parent)
    return len(data)


def remove_orphan_temps(directory: Path) -> list[Path]:
    """Delete temp files left by a crash mid-write (call only while holding the lock)."""
    removed = []
    for tmp in directory.glob(f".*{TEMP_MARK}*"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    if removed:
        log.warning("removed %d unfinished temp file(s) in %s", len(removed), directory)
    return removed


def quarantine(path: Path, reason: str) -> Path:
    """Rename an unreadable file out of the way (never delete or overwrite it)."""
    target = _aside_name(path)
    os.rename(path, target)
    with contextlib.suppress(OSError):  # another user's file: tightened when it can be
        os.chmod(target, FILE_MODE)
    fsync_dir(path.parent)
    log.error("%s could not be read (%s); moved it to %s", path, reason, target.name)
    return target


def set_aside_copy(path: Path, data: bytes, reason: str) -> Path:
    """Keep ``data`` (damaged bytes of ``path``, ``reason``) in a new file next to it,
    durably and byte for byte, named as `quarantine` names a file; returns its path (the
    caller reports it)."""
    target = _aside_name(path)
    atomic_write_bytes(target, data)
    log.debug("%s: %s copied to %s", path, reason, target.name)
    return target


def _aside_name(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}{CORRUPT_MARK}{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}{CORRUPT_MARK}{stamp}-{n}")
    return target


class AtomicJSONStorage(Storage):
    """A TinyDB `Storage` over one JSON file with atomic writes and no open handle.

    ``on_problem`` is called with a human-readable sentence when the file had to be moved
    aside; the storage then reads as empty.
    """

    def __init__(self, path: str | Path, on_problem: Callable[[str], None] | None = None):
        super().__init__()
        self.path = Path(path)
        self.on_problem = on_problem
        self.last_size = 0

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {exc}") from exc
        if not raw.strip():
            return None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            self.set_aside(f"not valid JSON: {exc}")
            return None
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            self.set_aside("valid JSON but not a TinyDB database (an object of tables)")
            return None
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        self.last_size = atomic_write_text(self.path, text)

    def set_aside(self, reason: str) -> None:
        """Quarantine the file and report it; the caller treats it as empty."""
        moved = quarantine(self.path, reason)
        if self.on_problem is not None:
            self.on_problem(
                f"{self.path} could not be read ({reason}). It was moved to {moved.name} "
                "and the bot started that file empty; restore it by hand if it held data."
            )
