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

from bot.storage.archive import Archive
from bot.storage.atomic import CORRUPT_MARK, fsync_dir, remove_orphan_temps
from bot.storage.base import (
    FINISHED_STATUSES,
    DuplicateOrder,
    OrderNotFound,
    Record,
    Store,
    StoreError,
    VersionConflict,
)
from bot.storage.docfile import DocFile, ShardSet
from bot.storage.groupcommit import GroupCommit
from bot.storage.lockfile import FolderLock, StoreLocked
from bot.storage.query import month_of, order_matches, order_sort_key, status_set

__all__ = ["StoreLocked", "TinyDBStore"]

LIVE = "live"  # location of an order that is not archived (months are YYYY-MM / undated)


def _clone(value: Any) -> Any:
    """A deep copy in JSON types; fails at once on values JSON cannot hold."""
    return json.loads(json.dumps(value))


def _version(order: Record) -> int:
    version = order.get("version", 0)
    return version if isinstance(version, int) else 0


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
        self._live = DocFile(
            self.path / "orders.json", "orders", key_field="code", on_problem=problem
        )
        self._sequences.load()
        self._live.load()
        self._archive = Archive(self.path / "archive", problem, cached)
        self._index_archive()
        self._sessions = ShardSet(self.path, "sessions", session_shards, problem, _session_newer)
        self._messages = ShardSet(self.path, "messages", message_shards, problem, _later)
        self._respread_shards()

    def _index_archive(self) -> None:
        """Build code -> month; settle duplicates left by a crash (higher version wins)."""
        where = {code: (LIVE, _version(o)) for code, o in self._live.data.items()}
        misplaced = [(c, LIVE) for c, o in self._live.data.items() if self._place_of(o) != LIVE]
        for month, doc_file in self._archive.scan():
            for code, order in doc_file.data.items():
                previous = where.get(code)
                if previous is not None and _version(order) <= previous[1]:
                    self._archive.leave(code, 0, month)  # stale copy
                    continue
                if previous is not None and previous[0] == LIVE:
                    del self._live.data[code]
                    self._live.dirty = True
                elif previous is not None:
                    self._archive.leave(code, 0, previous[0])
                where[code] = (month, _version(order))
                self._archive.index[code] = month
                if self._place_of(order) != month:
                    misplaced.append((code, month))
        with self._change():
            for code, loc in misplaced:  # e.g. edited by hand: restore the invariant
                if where[code][0] == loc:
                    self._put_order(code, self._order_at(code, loc), loc)

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

    def _files_in_write_order(self) -> list[DocFile]:
        return [
            self._sequences,
            *self._archive.dirty_files(),
            self._live,
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
                if self._archive.drop_ghosts(seq):
                    self._commit.changed += 1
                self._archive.evict()

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

    def _place_of(self, order: Record) -> str:
        return month_of(order) if order.get("status") in FINISHED_STATUSES else LIVE

    def _order_at(self, code: str, loc: str) -> Record:
        if loc == LIVE:
            return self._live.data[code]
        return self._archive.file(loc).data[code]

    def _locate(self, code: str) -> str | None:
        return LIVE if code in self._live.data else self._archive.index.get(code)

    def _put_order(self, code: str, order: Record, old: str | None) -> None:
        """Store ``order`` where its status says (call inside `_change`)."""
        new = self._place_of(order)
        if old is not None and old != new:
            if old == LIVE:  # archive months are written before orders.json
                del self._live.data[code]
                self._live.dirty = True
            else:  # keep the old copy until the new home is on disk
                self._archive.leave(code, self._commit.changed + 1)
        if new == LIVE:
            self._live.data[code] = order
            self._live.dirty = True
        else:
            self._archive.put(code, order, new)

    def create_order(self, order: Record) -> Record:
        stored = _clone(order)
        code = stored["code"]
        stored["version"] = 1
        with self._change():
            if self._locate(code) is not None:
                raise DuplicateOrder(code)
            self._put_order(code, stored, None)
            return _clone(stored)

    def get_order(self, code: str) -> Record | None:
        with self._mem:
            loc = self._locate(code)
            if loc is None:
                return None
            order = _clone(self._order_at(code, loc))
            self._archive.evict()
            return order

    def update_order(self, code: str, changes: Record, expected_version: int) -> Record:
        changes = _clone(changes)
        with self._change():
            loc = self._locate(code)
            if loc is None:
                raise OrderNotFound(code)
            order = self._order_at(code, loc)
            if order["version"] != expected_version:
                raise VersionConflict(code, expected_version, order["version"])
            updated = {**order, **changes, "version": expected_version + 1, "code": code}
            self._put_order(code, updated, loc)
            return _clone(updated)

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
        statuses = status_set(status)
        wanted: dict[str, Any] = {
            "market": market,
            "statuses": statuses,
            "since": since,
            "until": until,
            "referral": referral,
            "user": user,
        }
        with self._mem:
            found = []
            if statuses is None or not statuses <= FINISHED_STATUSES:
                found += [o for o in self._live.data.values() if order_matches(o, **wanted)]
            if statuses is None or statuses & FINISHED_STATUSES:
                archived = self._archive.orders(since, until)
                found += [o for o in archived if order_matches(o, **wanted)]
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
