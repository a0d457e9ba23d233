"""Leadership: what only one process at a time may do, among the workers on one store.

Telegram hands its updates to one ``getUpdates`` caller at a time (a second one gets
409 Conflict, and the two steal updates from each other), so of several `serve` workers
exactly one polls. Webhooks need no leader: any worker takes any delivery.

A `Leadership` is asked `check()` every `every` seconds by whoever needs it (the Telegram
adapter): True means "lead now" (the lead was free and is now taken, or is still held),
False means "do not" (another process holds it, or it could not be confirmed: stop at once).

- `AlwaysLeader`: the embedded store serves one process (it holds a lock on ``data/``),
  so that process leads from the start and never asks anyone.
- `AdvisoryLeadership`: a PostgreSQL session-level advisory lock (``pg_try_advisory_lock``)
  held on a connection of its own, outside the store's pool (a pooled connection goes back
  to the pool, and the lock with it). The server releases the lock when that connection
  ends, so when the leader dies (kill -9, a crash, a machine gone: its socket closes) the
  next worker to try, within ``every`` seconds, takes over. The leader confirms its lock on
  every check (in ``pg_locks``); a check that fails or takes longer than ``timeout`` drops
  the connection and answers False, so a leader cut off from the database stops polling
  within ``every + timeout`` seconds; the server ends the session of a leader it cannot
  reach any more within ~25 s (TCP keepalives, `keepalives`), and the lock with it.

Locks use the two-key form ``(LOCK_CLASS, crc32(name))``: a space of their own, apart from
any one-key lock the store takes on conversation keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from abc import ABC, abstractmethod
from typing import Any

log = logging.getLogger(__name__)

LOCK_CLASS = 0x50415352  # "PASR": the first key of every leadership lock
EVERY = 1.0  # seconds between checks (a follower's attempts, a leader's confirmations)
TIMEOUT = 5.0  # seconds a connect or a check may take before the lead counts as lost


class Leadership(ABC):
    """Who leads ``name`` among the processes on one store."""

    every: float = EVERY

    @abstractmethod
    async def check(self) -> bool:
        """True if this process leads now (it took the lead, or still holds it); False if
        another does, or the lead could not be confirmed (then it is not held)."""

    async def release(self) -> None:
        """Give the lead up (at shutdown), so another process takes it at once."""

    @property
    def always(self) -> bool:
        """True when there is nobody to lead (one process): checks can be skipped."""
        return False


class AlwaysLeader(Leadership):
    """One process on the store: it leads."""

    async def check(self) -> bool:
        return True

    @property
    def always(self) -> bool:
        return True


def keepalives(dsn: str) -> dict[str, Any]:
    """TCP keepalives both ways on the leader's connection (over TCP; a unix socket needs
    none): the server ends the session of a leader whose machine vanished within ~25 s
    (its own keepalive settings, set for this session), which frees the lock; the leader
    notices a vanished server as soon."""
    found: dict[str, Any] = {}
    if "keepalives" not in dsn:
        found.update(keepalives=1, keepalives_idle=10, keepalives_interval=5,
                     keepalives_count=3)
    if "options" not in dsn:  # never over the operator's own
        found["options"] = ("-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5"
                            " -c tcp_keepalives_count=3")
    return found


def lock_key(name: str) -> int:
    """The second key of ``name``'s advisory lock: a signed 32-bit number."""
    value = zlib.crc32(name.encode("utf-8"))
    return value - (1 << 32) if value >= 1 << 31 else value


class AdvisoryLeadership(Leadership):
    """Leadership by a PostgreSQL session-level advisory lock on a dedicated connection."""

    def __init__(self, dsn: str, name: str, *, every: float = EVERY,
                 timeout: float = TIMEOUT) -> None:
        self.dsn = dsn
        self.name = name
        self.key = lock_key(name)
        self.every = every
        self.timeout = timeout
        self._conn: Any = None  # psycopg.AsyncConnection, autocommit
        self._held = False
        self._complained = False  # the database was unreachable: said once until it is back

    async def check(self) -> bool:
        import psycopg

        try:
            async with asyncio.timeout(self.timeout):
                if self._conn is None or self._conn.closed:
                    self._held = False
                    self._conn = await psycopg.AsyncConnection.connect(
                        self.dsn, autocommit=True, connect_timeout=max(1, int(self.timeout)),
                        application_name=f"pasar-daring leader ({self.name})"[:63],
                        **keepalives(self.dsn))
                if self._held:
                    self._held = await self._confirm()
                    if not self._held:
                        log.warning("leadership of %s: the lock is gone", self.name)
                else:
                    cursor = await self._conn.execute(
                        "SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, self.key))
                    row = await cursor.fetchone()
                    self._held = bool(row and row[0])
        except (psycopg.Error, OSError, TimeoutError) as exc:
            if self._held or not self._complained:
                log.warning("leadership of %s: the database could not be reached (%s); "
                            "not leading", self.name, type(exc).__name__)
            self._complained = True
            await self._drop()
            return False
        self._complained = False
        return self._held

    async def _confirm(self) -> bool:
        """The lock is still ours (the session is alive and holds it)."""
        cursor = await self._conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND pid = pg_backend_pid() AND classid = %s::oid"
            " AND objid = (%s::bigint & 4294967295)::oid AND objsubid = 2",
            (LOCK_CLASS, self.key))
        row = await cursor.fetchone()
        return bool(row and row[0])

    async def release(self) -> None:
        """Unlock (the next worker's try succeeds at once), then close the connection
        (which would end the lock anyway, as its session ends a moment later)."""
        if self._held and self._conn is not None and not self._conn.closed:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self.timeout):
                    await self._conn.execute("SELECT pg_advisory_unlock(%s, %s)",
                                             (LOCK_CLASS, self.key))
        await self._drop()

    async def _drop(self) -> None:
        self._held = False
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), self.timeout)


def leadership(config: dict[str, Any], name: str) -> Leadership:
    """The leadership of ``name`` for the store ``config`` names: an advisory lock on
    PostgreSQL, where several workers may share the store; otherwise this process leads."""
    storage = config.get("storage") or {}
    if storage.get("backend") == "postgres":
        return AdvisoryLeadership(str(storage.get("dsn") or ""), name)
    return AlwaysLeader()
