"""The inbox: what a webhook answered 200 for, kept on disk until it has been handled.

A messenger does not deliver a webhook again once it got 200, so a delivery handled in
memory after the answer would be lost if the process died first. An adapter therefore
`add`s each delivery (its raw body, opaque here: the adapter parses it, again after a
restart) and awaits `sync()` before answering 200; `sync` appends the new entries to
``inbox-<channel>.jsonl`` and fsyncs it, and callers that arrive together share one sync
(`GroupCommit`). When the adapter has handled a delivery (replies sent) it calls `done`;
at the next start, `pending()` gives back every delivery added and never done, in arrival
order.

Exactly once: an entry is marked done only after it was handled, so a crash in between
hands it over again; the engine's processed message ids (``seen_message``) then keep it
from being handled twice, and the replies it may not have had are in the store's outbox,
queued in the same write as that id (sent by the App's sender, `bot.delivery`). A `done`
line goes to the file at once, without a sync of its own: a killed process loses none
(the kernel has it); a machine that loses power may lose a few, which only hands those
deliveries over again. The event loop does not wait for a
sync: appends are synced in `GroupCommit`'s thread, outside the lock (only the rare
rewrite of the file holds it).

File format, one JSON object per line: ``{"n": 7, "body": "<text>"}`` (``"b64"`` instead
of ``"body"`` for bytes that are not UTF-8) and ``{"done": 7}`` (``{"sent": ...}`` lines of
older versions, which counted replies sent, are skipped). A torn last line (a crash
while appending; never acknowledged, as its sync did not finish) and damaged lines are
skipped. The file is rewritten with only
the entries not yet done at open, at `close` and whenever it grows past ``rewrite_at``
bytes (at a sync).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.storage.atomic import atomic_write_bytes, fsync_dir
from bot.storage.base import StoreError
from bot.storage.groupcommit import GroupCommit

log = logging.getLogger(__name__)

REWRITE_AT = 1 << 20  # bytes of inbox file after which it is rewritten without done entries
TAKE_OVER_EVERY = 1.5  # seconds between a worker's looks for a dead worker's deliveries


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery: its number in the inbox (arrival order) and its raw body."""

    number: int
    body: bytes


def _line(number: int, body: bytes) -> bytes:
    try:
        record: dict[str, object] = {"n": number, "body": body.decode("utf-8")}
    except UnicodeDecodeError:
        record = {"n": number, "b64": base64.b64encode(body).decode("ascii")}
    return json.dumps(record, separators=(",", ":")).encode("utf-8") + b"\n"


def _body(record: dict[str, object]) -> bytes | None:
    if isinstance(record.get("body"), str):
        return str(record["body"]).encode("utf-8", "surrogatepass")
    if isinstance(record.get("b64"), str):
        return base64.b64decode(str(record["b64"]))
    return None


class Inbox:
    """The inbox of one channel; ``path=None`` keeps it in memory only (a memory store)."""

    def __init__(self, path: Path | None, *, rewrite_at: int = REWRITE_AT) -> None:
        self.path = path
        self.rewrite_at = rewrite_at
        self._lock = threading.Lock()  # guards everything below (sync runs in a thread)
        self._open: dict[int, bytes] = {}  # number -> line, for entries not yet done
        self._buffer: list[bytes] = []  # lines not yet written
        self._fd: int | None = None  # the file, opened for appending
        self._next = 1
        self._size = 0  # bytes in the file, written or being written
        self._closed = False
        self._left: list[Delivery] = []
        self._commit = GroupCommit(self._write_round)
        if path is not None:
            self._left = self._load(path)
            with self._lock:
                self._rewrite()

    # -- what adapters call -----------------------------------------------------------
    def pending(self) -> list[Delivery]:
        """The deliveries left from before this start and not done yet, oldest first."""
        with self._lock:
            return [d for d in self._left if d.number in self._open]

    def add(self, body: bytes, keys: Sequence[str] = ()) -> int:
        """Record a delivery (in memory at once; on disk after the next `sync`); ``keys``:
        the conversations it holds messages of (a shared inbox keeps them for `before`)."""
        with self._lock:
            if self._closed:
                raise StoreError("the inbox is closed")
            number = self._next
            self._next += 1
            line = _line(number, body)
            self._open[number] = line
            self._buffer.append(line)
            self._commit.changed += 1
            return number

    async def sync(self) -> None:
        """Make every delivery added so far durable (raises StoreError if it cannot)."""
        if self.path is not None:
            await self._commit.flush()

    def done(self, number: int) -> None:
        """The delivery ``number`` has been handled: it is not handed over again."""
        with self._lock:
            if self._open.pop(number, None) is None or self.path is None or self._closed:
                return
            self._write_now(b'{"done":%d}\n' % number)

    def _write_now(self, line: bytes) -> None:
        """To the kernel now, no sync (call holding ``_lock``): a whole line per write,
        so appends never interleave."""
        try:
            os.write(self._handle(), line)
            self._size += len(line)
        except OSError:
            self._buffer.append(line)  # the next sync writes it

    def take_over(self) -> list[Delivery]:
        """Deliveries of workers that died, now this one's to handle, oldest first (a
        shared inbox; one process's inbox has no other worker: none)."""
        return []

    def before(self, key: str, number: int) -> list[Delivery]:
        """Deliveries not done, of any worker, holding a message of conversation ``key``
        and answered before delivery ``number``, oldest first: on a shared inbox, handled
        ahead of it (a worker killed after answering leaves its delivery behind). One
        process's inbox: none (its adapter keeps a conversation's deliveries in order)."""
        return []

    def waiting(self) -> int:
        """How many deliveries are not done."""
        with self._lock:
            return len(self._open)

    def close(self) -> None:
        """Leave only the entries not done in the file (none: no file)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self.path is not None:
                try:
                    self._rewrite()
                finally:
                    self._close_fd()

    # -- the file ---------------------------------------------------------------------
    def _load(self, path: Path) -> list[Delivery]:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"cannot read {path.name}: {exc}") from exc
        found: dict[int, bytes] = {}
        finished: set[int] = set()  # a done line may come before its entry's line
        damaged = 0
        lines = raw.split(b"\n")
        torn = lines.pop()  # b"" when the file ends with a newline
        for text in lines:
            if not text.strip():
                continue  # a failed append is followed by a newline before its retry
            try:
                record = json.loads(text)
                number = record.get("done", record.get("n", record.get("sent")))
                if not isinstance(number, int) or isinstance(number, bool):
                    raise ValueError("no entry number")
            except (ValueError, AttributeError):
                damaged += 1
                continue
            self._next = max(self._next, number + 1)
            if "done" in record:
                finished.add(number)
                continue
            if "sent" in record:  # an older version's count of replies sent: not needed
                continue
            body = _body(record)
            if body is None:
                damaged += 1
            else:
                found[number] = body
        if damaged:
            log.error("%s: %d damaged line(s) skipped", path.name, damaged)
        if torn:
            log.warning("%s: an unfinished last line (never acknowledged) was dropped",
                        path.name)
        left = [Delivery(n, found[n]) for n in sorted(found) if n not in finished]
        self._open = {d.number: _line(d.number, d.body) for d in left}
        if left:
            log.info("%s: %d delivery(ies) from before the restart to handle", path.name,
                     len(left))
        return left

    def _handle(self) -> int:
        """The file opened for appending (created 0600; call holding ``_lock``)."""
        assert self.path is not None
        if self._fd is None:
            new = not self.path.exists()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            if new:
                fsync_dir(self.path.parent)
        return self._fd

    def _close_fd(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def _rewrite(self) -> None:
        """Replace the file with the entries not done (call holding ``_lock``)."""
        assert self.path is not None
        self._buffer.clear()
        self._close_fd()
        if not self._open:
            self.path.unlink(missing_ok=True)
            self._size = 0
            return
        data = b"".join(
            self._open[n]
            for n in sorted(self._open))
        self._size = atomic_write_bytes(self.path, data)
        os.chmod(self.path, 0o600)

    def _write_round(self) -> None:
        """Append the buffered lines and fsync them (GroupCommit runs this in a thread,
        one round at a time); the lock is not held while the disk syncs."""
        assert self.path is not None
        with self._lock:
            if self._closed:
                raise StoreError("the inbox is closed")
            target = self._commit.changed
            data = b"".join(self._buffer)
            try:
                if self._size + len(data) > self.rewrite_at:
                    self._rewrite()  # rare: the lock is held for one small file
                    self._commit.note_durable(target)
                    return
                fd = self._handle()
            except OSError as exc:
                raise StoreError(f"cannot write {self.path.name}: {exc}") from exc
            self._buffer.clear()
            self._size += len(data)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError as exc:
            with self._lock:  # tried again by the next round, after a newline that ends
                self._buffer.insert(0, b"\n" + data)  # whatever part of it was written
                self._commit.changed += 1
            raise StoreError(f"cannot write {self.path.name}: {exc}") from exc
        self._commit.note_durable(target)
