"""Compaction: fold the journal into the TinyDB snapshot files, off the write path.

When the journal has grown past the threshold, the write round that notices it (holding
the store's write lock) also

1. captures a snapshot of every dirty file at the instant it takes its own changes, so
   the journal it appends ends exactly at that snapshot, and
2. renames ``journal.jsonl`` to ``journal.old.jsonl`` (rounds go on in a new journal),

then a background thread writes the captured files (temp file, fsync, ``os.replace``),
syncs each directory once, and removes the old journal. Rounds are not held up by it,
only by the GIL while it builds the files' text (session files from the texts held in
memory, other files encoded in chunks of documents: see `docfile.py`).

A crash at any point is safe: until the old journal is removed, the snapshot files are a
mix of the previous and the captured state, and replaying the old journal (whose last
value for every key is the captured one) and then the new one gives the state of the
last round. After that the snapshot files hold the captured state and the new journal
holds everything since.

At `close()` and where opening needs it (an interrupted compaction, a journal set aside,
shards re-spread) compaction runs synchronously instead and removes both journals.

The threshold is ``max(limit, bytes the last compaction wrote)``: folding in a journal
costs about as much as the files it rewrites, so each compaction is paid for by at least
as many journal bytes, however many sessions or orders the files hold.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from bot.storage.atomic import fsync_dir
from bot.storage.base import StoreError
from bot.storage.docfile import DocFile
from bot.storage.journal import Journal

log = logging.getLogger(__name__)

Job = tuple[DocFile, int, dict[str, Any]]  # file, its change count, snapshot

# Journal bytes that trigger a compaction. A compaction encodes the dirty snapshot files in
# the writer thread, which holds the GIL for tens of ms: at 4 MiB it ran every ~2 s at
# 2,000 msgs/s and made the p99 (bench/engine.py, fixed rate); 16 MiB replays in ~0.5 s
# at start (~0.03 s per MiB measured) and compacts every ~8 s at that rate, hourly at
# the load a city's markets bring.
DEFAULT_LIMIT = 16 * 1024 * 1024


class Compactor:
    def __init__(
        self,
        journal: Journal,
        files: Callable[[], list[DocFile]],
        mem: threading.RLock,
        stats: dict[str, int],
        written: Counter[str],
        after: Callable[[], None],
        limit: int = DEFAULT_LIMIT,
    ) -> None:
        """``files`` lists the files that may be dirty (called under ``mem``); ``after``
        runs under ``mem`` once captured files are on disk (e.g. evict archive months)."""
        self.journal, self.files, self.mem = journal, files, mem
        self.stats, self.written, self.after = stats, written, after
        self.limit = max(1, limit)
        self.threshold = self.limit
        self.last: list[str] = []  # labels of the files the last compaction wrote
        self._thread: threading.Thread | None = None

    # -- called by the write round, under the store's write lock ------------------------
    def due(self) -> bool:
        """Time to compact (and no compaction running)?"""
        busy = self._thread is not None and self._thread.is_alive()
        return not busy and self.journal.size >= self.threshold

    def capture(self) -> list[Job]:
        """Snapshots of the dirty files (call under ``mem``, with the round's `take`)."""
        return [(f, *f.capture()) for f in self.files() if f.dirty]

    def start(self, jobs: list[Job]) -> None:
        """Rotate the journal (its last round is appended) and write ``jobs`` meanwhile."""
        try:
            self.journal.rotate()
        except OSError:
            log.exception("could not start compaction of %s; retrying later", self.journal.path)
            self.threshold = self.journal.size + self.limit
            return
        self._thread = threading.Thread(
            target=self._background, args=(jobs,), name="tinydb-compaction", daemon=True
        )
        self._thread.start()

    def _background(self, jobs: list[Job]) -> None:
        try:
            self.write(jobs)
            self.journal.remove_old()
        except Exception:
            log.exception("compaction failed; the journal keeps every change, retrying later")
            self.threshold = self.journal.size + self.limit

    # -- synchronous ---------------------------------------------------------------------
    def wait(self) -> None:
        """Until a background compaction (if any) has finished."""
        thread = self._thread
        if thread is not None:
            thread.join()

    def run_now(self) -> None:
        """Write every dirty file, then remove both journals (call under the write lock,
        with no change pending that is not in the files: at open and at close)."""
        self.wait()
        with self.mem:
            jobs = self.capture()
        try:
            self.write(jobs)
            self.journal.reset()
        except OSError as exc:
            folder = self.journal.folder
            raise StoreError(f"could not compact the journal of {folder}: {exc}") from exc

    def write(self, jobs: list[Job]) -> None:
        """Write captured files, each directory synced once; mark them written."""
        folders = []
        total = 0
        for doc_file, _, snapshot in jobs:
            size = doc_file.write(snapshot, sync_dir=False)
            total += size
            with self.mem:
                self.stats["writes"] += 1
                self.stats["bytes"] += size
                self.written[doc_file.label] += 1
            if doc_file.path.parent not in folders:
                folders.append(doc_file.path.parent)
        for folder in folders:
            fsync_dir(folder)
        with self.mem:
            for doc_file, changes, _ in jobs:
                doc_file.written(changes)
            self.stats["compactions"] += 1
            self.last = [doc_file.label for doc_file, _, _ in jobs]
            self.threshold = max(self.limit, total)
            self.after()
