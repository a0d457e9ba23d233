"""The resident's side after ordering: the names flows/status.yaml uses.

One order at a time: its card (items, prices, total, coordinator, courier), cancel while
no one has started shopping, and after delivery a problem report ("kualitas kurang baik":
which items, an optional photo) that defers payment and gives the coordinator an exchange
task. A resident sees and acts on only their own orders (`roles.check`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, ClassVar

from bot.engine.context import ActionFailed, Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, InputKind, Invalid, Result, answer_text
from bot.engine.matching import normalize
from bot.engine.registry import Registry
from bot.messages import Incoming, Menu, Option, Reply
from bot.ordering.chat import substitutes, thread
from bot.ordering.chat.changes import act, lifecycle, orders
from bot.ordering.domain.order import Order
from bot.ordering.domain.orders import now_local, status_label
from bot.ordering.reports import views
from bot.ordering.understanding.commands import read_command

MY_ORDERS_DAYS = 183  # "my orders" looks back half a year
SKIP = {"lewati", "skip", "tidak", "tidak ada", "gak ada", "ga ada", "nggak", "gak", "no",
        "tanpa foto", "-", "lanjut"}
ALL = {"semua", "semuanya", "all"}


def _order(ctx: Context) -> Order | None:
    code = str(ctx.slots.get("code") or "")
    order = orders(ctx).get(code) if code else None
    return order if order is not None and order.user == ctx.key else None


def intake(ctx: Context) -> None:
    """The code (and cancel/report) from the message that opened this flow."""
    ctx.slots.pop("code", None)
    ctx.slots.pop("wants", None)
    command = read_command(ctx.incoming)
    if command is None or not command.code:
        return
    ctx.slots["code"] = command.code
    if _order(ctx) is None:
        ctx.slots.pop("code", None)
        return
    try:
        if command.verb in substitutes.ANSWERS:
            substitutes.answer(ctx, command.verb)
            ctx.slots["wants"] = "substitutes"
            return
        if command.verb == "talk":  # a relayed message's reply button, or "tanya KODE"
            thread.wants(ctx)
            return
        if command.verb == "cancel":
            may_cancel(ctx)
        elif command.verb == "report":
            may_report(ctx)
        else:
            return
        ctx.slots["wants"] = command.verb
    except ActionFailed as failed:
        ctx.say(failed.message_id, **failed.params)


def _refuse(ctx: Context, order: Order, message_id: str) -> ActionFailed:
    return ActionFailed(message_id, code=order.code,
                        status=status_label(ctx.engine.i18n, ctx.lang, order.status))


def may_cancel(ctx: Context) -> None:
    order = _order(ctx)
    if order is None:
        raise ActionFailed("status.no_such_order", code=str(ctx.slots.get("code") or ""))
    if "cancel_by_resident" not in lifecycle(ctx).allowed_events(order.status):
        raise _refuse(ctx, order, "status.cannot_cancel")


def may_report(ctx: Context) -> None:
    order = _order(ctx)
    if order is None:
        raise ActionFailed("status.no_such_order", code=str(ctx.slots.get("code") or ""))
    if "request_exchange" not in lifecycle(ctx).allowed_events(order.status):
        raise _refuse(ctx, order, "exchange.cannot_report")
    if too_late(ctx, order):
        raise ActionFailed("exchange.too_late", code=order.code,
                           days=str(ctx.services.complaint_days))


def too_late(ctx: Context, order: Order) -> bool:
    """A paid order's problem may be reported within ``complaints.days`` of payment."""
    if order.status != "paid":
        return False
    paid = order.payment.paid_at or order.at("paid")
    if not paid:
        return False
    try:
        since = now_local(ctx.now, ctx.services.markets.timezone) - datetime.fromisoformat(paid)
    except (TypeError, ValueError):
        return False
    return since > timedelta(days=ctx.services.complaint_days)


def open_mine(ctx: Context) -> None:
    if _order(ctx) is None:
        raise ActionFailed("status.no_such_order", code=str(ctx.slots.get("code") or ""))


def show(ctx: Context) -> None:
    order = _order(ctx)
    if order is None:
        ctx.slots.update(order_text="", item_count=0, items_text="")
        return
    i18n, markets = ctx.engine.i18n, ctx.services.markets
    ctx.slots["order_text"] = views.card(order, markets, ctx.lang, i18n,
                                         ctx.services.roles.display_name)
    ctx.slots["item_count"] = len(order.items)
    ctx.slots["items_text"] = views.item_lines(order, ctx.lang, i18n)


def my_orders(ctx: Context) -> list[Order]:
    """The resident's last orders of the past months, open ones first (older orders stay
    in the month archives, which a query without a date would read one by one)."""
    markets = ctx.services.markets
    since = (now_local(ctx.now, markets.timezone) - timedelta(days=MY_ORDERS_DAYS)).date()
    mine = orders(ctx).query(user=ctx.key, since=since.isoformat())
    finished = lifecycle(ctx).statuses.finished
    mine.sort(key=lambda o: (o.status in finished, o.created_at))  # open ones first
    return mine[-10:]


def _lines(ctx: Context, found: list[Order]) -> str:
    i18n, markets = ctx.engine.i18n, ctx.services.markets
    return "\n".join(views.resident_line(o, markets, ctx.lang, i18n) for o in found)


def list_mine(ctx: Context) -> None:
    """The resident's orders, for the status flow's pick list (its text has the header)."""
    ctx.slots["orders_text"] = _lines(ctx, my_orders(ctx)) or ctx.t("main.no_orders")


def list_with_hint(ctx: Context) -> None:
    """The main menu's "Cek pesanan saya": the orders, and how to open one."""
    mine = my_orders(ctx)
    if not mine:
        ctx.slots["orders_text"] = ctx.t("main.no_orders")
        return
    latest = max(mine, key=lambda o: o.created_at).code
    ctx.slots["orders_text"] = "\n".join((
        ctx.t("main.orders_header"), _lines(ctx, mine), "",
        ctx.t("status.hint_code", code=latest),
    ))


def order_options(ctx: Context) -> list[Option]:
    options = [Option(f"view:{o.code}", o.code, status_label(ctx.engine.i18n, ctx.lang, o.status))
               for o in my_orders(ctx)]
    return [*options, Option("done", ctx.t("status.opt_done"))]


def actions(ctx: Context) -> list[Option]:
    order = _order(ctx)
    allowed = lifecycle(ctx).allowed_events(order.status) if order else []
    options = []
    if "cancel_by_resident" in allowed:
        options.append(Option("cancel", ctx.t("status.opt_cancel")))
    if "request_exchange" in allowed and order is not None and not too_late(ctx, order):
        options.append(Option("report", ctx.t("status.opt_report")))
    options += thread.card_option(ctx, order, "thread.opt_to_coordinator")
    return [*options, Option("done", ctx.t("status.opt_done"))]


def cancel(ctx: Context) -> None:
    act(ctx, "cancel_by_resident", illegal="status.cannot_cancel")


def report(ctx: Context) -> None:
    wanted = ctx.slots.get("report") or {}
    photo = ctx.slots.get("photo") or {}
    note = " ".join(p for p in (wanted.get("note"), photo.get("note")) if p)
    act(ctx, "request_exchange", illegal="exchange.cannot_report", items=wanted.get("items"),
        note=note or ctx.t("exchange.default_note"), photo=photo.get("photo"))


class ItemNumbersKind(InputKind):
    """Which items: ``2``, ``1, 3``, ``1 dan 3``, ``semua``; other words are a note."""

    name = "item_numbers"
    hint = "exchange.hint_items"

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        count = int(ctx.slots.get("item_count") or 0)
        text = answer_text(msg)[:300]
        numbers = [int(n) for n in re.findall(r"\b\d{1,3}\b", text)]
        words = normalize(re.sub(r"\b\d{1,3}\b|[,;&]|\bdan\b|\band\b|\bno\b", " ", text))
        if any(w in ALL for w in words.split()):
            numbers = list(range(1, count + 1))
            words = " ".join(w for w in words.split() if w not in ALL)
        if not numbers or not all(1 <= n <= count for n in numbers):
            return Invalid("exchange.items_missing", {"count": count})
        return Accept({"items": sorted(set(numbers)), "note": words})


class PhotoKind(InputKind):
    """An optional photo: a picture, or ``lewati``; a typed text is kept as a note."""

    name = "photo"
    hint = "exchange.hint_photo"
    accepts_media: ClassVar[bool] = True

    def prompt(self, ctx: Context, spec: InputSpec, text: str, value: Any = None) -> Reply:
        return Menu(to=ctx.key, text=text, options=(Option("skip", ctx.t("exchange.opt_skip")),))

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        if msg.unsupported:
            if msg.unsupported != "photo":
                return Invalid("exchange.photo_only")
            return Accept({"photo": msg.media or "", "note": ""})
        if msg.choice == "skip" or normalize(answer_text(msg)) in SKIP:
            return Accept({"photo": None, "note": ""})
        if msg.choice is not None:
            return Invalid("engine.choice_expired")
        text = " ".join(answer_text(msg).split())[:200]
        return Accept({"photo": None, "note": text}) if text else Invalid("exchange.photo_only")


def register(registry: Registry) -> None:
    registry.kind(ItemNumbersKind())
    registry.kind(PhotoKind())
    registry.options("resident_orders")(order_options)
    registry.options("resident_actions")(actions)
    registry.condition("resident_has_order")(lambda ctx: _order(ctx) is not None)
    registry.condition("resident_wants_cancel")(lambda ctx: ctx.slots.get("wants") == "cancel")
    registry.condition("resident_wants_report")(lambda ctx: ctx.slots.get("wants") == "report")
    registry.condition("resident_order_paid")(
        lambda ctx: (order := _order(ctx)) is not None and order.status == "paid")
    for name, fn in {
        "resident_intake": intake, "resident_show": show, "resident_list": list_mine,
        "list_my_orders": list_with_hint,
        "resident_open": open_mine, "resident_may_cancel": may_cancel,
        "resident_may_report": may_report, "resident_cancel": cancel,
        "resident_report": report,
    }.items():
        registry.action(name)(fn)
