"""The write path of the TinyDB store: changes -> one journal line per round -> compaction.

The store records the new value of every key it changes in `pending` (under its lock,
``mem``). A round (`round`, run by `GroupCommit` in a worker thread for every concurrent
``flush()``, or directly by ``flush_sync()``) takes what is pending, appends it to the
journal as one line and syncs it once; then everything changed before the round started
is durable. If the journal has grown past its threshold the same round captures the
dirty snapshot files and hands them to the `Compactor`, which writes them in the
background (see `compaction.py`).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bot.storage.base import StoreError
from bot.storage.changes import Pending
from bot.storage.compaction import DEFAULT_LIMIT, Compactor
from bot.storage.docfile import DocFile
from bot.storage.groupcommit import GroupCommit
from bot.storage.journal import Journal, encode_line

log = logging.getLogger(__name__)


class Writer:
    def __init__(
        self,
        folder: Path,
        mem: threading.RLock,
        files: Callable[[], list[DocFile]],
        after_compaction: Callable[[], None],
        journal_limit: int = DEFAULT_LIMIT,
    ) -> None:
        self.mem = mem
        self.lock = threading.Lock()  # one round (or synchronous compaction) at a time
        self.pending = Pending()
        self.commit = GroupCommit(self.round)
        self.journal = Journal(folder)
        self.stats = {"writes": 0, "rounds": 0, "bytes": 0, "journal_bytes": 0, "compactions": 0}
        self.written: Counter[str] = Counter()  # file label -> writes
        self.last_round: list[str] = []  # what the last round wrote: [] or the journal
        # the store's hooks, called holding ``mem``: `on_take` as a round takes the pending
        # changes (True: call `on_durable` once they are durable); `busy`: a unit of work
        # holds changes not handed over yet (no snapshot of memory may be taken then)
        self.on_take: Callable[[], bool] = lambda: False
        self.on_durable: Callable[[], None] = lambda: None
        self.busy: Callable[[], bool] = lambda: False
        self.compactor = Compactor(
            self.journal, files, mem, self.stats, self.written, after_compaction, journal_limit
        )

    def round(self) -> None:
        """Append every change made so far to the journal as one line, durably."""
        with self.lock:
            with self.mem:
                seq = self.commit.changed
                batch = self.pending.take()
                then = self.on_take()
                jobs = (self.compactor.capture()
                        if self.compactor.due() and not self.busy() else None)
            line = encode_line(batch.payload()) if batch else b""
            try:
                if line:
                    self.journal.append(line)
            except BaseException as exc:
                with self.mem:
                    self.pending.merge_back(batch)
                if isinstance(exc, OSError):
                    raise StoreError(f"could not write {self.journal.path}: {exc}") from exc
                raise
            name = self.journal.path.name
            with self.mem:
                self.stats["rounds"] += 1
                self.stats["journal_bytes"] += len(line)
                self.last_round = [name] if line else []
                if line:
                    self.written[name] += 1
                self.commit.note_durable(seq)
            if then:
                self.on_durable()
            if jobs is not None:
                self.compactor.start(jobs)

    def compact(self) -> None:
        """Append what is pending, then fold the journal into the snapshot files now."""
        self.round()
        with self.lock:
            self.compactor.run_now()

    def close(self) -> None:
        """Release the journal (after `compact`, or after it failed)."""
        self.compactor.wait()
        self.journal.close()
