"""`PostgresStore`: sessions and orders (a `Store`) in one PostgreSQL database, shared by
every worker (see connection.py for units of work and the connections)."""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import Any, Self

import psycopg

from bot.storage.base import Queued, Record, Store, StoreError, Timer
from bot.storage.inbox import Inbox
from bot.storage.postgres import messages, orders, outbox, schema, sequences, sessions, timers
from bot.storage.postgres.connection import Connections
from bot.storage.postgres.inbox import PgInbox, Presence
from bot.storage.query import status_set


class SchemaBehind(StoreError):
    """The database lacks migrations this code needs (``main.py db upgrade``)."""


class PostgresStore(Store):
    shared = True  # every worker on the database (bot/engine/turns.py)

    def __init__(self, dsn: str, *, finished: Iterable[str] = (), pool_size: int = 10,
                 check_schema: bool = True) -> None:
        """``finished``: accepted as the other stores take it (every order is in one table
        here; nothing moves). ``check_schema``: refuse a database whose schema is behind."""
        if not dsn:
            raise StoreError("storage.dsn is empty: set it (or DATABASE_URL) to the "
                             "PostgreSQL database, like postgresql://bot:secret@localhost/pasar")
        self.finished = frozenset(finished)
        self.db = Connections(dsn, pool_size)
        self._inboxes: dict[str, PgInbox] = {}
        self._inbox_lock = threading.RLock()
        self._presence: Presence | None = None
        if check_schema:
            try:
                with self.db.conn() as conn:
                    missing = schema.pending(conn)
            except BaseException:
                self.db.close()
                raise
            if missing:
                self.db.close()
                names = ", ".join(m.label for m in missing)
                raise SchemaBehind(
                    f"the database schema is behind this version ({len(missing)} "
                    f"migration(s) not applied: {names}); run: python3 main.py db upgrade")

    # -- units and durability -------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def unit(self, key: str) -> AsyncIterator[None]:
        async with self.db.unit(key):
            yield

    async def flush(self) -> None:
        """Inside a unit: commit it (StoreError if that fails). Outside: every call was
        committed as it ran."""
        await self.db.commit()

    def flush_sync(self) -> None:
        """For the CLI: calls outside a unit are committed as they run."""

    def close(self) -> None:
        with self._inbox_lock:
            for inbox in self._inboxes.values():
                inbox.close()
            if self._presence is not None:
                self._presence.close()  # this worker's deliveries may be taken over now
        self.db.close()

    def inbox(self, channel: str) -> Inbox:
        """The ``inbox`` table's deliveries of ``channel`` (see postgres/inbox.py)."""
        with self._inbox_lock:
            if self.db.closed:
                raise StoreError("the PostgreSQL store is closed")
            if channel not in self._inboxes:
                self._inboxes[channel] = PgInbox(self.db.dsn, channel, self._present())
            return self._inboxes[channel]

    def _present(self) -> Presence:
        """This worker's presence (its lock says it is alive), opened at first need."""
        with self._inbox_lock:
            if self._presence is None:
                self._presence = Presence(self.db.dsn)
            return self._presence

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def problems(self) -> list[str]:
        found = []
        try:
            with self.db.conn() as conn:
                missing = schema.pending(conn)
                stuck = conn.execute(
                    "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND attempts >= 5"
                ).fetchone()
        except StoreError as exc:
            return [str(exc)]
        if missing:
            found.append(f"{len(missing)} migration(s) not applied: run python3 main.py db "
                         "upgrade")
        if stuck and stuck[0]:
            found.append(f"{stuck[0]} reply(ies) in the outbox failed 5 times or more and "
                         "are still being retried")
        return found

    # -- sessions -------------------------------------------------------------------------
    # inside a unit a session is read once: the unit keeps what it read or wrote (as JSON
    # text, `Unit.sessions`) until it ends; each reader gets a copy of its own
    def get_session(self, key: str) -> Record | None:
        unit = self.db.bound()
        if unit is None:
            with self.db.conn() as conn:
                return sessions.get(conn, key)
        if key not in unit.sessions:
            with self.db.conn() as conn:
                unit.sessions[key] = sessions.get_text(conn, key)
        return sessions.decode(unit.sessions[key])

    def put_session(self, key: str, session: Record) -> None:
        if not isinstance(session, dict):
            raise TypeError(f"a session is a dict, not {type(session).__name__}")
        text = sessions.encode(session)
        with self.db.writer() as conn:
            sessions.put(conn, key, session, text)
        unit = self.db.bound()
        if unit is not None:
            unit.sessions[key] = text

    def delete_session(self, key: str) -> None:
        with self.db.writer() as conn:
            sessions.delete(conn, key)
        unit = self.db.bound()
        if unit is not None:
            unit.sessions[key] = None

    def scan_sessions(self, since: float) -> Iterator[tuple[str, Record]]:
        """Read only, for reports (the office's funnel): sessions updated since ``since``."""
        with self.db.conn() as conn:
            return iter(sessions.scan(conn, since))

    def expire_sessions(self, older_than: float) -> int:
        unit = self.db.bound()
        if unit is not None:
            unit.sessions.clear()  # read again: some may be gone
        with self.db.conn(write=True) as conn:
            return sessions.expire(conn, older_than)

    # -- processed message ids --------------------------------------------------------------
    # inside a unit an id is checked once (the unit keeps the answer, and its own marks);
    # the first check also reads the unit's own session, in the same round trip: the
    # message's conversation reads it next
    def seen_message(self, channel: str, message_id: str) -> bool:
        unit = self.db.bound()
        if unit is None:
            with self.db.conn() as conn:
                return messages.seen(conn, channel, message_id)
        found = unit.seen.get((channel, message_id))
        if found is not None:
            return found
        with self.db.conn() as conn:
            if unit.key in unit.sessions:
                found = messages.seen(conn, channel, message_id)
            else:
                rows, session = conn.fetch_each(  # type: ignore[attr-defined]
                    [(messages.SEEN, (channel, message_id)), (sessions.GET_TEXT, (unit.key,))])
                found = bool(rows)
                unit.sessions[unit.key] = sessions.text_of(session)
        unit.seen[(channel, message_id)] = found
        return found

    def mark_message(self, channel: str, message_id: str, at: float) -> None:
        with self.db.writer() as conn:
            messages.mark(conn, channel, message_id, at)
        unit = self.db.bound()
        if unit is not None:
            unit.seen[(channel, message_id)] = True

    def expire_messages(self, older_than: float) -> int:
        unit = self.db.bound()
        if unit is not None:
            unit.seen.clear()
        with self.db.conn(write=True) as conn:
            return messages.expire(conn, older_than)

    # -- orders ---------------------------------------------------------------------------
    def next_sequence(self, name: str) -> int:
        with self.db.conn(write=True) as conn:
            return sequences.next_number(conn, name)

    def create_order(self, order: Record) -> Record:
        with self.db.conn(write=True, atomic=True) as conn:
            return orders.create(conn, order)

    def get_order(self, code: str) -> Record | None:
        with self.db.conn() as conn:
            return orders.get(conn, code)

    def update_order(self, code: str, changes: Record, expected_version: int) -> Record:
        with self.db.conn(write=True, atomic=True) as conn:
            return orders.update(conn, code, changes, expected_version)

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
        with self.db.conn() as conn:
            return orders.query(conn, market=market, statuses=status_set(status), since=since,
                                until=until, referral=referral, user=user)

    def query_order_fields(
        self,
        fields: Sequence[str],
        *,
        market: str | None = None,
        status: str | Iterable[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[tuple[Any, ...]]:
        with self.db.conn() as conn:
            return orders.query_fields(conn, fields, market=market, statuses=status_set(status),
                                       since=since, until=until)

    # -- the outbox -----------------------------------------------------------------------
    # a row's owner is tagged with the worker's presence number (outbox.tagged): a dead
    # worker's unsent replies are claimed at once, a live one's never by another
    def queue(self, replies: list[Record], *, owner: str, lease_until: float) -> list[int]:
        me = self._present().owner
        with self.db.conn(write=True, atomic=True) as conn:
            return outbox.queue(conn, replies, outbox.tagged(me, owner), lease_until)

    def claim_queued(self, *, owner: str, now: float, lease_until: float,
                     limit: int = 100) -> list[Queued]:
        me = self._present().owner
        with self.db.conn(write=True) as conn:
            return outbox.claim(conn, outbox.tagged(me, owner), now, lease_until, limit,
                                me=me)

    def mark_sent(self, ids: Iterable[int]) -> None:
        with self.db.writer() as conn:
            outbox.mark_sent(conn, ids)

    def retry_queued(self, item_id: int, *, at: float, error: str) -> None:
        with self.db.writer() as conn:
            outbox.retry(conn, item_id, at, error)

    def release_queued(self, ids: Iterable[int], *, at: float) -> None:
        with self.db.writer() as conn:
            outbox.release(conn, ids, at)

    def outbox_waiting(self) -> tuple[int, float | None]:
        with self.db.conn() as conn:
            return outbox.waiting(conn)

    # -- durable timers -------------------------------------------------------------------
    def set_timer(self, timer: Timer) -> None:
        with self.db.writer() as conn:
            timers.set_(conn, timer)

    def cancel_timer(self, name: str) -> None:
        with self.db.writer() as conn:
            timers.cancel(conn, name)

    def take_due_timers(self, now: float, limit: int = 100) -> list[Timer]:
        with self.db.conn(write=True) as conn:
            return timers.take_due(conn, now, limit)

    # -- shared by every worker ---------------------------------------------------------------
    def pseudonym_key(self) -> bytes:
        """The key of the users' pseudonyms in the logs (`bot.privacy`): made once (32
        random bytes) and the same for every worker and command on this database."""
        with self.db.conn() as conn:
            conn.execute("INSERT INTO meta (name, value) VALUES ('log-pseudonym-key', %s) "
                         "ON CONFLICT (name) DO NOTHING", (secrets.token_hex(32),))
            row = conn.execute("SELECT value FROM meta WHERE name = 'log-pseudonym-key'"
                               ).fetchone()
        assert row is not None
        return bytes.fromhex(row[0])

    # -- for `db copy`, `doctor` --------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        with self.db.conn() as conn:
            return {"sessions": sessions.count(conn), "orders": orders.count(conn),
                    "sequences": len(sequences.all_(conn)),
                    "outbox waiting": outbox.waiting(conn)[0]}


def connect(dsn: str) -> psycopg.Connection:
    """An autocommit connection for the `db` commands (StoreError if it cannot)."""
    try:
        return psycopg.connect(dsn, autocommit=True)
    except psycopg.Error as exc:
        from bot.storage.postgres.connection import _reason

        raise StoreError(f"cannot connect to PostgreSQL: {_reason(exc)}") from exc
