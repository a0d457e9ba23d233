"""Sending what the outbox holds: right after its unit of work, and in the background.

Every reply is queued in the store's outbox in the unit of work that made it (the engine's
for a message's replies, `App.deliver`'s for replies made outside a message), and sent
once that unit is durable: a reply is never sent for a change that could still be lost,
and a crash before it went out loses none of it.

- `Sender.send` sends a unit's replies at once (this worker holds their lease), in order,
  and marks each sent as soon as it went out.
- A reply whose send failed (the adapter said False, or raised) is put back with a retry
  time, after ``2, 4, 8 ... BACKOFF_MAX`` seconds (attempt by attempt), and so are the
  replies after it to the same person in that batch (they go out after it, in order);
  after `GIVE_UP_AFTER` attempts it is dropped and logged. The platforms' own rate-limit waits
  (Telegram's 429, WhatsApp's 130429 / 131056) are honoured by the adapters, which retry
  those themselves before they give up on a send (bot/adapters/*send*).
- The background loop (`run`, started by `main.py serve` and the chat paths) claims the
  rows whose lease ended: a dead worker's, a failed send's once its retry time came, and
  after a restart of an embedded store every row (no lease survives a restart there) and
  sends them. Claims are leases: two workers never hold one row at once.
- Per recipient, replies go out in queue order: a recipient's replies are sent under a
  lock of theirs, one after another, and rows claimed earlier (left by a dead process)
  before any newer reply to them. The one exception is a failed send: the conversation
  goes on while it waits for its retry (a reply to the next message is not held back
  for minutes behind one the platform refused); it and the rest of its batch then go
  out in their order. Across workers the order holds as long as no send fails.
- A reply to a channel no adapter here runs is dropped with a warning (as before the
  outbox), so a console chat does not leave Telegram replies waiting for days.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass

from bot.engine.locks import KeyLocks
from bot.engine.unsent import Answer, records, reply_of
from bot.messages import Reply
from bot.privacy import who
from bot.storage.base import Queued, SessionStore

log = logging.getLogger(__name__)

LEASE = 120.0  # seconds a worker holds the replies it queued or claimed before others may
SEND_EVERY = 1.0  # seconds between the background sender's looks at the outbox
CLAIM = 200  # rows claimed at a time
BACKOFF_FIRST = 2.0
BACKOFF_MAX = 900.0
GIVE_UP_AFTER = 12  # attempts: about 45 minutes of retries

Send = Callable[[Reply], Awaitable["bool | None"]]  # False: not sent (retry); else sent


def backoff(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones (1, 2, ...)."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def owner_name() -> str:
    """This process among the workers on one store (no personal data)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Outgoing:
    """A reply to send; ``id`` its outbox row (None: not queued, e.g. the apology when
    the store could not write), ``attempts`` the failed sends before."""

    id: int | None
    reply: Reply
    attempts: int = 0


def outgoing(answer: list[Reply]) -> list[Outgoing]:
    """The replies of an `Answer` (or a plain list: not queued) with their rows."""
    queued = getattr(answer, "queued", None) or []
    if len(queued) != len(answer):
        queued = [None] * len(answer)
    return [Outgoing(number, reply) for number, reply in zip(queued, answer, strict=True)]


class Sender:
    def __init__(self, store: SessionStore, send: Send, clock: Callable[[], float],
                 owner: str | None = None) -> None:
        self.store, self._send, self.clock = store, send, clock
        self.owner = owner or owner_name()
        self._lines = KeyLocks()  # one per recipient: their replies go out in order
        self._backlog: dict[str, list[Outgoing]] = {}  # claimed, not sent yet
        self.stats = {"sent": 0, "retried": 0, "dropped": 0}

    # -- queuing (inside a unit of work) ------------------------------------------------
    def queue(self, replies: list[Reply], now: float) -> list[int]:
        """Queue ``replies`` in the outbox in the caller's unit of work, leased to this
        worker; their ids."""
        if not replies:
            return []
        return self.store.queue(records(replies), owner=self.owner, lease_until=now + LEASE)

    # -- sending ------------------------------------------------------------------------
    async def send(self, items: list[Outgoing]) -> None:
        """Send these (a unit's replies, durable now), in order; each recipient's claimed
        earlier rows go first."""
        failed: dict[str, float] = {}  # recipient -> the retry time of a reply that failed
        for item in items:
            to = item.reply.to
            async with self._lines.hold(to):
                await self._drain(to)
                await self._one(item, failed)

    def claim(self, now: float | None = None, limit: int = CLAIM) -> int:
        """Claim the rows whose lease ended into the backlog (sent by `drain_all`, or
        ahead of a newer reply to the same recipient); how many."""
        now = self.clock() if now is None else now
        rows = self.store.claim_queued(owner=self.owner, now=now, lease_until=now + LEASE,
                                       limit=limit)
        unreadable = []
        for row in rows:
            item = self._read(row)
            if item is None:
                unreadable.append(row.id)
            else:
                self._backlog.setdefault(item.reply.to, []).append(item)
        if unreadable:
            self.store.mark_sent(unreadable)
        return len(rows)

    async def drain_all(self) -> None:
        """Send the backlog: recipients side by side, each one's replies in order."""
        async def line(to: str) -> None:
            async with self._lines.hold(to):
                await self._drain(to)

        if self._backlog:
            await asyncio.gather(*(line(to) for to in list(self._backlog)))

    async def send_waiting(self, now: float | None = None) -> int:
        """Claim and send every reply whose lease ended; how many were claimed."""
        total = 0
        while True:
            claimed = self.claim(now)
            total += claimed
            await self.drain_all()
            if claimed < CLAIM:
                return total

    def waiting(self) -> int:
        """Replies claimed here and not sent yet."""
        return sum(len(items) for items in self._backlog.values())

    # -- one recipient ------------------------------------------------------------------
    async def _drain(self, to: str) -> None:
        """Send the claimed rows of ``to`` (call holding their line)."""
        items = self._backlog.pop(to, None)
        failed: dict[str, float] = {}
        while items:
            await self._one(items.pop(0), failed)

    async def _one(self, item: Outgoing, failed: dict[str, float]) -> None:
        """Send one; ``failed``: recipients of this batch whose earlier reply failed."""
        to = item.reply.to
        now = self.clock()
        if item.id is None:
            await self._attempt(item.reply)
            return
        if to in failed:  # an earlier reply of this batch waits for its retry: this too
            self.store.retry_queued(item.id, at=failed[to], error="behind an earlier reply")
            return
        error = await self._attempt(item.reply)
        if error is None:
            self.store.mark_sent([item.id])
            self.stats["sent"] += 1
            return
        attempts = item.attempts + 1
        if attempts >= GIVE_UP_AFTER:
            log.error("a reply to %s was dropped after %d failed sends (%s)", who(to),
                      attempts, error)
            self.store.mark_sent([item.id])
            self.stats["dropped"] += 1
            return
        at = now + backoff(attempts)
        failed[to] = at
        self.store.retry_queued(item.id, at=at, error=error)
        self.stats["retried"] += 1
        log.warning("a reply to %s was not sent (%s); tried again in %.0f s", who(to), error,
                    at - now)

    async def _attempt(self, reply: Reply) -> str | None:
        """Send one reply; None when it went, else why not (short, no personal data)."""
        try:
            outcome = await self._send(reply)
        except Exception as exc:
            log.exception("sending a reply to %s failed", who(reply.to))
            return type(exc).__name__
        return "not sent" if outcome is False else None

    @staticmethod
    def _read(row: Queued) -> Outgoing | None:
        reply = reply_of(row.reply)
        return None if reply is None else Outgoing(row.id, reply, row.attempts)


# Until the adapters' working copies drop it (helpers editing them now): what an adapter
# set before the outbox; nothing reads it any more.
replies_sent: ContextVar[Callable[[int], None] | None] = ContextVar("replies_sent",
                                                                    default=None)

__all__ = ["Answer", "Outgoing", "Sender", "backoff", "outgoing"]
