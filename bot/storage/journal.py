"""The write-ahead journal of the TinyDB store: one verifiable line per write round.

``<folder>/journal.jsonl`` holds what changed since the snapshot files were last
written, one line per round, appended and synced (``fdatasync``) once per round::

    <payload length> <crc32 of payload, 8 hex digits> <payload: one JSON object>\\n

JSON escapes every newline inside strings, so a payload never holds one. Each line is
verified on its own (length, checksum, JSON object), so one damaged line costs that line
only: `scan` keeps every line that verifies, before and after it, and returns the damaged
bytes (with their line numbers) for the caller to set aside and report. What follows the
last valid line is *torn* (an append a crash cut short: never reported durable, ignored
and cut off) only if it can be that: blanks or zeros, or the start of one line with no
newline and no more payload than its length says. A whole line that does not verify is
damage, wherever it is.

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
    return _verified(crc, payload)


def _verified(crc: bytes, payload: bytes) -> dict[str, Any] | None:
    try:
        if int(crc, 16) != zlib.crc32(payload):
            return None
        record = json.loads(payload)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _frame(data: bytes, pos: int) -> tuple[dict[str, Any], int] | None:
    """The record of the line starting at ``pos`` and where the next line starts, or None.

    Read by its length, so a line whose newline was damaged still verifies (the byte in
    place of the newline is skipped); a line without any byte after it is left to the
    caller (a torn append, even if its payload is complete).
    """
    head = data.find(b" ", pos, pos + 13)
    if head == -1 or not data[pos:head].isdigit():
        return None
    start = head + 10
    if data[head + 9 : start] != b" ":
        return None
    end = start + int(data[pos:head])
    if end >= len(data):
        return None
    record = _verified(data[head + 1 : head + 9], data[start:end])
    return None if record is None else (record, end + 1)


def torn(tail: bytes) -> bool:
    """Could ``tail`` (all that follows the last valid line) be an append cut short by a
    crash: blanks or zeros, or the start of one line, no newline, no more payload than its
    declared length (then zeros, if the file grew before its data arrived)?"""
    body = tail.rstrip(b"\x00")
    if not body.strip(b" \t\r\n\x00"):
        return True
    if b"\n" in body:
        return False
    size, sep, rest = body.partition(b" ")
    if not size.isdigit() or len(size) > 12:
        return False
    if not sep:
        return True
    crc, sep, payload = rest.partition(b" ")
    if len(crc) > 8 or not all(c in b"0123456789abcdef" for c in crc):
        return False
    return not sep or (len(crc) == 8 and len(payload) <= int(size))


@dataclass
class Damage:
    """Bytes of a journal file that do not verify (one line, or a few run together)."""

    first: int  # line number (from 1) where they start
    last: int  # line number where they end
    data: bytes
    reason: str

    @property
    def lines(self) -> str:
        return f"line {self.first}" if self.first == self.last else (
            f"lines {self.first}-{self.last}")


@dataclass
class Scan:
    """What a journal file holds: its valid records, damaged bytes, a torn end."""

    path: Path
    records: list[dict[str, Any]] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)  # (start, end) per record
    damaged: list[Damage] = field(default_factory=list)
    size: int = 0  # bytes up to the end of the last valid line
    torn: int = 0  # bytes of a torn end after it (ignored)
    data: bytes = b""

    def line_of(self, pos: int) -> int:
        return self.data.count(b"\n", 0, pos) + 1

    def damage(self, start: int, end: int, reason: str) -> Damage:
        last = self.line_of(max(start, end - 1))
        return Damage(self.line_of(start), last, self.data[start:end], reason)


def scan(path: Path, data: bytes) -> Scan:
    found = Scan(path, data=data)
    pos, total = 0, len(data)
    bad: int | None = None  # where the damaged bytes not yet closed start
    while pos < total:
        framed = _frame(data, pos)
        if framed is None:
            if bad is None:
                bad = pos
            end = data.find(b"\n", pos)
            pos = total if end == -1 else end + 1
            continue
        if bad is not None:
            found.damaged.append(found.damage(bad, pos, "does not match its length and checksum"))
            bad = None
        record, end = framed
        found.records.append(record)
        found.spans.append((pos, end))
        pos = found.size = end
    if bad is not None:
        if torn(data[bad:]):
            found.torn = total - bad
        else:
            found.damaged.append(found.damage(bad, total, "does not match its length and checksum"))
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
