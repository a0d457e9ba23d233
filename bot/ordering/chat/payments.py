"""Money at the coordinator's order menu, and the questions that guard what cannot be
taken back: the names flows/coordinator.yaml uses for them.

- Cash that differs from the total: less, and the coordinator is told the shortfall and
  chooses "the resident still owes it" (recorded as outstanding) or "discount" (with a
  reason); more, and the change to give back is shown. Nothing is recorded before a
  confirmation that names the order's code and total.
- Cancelling asks "cancel KRB-1127-001 (Bu Ani, total ...)?" before the reason, so a "2"
  typed on a menu seen earlier, or a courier's name typed next, never cancels an order.
- A complaint is resolved by an exchange, a refund of an item (confirmed with the amount,
  the order's code and total) or rejected with a reason (`events.EVENT_TABLE`).
"""

from __future__ import annotations

from bot.engine.context import ActionFailed, Context
from bot.engine.registry import Registry
from bot.ordering.chat.changes import act, current, lifecycle
from bot.ordering.domain.orders import money, status_label
from bot.ordering.reports import views


def _rp(ctx: Context, amount: int | None) -> str:
    return money(amount, ctx.lang, ctx.engine.i18n)


def _cash(ctx: Context) -> int:
    value = ctx.slots.get("cash")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _total(ctx: Context) -> int:
    order = current(ctx)
    return (order.total or 0) if order is not None else 0


def cash_short(ctx: Context) -> bool:
    return _cash(ctx) < _total(ctx)


def cash_figures(ctx: Context) -> None:
    """The shortfall, for the question "still owes, or a discount?"."""
    total = _total(ctx)
    ctx.slots.pop("short", None)
    ctx.slots.pop("discount_reason", None)
    ctx.view.update(cash_text=_rp(ctx, _cash(ctx)), short_text=_rp(ctx, total - _cash(ctx)),
                    total_text=_rp(ctx, total))


def mark_owes(ctx: Context) -> None:
    ctx.slots["short"] = "owes"


def mark_discount(ctx: Context) -> None:
    ctx.slots["short"] = "discount"


def _payment_lines(ctx: Context) -> str:
    cash, total = _cash(ctx), _total(ctx)
    lines = [ctx.t("coord.pay_received", cash=_rp(ctx, cash))]
    if cash > total:
        lines.append(ctx.t("coord.pay_change", change=_rp(ctx, cash - total)))
    elif cash < total and ctx.slots.get("short") == "discount":
        lines.append(ctx.t("coord.pay_discount", discount=_rp(ctx, total - cash),
                           reason=str(ctx.slots.get("discount_reason") or "")))
    elif cash < total:
        lines.append(ctx.t("coord.pay_outstanding", outstanding=_rp(ctx, total - cash)))
    return "\n".join(lines)


def _question(ctx: Context) -> None:
    order = current(ctx)
    if order is None:
        raise ActionFailed("coord.no_such_order", code=str(ctx.slots.get("code") or ""))
    ctx.view.update(code=order.code, name=order.resident.name or "-",
                    total_text=views.total(order, ctx.lang, ctx.engine.i18n))


def payment_question(ctx: Context) -> None:
    """What "mark paid?" says: the order's code and total, the cash, and the change, the
    amount still owed or the discount."""
    _question(ctx)
    ctx.view["payment_text"] = _payment_lines(ctx)


def pay(ctx: Context) -> None:
    cash, total = _cash(ctx), _total(ctx)
    order = act(ctx, "pay", cash=cash, short=ctx.slots.get("short"),
                discount_reason=ctx.slots.get("discount_reason"))
    status = status_label(ctx.engine.i18n, ctx.lang, order.status)
    ctx.say("coord.changed", code=order.code, status=status)
    if cash > total:
        ctx.say("coord.pay_change", change=_rp(ctx, cash - total))


def not_recorded(ctx: Context) -> None:
    ctx.say("coord.pay_not_recorded", code=str(ctx.slots.get("code") or ""))


def may_cancel(ctx: Context) -> None:
    """Cancelling is offered on this order to this person (``batal`` typed on any order's
    menu comes here too): else say why not, and stay."""
    order = current(ctx)
    if order is None:
        raise ActionFailed("coord.no_such_order", code=str(ctx.slots.get("code") or ""))
    event = lifecycle(ctx).events.get("cancel_by_coordinator")
    if (event is None or order.status not in event.sources
            or not ctx.services.roles.allows(ctx.key, event, order)):
        raise ActionFailed("coord.cannot_cancel", code=order.code,
                           status=status_label(ctx.engine.i18n, ctx.lang, order.status))


def cancel_question(ctx: Context) -> None:
    _question(ctx)


def cancel_kept(ctx: Context) -> None:
    ctx.say("coord.cancel_kept", code=str(ctx.slots.get("code") or ""))


def check_refund(ctx: Context) -> None:
    """A refund is more than nothing and at most the order's total."""
    amount, total = ctx.slots.get("refund"), _total(ctx)
    if not isinstance(amount, int) or amount <= 0 or amount > total:
        raise ActionFailed("coord.refund_too_much", code=str(ctx.slots.get("code") or ""),
                           total=_rp(ctx, total))


def refund_question(ctx: Context) -> None:
    _question(ctx)
    ctx.view["refund_text"] = _rp(ctx, ctx.slots.get("refund"))


def refund(ctx: Context) -> None:
    order = act(ctx, "refund", amount=ctx.slots.get("refund"))
    ctx.say("coord.refunded", code=order.code, refund=_rp(ctx, ctx.slots.get("refund")),
            total=views.total(order, ctx.lang, ctx.engine.i18n))


def refund_kept(ctx: Context) -> None:
    ctx.say("coord.refund_not_recorded", code=str(ctx.slots.get("code") or ""))


def reject(ctx: Context) -> None:
    order = act(ctx, "reject_complaint", reason=ctx.slots.get("reason"))
    ctx.say("coord.changed", code=order.code,
            status=status_label(ctx.engine.i18n, ctx.lang, order.status))


def register(registry: Registry) -> None:
    registry.condition("coord_cash_short")(cash_short)
    for name, fn in {
        "coord_cash_figures": cash_figures, "coord_mark_owes": mark_owes,
        "coord_mark_discount": mark_discount, "coord_payment_question": payment_question,
        "coord_paid": pay, "coord_pay_not_recorded": not_recorded,
        "coord_cancel_question": cancel_question, "coord_cancel_kept": cancel_kept,
        "coord_may_cancel": may_cancel,
        "coord_check_refund": check_refund, "coord_refund_question": refund_question,
        "coord_refund": refund,
        "coord_refund_kept": refund_kept, "coord_reject": reject,
    }.items():
        registry.action(name)(fn)
