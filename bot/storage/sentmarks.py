"""``outbox-sent.log``: the outbox rows sent since the last write round, written at once.

A reply goes out, then its row is marked sent; the mark reaches the journal with the next
write round. A process killed in between would send that reply again after its restart.
So `TinyDBStore.mark_sent` also appends the ids to this file at once, without a sync (one
``write``; the kernel keeps it when the process is killed, as the inbox's ``done`` lines),
and opening the store drops the rows named here before anything is sent. A machine that
loses power may lose the last marks: those replies go out again (at least once, never
lost).

One id per line, in decimal. When the file has grown past `ROTATE_AT` a write round
renames it ``outbox-sent.old.log`` at the instant it takes the changes it journals (marks
included), and removes that once the round is durable; both files are read at open.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from bot.storage.modes import FILE_MODE

log = logging.getLogger(__name__)

NAME = "outbox-sent.log"
OLD_NAME = "outbox-sent.old.log"
ROTATE_AT = 64 * 1024


class SentMarks:
    def __init__(self, folder: Path) -> None:
        self.path = folder / NAME
        self.old_path = folder / OLD_NAME
        self._fd: int | None = None
        self._size = 0
        self._has_old = self.old_path.exists()

    def read(self) -> set[int]:
        """The ids in both files (a torn or damaged line is skipped)."""
        found: set[int] = set()
        for path in (self.old_path, self.path):
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.warning("%s cannot be read (%s): replies it marked sent may go out "
                            "again", path.name, exc)
                continue
            lines = data.split(b"\n")
            lines.pop()  # b"" after the last newline; else a torn line
            found.update(int(line) for line in lines if line.isdigit())
        return found

    def add(self, ids: Iterable[int]) -> None:
        """Append ``ids`` (call holding the store's lock); a failure only logs."""
        data = b"".join(b"%d\n" % number for number in ids)
        if not data:
            return
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
                self._size = os.fstat(self._fd).st_size
            os.write(self._fd, data)
            self._size += len(data)
        except OSError as exc:
            log.warning("%s could not be written (%s): a reply may go out twice after a "
                        "crash", self.path.name, exc)

    def rotate(self) -> bool:
        """At the start of a write round (holding the store's lock): set the file aside
        if it is big; True if an earlier file is set aside (drop it once the round is
        durable: the round carries every mark written before now)."""
        if self._size >= ROTATE_AT and not self._has_old:
            self._close()
            with contextlib.suppress(FileNotFoundError):
                os.rename(self.path, self.old_path)
                self._has_old = True
        return self._has_old

    def drop_old(self) -> None:
        self.old_path.unlink(missing_ok=True)
        self._has_old = False

    def clear(self) -> None:
        """Every mark is in the journal or the snapshot files: remove both files."""
        self._close()
        self.drop_old()
        self.path.unlink(missing_ok=True)

    def _close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            self._size = 0
            with contextlib.suppress(OSError):
                os.close(fd)
