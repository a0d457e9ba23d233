"""The durable default store: TinyDB snapshot files plus a write-ahead journal.

Layout of ``<folder>``::

    .lock                          held (flock) by the one process using the folder
    journal.jsonl                  changes since the snapshot files were written
    journal.old.jsonl              only while a compaction runs (see `compaction.py`)
    sequences.json                 counters of `next_sequence`
    orders.json                    live orders (status not one of ``finished``)
    archive/orders-YYYY-MM.json    finished orders by month of created_at
    archive/codes-YYYY-MM.json     the codes (and versions) of a month (see `archive.py`)
    sessions-00.json ...           sessions, spread by crc32(key) % session_shards
    sessions-00.idx ...            where each session is in its file (see `docfile.py`)
    messages-00.json ...           processed message ids, spread the same way
    outbox.json                    replies waiting to be sent (see `outbox.py`)
    outbox-sent.log                outbox rows sent since the last write round (`sentmarks.py`)
    timers.json                    timers not fired yet

Everything is held in memory. A change updates memory, marks its file dirty and records
the key's new value in `Pending`; a write round (`flush()`, many concurrent callers
sharing one round, see `groupcommit.py`) appends those values as one line to the journal
and syncs it once (see `journal.py`). The snapshot files are rewritten only when the
journal has grown past a threshold (in a background thread) and at `close()`. Opening
loads the snapshot files, then replays the journal; a torn last line (a crash during an
append) is cut off, a damaged line is set aside alone (every other line applied; see
`recovery.py`) and reported by `problems()`. Sequences are raised to the highest order
code found in the folder (`floor.py`), and the folder is made private (`modes.py`).

A unit of work (`unit`) gathers what it changes in a buffer of its own (memory changes at
once, as always) and hands it to the writer at its `flush` (or when it ends), so all of it
lands in one journal line: a message's order, session, processed id and replies queued in
the outbox are durable together or not at all. No snapshot of memory is taken for a
compaction while a unit holds changes not handed over.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Self

from bot.storage.atomic import CORRUPT_MARK, fsync_dir, remove_orphan_temps
from bot.storage.base import Queued, Record, Store, StoreError, Timer, value_at
from bot.storage.changes import Pending, Targets, order_json
from bot.storage.compaction import DEFAULT_LIMIT
from bot.storage.docfile import DocFile, ShardSet, pack
from bot.storage.floor import Floor, numbered
from bot.storage.inbox import Inbox
from bot.storage.lockfile import FolderLock, StoreLocked
from bot.storage.modes import private_folder, tighten
from bot.storage.orderbook import OrderBook, place_of
from bot.storage.outbox import OutboxRows, TimerRows
from bot.storage.query import order_sort_key, status_set
from bot.storage.recovery import replay_journals
from bot.storage.sentmarks import SentMarks
from bot.storage.writer import Writer

__all__ = ["StoreLocked", "TinyDBStore"]

log = logging.getLogger(__name__)


def _clone(value: Any) -> Any:
    """A deep copy in JSON types; fails at once on values JSON cannot hold."""
    return json.loads(json.dumps(value))


def _plain_or_copy(value: Any) -> Any:
    """A str, number, bool or None as it is (nothing to share); anything else copied."""
    return value if value is None or isinstance(value, str | int | float) else _clone(value)


# the unit of work the running task is in: (store, its buffer)
_UNIT: ContextVar[tuple[TinyDBStore, Pending] | None] = ContextVar("tinydb_unit", default=None)

Strays = list[tuple[DocFile, str]]  # (file, key) of keys found outside their home shard


def _updated_at(session: Any) -> Any:
    return session.get("updated_at", 0)


def _session_newer(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return bool(a[0] >= b[0])  # packed: (updated_at, ...), see docfile.py


class TinyDBStore(Store):
    def __init__(
        self,
        path: str | Path,
        *,
        session_shards: int = 16,
        message_shards: int = 4,
        archive_months_cached: int = 3,
        journal_limit: int = DEFAULT_LIMIT,
        finished: Iterable[str] = (),
    ) -> None:
        """``journal_limit``: journal bytes after which the snapshot files are rewritten
        (at least; see `compaction.py`). ``finished``: the values of an order's ``status``
        after which it no longer changes (the app's; such orders go to the month archives,
        none when not given)."""
        self.path = Path(path)
        self._finished = frozenset(finished)
        private_folder(self.path)
        private_folder(self.path / "archive")
        self._lock = FolderLock(self.path)
        self._lock.acquire()  # raises StoreLocked
        tighten(self.path)  # files of an older version or copied in: 0600 in a 0700 folder
        self._closed = False
        self._problems: list[str] = []
        self._inboxes: dict[str, Inbox] = {}
        self._mem = threading.RLock()  # guards everything in memory
        self._w = Writer(self.path, self._mem, self._files, self._after_compaction, journal_limit)
        self.stats = self._w.stats  # writes/bytes: snapshot files; rounds; journal_bytes; ...
        self._units: dict[int, Pending] = {}  # buffers of the units of work open now
        self._marks = SentMarks(self.path)
        self._w.on_take = self._marks.rotate
        self._w.on_durable = self._marks.drop_old
        self._w.busy = lambda: any(self._units.values())
        self.written = self._w.written  # file label -> writes
        try:
            self._open(session_shards, message_shards, archive_months_cached)
        except BaseException:
            self._w.close()
            self._lock.release()
            raise

    @property
    def last_round(self) -> list[str]:
        """What the last write round wrote: ``["journal.jsonl"]``, or ``[]`` if nothing."""
        return self._w.last_round

    # -- opening ----------------------------------------------------------------------
    def _open(self, session_shards: int, message_shards: int, cached: int) -> None:
        floor = Floor()  # no sequence below a code found anywhere in the folder
        for folder in (self.path, self.path / "archive"):
            remove_orphan_temps(folder)
            for old in sorted(folder.glob(f"*{CORRUPT_MARK}*")):
                floor.read_file(old)
                self._problems.append(
                    f"{old} is an unreadable file set aside earlier; inspect it, then "
                    "restore or delete it."
                )
        problem = self._problems.append
        self._sequences = DocFile(self.path / "sequences.json", "sequences", on_problem=problem)
        self._sequences.load()
        self._orders = OrderBook(self.path, problem, cached, self._finished)
        self._orders.load()
        self._sessions = ShardSet(
            self.path, "sessions", session_shards, problem, _session_newer, _updated_at
        )
        self._messages = ShardSet(self.path, "messages", message_shards, problem, _later)
        self._outbox_file = DocFile(self.path / "outbox.json", "outbox", on_problem=problem)
        self._timers_file = DocFile(self.path / "timers.json", "timers", on_problem=problem)
        self._outbox_file.load()
        self._timers_file.load()
        stray = self._sessions.load(), self._messages.load()
        retired = self._sessions.retired + self._messages.retired
        targets = Targets(self._sequences, self._orders, self._sessions, self._messages,
                          self._outbox_file, self._timers_file)
        fold = replay_journals(self._w.journal, targets, self._problems, floor)
        self._outbox = OutboxRows(self._outbox_file.data, self._outbox_changed)
        self._timers = TimerRows(self._timers_file.data, self._timer_changed)
        sent = self._outbox.mark_sent(self._marks.read())  # sent before a crash
        if sent:
            log.info("%d outbox reply(ies) sent before the restart marked sent", len(sent))
        self._orders.raise_floor(floor)
        if floor.raise_(self._sequences):
            fold = True  # made durable now, before a code is given
        if stray[0] or stray[1] or retired:
            self._rehome(*stray, retired)
            fold = True
        if fold:
            self._w.compactor.run_now()
        elif sent:
            self._w.round()
        self._marks.clear()  # every mark read is in the files or the journal now

    def _rehome(self, sessions: Strays, messages: Strays, retired: list[DocFile]) -> None:
        """The shard count changed: journal every stray key at home, then drop the strays
        (retired files at once: the journal holds their keys; others at compaction)."""
        for strays, shards, pending in (
            (sessions, self._sessions, self._w.pending.sessions),
            (messages, self._messages, self._w.pending.messages),
        ):
            for doc_file, key in strays:
                doc_file.data.pop(key, None)
                doc_file.dirty = True
                home = shards.for_key(key).data
                if key in home:
                    pending[key] = (home[key] if shards.packed is None
                                    else shards.for_key(key).text(home[key]))
        self._w.round()
        log.info("moved %d key(s) to their shard; removing %d retired shard file(s)",
                 len(sessions) + len(messages), len(retired))
        for doc_file in retired:
            doc_file.path.unlink(missing_ok=True)
            doc_file.index_path.unlink(missing_ok=True)
        fsync_dir(self.path)

    # -- plumbing ---------------------------------------------------------------------
    @contextmanager
    def _change(self) -> Iterator[None]:
        with self._mem:
            if self._closed:
                raise StoreError(f"the store on {self.path} is closed")
            yield
            self._w.commit.changed += 1

    def _pending(self) -> Pending:
        """Where a change is recorded: the buffer of the unit of work the caller is in,
        else the writer's (call holding ``_mem``)."""
        current = _UNIT.get()
        if current is not None and current[0] is self and id(current[1]) in self._units:
            return current[1]
        return self._w.pending

    def _hand_over(self, buffer: Pending) -> None:
        """A unit's changes to the writer, in one piece (call holding ``_mem``)."""
        if buffer:
            self._w.pending.absorb(buffer)
            self._w.commit.changed += 1

    def _files(self) -> list[DocFile]:
        return [self._sequences, *self._orders.files(), *self._sessions, *self._messages,
                self._outbox_file, self._timers_file]

    def _outbox_changed(self, key: str, row: Any) -> None:
        self._pending().outbox[key] = None if row is None else json.dumps(row)
        self._outbox_file.dirty = True

    def _timer_changed(self, name: str, row: Any) -> None:
        self._pending().timers[name] = None if row is None else json.dumps(row)
        self._timers_file.dirty = True

    # -- units of work ----------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def unit(self, key: str) -> AsyncIterator[None]:
        """What is written inside lands in one journal line, at the `flush` awaited inside
        (or with the next round after the unit ends). A unit inside a unit is the same
        unit. The memory a unit changed stays changed if it raises (it is written with the
        next round, as any change outside a unit); the engine's per-conversation lock
        keeps two units of one conversation apart (one process holds the folder)."""
        current = _UNIT.get()
        if current is not None and current[0] is self and id(current[1]) in self._units:
            yield
            return
        buffer = Pending()
        token = _UNIT.set((self, buffer))
        with self._mem:
            self._units[id(buffer)] = buffer
        try:
            yield
        finally:
            _UNIT.reset(token)
            with self._mem:
                del self._units[id(buffer)]
                self._hand_over(buffer)

    def _after_compaction(self) -> None:
        self._orders.archive.evict()

    # -- durability -------------------------------------------------------------------
    async def flush(self) -> None:
        """Write every change made before this call; concurrent callers share writes."""
        current = _UNIT.get()
        if current is not None and current[0] is self:
            with self._mem:
                if id(current[1]) in self._units:
                    self._hand_over(current[1])
        await self._w.commit.flush()

    def flush_sync(self) -> None:
        """Blocking `flush` for the CLI and threads (not for the event loop thread)."""
        current = _UNIT.get()
        if current is not None and current[0] is self:
            with self._mem:
                if id(current[1]) in self._units:
                    self._hand_over(current[1])
        self._w.round()

    def compact(self) -> None:
        """Fold the journal into the snapshot files now (blocking; for tools and tests)."""
        self._w.compact()

    def inbox(self, channel: str) -> Inbox:
        """``inbox-<channel>.jsonl`` in the folder (see `inbox.py`); closed by `close`."""
        with self._mem:
            if self._closed:
                raise StoreError(f"the store on {self.path} is closed")
            if channel not in self._inboxes:
                self._inboxes[channel] = Inbox(self.path / f"inbox-{channel}.jsonl")
            return self._inboxes[channel]

    def close(self) -> None:
        with self._mem:
            if self._closed:
                return
        try:
            for inbox in self._inboxes.values():
                inbox.close()
            self.compact()
            self._marks.clear()  # the snapshot files hold every mark now
        finally:
            with self._mem:
                self._closed = True
            self._w.close()
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
            doc_file = self._sessions.for_key(key)
            held = doc_file.data.get(key)
            if held is None:
                return None
            try:
                session = json.loads(doc_file.text(held))  # a copy of its own
            except (ValueError, OSError) as exc:  # damaged on disk: this conversation only
                self._damaged_session(doc_file, key, held, exc)
                return None
        if not isinstance(session, dict):
            return None
        return session

    def _damaged_session(self, doc_file: DocFile, key: str, held: Any, exc: Exception) -> None:
        """A session whose stored text cannot be read: reported, and the conversation starts
        over (its file is rewritten without it at the next compaction)."""
        problem = (f"{doc_file.path}: a conversation's stored text could not be read "
                   f"({type(exc).__name__}); it was dropped and starts over.")
        log.error("%s", problem)  # no key: it names a person's account
        self._problems.append(problem)
        if doc_file.data.get(key) is held:
            del doc_file.data[key]
            doc_file.dirty = True

    def put_session(self, key: str, session: Record) -> None:
        if not isinstance(session, dict):
            raise TypeError(f"a session is a dict, not {type(session).__name__}")
        stamp, text = pack(session, _updated_at)  # the journal takes the same text
        with self._change():
            doc_file = self._sessions.for_key(key)
            doc_file.data[key] = (stamp, text)
            doc_file.dirty = True
            self._pending().sessions[key] = text

    def scan_sessions(self, since: float) -> Iterator[tuple[str, Record]]:
        """Sessions updated since ``since`` (copies), read under the lock, then decoded; one
        damaged on disk is left out (`get_session` reports it when its user writes)."""
        with self._mem:
            held = [(key, doc_file.text(value)) for doc_file in self._sessions
                    for key, value in doc_file.data.items() if value[0] >= since]
        found = []
        for key, text in held:
            try:
                session = json.loads(text)
            except ValueError:
                continue
            if isinstance(session, dict):
                found.append((key, session))
        return iter(found)

    def delete_session(self, key: str) -> None:
        with self._change():
            doc_file = self._sessions.for_key(key)
            if doc_file.data.pop(key, None) is not None:
                doc_file.dirty = True
                self._pending().sessions[key] = None

    def expire_sessions(self, older_than: float) -> int:
        with self._change():
            old = self._sessions.expire(lambda held: held[0], older_than)
            self._pending().sessions.update(dict.fromkeys(old))
            return len(old)

    # -- orders -----------------------------------------------------------------------
    def next_sequence(self, name: str) -> int:
        with self._change():
            number = int(self._sequences.data.get(name, 0)) + 1
            self._sequences.data[name] = number
            self._sequences.dirty = True
            self._pending().sequences[name] = number
            return number

    def create_order(self, order: Record) -> Record:
        order = _clone(order)
        with self._change():
            stored = self._journaled(self._orders.create(order))
            numbered_code = numbered(stored["code"])  # its sequence never gives it again
            if numbered_code is not None:
                name, number = numbered_code
                if number > int(self._sequences.data.get(name, 0)):
                    self._sequences.data[name] = number
                    self._sequences.dirty = True
                    self._pending().sequences[name] = number
            return stored

    def _journaled(self, order: Record) -> Record:
        """Record ``order`` (just stored) for the journal; returns a copy for the caller."""
        text, copy = order_json(order)
        self._pending().orders[order["code"]] = (place_of(order, self._orders.finished), text)
        return copy

    def get_order(self, code: str) -> Record | None:
        with self._mem:
            order = self._orders.get(code)
            self._orders.archive.evict()
            return _clone(order) if order is not None else None

    def update_order(self, code: str, changes: Record, expected_version: int) -> Record:
        changes = _clone(changes)
        with self._change():
            return self._journaled(self._orders.update(code, changes, expected_version))

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
            filters = {"since": since, "until": until, "referral": referral, "user": user}
            found = self._orders.query(status_set(status), market=market, **filters)
            found.sort(key=order_sort_key)
            return _clone(found)

    def query_order_fields(
        self,
        fields: Sequence[str],
        *,
        market: str | None = None,
        status: str | Iterable[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[tuple[Any, ...]]:
        """As the base does, without copying the whole records first: only the picked
        values that are not plain ones are copied (Today: ~half its time went to copies)."""
        paths = [field.split(".") for field in fields]
        with self._mem:
            found = self._orders.query(status_set(status), market=market, since=since,
                                       until=until, referral=None, user=None)
            found.sort(key=order_sort_key)
            return [tuple(_plain_or_copy(value_at(record, path)) for path in paths)
                    for record in found]

    # -- processed message ids --------------------------------------------------------
    def seen_message(self, channel: str, message_id: str) -> bool:
        key = f"{channel}:{message_id}"
        with self._mem:
            return key in self._messages.for_key(key).data

    def mark_message(self, channel: str, message_id: str, at: float) -> None:
        key = f"{channel}:{message_id}"
        if not isinstance(at, int | float):
            raise TypeError(f"at must be a number, not {at!r}")
        with self._change():
            doc_file = self._messages.for_key(key)
            doc_file.data[key] = at
            doc_file.dirty = True
            self._pending().messages[key] = at

    def expire_messages(self, older_than: float) -> int:
        with self._change():
            old = self._messages.expire(lambda at: at, older_than)
            self._pending().messages.update(dict.fromkeys(old))
            return len(old)



    # -- the outbox and timers (see `outbox.py`, `sentmarks.py`) -------------------------
    def queue(self, replies: list[Record], *, owner: str, lease_until: float) -> list[int]:
        with self._change():
            return self._outbox.queue(replies, owner, lease_until)

    def claim_queued(self, *, owner: str, now: float, lease_until: float,
                     limit: int = 100) -> list[Queued]:
        with self._mem:  # leases are not journaled: after a restart every row is free
            return self._outbox.claim(owner, now, lease_until, limit)

    def mark_sent(self, ids: Iterable[int]) -> None:
        with self._change():
            self._marks.add(self._outbox.mark_sent(ids))

    def retry_queued(self, item_id: int, *, at: float, error: str) -> None:
        with self._change():
            self._outbox.retry(item_id, at, error)

    def outbox_waiting(self) -> tuple[int, float | None]:
        with self._mem:
            return self._outbox.waiting()

    def set_timer(self, timer: Timer) -> None:
        with self._change():
            self._timers.set(timer)

    def cancel_timer(self, name: str) -> None:
        with self._change():
            self._timers.cancel(name)

    def take_due_timers(self, now: float, limit: int = 100) -> list[Timer]:
        with self._change():
            return self._timers.take_due(now, limit)


def _later(a: Any, b: Any) -> bool:
    return bool(a >= b)
