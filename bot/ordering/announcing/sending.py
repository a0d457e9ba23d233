"""An announcement's sends: each platform at its pace, a few on the wire at once, counted;
and `announce`, for a caller that waits for the counts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.messages import Reply, split_key
from bot.ordering.announcing.audience import recipients
from bot.ordering.announcing.permission import check
from bot.ordering.announcing.plan import OPTED_OUT, Planned, plan
from bot.ordering.announcing.settings import Settings, pacers
from bot.pace import Pace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Counts:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # not sent on purpose (opted out, no template, no adapter running)
    opted_out: int = 0  # of the skipped: said ``berhenti``

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.skipped

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.sent + other.sent, self.failed + other.failed,
                      self.skipped + other.skipped, self.opted_out + other.opted_out)


async def _send(adapter: Any, reply: Reply) -> bool:
    try:
        return await adapter.send(reply) is not False
    except Exception:
        log.exception("an announcement to one %s user failed", split_key(reply.to)[0])
        return False


async def _send_channel(app: Any, channel: str, replies: list[Reply], pace: Pace,
                        in_flight: int) -> tuple[int, int, int]:
    """(sent, failed, skipped) on one platform: started at ``pace``, ``in_flight`` at once."""
    adapter = app.adapters.get(channel)
    if adapter is None:
        log.warning("announcement: no %s adapter running; %d skipped", channel, len(replies))
        return 0, 0, len(replies)
    slots = asyncio.Semaphore(in_flight)

    async def one(reply: Reply) -> bool:
        try:
            return await _send(adapter, reply)
        finally:
            slots.release()

    tasks = []
    for reply in replies:
        await slots.acquire()
        await pace.wait()
        tasks.append(asyncio.create_task(one(reply)))
    results = await asyncio.gather(*tasks)
    sent = sum(1 for ok in results if ok)
    return sent, len(results) - sent, 0


async def send_planned(app: Any, planned: list[Planned], settings: Settings,
                       paces: Mapping[str, Pace] | None = None) -> Counts:
    """Send what was planned, each platform at its pace; the counts."""
    paces = paces if paces is not None else (getattr(app, "pacers", None) or pacers(settings))
    by_channel: dict[str, list[Reply]] = {}
    for item in planned:
        if item.reply is not None:
            by_channel.setdefault(split_key(item.user)[0], []).append(item.reply)
    runs = await asyncio.gather(*(
        _send_channel(app, channel, replies, paces.get(channel) or Pace(0), settings.in_flight)
        for channel, replies in by_channel.items()))
    skipped = sum(1 for item in planned if item.reply is None)
    return Counts(sent=sum(r[0] for r in runs), failed=sum(r[1] for r in runs),
                  skipped=skipped + sum(r[2] for r in runs),
                  opted_out=sum(1 for item in planned if item.why == OPTED_OUT))


def log_counts(market_id: str, counts: Counts) -> None:
    log.info("announcement to market %s: %d sent, %d failed, %d skipped (%d opted out)",
             market_id, counts.sent, counts.failed, counts.skipped, counts.opted_out)


async def announce(app: Any, sender: str, market: str, text: str, days: float | None = None,
                   *, now: float | None = None,
                   paces: Mapping[str, Pace] | None = None) -> Counts:
    """Send ``text`` from ``sender`` to the market's residents of the last ``days`` days
    (config ``announcements.days`` when None); the counts. Raises `AnnouncementRefused`.
    Nothing is told to the sender: the caller shows the counts."""
    found, cleaned = check(app.services, sender, market, text)
    settings = Settings.of(app.config)
    now = app.engine.clock() if now is None else now
    users = recipients(app.services, app.store, settings, found.id, days, now)
    counts = await send_planned(app, plan(app, users, found, cleaned, now, settings),
                                settings, paces)
    log_counts(found.id, counts)
    return counts
