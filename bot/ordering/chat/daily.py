"""The daily recap: at a configured time (config ``recap.time``, default 20:00 in the
markets' time zone; ``""`` turns it off) each head of a market unit gets the day's recap
of their market, and each market-office admin the recap of every market (those who have
chatted with the bot: a messenger does not let a bot write first).

`due_recaps` builds the messages; `send_daily_recap` is the periodic job the server runs
(`App.run_jobs`). It sends at most once a day, across restarts and processes: the day's
store sequence ``recap:YYYY-MM-DD`` is taken, and the recaps queued in the outbox, in one
unit of work; only the taker sends, and a crash after that unit loses no recap (the
App's sender sends what was queued). The sequence is the day's due row: a process that
starts after the recap time on a day without a recap sends it then.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Any

from bot.messages import Reply, Text
from bot.ordering.domain.clock import ClockError, parse_clock
from bot.ordering.domain.repository import Orders
from bot.ordering.reports.report import recap_text
from bot.privacy import who

log = logging.getLogger(__name__)

DEFAULT_TIME = "20:00"


def recap_time(config: dict[str, Any]) -> time | None:
    """The configured time, or None when the daily recap is off."""
    raw = str((config.get("recap") or {}).get("time", DEFAULT_TIME) or "").strip()
    if not raw:
        return None
    try:
        return parse_clock(raw)
    except ClockError as exc:
        raise ClockError(f"recap.time: {exc}") from None


def due_recaps(app: Any, day: Any) -> list[Reply]:
    """The recap of ``day`` for every head of unit and every admin."""
    markets, store, engine = app.services.markets, app.store, app.engine
    replies: list[Reply] = []
    readers: dict[str, list[Any]] = {}
    for market in markets.markets:
        if market.head:
            readers.setdefault(market.head, []).append(market)
    for admin in sorted(app.services.admins):
        readers[admin] = list(markets.markets)
    for user, watched in readers.items():
        if store.get_session(user) is None:
            log.warning("daily recap: %s has never chatted with the bot, not sent", who(user))
            continue
        lang = engine.language_of(user)
        text = recap_text(Orders(store), watched, day, lang, engine.i18n)
        replies.append(Text(to=user, text=text))
    return replies


async def send_daily_recap(app: Any, now: float | None = None) -> int:
    """If the recap time has come and today's recap was not sent yet, send it."""
    at = recap_time(app.config)
    if at is None:
        return 0
    clock = app.engine.clock() if now is None else now
    moment = datetime.fromtimestamp(clock, app.services.markets.timezone)
    if moment.time() < at:
        return 0
    day = moment.date()
    async with app.store.unit("daily recap"):
        if app.store.next_sequence(f"recap:{day.isoformat()}") != 1:
            return 0  # already sent today (here or by another process)
        replies = due_recaps(app, day)
        queued = app.queue(replies, clock)
        await app.store.flush()
    await app.dispatch(queued)
    log.info("daily recap of %s sent to %d people", day, len(replies))
    return len(replies)
