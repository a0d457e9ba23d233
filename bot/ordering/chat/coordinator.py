"""The coordinator's side: the names flows/coordinator.yaml uses.

A coordinator's menu lists the open orders of their market and their own orders; an order
shows what can be done with it next (claim, start shopping, record prices, courier,
delivered, paid, exchange done, cancel), computed from the lifecycle and the roles. Every
change goes through `lifecycle.change` and tells the others (`notify.changed`).

`register` also registers the rest of the other side of the order: the main menu's
routing, the resident's follow-up (status, cancel, exchange) and referral links.
"""

from __future__ import annotations

from typing import Any

from bot.engine.context import ActionFailed, Context
from bot.engine.registry import Registry
from bot.messages import Option
from bot.ordering.chat import (
    escalation,
    follow,
    links,
    payments,
    routing,
    substitutes,
    thread,
)
from bot.ordering.chat.changes import act, current, lifecycle, now, orders
from bot.ordering.domain.events import Offer
from bot.ordering.domain.lifecycle import Lifecycle
from bot.ordering.domain.order import Order
from bot.ordering.domain.orders import money, status_label
from bot.ordering.domain.roles import Refused, Roles
from bot.ordering.reports import views
from bot.ordering.reports.report import recap_text
from bot.ordering.understanding.commands import CommandKind, MenuKind, YesNoKind, read_command
from bot.ordering.understanding.courier import PHONE_SLOT, CourierKind
from bot.ordering.understanding.pricing import ItemPriceKind, RupiahKind

OPEN = ("new",)
MAX_LISTED = 10


def _roles(ctx: Context) -> Roles:
    return ctx.services.roles


def offers(machine: Lifecycle, roles: Roles, user: str, order: Order) -> list[Offer]:
    """What the order's menu offers ``user``, from the event table: each event allowed from
    the order's status whose row has an offer, that ``user`` may fire, and whose needs the
    order already meets (no courier before the prices). A question, not an attempt:
    nothing is logged."""
    found = []
    for name in machine.allowed_events(order.status):
        event = machine.events[name]
        if event.offer is None or not roles.allows(user, event, order):
            continue
        if "priced" in event.needs and order.total is None:
            continue
        found.append(event.offer)
    return found


# -- opening an order ----------------------------------------------------------------
def open_order(ctx: Context) -> None:
    code = str(ctx.slots.get("code") or "")
    order = current(ctx)
    if order is None:
        raise ActionFailed("coord.no_such_order", code=code)
    if not _roles(ctx).can_view(ctx.key, order):
        _roles(ctx).refused(ctx.key, "view", code)
        market = views.market_name(ctx.services.markets, order.market)
        raise ActionFailed("coord.not_your_market", code=code, market=market)


def claim_order(ctx: Context) -> None:
    act(ctx, "claim")
    ctx.say("coord.claimed", code=ctx.slots["code"])


def intake(ctx: Context) -> None:
    """The message that opened the coordinator's flow may already ask for something."""
    ctx.slots.pop("code", None)
    command = read_command(ctx.incoming)
    if command is None:
        thread.coordinator_reply_intake(ctx)  # a plain answer to a resident, if it is one
        return
    if command.verb == "recap":
        ctx.slots["wants"] = "recap"
    if not command.code:
        return
    ctx.slots["code"] = command.code
    try:
        open_order(ctx)
        if command.verb == "claim":
            claim_order(ctx)
        elif command.verb == "assign":
            ctx.slots["wants"] = "assign"
        elif command.verb == "talk":  # a relayed message's reply button
            thread.wants(ctx)
    except ActionFailed as failed:
        ctx.say(failed.message_id, **failed.params)
        if failed.message_id in ("coord.no_such_order", "coord.not_your_market"):
            ctx.slots.pop("code", None)


def show_order(ctx: Context) -> None:
    order = current(ctx)
    if order is None:
        ctx.slots["order_text"] = ""
        return
    i18n, markets = ctx.engine.i18n, ctx.services.markets
    ctx.slots["order_text"] = views.card(order, markets, ctx.lang, i18n,
                                         _roles(ctx).display_name)
    ctx.slots["total"] = order.total
    ctx.slots["total_text"] = views.total(order, ctx.lang, i18n)


def order_actions(ctx: Context) -> list[Option]:
    order = current(ctx)
    found = offers(lifecycle(ctx), _roles(ctx), ctx.key, order) if order else []
    options = [Option(offer.answer, ctx.t(offer.label)) for offer in found]
    options += thread.card_option(ctx, order, "thread.opt_to_resident")
    return [*options, Option("home", ctx.t("coord.opt_home"))]


# -- the menu and the lists ------------------------------------------------------------
def _watched(ctx: Context, statuses: tuple[str, ...] | None = None) -> list[Order]:
    found: list[Order] = []
    for market in _roles(ctx).watched_markets(ctx.key):
        found += orders(ctx).query(market=market.id, status=statuses)
    return found


def _mine(ctx: Context) -> list[Order]:
    finished = lifecycle(ctx).statuses.finished
    return [o for o in _watched(ctx) if o.coordinator == ctx.key and o.status not in finished]


def home_counts(ctx: Context) -> None:
    roles = _roles(ctx)
    ctx.slots.pop("code", None)
    ctx.slots.pop("wants", None)
    names = [m.name for m in roles.watched_markets(ctx.key)]
    shown = names if len(names) <= 3 else [*names[:3], "…"]
    ctx.slots["markets_text"] = ", ".join(shown) or "-"
    ctx.slots["staff_name"] = roles.display_name(ctx.key)
    ctx.slots["open_count"] = len(_watched(ctx, OPEN))
    ctx.slots["mine_count"] = len(_mine(ctx))


def home_options(ctx: Context) -> list[Option]:
    roles = _roles(ctx)
    options = []
    if roles.is_coordinator(ctx.key):
        options.append(Option("open", ctx.t("coord.opt_open", count=len(_watched(ctx, OPEN)))))
        options.append(Option("mine", ctx.t("coord.opt_mine", count=len(_mine(ctx)))))
    if roles.recap_markets(ctx.key) or roles.is_coordinator(ctx.key):
        options.append(Option("recap", ctx.t("coord.opt_recap")))
    if not roles.is_coordinator(ctx.key):
        options.append(Option("open", ctx.t("coord.opt_open", count=len(_watched(ctx, OPEN)))))
    options.append(Option("find", ctx.t("coord.opt_find")))
    if roles.recap_markets(ctx.key):  # heads of unit and the office: `umumkan`
        options.append(Option("announce", ctx.t("announce.opt_menu")))
    return options


def _listed(ctx: Context, found: list[Order]) -> list[Option]:
    options = []
    for order in found[:MAX_LISTED]:
        label = f"{order.code} {order.resident.name}"[:24].strip()
        options.append(Option(f"view:{order.code}", label,
                              status_label(ctx.engine.i18n, ctx.lang, order.status)))
    return [*options, Option("home", ctx.t("coord.opt_home"))]


def _list_text(ctx: Context, found: list[Order], empty: str) -> str:
    if not found:
        return ctx.t(empty)
    i18n, markets = ctx.engine.i18n, ctx.services.markets
    lines = [views.list_line(o, markets, ctx.lang, i18n) for o in found[:MAX_LISTED]]
    if len(found) > MAX_LISTED:
        lines.append(ctx.t("coord.list_more", count=len(found) - MAX_LISTED))
    return "\n".join(lines)


def list_open(ctx: Context) -> None:
    ctx.slots["orders_text"] = _list_text(ctx, _watched(ctx, OPEN), "coord.no_open_orders")


def list_mine(ctx: Context) -> None:
    ctx.slots["orders_text"] = _list_text(ctx, _mine(ctx), "coord.no_orders_of_mine")


def build_recap(ctx: Context) -> None:
    markets = _roles(ctx).watched_markets(ctx.key)
    ctx.slots["recap_text"] = recap_text(orders(ctx), markets, now(ctx).date(), ctx.lang,
                                         ctx.engine.i18n)


# -- moving an order on -----------------------------------------------------------------
def begin_prices(ctx: Context) -> None:
    order = current(ctx)
    if order is None:
        raise ActionFailed("coord.no_such_order", code=str(ctx.slots.get("code") or ""))
    try:
        _roles(ctx).check(ctx.key, "record_prices", order)  # an attempt: a refusal is logged
    except Refused as refused:
        raise ActionFailed(refused.message_id, **refused.params) from None
    if "record_prices" not in lifecycle(ctx).allowed_events(order.status):
        raise ActionFailed("coord.illegal_change", code=order.code,
                           status=status_label(ctx.engine.i18n, ctx.lang, order.status))
    ctx.slots["prices"] = []
    ctx.slots["item_count"] = len(order.items)


def price_prompt(ctx: Context) -> None:
    order = current(ctx)
    items = order.items if order else ()
    index = len(ctx.slots.get("prices") or [])
    ctx.slots["item_no"] = index + 1
    ctx.slots["item_count"] = len(items)
    ctx.slots["item_text"] = views.item_text(items[index]) if index < len(items) else ""


def take_price(ctx: Context) -> None:
    prices = ctx.slots.get("prices") or []
    price = ctx.slots.get("price")
    order = current(ctx)
    if order is not None and len(prices) < len(order.items) and isinstance(price, dict):
        item, amount = order.items[len(prices)], price.get("price")
        if item.budget and isinstance(amount, int) and amount > item.budget:
            # the resident named a budget for this item: the coordinator sees it is passed
            i18n = ctx.engine.i18n
            ctx.say("coord.over_budget", item=views.item_text(item),
                    price=money(amount, ctx.lang, i18n), budget=money(item.budget, ctx.lang,
                                                                      i18n))
    ctx.slots["prices"] = [*prices, price]


def prices_left(ctx: Context) -> bool:
    return len(ctx.slots.get("prices") or []) < int(ctx.slots.get("item_count") or 0)


def save_prices(ctx: Context) -> None:
    order = act(ctx, "record_prices", prices=ctx.slots.get("prices") or [],
                ask_substitutes=substitutes.asks(ctx),
                cap_substitutes=substitutes.capped(ctx))
    ctx.say("coord.prices_saved", code=order.code,
            total=views.total(order, ctx.lang, ctx.engine.i18n))
    substitutes.ask_resident(ctx, order)


def _fire(event: str, **from_slots: str | tuple[str, str]) -> Any:
    """An action firing ``event`` with data taken from slots (a pair: name and phone)."""

    def action(ctx: Context) -> None:
        data: dict[str, Any] = {}
        for key, slot in from_slots.items():
            if isinstance(slot, tuple):
                data[key] = {"name": ctx.slots.get(slot[0]), "phone": ctx.slots.get(slot[1])}
            else:
                data[key] = ctx.slots.get(slot)
        order = act(ctx, event, **data)
        ctx.say("coord.changed", code=order.code,
                status=status_label(ctx.engine.i18n, ctx.lang, order.status))

    return action


def register(registry: Registry) -> None:
    for kind in (CommandKind(), MenuKind(), YesNoKind(), ItemPriceKind(), RupiahKind(),
                 CourierKind()):
        registry.kind(kind)
    registry.condition("coord_courier_has_phone")(lambda ctx: bool(ctx.slots.get(PHONE_SLOT)))
    registry.options("coord_home_options")(home_options)
    registry.options("coord_order_actions")(order_actions)
    registry.options("coord_open_options")(lambda ctx: _listed(ctx, _watched(ctx, OPEN)))
    registry.options("coord_my_options")(lambda ctx: _listed(ctx, _mine(ctx)))
    registry.options("coord_back_options")(
        lambda ctx: [Option("home", ctx.t("coord.opt_home"))])
    registry.condition("coord_wants_recap")(lambda ctx: ctx.slots.get("wants") == "recap")
    registry.condition("coord_has_order")(lambda ctx: bool(ctx.slots.get("code")))
    registry.condition("coord_prices_left")(prices_left)
    simple = {
        "coord_intake": intake, "coord_home_counts": home_counts, "coord_list_open": list_open,
        "coord_list_mine": list_mine, "coord_open_order": open_order,
        "coord_show_order": show_order, "coord_claim": claim_order, "coord_recap": build_recap,
        "coord_begin_prices": begin_prices, "coord_price_prompt": price_prompt,
        "coord_take_price": take_price, "coord_save_prices": save_prices,
        "coord_start_shopping": _fire("start_shopping"),
        "coord_send_courier": _fire("send_courier", courier=("courier_name", "courier_phone")),
        "coord_delivered": _fire("deliver"),
        "coord_cancel": _fire("cancel_by_coordinator", reason="reason"),
        "coord_exchanged": _fire("finish_exchange", note="exchange_note"),
    }
    for name, fn in simple.items():
        registry.action(name)(fn)
    payments.register(registry)
    substitutes.register(registry)
    escalation.register(registry)
    routing.register(registry)
    follow.register(registry)
    links.register(registry)
    thread.register(registry)
