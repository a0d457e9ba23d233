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

from bot.engine.context import Context
from bot.engine.inputs.phone import display_phone
from bot.messages import Menu, Option, Photo, Text
from bot.ordering.domain.orders import money
from bot.ordering.reports import views
from bot.storage.base import Record

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


def coordinators(ctx: Context, order: Record, *, except_user: str = "") -> list[str]:
    """Where a market's coordinators are told things: their group, or each of them."""
    market = ctx.services.markets.get(order.get("market", ""))
    if market is None:
        return []
    if market.group:
        return [market.group]
    return [u for u in reachable(ctx, market.coordinators) if u != except_user]


def _common(ctx: Context, order: Record) -> dict[str, Param]:
    i18n, markets = ctx.engine.i18n, ctx.services.markets
    return {
        "code": order["code"],
        "market": views.market_name(markets, order.get("market", "")),
        "name": (order.get("resident") or {}).get("name") or "-",
        "address": lambda lang: views.address(order, lang, i18n),
        "items": lambda lang: views.item_lines(order, lang, i18n),
        "total": lambda lang: views.total(order, lang, i18n),
    }


def new_order(ctx: Context, order: Record) -> None:
    """A new order reaches its market's coordinators with a claim button."""
    targets = coordinators(ctx, order)
    if not targets:
        market = order.get("market", "")
        # said once per market and app: a market without coordinators is a setup fact
        warned = ctx.services.unstaffed_warned
        level = logging.DEBUG if market in warned else logging.WARNING
        warned.add(market)
        log.log(level, "order %s: no coordinator of %s has chatted with the bot yet; it "
                "waits in the open orders list", order["code"], market)
    i18n = ctx.engine.i18n

    def when(lang: str) -> str:
        return views.scheduled(order, lang, i18n)

    for user in targets:
        tell(ctx, user, "coord.new_order", [(f"claim:{order['code']}", "coord.opt_claim")],
             when=when, **_common(ctx, order))


def changed(ctx: Context, before: Record, after: Record, event: str) -> None:
    """After a lifecycle change by ``ctx.key``: tell the resident and the coordinators."""
    roles, i18n = ctx.services.roles, ctx.engine.i18n
    params = _common(ctx, after)
    resident, code = after.get("user", ""), after["code"]
    by_name = roles.display_name(ctx.key)
    if event == "claim":
        tell(ctx, resident, "status.note_claimed", coordinator=by_name, **params)
        for user in coordinators(ctx, after, except_user=ctx.key):
            tell(ctx, user, "coord.claimed_by_other", coordinator=by_name, code=code)
    elif event == "start_shopping":
        tell(ctx, resident, "status.note_shopping", coordinator=by_name, **params)
    elif event == "record_prices":
        tell(ctx, resident, "status.note_priced", **params)
    elif event == "send_courier":
        courier = after.get("courier") or {}
        tell(ctx, resident, "status.note_on_the_way", courier=courier.get("name", ""),
             phone=display_phone(courier.get("phone", "")), **params)
    elif event == "deliver":
        tell(ctx, resident, "status.note_delivered", [(f"report:{code}", "status.opt_report")],
             **params)
    elif event == "pay":
        tell(ctx, resident, "status.note_paid",
             cash=lambda lang: money(after.get("cash"), lang, i18n), **params)
    elif event == "finish_exchange":
        tell(ctx, resident, "status.note_exchanged", **params)
    elif event == "cancel_by_coordinator":
        tell(ctx, resident, "status.note_cancelled", reason=after.get("cancel_reason", ""),
             **params)
    elif event == "cancel_by_resident":
        holder = before.get("coordinator")
        for user in [holder] if holder else coordinators(ctx, after):
            tell(ctx, user, "coord.cancelled_by_resident", **params)
    elif event == "request_exchange":
        exchange_task(ctx, after)


def exchange_task(ctx: Context, order: Record) -> None:
    """The coordinator who delivered the order gets the complaint, and the photo if any."""
    exchange = order.get("exchange") or {}
    holder = order.get("coordinator")
    targets = [holder] if holder else coordinators(ctx, order)
    params = _common(ctx, order)
    for user in targets:
        tell(ctx, user, "coord.exchange_task", [(f"view:{order['code']}", "coord.opt_view")],
             wanted=views.exchange_items(order), note=exchange.get("note") or "-", **params)
        if exchange.get("photo"):
            caption = ctx.engine.i18n.t(ctx.engine.language_of(user), "coord.exchange_photo",
                                        code=order["code"])
            ctx.send(Photo(to=user, text=caption, media=str(exchange["photo"])))
