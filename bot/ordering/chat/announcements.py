"""``umumkan`` in chat (flows/coordinator.yaml): the market office or a market unit's head
chooses the market (a head's own is chosen for them), writes the text, is shown how many
residents will get it, and on "ya" it is queued as a durable ``announce`` timer, sent in
the background by the App's `Announcer`; the sender is told the counts at the end.

The sending machinery is bot/ordering/announcing/ (its package docstring says who gets
what); its public names are importable from here too, where the web office and the
tests import them: `announce`, `queue_announcement`, `reach_counts`, `check`,
`markets_for`, `AnnouncementRefused`, `Settings`, `Announcer`, `pacers`, `KIND`,
`LEASE`, `BATCH`, `MAX_TEXT`.
"""

from __future__ import annotations

import logging

from bot.engine.context import ActionFailed, Context
from bot.engine.registry import Registry
from bot.messages import Option
from bot.ordering.announcing.announcer import (
    BATCH,
    KIND,
    LEASE,
    Announcer,
    counts_text,
    queue_announcement,
    queued,
)
from bot.ordering.announcing.audience import counted, reach, reach_counts, recipients
from bot.ordering.announcing.permission import (
    MAX_TEXT,
    AnnouncementRefused,
    check,
    markets_for,
)
from bot.ordering.announcing.plan import Planned, plan
from bot.ordering.announcing.sending import Counts, announce, send_planned
from bot.ordering.announcing.settings import DEFAULTS, Settings, pacers
from bot.ordering.domain.markets import Market
from bot.ordering.understanding.commands import read_command

__all__ = [
    "BATCH", "DEFAULTS", "KIND", "LEASE", "MAX_TEXT", "AnnouncementRefused", "Announcer",
    "Counts", "Planned", "Settings", "announce", "check", "counts_text", "markets_for",
    "pacers", "plan", "queue_announcement", "reach", "reach_counts", "recipients",
    "register", "send_planned",
]

log = logging.getLogger(__name__)


def _checked(ctx: Context) -> tuple[Market, str]:
    try:
        return check(ctx.services, ctx.key, str(ctx.slots.get("announce_market") or ""),
                     str(ctx.slots.get("announce_text") or ""))
    except AnnouncementRefused as refused:
        raise ActionFailed(refused.message_id, **refused.params) from None


def wanted(ctx: Context) -> bool:
    """The message that opened the coordinator's menu says ``umumkan``."""
    command = read_command(ctx.incoming)
    return command is not None and command.verb == "announce" and not command.code


def start(ctx: Context) -> None:
    """Who may announce, and to which markets: one market is chosen for them."""
    markets = markets_for(ctx.services, ctx.key)
    for slot in ("announce_market", "announce_text"):
        ctx.slots.pop(slot, None)
    if not markets:
        ctx.services.roles.refused(ctx.key, "announce", "")
        raise ActionFailed("announce.not_allowed")
    if len(markets) == 1:
        ctx.slots["announce_market"] = markets[0].id


def market_options(ctx: Context) -> list[Option]:
    return [m.option() for m in markets_for(ctx.services, ctx.key)]


def describe(ctx: Context) -> None:
    market = ctx.services.markets.get(str(ctx.slots.get("announce_market") or ""))
    ctx.view["market"] = market.name if market else "-"


def preview(ctx: Context) -> None:
    """How many will get it, for the question before sending (what is wrong with the
    market or the text is said when it is sent)."""
    market = ctx.services.markets.get(str(ctx.slots.get("announce_market") or ""))
    settings = Settings.of(getattr(ctx.services, "config", None) or {})
    count, stopped = (counted(ctx.services, ctx.store, settings, market.id, None, ctx.now)
                      if market else (0, 0))
    ctx.view.update(market=market.name if market else "-", count=count,
                    opted_out=stopped, days=round(reach(settings, None)),
                    text=str(ctx.slots.get("announce_text") or ""))


def queue(ctx: Context) -> None:
    """``ya``: the announcement as a timer due now, durable with this answer."""
    market, text = _checked(ctx)
    timer = queued(ctx.key, market, text, ctx.now)
    ctx.set_timer(timer.name, timer.kind, timer.due, timer.payload)
    ctx.view["market"] = market.name
    log.info("an announcement to market %s is queued", market.id)


def register(registry: Registry) -> None:
    """The chat's names; the ``announce`` timer's handler is the App's `Announcer`."""
    registry.condition("announce_wanted")(wanted)
    registry.action("announce_start")(start)
    registry.options("announce_markets")(market_options)
    registry.action("announce_describe")(describe)
    registry.action("announce_preview")(preview)
    registry.action("announce_queue")(queue)
    registry.condition("announce_market_known")(
        lambda ctx: bool(ctx.slots.get("announce_market")))
    registry.condition("announce_many_markets")(
        lambda ctx: len(markets_for(ctx.services, ctx.key)) > 1
        and not ctx.slots.get("announce_market"))
