"""The write-ahead journal of the TinyDB store: one verifiable line per write round.

``<folder>/journal.jsonl`` holds what changed since the snapshot files were last
written, one line per round, appended and synced (``fdatasync``) once per round::

    <payload length> <crc32 of payload, 8 hex digits> <payload: one JSON object>\\n

JSON escapes every newline inside strings, so a payload never holds one. A line whose
length, checksum or JSON do not match is *torn* if nothing but blanks follows it (a
crash in the middle of an append: it is ignored and cut off), otherwise the journal is
*corrupt* there: the lines before it are valid, the rest is not trusted.

Compaction (see `compaction.py`) renames the journal to ``journal.old.jsonl`` and the next
round starts a new ``journal.jsonl``; the old one is removed once the snapshot files it
covers are written. At start the old journal (if any) is replayed before the current one.
The directory is synced only when a journal file is created (before the first round
written to it is reported durable), never per append.
"""

from __future__ import annotations

import json
import logging
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.storage.atomic import fsync_dir
from bot.storage.modes import FILE_MODE

log = logging.getLogger(__name__)

NAME = "journal.jsonl"
OLD_NAME = "journal.old.jsonl"

# module-level so tests can fail them; an append only needs the data and the size synced
_write = os.write
_sync = getattr(os, "fdatasync", os.fsync)


def encode_line(payload: bytes) -> bytes:
    """One journal line around ``payload`` (a JSON object without a raw newline)."""
    return b"%d %08x %s\n" % (len(payload), zlib.crc32(payload), payload)


def decode_line(line: bytes) -> dict[str, Any] | None:
    """The record of one line (without its newline), or None if it does not verify."""
    parts = line.split(b" ", 2)
    if len(parts) != 3:
        return None
    size, crc, payload = parts
    if not size.isdigit() or int(size) != len(payload) or len(crc) != 8:
        return None
    try:
        if int(crc, 16) != zlib.crc32(payload):
            return None
        record = json.loads(payload)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


@dataclass
class Scan:
    """What a journal file holds: its valid records and what follows them."""

    path: Path
    records: list[dict[str, Any]] = field(default_factory=list)
    size: int = 0  # bytes of the valid lines
    torn: int = 0  # bytes of a torn final line after them (ignored)
    corrupt: str | None = None  # why the line after the valid ones is bad (more follows)
    after: int = 0  # bytes from the bad line to the end (not applied)

    def cut(self, count: int, reason: str) -> None:
        """Only the first ``count`` records are usable: the next one is bad (``reason``)."""
        del self.records[count:]
        self.corrupt = reason


def scan(path: Path, data: bytes) -> Scan:
    found = Scan(path)
    pos, total = 0, len(data)
    while pos < total:
        end = data.find(b"\n", pos)
        record = decode_line(data[pos:end]) if end != -1 else None
        if record is None:
            rest = data[pos:]
            if end == -1 or not data[end + 1 :].strip(b"\x00 \t\r\n"):
                found.torn = len(rest)  # the last line: an append cut short by a crash
            else:
                line = len(found.records) + 1
                found.corrupt = f"line {line} does not match its length and checksum"
                found.after = len(rest)
            break
        found.records.append(record)
        pos = end + 1
        found.size = pos
    return found


class Journal:
    """The journal files of one folder. Not thread-safe: the store serializes rounds."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / NAME
        self.old_path = folder / OLD_NAME
        self.size = 0  # bytes of whole lines in the current journal
        self._fd: int | None = None
        self._dir_synced = True  # False from creating the file until the folder is synced
        self._cut = False  # an append failed: cut the file back to `size` before the next

    def read(self) -> list[Scan]:
        """Scans of the old journal (if a compaction was interrupted), then the current."""
        scans = []
        for path in (self.old_path, self.path):
            try:
                scans.append(scan(path, path.read_bytes()))
            except FileNotFoundError:
                continue
        return scans

    @property
    def has_old(self) -> bool:
        return self.old_path.exists()

    def resume(self, size: int) -> None:
        """Go on appending after the first ``size`` bytes (cutting off a torn line)."""
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            if os.fstat(fd).st_size != size:
                os.ftruncate(fd, size)
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd, self.size = fd, size

    def append(self, line: bytes) -> None:
        """Append one line and make it durable (a failure leaves no partial line behind)."""
        if self._fd is None:
            created = not self.path.exists()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
            self.size = os.fstat(self._fd).st_size
            self._dir_synced = not created
        fd = self._fd
        try:
            if self._cut:
                os.ftruncate(fd, self.size)
                self._cut = False
            view = memoryview(line)
            while view:
                view = view[_write(fd, view) :]
            _sync(fd)
        except BaseException:
            self._cut = True
            raise
        self.size += len(line)
        if not self._dir_synced:  # the new file's name must survive a crash too
            fsync_dir(self.folder)
            self._dir_synced = True

    def rotate(self) -> None:
        """Start compaction: the current journal becomes the old one; the next append
        creates a new current journal (and syncs the folder, which makes this rename
        durable as well)."""
        if self.has_old:  # an earlier compaction failed: its journal stays the old one
            return
        self.close()
        if self.path.exists():
            os.rename(self.path, self.old_path)
        self.size = 0

    def remove_old(self) -> None:
        """The snapshot files cover the old journal now (and are synced)."""
        self.old_path.unlink(missing_ok=True)

    def reset(self) -> None:
        """The snapshot files cover both journals (and are synced): remove them.

        The removals need no folder sync: a journal that comes back after a power cut is
        replayed over snapshot files that already hold its changes, which changes nothing.
        """
        self.close()
        self.old_path.unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)
        self.size = 0

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            if self._cut:
                try:
                    os.ftruncate(fd, self.size)
                except OSError:
                    log.warning("could not cut %s back after a failed append", self.path)
                self._cut = False
            os.close(fd)
