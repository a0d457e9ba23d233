"""Announcements queued durably: a timer of kind ``announce`` (set by ``umumkan`` in chat or
by `queue_announcement`), sent in the background by the App's `Announcer`, its progress
kept in that timer so that a restart resumes it; the sender is told the counts in chat."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from bot.engine.context import Context
from bot.messages import Text
from bot.ordering.announcing.audience import recipients
from bot.ordering.announcing.permission import AnnouncementRefused, check
from bot.ordering.announcing.plan import plan
from bot.ordering.announcing.sending import Counts, log_counts, send_planned
from bot.ordering.announcing.settings import Settings
from bot.ordering.domain.markets import Market
from bot.storage.base import Timer

log = logging.getLogger(__name__)

KIND = "announce"  # the durable timer that sends one
LEASE = 300.0  # seconds an announcement being sent holds its timer (renewed every batch)
BATCH = 50  # sends between two records of an announcement's progress


def queued(sender: str, market: Market, text: str, now: float,
           days: float | None = None) -> Timer:
    """The timer that sends a checked announcement, due ``now``."""
    payload: dict[str, Any] = {"sender": sender, "market": market.id, "text": text}
    if days is not None:
        payload["days"] = days
    return Timer(f"{KIND}:{sender}:{now:.3f}", KIND, now, payload)


async def queue_announcement(app: Any, sender: str, market: str, text: str,
                             days: float | None = None) -> str:
    """Check and queue an announcement as ``umumkan`` does (durable at once): the App's
    timers send it in the background, resumed after a restart, and its sender is told the
    counts in chat. Raises `AnnouncementRefused`; returns the timer's name."""
    found, cleaned = check(app.services, sender, market, text)
    timer = queued(sender, found, cleaned, app.engine.clock(), days)
    async with app.store.unit(timer.name):
        app.store.set_timer(timer)
        await app.store.flush()
    log.info("an announcement to market %s is queued", found.id)
    return timer.name


def counts_text(app: Any, user: str, market: Market | None, counts: Counts) -> str:
    lang = app.engine.language_of(user)
    return app.engine.i18n.t(lang, "announce.done", market=market.name if market else "-",
                             sent=counts.sent, failed=counts.failed, skipped=counts.skipped,
                             opted_out=counts.opted_out)


class Announcer:
    """Runs the queued announcements: its `on_timer` is the handler of the ``announce``
    timers (the App registers it, bound to itself). The sending goes on in the
    background, so the App's round of timers (and the replies it sends) does not wait for
    hundreds of paced sends; the sender is told the counts at the end.

    While it is sent the timer stays, due ``LEASE`` seconds ahead, and every ``BATCH``
    sends it is written again with who has had it and the counts so far (and its lease
    renewed). When it is done the timer is dropped. A process that dies meanwhile leaves the
    timer: it comes due when the lease runs out, at the next start or on another worker, and
    the rest is sent from there (the last batch of at most ``BATCH`` may go twice: its
    sends were not recorded yet)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.tasks: set[asyncio.Task[Counts | None]] = set()
        self.running: set[str] = set()  # timer names being sent by this process

    def on_timer(self, ctx: Context) -> None:
        timer = ctx.timer
        assert timer is not None
        payload = {**timer.payload, "at": timer.payload.get("at") or ctx.now}
        ctx.set_timer(timer.name, KIND, ctx.now + LEASE, payload)  # held while it is sent
        if timer.name in self.running:  # still being sent here: the lease is renewed
            return
        self.running.add(timer.name)
        # a context of its own: not inside the round's unit of work it was started from
        task = asyncio.create_task(self.run(timer.name, payload), context=contextvars.Context())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        task.add_done_callback(lambda _: self.running.discard(timer.name))

    async def _keep(self, name: str, payload: dict[str, Any] | None) -> None:
        """Record the progress (or, ``None``, drop the timer: done), durably."""
        store = self.app.store
        async with store.unit(name):
            if payload is None:
                store.cancel_timer(name)
            else:
                store.set_timer(Timer(name, KIND, self.app.engine.clock() + LEASE, payload))
            await store.flush()

    async def run(self, name: str, payload: Mapping[str, Any]) -> Counts | None:
        """Send one queued announcement (the part not sent yet), then tell its sender; a
        failure is logged, and its timer left to resume it after the lease."""
        try:
            return await self._run(name, payload)
        except Exception:
            log.exception("an announcement stopped; it resumes after its lease")
            return None

    async def _run(self, name: str, payload: Mapping[str, Any]) -> Counts | None:
        app = self.app
        sender = str(payload.get("sender") or "")
        market_id = str(payload.get("market") or "")
        try:
            market, text = check(app.services, sender, market_id, str(payload.get("text")
                                                                      or ""))
        except AnnouncementRefused as refused:  # the sender's role changed since
            await self._keep(name, None)
            lang = app.engine.language_of(sender)
            await app.deliver([Text(to=sender, text=app.engine.i18n.t(
                lang, refused.message_id, **refused.params))])
            return None
        settings = Settings.of(app.config)
        at = float(payload.get("at") or app.engine.clock())
        users = recipients(app.services, app.store, settings, market.id, payload.get("days"),
                           at)
        done = set(payload.get("done") or ())
        counts = Counts(**(payload.get("counts") or {}))
        todo = [user for user in users if user not in done]
        for start in range(0, len(todo), BATCH):
            batch = todo[start:start + BATCH]
            planned = plan(app, batch, market, text, app.engine.clock(), settings)
            counts = counts + await send_planned(app, planned, settings)
            done.update(batch)
            await self._keep(name, {**payload, "at": at, "done": sorted(done),
                                    "counts": asdict(counts)})
        await self._keep(name, None)
        log_counts(market.id, counts)
        await app.deliver([Text(to=sender, text=counts_text(app, sender, market, counts))])
        return counts

    async def idle(self) -> None:
        """Wait until every announcement started has been sent (tests, shutdown)."""
        while self.tasks:
            await asyncio.wait(set(self.tasks))
