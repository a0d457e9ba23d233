"""Sending what the outbox holds: right after its unit of work, and in the background.

Every reply is queued in the store's outbox in the unit of work that made it (the engine's
for a message's replies, `App.deliver`'s for replies made outside a message), and sent
once that unit is durable: a reply is never sent for a change that could still be lost,
and a crash before it went out loses none of it.

- `Sender.post` hands a unit's replies to their recipients' lines at once (this worker
  holds their lease); each line sends its replies in order and marks each sent as soon
  as it went out. `App.receive` posts and returns: the conversation's next message is
  handled while the replies to this one are on the wire (`Sender.send` waits for them).
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
- Per recipient, replies go out in queue order: one line per recipient, sent one after
  another in the order handed over, and rows claimed at start (left by a dead process)
  before any newer reply to them. The one exception is a failed send: the conversation
  goes on while it waits for its retry (a reply to the next message is not held back
  for minutes behind one the platform refused); it and the rest of its batch then go
  out in their order. Across workers the order holds as long as no send fails.
- A reply to a channel no adapter here runs (a Telegram user's, during a console chat)
  is given back to the outbox (`release_queued`), with a warning: a process that runs
  that channel sends it once the lease ends (or at its start, on an embedded store).
- A row is in one line at most: one claimed again while it still waits in a line here
  (its lease ended during a long backlog) is not added twice. On PostgreSQL another
  worker never claims a row a live worker holds (postgres/outbox.py).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import secrets
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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
    """One line per recipient: their replies, in the order they were handed over (`post`,
    `send`, `claim`), sent one after another by a task of theirs; recipients side by
    side."""

    def __init__(self, store: SessionStore, send: Send, clock: Callable[[], float],
                 owner: str | None = None,
                 reaches: Callable[[str], bool] = lambda to: True) -> None:
        """``reaches(to)``: whether this process runs the channel of recipient ``to``."""
        self.store, self._send, self.clock = store, send, clock
        self.reaches = reaches
        self._unreached: set[str] = set()  # channels warned about
        self.owner = owner or owner_name()
        # recipient -> (batch, reply, done) waiting in their line, oldest first
        self._lines: dict[str, deque[tuple[int, Outgoing, asyncio.Future[None] | None]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._batches = itertools.count(1)
        self._held: set[int] = set()  # outbox rows in the lines now (never added twice)
        self.stats = {"sent": 0, "retried": 0, "dropped": 0}

    # -- queuing (inside a unit of work) ------------------------------------------------
    def queue(self, replies: list[Reply], now: float) -> list[int]:
        """Queue ``replies`` in the outbox in the caller's unit of work, leased to this
        worker; their ids."""
        if not replies:
            return []
        return self.store.queue(records(replies), owner=self.owner, lease_until=now + LEASE)

    # -- sending ------------------------------------------------------------------------
    def post(self, items: list[Outgoing]) -> list[asyncio.Future[None]]:
        """Put these (a unit's replies, durable now) in their recipients' lines, behind
        what waits there, and start sending; futures done as each is handled."""
        loop = asyncio.get_running_loop()
        batch = next(self._batches)
        done = []
        for item in items:
            future: asyncio.Future[None] = loop.create_future()
            self._lines.setdefault(item.reply.to, deque()).append((batch, item, future))
            if item.id is not None:
                self._held.add(item.id)
            done.append(future)
        for to in dict.fromkeys(item.reply.to for item in items):  # in the order given
            self._start(to)
        return done

    async def send(self, items: list[Outgoing]) -> None:
        """`post` these and wait until each was sent (or put back, or dropped)."""
        done = self.post(items)
        if done:
            await asyncio.gather(*done)

    def claim(self, now: float | None = None, limit: int = CLAIM) -> int:
        """Claim the rows whose lease ended into their recipients' lines (sent by
        `drain_all`, or by the next `post` to the same recipient, ahead of it); how many."""
        now = self.clock() if now is None else now
        rows = self.store.claim_queued(owner=self.owner, now=now, lease_until=now + LEASE,
                                       limit=limit)
        batch = next(self._batches)
        unreadable = []
        for row in rows:
            if row.id in self._held:  # still in its line here (a long backlog): once
                continue
            item = self._read(row)
            if item is None:
                unreadable.append(row.id)
            else:
                self._held.add(row.id)
                self._lines.setdefault(item.reply.to, deque()).append((batch, item, None))
        if unreadable:
            self.store.mark_sent(unreadable)
        return len(rows)

    async def drain_all(self) -> None:
        """Send what waits in every line (recipients side by side), then return."""
        for to in list(self._lines):
            self._start(to)
        await self.idle()

    async def send_waiting(self, now: float | None = None) -> int:
        """Claim and send every reply whose lease ended; how many were claimed."""
        total = 0
        while True:
            claimed = self.claim(now)
            total += claimed
            await self.drain_all()
            if claimed < CLAIM:
                return total

    async def idle(self, timeout: float | None = None) -> bool:
        """Wait until every line is empty (False if ``timeout`` seconds passed first)."""
        loop = asyncio.get_running_loop()
        for to, worker in list(self._workers.items()):
            if worker.get_loop() is not loop:  # an ended loop's: restarted on this one
                del self._workers[to]
                self._start(to)
        deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
        while self._workers:
            left = None if deadline is None else deadline - asyncio.get_running_loop().time()
            if left is not None and left <= 0:
                return False
            _, pending = await asyncio.wait(set(self._workers.values()), timeout=left)
            if pending and deadline is not None:
                return False
        return True

    def waiting(self) -> int:
        """Replies in the lines, not sent yet."""
        return sum(len(line) for line in self._lines.values())

    # -- one recipient ------------------------------------------------------------------
    def _start(self, to: str) -> None:
        loop = asyncio.get_running_loop()
        worker = self._workers.get(to)
        # a line left by an event loop that has ended (a CLI's asyncio.run) starts again
        idle = worker is None or worker.done() or worker.get_loop() is not loop
        if idle and self._lines.get(to):
            self._workers[to] = loop.create_task(self._line(to))

    async def _line(self, to: str) -> None:
        """Send ``to``'s replies in order until their line is empty."""
        failed: dict[int, float] = {}  # batch -> the retry time of its reply that failed
        line = self._lines.get(to)
        try:
            while line:
                batch, item, done = line.popleft()
                try:
                    await self._one(item, batch, failed)
                except Exception:
                    log.exception("the outbox sender failed on a reply to %s", who(to))
                finally:
                    if item.id is not None:
                        self._held.discard(item.id)
                    if done is not None and not done.done():
                        done.set_result(None)
        finally:
            if self._lines.get(to) is line and not line:
                del self._lines[to]
            if self._workers.get(to) is asyncio.current_task():
                del self._workers[to]  # cancelled with replies left: the next post restarts

    async def _one(self, item: Outgoing, batch: int, failed: dict[int, float]) -> None:
        """Send one; ``failed``: batches of this line with a reply that failed."""
        to = item.reply.to
        now = self.clock()
        if item.id is None:
            await self._attempt(item.reply)
            return
        if batch in failed:  # an earlier reply of its batch waits for a retry: this too
            self.store.retry_queued(item.id, at=failed[batch], error="behind an earlier reply")
            return
        if not self.reaches(to):  # given back: a process running its channel sends it
            channel = to.split(":", 1)[0]
            if channel not in self._unreached:
                self._unreached.add(channel)
                log.warning("no %s adapter runs here: replies to %s users wait in the "
                            "outbox for a process that runs it", channel, channel)
            self.store.release_queued([item.id], at=now + LEASE)
            return
        error = await self._attempt(item.reply)
        if error is None:  # marked at once, before any other await: a kill between the
            # platform's accept and this mark (its answer on the way back) is the one
            # window in which a reply can go out twice (README, "Several workers")
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
        failed[batch] = at
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


__all__ = ["Answer", "Outgoing", "Sender", "backoff", "outgoing"]
