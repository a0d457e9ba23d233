"""Market hours: an order placed while its market is closed is taken for the next opening,
and the resident is told plainly when that is. Then the coordinators hear of it."""

from __future__ import annotations

from datetime import datetime, time

from bot.engine.context import Context
from bot.i18n import long_date
from bot.ordering.chat import notify
from bot.ordering.domain.markets import Market
from bot.ordering.domain.order import Order


def hhmm(moment: datetime | time) -> str:
    """``05.00``: how Indonesians write a time of day."""
    return moment.strftime("%H.%M")


def schedule(order: Order, market: Market, moment: datetime) -> Order:
    """``order`` marked for the market's next opening when ``moment`` is outside its hours."""
    if market.is_open_at(moment):
        return order
    return order.evolve(scheduled_for=market.next_opening(moment).isoformat(timespec="minutes"))


def when_text(ctx: Context, order: Order, moment: datetime) -> str:
    opening = datetime.fromisoformat(order.scheduled_for or "")
    day = long_date(opening, ctx.engine.i18n.locale(ctx.lang))
    if opening.date() == moment.date():
        return ctx.t("hours.today", time=hhmm(opening))
    return ctx.t("hours.on_day", day=day, time=hhmm(opening))


def after_placed(ctx: Context, order: Order, market: Market, moment: datetime) -> None:
    """Tell the coordinators; tell the resident when a closed market will shop it (said
    last, so it joins the confirmation in one message)."""
    notify.new_order(ctx, order)
    if order.scheduled_for:
        ready = moment.time() < market.opens
        ctx.say("hours.not_yet_open" if ready else "hours.closed_now", market=market.name,
                opens=hhmm(market.opens), closes=hhmm(market.closes),
                when=when_text(ctx, order, moment))
