"""Connections and units of work for the PostgreSQL store.

The store's methods are synchronous (the engine's actions read and write orders in plain
code), so each runs one or a few short statements on a connection it does not wait for:

- Inside a unit (`Connections.unit`, the store's ``unit(key)``) the methods use the unit's
  connection, bound to the running task by a context variable. Entering a unit takes a
  pooled connection and a session-level advisory lock on a 64-bit hash of the key: at
  once when the lock is free (one round trip on the loop's thread), else waiting for it in
  a worker thread (the event loop goes on; the server grants waiters in turn). The first
  statement opens the unit's transaction. ``await flush()`` commits it in a worker thread
  (the WAL sync does not stop the loop) and raises StoreError if it fails, so the engine
  withholds the replies. Leaving the unit rolls back what was not committed, releases the
  lock (one round trip) and returns the connection. The lock is held by the connection: a
  worker that dies (kill -9, lost machine) releases it when its connection ends, which
  the server notices at once for a killed process (TCP keepalives bound it otherwise).
- Outside any unit (CLI commands, the web office, tests) the methods run on one direct
  connection in autocommit mode, each in its own short transaction.

A session lock (not a transaction one) because a unit may commit more than once (a
`flush` before replies go out, then the outbox marks) and must keep its key all along;
`pg_advisory_unlock_all` when a connection goes back to the pool makes sure none leaks.

Statements inside a unit run on the event loop's thread: ``lock_timeout`` (2 s) keeps one
that meets a row another task of the same loop holds from stopping the loop for good.

Round trips (each one a wait of the event loop): pooled connections are in autocommit
mode for psycopg, and a unit runs its transaction itself, as SQL text: the ``BEGIN`` goes
with the unit's first write, the deferred writes go with the next statement that needs
an answer (bound client side, `UnitConn`, sent as one simple query) or with the
``COMMIT``; reads with no transaction open run without one. Leaving a unit whose last
transaction was committed costs the loop nothing (the pool's thread releases the locks);
one with a transaction open rolls back and releases them in one round trip. psycopg's
own ``BEGIN`` and pipelines would cost a round trip each for the ``BEGIN`` and for the
pipeline's end. The unit also keeps the sessions it read or wrote (`Unit.sessions`, as
JSON text): read once per unit, its own writes seen; a new unit reads them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import json
import logging
import select
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg
from psycopg.types.json import set_json_dumps
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.storage.base import StoreError

log = logging.getLogger(__name__)

LOCK_TIMEOUT = "2s"  # a statement waiting on a row lock gives up after this


def lock_key(key: str) -> int:
    """The advisory lock id of a unit's key: a signed 64-bit hash (blake2b)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass
class Unit:
    owner: Connections
    conn: psycopg.Connection
    keys: list[int] = field(default_factory=list)
    dirty: bool = False  # written since the last commit
    active: bool = True
    # writes whose result nobody reads (a session put, a message id): sent with the next
    # statement that needs an answer, or with the commit, in one pipeline (one round trip)
    deferred: list[tuple[str, Any]] = field(default_factory=list)
    task: asyncio.Task[Any] | None = None  # the task the unit belongs to
    # sessions this unit read or wrote: key -> JSON text (None: there is none); it holds
    # its key's lock, so nothing else writes them meanwhile; gone with the unit
    sessions: dict[str, str | None] = field(default_factory=dict)
    # message ids this unit checked or marked: a message is only ever handled in its
    # conversation's unit, so no one else marks it meanwhile
    seen: dict[tuple[str, str], bool] = field(default_factory=dict)
    key: str = ""  # the key the unit was opened on (its lock)
    quoting: psycopg.ClientCursor[Any] | None = None  # binds statements client side


class Executes(Protocol):
    """A connection, or `Deferred`: what a write-only statement needs."""

    def execute(self, query: Any, params: Any = None) -> Any: ...


class Deferred:
    """What a write-only store method is given inside a unit: its statements are kept
    (`Unit.deferred`), in order, for the unit's next round trip."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def execute(self, query: str, params: Any = None) -> None:
        self.unit.deferred.append((query, params))


def _text(unit: Unit, statements: list[tuple[str, Any]]) -> list[str]:
    """``statements`` as SQL text, parameters bound client side (one simple query): a
    statement prepared on the unit's connection as ``EXECUTE name(values)``."""
    if unit.quoting is None:
        unit.quoting = psycopg.ClientCursor(unit.conn)
    quoting = unit.quoting
    prepared = unit.owner.prepared_on(unit.conn)
    parts = []
    for query, params in statements:
        if params is None:
            parts.append(query)
        elif query in prepared or unit.owner.prepare(unit.conn, query, prepared):
            values = quoting.mogrify(", ".join(["%s"] * len(params)), params)
            parts.append(f"EXECUTE {statement_name(query)}({values})")
        else:
            parts.append(quoting.mogrify(query, params))
    return parts


def statement_name(query: str) -> str:
    return "pd_" + hashlib.blake2b(query.encode("utf-8"), digest_size=8).hexdigest()


def _numbered(query: str) -> str | None:
    """``query`` with ``%s`` placeholders as ``$1, $2...`` (None: not one to prepare)."""
    if "%%" in query or "%(" in query:
        return None
    pieces = query.split("%s")
    return pieces[0] + "".join(f"${n}{piece}" for n, piece in enumerate(pieces[1:], 1))


def _run_text(conn: psycopg.Connection, parts: list[str], last: int = 1,
              begin: bool = True) -> psycopg.Cursor[Any]:
    """Run ``parts`` in one round trip (a ``BEGIN`` first if no transaction is open and
    ``begin``); the cursor is left on the result of the ``last``-th statement from the
    end."""
    if begin and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        parts = ["BEGIN", *parts]
    cursor = conn.cursor()
    cursor.execute(";\n".join(parts))  # type: ignore[arg-type]  (no parameters: simple)
    for _ in range(len(parts) - last):
        cursor.nextset()
    return cursor


class UnitConn:
    """What a store method is given inside a unit: ``execute`` sends the unit's deferred
    writes, a ``BEGIN`` when needed and the statement in one round trip.

    A read while no transaction is open (none yet, or the last one committed) and no
    write waits runs without one: in READ COMMITTED each statement of a transaction
    reads a snapshot of its own anyway, so it reads the same; the unit then has nothing
    to roll back when it ends, and its connection goes back with no round trip on the
    event loop (the pool's thread releases the locks)."""

    def __init__(self, unit: Unit, write: bool) -> None:
        self.unit = unit
        self.write = write

    def execute(self, query: str, params: Any = None) -> psycopg.Cursor[Any]:
        unit = self.unit
        begin = self.write or bool(unit.deferred)
        statements = [*unit.deferred, (query, params)]
        unit.deferred.clear()
        return _run_text(unit.conn, _text(unit, statements), begin=begin)

    def fetch_each(self, statements: list[tuple[str, Any]]) -> list[list[Any]]:
        """Each statement's rows, all sent in one round trip (with the deferred ones)."""
        unit = self.unit
        begin = self.write or bool(unit.deferred)
        parts = _text(unit, [*unit.deferred, *statements])
        unit.deferred.clear()
        cursor = _run_text(unit.conn, parts, last=len(statements), begin=begin)
        found = [cursor.fetchall()]
        while cursor.nextset():
            found.append(cursor.fetchall())
        return found


_current: contextvars.ContextVar[Unit | None] = contextvars.ContextVar("pg_unit", default=None)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _configure(conn: psycopg.Connection) -> None:
    conn.autocommit = True  # units open and end their transactions themselves
    # none of psycopg's own prepared statements: after a ROLLBACK it sends DEALLOCATE ALL,
    # which also dropped our PREPAREd ones (`prepare`) while we still named them
    conn.prepare_threshold = None
    set_json_dumps(_dumps, conn)  # Jsonb parameters without the spaces
    conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")


def _release(conn: psycopg.Connection) -> None:
    """No transaction, no lock left, in one round trip: what was not committed is rolled
    back, then the locks go, outside any transaction."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.execute("ROLLBACK; SELECT pg_advisory_unlock_all()")
    else:
        conn.execute("SELECT pg_advisory_unlock_all()")


def keepalives(dsn: str) -> dict[str, Any]:
    """TCP keepalives so a lost worker's connection (and its locks) ends within ~1 min;
    the DSN may set its own."""
    if "keepalives" in dsn:
        return {}
    return {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
            "keepalives_count": 3}


class Connections:
    def __init__(self, dsn: str, pool_size: int = 10) -> None:
        self.dsn = dsn
        self.pool_size = max(1, pool_size)
        extra = keepalives(dsn)
        self._connect_kwargs = extra
        # opened at the first unit (a CLI command needs only the direct connection)
        self.pool = ConnectionPool(
            dsn, min_size=self.pool_size, max_size=self.pool_size, open=False, kwargs=extra,
            configure=_configure, reset=self._reset, name="pasar-daring", timeout=30)
        self._pool_open = False
        self._pool_lock = threading.Lock()
        self._direct: psycopg.Connection | None = None
        self._direct_lock = threading.RLock()
        # waits (a free connection, a lock) and commits: never more at once than units
        self.executor = ThreadPoolExecutor(self.pool_size + 2, thread_name_prefix="pg")
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._slots = weakref.WeakKeyDictionary()
        # connections `_leave` left clean (the pool resets them later, in a thread of its
        # own: `_reset` has nothing to do for them)
        self._released: weakref.WeakSet[psycopg.Connection] = weakref.WeakSet()
        # per pooled connection, the statements prepared on it (text -> `statement_name`):
        # the server then plans them once, as psycopg's own prepared statements would
        self._prepared: weakref.WeakKeyDictionary[psycopg.Connection, set[str]] = (
            weakref.WeakKeyDictionary())
        self._unpreparable: set[str] = set()
        self.closed = False

    # -- prepared statements ------------------------------------------------------------
    def prepared_on(self, conn: psycopg.Connection) -> set[str]:
        found = self._prepared.get(conn)
        if found is None:
            found = self._prepared[conn] = set()
        return found

    def prepare(self, conn: psycopg.Connection, query: str, prepared: set[str]) -> bool:
        """Prepare ``query`` on ``conn`` if it can be now: only with no transaction open
        (a failed PREPARE would abort it); one round trip, once per connection."""
        if (query in self._unpreparable
                or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE):
            return False
        numbered = _numbered(query)
        if numbered is None:
            self._unpreparable.add(query)
            return False
        try:
            conn.execute(f"PREPARE {statement_name(query)} AS {numbered}")  # type: ignore[arg-type]
        except psycopg.errors.DuplicatePreparedStatement:
            pass  # prepared by a call that failed after it
        except psycopg.Error as exc:
            if exc.sqlstate and exc.sqlstate.startswith("42"):  # cannot be prepared
                self._unpreparable.add(query)
            return False
        prepared.add(query)
        return True

    # -- outside a unit -----------------------------------------------------------------
    def _direct_conn(self) -> psycopg.Connection:
        conn = self._direct
        if conn is not None and not conn.closed and _dropped(conn):
            conn.close()  # the server ended it while idle (a restart): a new one
        if conn is None or conn.closed or conn.broken:
            try:
                conn = psycopg.connect(self.dsn, autocommit=True, **self._connect_kwargs)
            except psycopg.Error as exc:
                raise StoreError(f"cannot connect to PostgreSQL: {_reason(exc)}") from exc
            self._direct = conn
        return conn

    def bound(self) -> Unit | None:
        """The unit the caller is in: the running task's own (a task started inside a unit
        inherits the context variable, but not the unit: it may outlive it), or, in a
        thread the unit's task awaits (``asyncio.to_thread`` copies the context), its."""
        unit = _current.get()
        if unit is None or not unit.active or unit.owner is not self:
            return None
        try:
            task = asyncio.current_task()
        except RuntimeError:  # no event loop in this thread
            return unit
        return unit if task is None or task is unit.task else None

    @contextlib.contextmanager
    def conn(self, *, write: bool = False, atomic: bool = False) -> Iterator[psycopg.Connection]:
        """The connection for a store method: the unit's, or the direct one (in one
        transaction if ``atomic``). psycopg errors come out as StoreError."""
        if self.closed:
            raise StoreError("the PostgreSQL store is closed")
        unit = self.bound()
        try:
            if unit is not None:
                if write:
                    unit.dirty = True
                yield UnitConn(unit, write)  # type: ignore[misc]  (what the methods call: execute)
                return
            with self._direct_lock:
                conn = self._direct_conn()
                if atomic:
                    with conn.transaction():
                        yield conn
                else:
                    yield conn
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: {_reason(exc)}") from exc

    @contextlib.contextmanager
    def writer(self) -> Iterator[psycopg.Connection | Deferred]:
        """For a store method that only writes (reads no result): inside a unit its
        statements wait for the unit's next round trip; outside, they run at once."""
        unit = self.bound()
        if unit is not None and not self.closed:
            unit.dirty = True
            yield Deferred(unit)
            return
        with self.conn(write=True) as conn:
            yield conn

    # -- units --------------------------------------------------------------------------
    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.pool_size)
        return slots

    @contextlib.asynccontextmanager
    async def unit(self, key: str) -> AsyncIterator[None]:
        if self.closed:
            raise StoreError("the PostgreSQL store is closed")
        held = self.bound()
        number = lock_key(key)
        if held is not None:  # a unit inside a unit: same connection, one more key
            if number in held.keys:
                yield
                return
            await self._run(self._lock, held.conn, number)
            held.keys.append(number)
            try:
                yield
            finally:
                held.keys.remove(number)
                with contextlib.suppress(psycopg.Error):
                    held.conn.execute("SELECT pg_advisory_unlock(%s)", (number,))
            return
        if not self._pool_open:
            await self._run(self._open_pool)
        async with self._semaphore():
            conn = await self._enter(number)
            unit = Unit(self, conn, [number], task=asyncio.current_task(), key=key)
            token = _current.set(unit)
            try:
                yield
            finally:
                unit.active = False
                _current.reset(token)
                self._leave(conn)  # one round trip (the locks go); a rollback if need be

    def _open_pool(self) -> None:
        """(thread) Open the pool's connections, once."""
        with self._pool_lock:
            if self._pool_open or self.closed:
                return
            try:
                self.pool.open(wait=True, timeout=10)
            except PoolTimeout as exc:
                self.pool.close()
                self.pool = ConnectionPool(
                    self.dsn, min_size=self.pool_size, max_size=self.pool_size, open=False,
                    kwargs=self._connect_kwargs, configure=_configure, reset=self._reset,
                    name="pasar-daring", timeout=30)
                raise StoreError(f"cannot connect to PostgreSQL: {_reason(exc)}") from exc
            self._pool_open = True

    async def _run(self, work: Any, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.executor, work, *args)
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: {_reason(exc)}") from exc

    def _take_now(self, number: int) -> psycopg.Connection | None:
        """The uncontended case, on the loop's thread: an idle pooled connection (there is
        one: the pool is full-sized and units are counted) and the key's lock at the first
        try; one round trip. None (nothing held) when the wait must be in a thread."""
        try:
            conn = self.pool.getconn(timeout=0.001)
        except PoolTimeout:
            return None
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (number,)).fetchone()
        except psycopg.Error:
            self._leave(conn)  # dead: the thread's path takes another
            return None
        if row is not None and row[0]:
            return conn
        self._leave(conn)
        return None

    async def _enter(self, number: int) -> psycopg.Connection:
        now = self._take_now(number)
        if now is not None:
            return now
        holder: list[psycopg.Connection] = []
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor, self._take, number, holder)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            if holder:  # stop its wait for the lock, then put it back
                with contextlib.suppress(psycopg.Error):
                    holder[0].cancel_safe(timeout=1)
            future.add_done_callback(lambda f: self._put_back_after(f, holder))
            raise
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"PostgreSQL: {_reason(exc)}") from exc

    def _put_back_after(self, future: Any, holder: list[psycopg.Connection]) -> None:
        if holder:
            self.executor.submit(self._leave, holder[0])

    def _take(self, number: int, holder: list[psycopg.Connection]) -> psycopg.Connection:
        """(thread) A pooled connection holding the key's lock. A pooled connection found
        dead (the server restarted: all of them may be) is dropped and another tried."""
        for attempt in range(self.pool_size + 1):
            conn = self.pool.getconn()
            holder.append(conn)
            try:
                self._lock(conn, number)
            except psycopg.OperationalError:
                holder.clear()
                self._leave(conn)
                if attempt == self.pool_size or not conn.broken:
                    raise
                continue
            except BaseException:
                holder.clear()
                self._leave(conn)
                raise
            return conn
        raise AssertionError("unreachable")

    @staticmethod
    def _lock(conn: psycopg.Connection, number: int) -> None:
        """(thread) Take the session lock ``number`` on ``conn``: at once if free, else wait
        for it without the lock timeout (in a unit's open transaction: only for it)."""
        number = int(number)
        row = conn.execute(f"SELECT pg_try_advisory_lock({number})").fetchone()
        if row is not None and row[0]:
            return
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute(f"SELECT set_config('lock_timeout', '0', true); "
                         f"SELECT pg_advisory_lock({number}); "
                         f"SELECT set_config('lock_timeout', '{LOCK_TIMEOUT}', true)")
            return
        try:
            conn.execute(f"SET lock_timeout = 0; SELECT pg_advisory_lock({number})")
        finally:  # after a cancelled wait too (the connection goes back to the pool)
            with contextlib.suppress(psycopg.Error):
                conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")

    def _leave(self, conn: psycopg.Connection) -> None:
        """(thread) Put it back with no transaction and no lock: with a transaction open,
        rolled back and unlocked here (`_release`, one round trip), else unlocked by the
        pool's reset in its own thread; a connection that cannot be is closed (the server
        then drops its locks) and replaced by the pool."""
        try:
            if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                self.pool.putconn(conn)  # `_reset`, later, in the pool's thread
                return
            _release(conn)
            self._released.add(conn)
        except psycopg.Error:
            with contextlib.suppress(psycopg.Error):
                conn.close()
        self.pool.putconn(conn)

    def _reset(self, conn: psycopg.Connection) -> None:
        """(the pool calls it as a connection comes back) `_release`, unless `_leave` just
        did."""
        if conn in self._released:
            self._released.discard(conn)
            return
        _release(conn)

    async def commit(self) -> None:
        """Commit the bound unit's transaction (nothing to do outside a unit)."""
        unit = self.bound()
        if unit is None:
            return
        if not unit.dirty:
            return
        unit.dirty = False
        parts = _text(unit, unit.deferred)
        unit.deferred.clear()
        await self._run(self._commit, unit.conn, parts)

    @staticmethod
    def _commit(conn: psycopg.Connection, parts: list[str]) -> None:
        """(thread) The deferred statements and the commit, in one round trip. A
        transaction a failed statement aborted is not committed (the server would
        answer COMMIT with a rollback, silently): an error."""
        status = conn.info.transaction_status
        if status == psycopg.pq.TransactionStatus.INERROR:
            raise psycopg.errors.InFailedSqlTransaction(
                "a statement of the unit failed: its transaction was rolled back")
        if status == psycopg.pq.TransactionStatus.IDLE and not parts:
            return
        done = _run_text(conn, [*parts, "COMMIT"])
        if done.statusmessage != "COMMIT":
            raise psycopg.errors.InFailedSqlTransaction(
                f"the unit's transaction ended with {done.statusmessage}, not COMMIT")

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with self._direct_lock:
            if self._direct is not None:
                self._direct.close()
        with self._pool_lock:
            if self._pool_open:
                self.pool.close()
        self.executor.shutdown(wait=False)


def _dropped(conn: psycopg.Connection) -> bool:
    """Whether the server spoke on an idle connection: it only does so to end it (no
    LISTEN here), so the socket being readable means the connection is gone. One
    non-blocking select, no round trip."""
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError, psycopg.Error):
        return True
    return bool(readable)


def _reason(exc: BaseException) -> str:
    """A short reason (the server's first line; never parameters, which hold data)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
