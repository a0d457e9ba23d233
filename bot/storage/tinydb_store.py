"""The durable default store: TinyDB files under one data folder, kept small.

Layout of ``<folder>``::

    .lock                          held (flock) by the one process using the folder
    sequences.json                 counters of `next_sequence`
    orders.json                    live orders (status not in FINISHED_STATUSES)
    archive/orders-YYYY-MM.json    finished orders by month of created_at
    sessions-00.json ...           sessions, spread by crc32(key) % session_shards
    messages-00.json ...           processed message ids, spread the same way

Everything is held in memory; a change marks its file dirty and `flush()` writes each
dirty file atomically (see `atomic.py`), many concurrent flushes sharing one round (see
`groupcommit.py`). A round writes sequences first, then archive months, then live
orders, so a crash between two file writes can leave a gap in a sequence or a duplicate
order (the higher version wins on load) but never reuse a number of a durable order or
lose an order. A sequence number handed out but not yet flushed may be handed out again
after a crash; no order holding it was durable then.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from bot.storage.atomic import CORRUPT_MARK, fsync_dir, remove_orphan_temps
from bot.storage.base import Record, Store, StoreError
from bot.storage.docfile import DocFile, ShardSet
from bot.storage.groupcommit import GroupCommit
from bot.storage.lockfile import FolderLock, StoreLocked
from bot.storage.orderbook import OrderBook
from bot.storage.query import order_sort_key, status_set

__all__ = ["StoreLocked", "TinyDBStore"]


def _clone(value: Any) -> Any:
    """A deep copy in JSON types; fails at once on values JSON cannot hold."""
    return json.loads(json.dumps(value))


def _session_newer(a: Any, b: Any) -> bool:
    return bool(a.get("updated_at", 0) >= b.get("updated_at", 0))


class TinyDBStore(Store):
    def __init__(
        self,
        path: str | Path,
        *,
        session_shards: int = 16,
        message_shards: int = 4,
        archive_months_cached: int = 3,
    ) -> None:
        self.path = Path(path)
        (self.path / "archive").mkdir(parents=True, exist_ok=True)
        self._lock = FolderLock(self.path)
        self._lock.acquire()  # raises StoreLocked
        self._closed = False
        self._problems: list[str] = []
        self._mem = threading.RLock()  # guards everything in memory
        self._write_lock = threading.Lock()  # one write round at a time
        self._commit = GroupCommit(self._write_round)
        self.stats = {"writes": 0, "rounds": 0, "bytes": 0}
        self.written: Counter[str] = Counter()  # file label -> writes
        self.last_round: list[str] = []  # labels of the files the last round wrote
        try:
            self._open(session_shards, message_shards, archive_months_cached)
        except BaseException:
            self._lock.release()
            raise

    # -- opening ----------------------------------------------------------------------
    def _open(self, session_shards: int, message_shards: int, cached: int) -> None:
        for folder in (self.path, self.path / "archive"):
            remove_orphan_temps(folder)
            for old in sorted(folder.glob(f"*{CORRUPT_MARK}*")):
                self._problems.append(
                    f"{old} is an unreadable file set aside earlier; inspect it, then "
                    "restore or delete it."
                )
        problem = self._problems.append
        self._sequences = DocFile(self.path / "sequences.json", "sequences", on_problem=problem)
        self._sequences.load()
        self._orders = OrderBook(self.path, problem, cached)
        with self._change():
            self._orders.load(self._next_seq())
        self._sessions = ShardSet(self.path, "sessions", session_shards, problem, _session_newer)
        self._messages = ShardSet(self.path, "messages", message_shards, problem, _later)
        self._respread_shards()

    def _respread_shards(self) -> None:
        """If a shard count changed: copy keys home, make that durable, then remove."""
        misplaced = self._sessions.load() + self._messages.load()
        retired = self._sessions.retired + self._messages.retired
        if not misplaced and not retired:
            return
        self.flush_sync()
        for doc_file, key in misplaced:
            if doc_file not in retired:
                doc_file.data.pop(key, None)
                doc_file.dirty = True
        self.flush_sync()
        for doc_file in retired:
            doc_file.path.unlink(missing_ok=True)
        fsync_dir(self.path)

    # -- plumbing ---------------------------------------------------------------------
    @contextmanager
    def _change(self) -> Iterator[None]:
        with self._mem:
            if self._closed:
                raise StoreError(f"the store on {self.path} is closed")
            yield
            self._commit.changed += 1

    def _next_seq(self) -> int:
        """The number the change being made will get (inside `_change`)."""
        return self._commit.changed + 1

    def _files_in_write_order(self) -> list[DocFile]:
        return [
            self._sequences,
            *self._orders.files_in_write_order(),
            *self._sessions,
            *self._messages,
        ]

    def _write_round(self) -> None:
        with self._write_lock:
            with self._mem:
                seq = self._commit.changed
                jobs = [(f, f.snapshot()) for f in self._files_in_write_order() if f.dirty]
                for doc_file, _ in jobs:
                    doc_file.dirty = False
            done = 0
            try:
                for doc_file, snapshot in jobs:
                    size = doc_file.write(snapshot)
                    done += 1
                    self.stats["writes"] += 1
                    self.stats["bytes"] += size
                    self.written[doc_file.label] += 1
            except BaseException as exc:
                with self._mem:
                    for doc_file, _ in jobs[done:]:
                        doc_file.dirty = True
                if isinstance(exc, OSError):
                    raise StoreError(f"could not write {jobs[done][0].path}: {exc}") from exc
                raise
            with self._mem:
                self.stats["rounds"] += 1
                self.last_round = [doc_file.label for doc_file, _ in jobs]
                self._commit.note_durable(seq)
                if self._orders.after_round(seq):
                    self._commit.changed += 1

    def _any_dirty(self) -> bool:
        with self._mem:
            return any(f.dirty for f in self._files_in_write_order())

    # -- durability -------------------------------------------------------------------
    async def flush(self) -> None:
        """Write every change made before this call; concurrent callers share writes."""
        await self._commit.flush()

    def flush_sync(self) -> None:
        """Blocking `flush` for the CLI and threads (not for the event loop thread)."""
        self._write_round()
        if self._any_dirty():  # removals of orders that moved, now that their home is safe
            self._write_round()

    def close(self) -> None:
        with self._mem:
            if self._closed:
                return
        try:
            self.flush_sync()
        finally:
            with self._mem:
                self._closed = True
            self._lock.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def problems(self) -> list[str]:
        """Human-readable troubles found (files set aside), for ``main.py doctor``."""
        with self._mem:
            return list(self._problems)

    # -- sessions ---------------------------------------------------------------------
    def get_session(self, key: str) -> Record | None:
        with self._mem:
            session = self._sessions.for_key(key).data.get(key)
            return _clone(session) if session is not None else None

    def put_session(self, key: str, session: Record) -> None:
        value = _clone(session)
        with self._change():
            doc_file = self._sessions.for_key(key)
            doc_file.data[key] = value
            doc_file.dirty = True

    def delete_session(self, key: str) -> None:
        with self._change():
            doc_file = self._sessions.for_key(key)
            if doc_file.data.pop(key, None) is not None:
                doc_file.dirty = True

    def expire_sessions(self, older_than: float) -> int:
        return _expire(self._change, self._sessions, lambda s: s.get("updated_at", 0), older_than)

    # -- orders -----------------------------------------------------------------------
    def next_sequence(self, name: str) -> int:
        with self._change():
            number = int(self._sequences.data.get(name, 0)) + 1
            self._sequences.data[name] = number
            self._sequences.dirty = True
            return number

    def create_order(self, order: Record) -> Record:
        order = _clone(order)
        with self._change():
            return _clone(self._orders.create(order, self._next_seq()))

    def get_order(self, code: str) -> Record | None:
        with self._mem:
            order = self._orders.get(code)
            self._orders.archive.evict()
            return _clone(order) if order is not None else None

    def update_order(self, code: str, changes: Record, expected_version: int) -> Record:
        changes = _clone(changes)
        with self._change():
            return _clone(self._orders.update(code, changes, expected_version, self._next_seq()))

    def query_orders(
        self,
        *,
        market: str | None = None,
        status: str | Iterable[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        referral: str | None = None,
        user: str | None = None,
    ) -> list[Record]:
        with self._mem:
            found = self._orders.query(
                status_set(status),
                market=market,
                since=since,
                until=until,
                referral=referral,
                user=user,
            )
            found.sort(key=order_sort_key)
            return _clone(found)

    # -- processed message ids --------------------------------------------------------
    def seen_message(self, channel: str, message_id: str) -> bool:
        key = f"{channel}:{message_id}"
        with self._mem:
            return key in self._messages.for_key(key).data

    def mark_message(self, channel: str, message_id: str, at: float) -> None:
        key = f"{channel}:{message_id}"
        with self._change():
            doc_file = self._messages.for_key(key)
            doc_file.data[key] = at
            doc_file.dirty = True

    def expire_messages(self, older_than: float) -> int:
        return _expire(self._change, self._messages, lambda at: at, older_than)


def _later(a: Any, b: Any) -> bool:
    return bool(a >= b)


def _expire(change: Any, shards: ShardSet, stamp: Any, older_than: float) -> int:
    dropped = 0
    with change():
        for doc_file in shards:
            old = [k for k, v in doc_file.data.items() if stamp(v) < older_than]
            for key in old:
                del doc_file.data[key]
            if old:
                doc_file.dirty = True
                dropped += len(old)
    return dropped
