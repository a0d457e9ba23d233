"""The webhook inbox as a table (the contract of `bot.storage.inbox.Inbox`, shared by every
worker): a delivery answered 200 is a row until it has been handled.

`add` keeps a delivery in memory; `sync` inserts what was added, many callers sharing one
commit (`GroupCommit`, in a worker thread). `done` deletes the row at once on a connection
of its own with ``synchronous_commit`` off: as the file inbox's unsynced done lines, a
killed worker loses none (the server has them); a server crash may lose the last few,
which only hands those deliveries over again (the engine's message ids skip them).

Owner and lease: every row names the worker that added it (a number from the
``inbox_owners`` sequence), and that worker's lease lasts as long as its presence lock (a
session advisory lock held by a connection of its own) is held: while it lives, no other
worker hands its deliveries over again; once it died (its connection ended, which frees
the lock at once), every live worker looks every `TAKE_OVER_EVERY` seconds
(`take_over`, called by the adapters) and one of them takes them over; a worker that starts
takes them at once (`pending`). A lease by time would either hand over deliveries a slow
live worker is still handling, or keep a restarted worker waiting for its own.

Order: each row keeps the conversations it holds messages of (``keys``, given by the
adapter that parsed it). Before a worker handles a conversation's message it asks for
that conversation's older rows not done (`before`), whoever holds them, and handles them
first: a worker killed between its 200 and its commit leaves its message to be handled
before the conversation's next one, not after it (the engine's message ids skip what was
handled already).

Numbers are ``owner << 32 | n``: unique across workers and growing across restarts.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence

import psycopg

from bot.storage.base import StoreError
from bot.storage.groupcommit import GroupCommit
from bot.storage.inbox import TAKE_OVER_EVERY, Delivery, Inbox  # noqa: F401
from bot.storage.postgres.connection import keepalives

log = logging.getLogger(__name__)

PRESENCE = 0x70617372  # classid of the presence locks (pg_advisory_lock(PRESENCE, owner))

# the owners whose presence lock is held now (alive), read once per statement; pg_locks
# shows every database of the server, where owner numbers repeat: this one's only
LIVE = """
live AS (SELECT l.objid::bigint AS owner FROM pg_locks l
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
            AND l.classid::bigint = %(cls)s
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
"""


class Presence:
    """This worker's owner number and the lock that says it is alive. A thread checks the
    lock's connection every `CHECK` seconds and, if the server dropped it (a restart),
    takes the same lock again on a new one: the worker stays the owner of its rows."""

    CHECK = 1.0

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._stop = threading.Event()
        try:
            self.conn = psycopg.connect(dsn, autocommit=True, **keepalives(dsn))
            row = self.conn.execute("SELECT nextval('inbox_owners')").fetchone()
            assert row is not None
            self.owner = int(row[0])
            self.conn.execute("SELECT pg_advisory_lock(%s, %s)", (PRESENCE, self.owner))
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: cannot open the inbox: {type(exc).__name__}") from exc
        self._keeper = threading.Thread(target=self._keep, name="pg-presence", daemon=True)
        self._keeper.start()

    def _keep(self) -> None:
        while not self._stop.wait(self.CHECK):
            try:
                self.conn.execute("SELECT 1")
                continue
            except psycopg.Error:
                pass
            with contextlib.suppress(psycopg.Error):
                self.conn.close()
            try:
                conn = psycopg.connect(self.dsn, autocommit=True, **keepalives(self.dsn))
                conn.execute("SELECT pg_advisory_lock(%s, %s)", (PRESENCE, self.owner))
            except psycopg.Error:
                continue  # the server is not back yet: tried again at the next check
            if self._stop.is_set():
                conn.close()
                return
            self.conn = conn
            log.warning("the connection saying this worker is alive was lost and is back")

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(psycopg.Error):
            self.conn.close()


CLAIM = "WITH" + LIVE + """
UPDATE inbox SET owner = %(me)s
 WHERE channel = %(channel)s AND owner <> %(me)s
   AND owner NOT IN (SELECT owner FROM live)
RETURNING number, body, arrival
"""

BEFORE = """
SELECT number, body FROM inbox
 WHERE channel = %(channel)s AND keys @> ARRAY[%(key)s]::text[] AND number <> %(number)s
   AND arrival < coalesce((SELECT arrival FROM inbox WHERE number = %(number)s),
                          9223372036854775807)
 ORDER BY arrival
"""


class PgInbox(Inbox):
    """`Inbox` on the ``inbox`` table (every public method is this class's own)."""

    def __init__(self, dsn: str, channel: str, presence: Presence) -> None:
        self.channel = channel
        self.path = None
        self._presence = presence  # alive as long as this inbox is
        self._owner = presence.owner
        self._lock = threading.Lock()
        self._fast_lock = threading.Lock()  # the done marks' connection, used by threads too
        self._counter = 0
        self._buffer: list[tuple[int, bytes, list[str]]] = []  # added, not yet inserted
        self._inflight: set[int] = set()  # being inserted by a round now
        self._done_early: set[int] = set()  # done while in flight: deleted by the round
        self._open: set[int] = set()
        self._closed = False
        self._commit = GroupCommit(self._write_round)
        try:
            self._dsn = dsn
            self._writer = self._connect(fast=False)
            self._fast = self._connect(fast=True)
            rows = self._fast.execute(CLAIM, {"me": self._owner, "channel": channel,
                                              "cls": PRESENCE}).fetchall()
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: cannot open the inbox: {type(exc).__name__}") from exc
        rows.sort(key=lambda row: row[2])  # arrival order
        self._left = [Delivery(int(n), bytes(body)) for n, body, _ in rows]
        self._open = {d.number for d in self._left}
        if self._left:
            log.info("inbox %s: %d delivery(ies) left by a worker that stopped, to handle",
                     channel, len(self._left))

    def _connect(self, *, fast: bool) -> psycopg.Connection:
        """The round's connection (``fast=False``: commits wait for the WAL sync), or the
        one for done marks (autocommit, ``synchronous_commit`` off)."""
        conn = psycopg.connect(self._dsn, autocommit=fast, **keepalives(self._dsn))
        if fast:
            conn.execute("SET synchronous_commit = off")
        return conn

    # -- what adapters call -----------------------------------------------------------
    def pending(self) -> list[Delivery]:
        with self._lock:
            return [d for d in self._left if d.number in self._open]

    def add(self, body: bytes, keys: Sequence[str] = ()) -> int:
        with self._lock:
            if self._closed:
                raise StoreError("the inbox is closed")
            self._counter += 1
            number = (self._owner << 32) | self._counter
            self._buffer.append((number, bytes(body), [str(k) for k in keys]))
            self._open.add(number)
            self._commit.changed += 1
            return number

    async def sync(self) -> None:
        await self._commit.flush()

    def _write_round(self) -> None:
        """(thread) Insert what was added, in one transaction, synchronously committed."""
        with self._lock:
            if self._closed:
                raise StoreError("the inbox is closed")
            target = self._commit.changed
            rows, self._buffer = self._buffer, []
            self._inflight = {n for n, _, _ in rows}
        with self._lock:
            early, self._done_early = self._done_early, set()
        try:
            for attempt in (1, 2):  # a connection the server dropped is replaced, once
                if self._writer.closed or self._writer.broken:
                    self._writer = self._connect(fast=False)
                try:
                    self._insert(rows, early)
                    break
                except psycopg.OperationalError:
                    if attempt == 2 or not self._writer.broken:
                        raise
        except psycopg.Error as exc:
            with contextlib.suppress(psycopg.Error):
                self._writer.rollback()
            with self._lock:  # tried again by the next round
                self._buffer[:0] = [row for row in rows if row[0] in self._open]
                self._commit.changed += 1
                self._inflight = set()
            raise StoreError(f"cannot write the {self.channel} inbox: "
                             f"{type(exc).__name__}") from exc
        with self._lock:
            self._inflight = set()
            inserted = {n for n, _, _ in rows}
            late = {n for n in self._done_early if n in inserted}
            self._done_early -= late
        if late:  # done while this round inserted them: deleted now, not at a next round
            try:  # (there may be none: the row stayed until a restart handed it over)
                self._on_fast("DELETE FROM inbox WHERE number = ANY(%(n)s)", {"n": sorted(late)})
            except psycopg.Error as exc:
                log.warning("inbox %s: a done mark was not written (%s)", self.channel,
                            type(exc).__name__)
        self._commit.note_durable(target)

    def _insert(self, rows: list[tuple[int, bytes, list[str]]], early: set[int]) -> None:
        with self._writer.cursor() as cur:
            cur.executemany(
                "INSERT INTO inbox (number, channel, body, owner, keys) "
                "VALUES (%s, %s, %s, %s, %s)",
                [(n, self.channel, body, self._owner, keys) for n, body, keys in rows])
            if early:  # done while being inserted
                cur.execute("DELETE FROM inbox WHERE number = ANY(%s)", (sorted(early),))
        self._writer.commit()

    def done(self, number: int) -> None:
        with self._lock:
            if number not in self._open or self._closed:
                return
            self._open.discard(number)
            unsynced = [item for item in self._buffer if item[0] == number]
            if unsynced:
                self._buffer.remove(unsynced[0])
                return
            if number in self._inflight:
                self._done_early.add(number)
                return
        try:
            self._on_fast("DELETE FROM inbox WHERE number = %(n)s", {"n": number})
        except psycopg.Error as exc:  # handed over again at a start: the engine skips it
            log.warning("inbox %s: a done mark was not written (%s)", self.channel,
                        type(exc).__name__)

    def _on_fast(self, query: str, params: dict[str, object]) -> list[tuple[object, ...]]:
        """Run ``query`` on the done marks' connection (replaced once if the server
        dropped it); its rows, if it returns any."""
        with self._fast_lock:
            for attempt in (1, 2):
                if self._fast.closed or self._fast.broken:
                    self._fast = self._connect(fast=True)
                try:
                    cur = self._fast.execute(query, params)  # type: ignore[arg-type]
                    return cur.fetchall() if cur.description is not None else []
                except psycopg.OperationalError:
                    if attempt == 2 or not self._fast.broken:
                        raise
        raise AssertionError("unreachable")

    def take_over(self) -> list[Delivery]:
        """(any thread) The rows of this channel whose worker died since the last look,
        now this worker's, in arrival order."""
        with self._lock:
            if self._closed:
                return []
        try:
            rows = self._on_fast(CLAIM, {"me": self._owner, "channel": self.channel,
                                         "cls": PRESENCE})
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: cannot take over deliveries: "
                             f"{type(exc).__name__}") from exc
        rows.sort(key=lambda row: int(row[2]))  # type: ignore[call-overload]
        taken = [Delivery(int(n), bytes(body)) for n, body, _ in rows]  # type: ignore[call-overload,arg-type]
        with self._lock:
            self._open.update(d.number for d in taken)
        if taken:
            log.info("inbox %s: %d delivery(ies) of a worker that died taken over",
                     self.channel, len(taken))
        return taken

    def before(self, key: str, number: int) -> list[Delivery]:
        with self._lock:
            if self._closed:
                return []
        try:
            rows = self._on_fast(BEFORE, {"channel": self.channel, "key": key,
                                          "number": number})
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: cannot read the inbox: "
                             f"{type(exc).__name__}") from exc
        return [Delivery(int(n), bytes(body)) for n, body in rows]  # type: ignore[call-overload,arg-type]

    def waiting(self) -> int:
        with self._lock:
            return len(self._open)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for conn in (self._writer, self._fast):
            with contextlib.suppress(psycopg.Error):
                conn.close()
