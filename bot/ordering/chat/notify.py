"""Telling the other people of an order what just happened to it.

Each message is written in its recipient's language and goes out with the replies of the
message that caused it (the engine returns them with their own ``to``). A coordinator is
told of new orders once they have chatted with the bot (a messenger does not let a bot
write first to someone who never wrote to it), or through the market's coordinators'
group when one is configured; the open-orders list always has every order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from bot.engine.context import Context
from bot.engine.inputs.phone import display_phone
from bot.messages import Menu, Option, Photo, Text
from bot.ordering.domain.events import (
    TO_ASSIGNEE,
    TO_HOLDER,
    TO_OTHER_COORDINATORS,
    TO_RESIDENT,
    Tell,
)
from bot.ordering.domain.lifecycle import Fired
from bot.ordering.domain.order import Order
from bot.ordering.domain.orders import money
from bot.ordering.reports import views

log = logging.getLogger(__name__)

Param = str | Callable[[str], str]  # a value, or how to write it in a language


def tell(ctx: Context, user: str, message_id: str, /,
         options: Iterable[tuple[str, str]] = (), **params: Param) -> None:
    """Send ``message_id`` to ``user`` in their language; ``options`` as (id, label id)."""
    i18n = ctx.engine.i18n
    lang = ctx.engine.language_of(user)
    values = {k: v(lang) if callable(v) else v for k, v in params.items()}
    text = i18n.t(lang, message_id, **values)
    buttons = tuple(Option(oid, i18n.t(lang, label)) for oid, label in options)
    ctx.send(Menu(to=user, text=text, options=buttons) if buttons else Text(to=user, text=text))


def reachable(ctx: Context, users: Iterable[str]) -> list[str]:
    """Those of ``users`` who have chatted with the bot (it may write to them)."""
    return [u for u in users if u and ctx.store.get_session(u) is not None]


def coordinators(ctx: Context, order: Order, *, except_user: str = "") -> list[str]:
    """Where a market's coordinators are told things: their group, or each of them."""
    market = ctx.services.markets.get(order.market)
    if market is None:
        return []
    if market.group:
        return [market.group]
    return [u for u in reachable(ctx, market.coordinators) if u != except_user]


def _common(ctx: Context, order: Order) -> dict[str, Param]:
    i18n, markets = ctx.engine.i18n, ctx.services.markets
    return {
        "code": order.code,
        "market": views.market_name(markets, order.market),
        "name": order.resident.name or "-",
        "address": lambda lang: views.address(order, lang, i18n),
        "items": lambda lang: views.item_lines(order, lang, i18n),
        "total": lambda lang: views.total(order, lang, i18n),
    }


def new_order(ctx: Context, order: Order) -> None:
    """A new order reaches its market's coordinators with a claim button."""
    targets = coordinators(ctx, order)
    if not targets:
        market = order.market
        # said once per market and app: a market without coordinators is a setup fact
        warned = ctx.services.unstaffed_warned
        level = logging.DEBUG if market in warned else logging.WARNING
        warned.add(market)
        log.log(level, "order %s: no coordinator of %s has chatted with the bot yet; it "
                "waits in the open orders list", order.code, market)
    i18n = ctx.engine.i18n

    def when(lang: str) -> str:
        return views.scheduled(order, lang, i18n)

    for user in targets:
        tell(ctx, user, "coord.new_order", [(f"claim:{order.code}", "coord.opt_claim")],
             when=when, **_common(ctx, order))


def _values(ctx: Context, fired: Fired) -> dict[str, Param]:
    """The values a `Tell` may name (`events.Tell.values`), besides the common ones."""
    after, i18n = fired.after, ctx.engine.i18n
    courier = after.courier
    exchange = after.exchange
    return {
        "coordinator": ctx.services.roles.display_name(ctx.key),
        "courier": courier.name if courier else "",
        "phone": display_phone(courier.phone) if courier else "",
        "cash": lambda lang: money(after.cash, lang, i18n),
        "reason": after.cancel_reason,
        "wanted": views.exchange_items(after),
        "assignee": ctx.services.roles.display_name(after.coordinator or ""),
        "payment_note": lambda lang: payment_note(after, lang, i18n),
        "refund": lambda lang: money((after.exchange.refund if after.exchange else 0) or 0,
                                     lang, i18n),
        "note": (exchange.note if exchange else "") or "-",
    }


def payment_note(order: Order, lang: str, i18n: Any) -> str:
    """What the resident is told besides the cash: what is still owed, or the discount."""
    payment = order.payment
    if payment.outstanding:
        return i18n.t(lang, "status.paid_outstanding",
                      outstanding=money(payment.outstanding, lang, i18n))
    if payment.discount:
        return i18n.t(lang, "status.paid_discount", discount=money(payment.discount, lang, i18n),
                      reason=payment.discount_reason or "-")
    return ""


def _audience(ctx: Context, fired: Fired, to: str) -> list[str]:
    if to == TO_RESIDENT:
        return [fired.after.user]
    if to == TO_OTHER_COORDINATORS:
        return coordinators(ctx, fired.after, except_user=ctx.key)
    if to == TO_HOLDER:
        holder = fired.before.coordinator
        return [holder] if holder else coordinators(ctx, fired.after)
    if to == TO_ASSIGNEE:
        return reachable(ctx, [fired.after.coordinator or ""])
    raise ValueError(f"no such audience {to!r}")  # a table with an unknown one: a bug


def changed(ctx: Context, fired: Fired) -> None:
    """After a lifecycle change by ``ctx.key``: tell whom the event's row says."""
    common = _common(ctx, fired.after)
    values = _values(ctx, fired)
    for told in fired.tells:
        if not told.sources or fired.before.status in told.sources:
            _send(ctx, fired, told, common, values)


def _send(ctx: Context, fired: Fired, told: Tell, common: dict[str, Param],
          values: dict[str, Param]) -> None:
    after = fired.after
    buttons = [(f"{told.button[0]}:{after.code}", told.button[1])] if told.button else []
    params = {**common, **{name: values[name] for name in told.values}}
    for user in _audience(ctx, fired, told.to):
        tell(ctx, user, told.message_id, buttons, **params)
        photo = after.exchange.photo if after.exchange else None
        if told.photo and photo:
            caption = ctx.engine.i18n.t(ctx.engine.language_of(user), "coord.exchange_photo",
                                        code=after.code)
            ctx.send(Photo(to=user, text=caption, media=photo))
