"""An order's actions on the page, done by the chat's own actions.

A form's action (claim, shop, prices, courier, delivered, paid, cancel, ...) is read into
the slots the coordinator's flow would have filled, and the very actions the flow runs
(flows/coordinator.yaml's ``do:``, registered by `bot.ordering.chat`) are run on a context
of the signed-in staff member: the same lifecycle event, the same role check, the same
notifications. What those actions say to the staff member becomes the page's notice; what
they tell others (the resident, colleagues) is sent in chat with ``app.deliver`` once the
change is stored. The staff member's own conversation in chat is not touched.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from typing import Any

from bot.engine.context import ActionFailed, Context
from bot.engine.inputs.phone import normalize_phone
from bot.engine.session import Session
from bot.messages import Reply
from bot.office.permissions import Viewer
from bot.ordering.understanding.courier import read_courier
from bot.ordering.understanding.pricing import parse_rupiah, read_cash, read_price
from bot.privacy import who

log = logging.getLogger(__name__)

# the page's action -> the flow's actions, in the order the coordinator's flow runs them
STEPS: dict[str, tuple[str, ...]] = {
    "claim": ("coord_open_order", "coord_claim"),
    "shop": ("coord_start_shopping",),
    "prices": ("coord_begin_prices",),  # then each price, then coord_save_prices
    "courier": ("coord_send_courier",),
    "delivered": ("coord_delivered",),
    "paid": ("coord_paid",),
    "exchanged": ("coord_exchanged",),
    "refund": ("coord_check_refund", "coord_refund"),
    "reject": ("coord_reject",),
    "cancel": ("coord_may_cancel", "coord_cancel"),
    "handover": ("coord_hand_over",),
    "assign": ("coord_assign_prompt", "coord_assign"),
}
MAX_TEXT = 300


class FormProblem(Exception):
    """What the form lacks, as a message id for the page."""

    def __init__(self, message_id: str, **params: Any) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.params = params


@dataclass
class Outcome:
    done: bool
    notices: list[str] = field(default_factory=list)  # what the chat would say to the staff
    error: str = ""
    told: int = 0  # replies sent to others (the resident, colleagues)


def _text(form: dict[str, str], name: str) -> str:
    return " ".join(str(form.get(name) or "").split())[:MAX_TEXT]


def _slots(answer: str, form: dict[str, str], item_count: int) -> dict[str, Any]:
    """The slots the chat's flow would hold for this action (FormProblem if unusable)."""
    if answer == "courier":
        found = read_courier(_text(form, "courier_name"))
        phone = normalize_phone(_text(form, "courier_phone")) or (found.phone if found else None)
        if found is None or not phone:
            raise FormProblem("office.bad_courier")
        return {"courier_name": found.name, "courier_phone": phone}
    if answer == "paid":
        cash = read_cash(_text(form, "cash"))
        if cash is None:
            raise FormProblem("office.bad_amount")
        short = form.get("short") if form.get("short") in ("owes", "discount") else None
        return {"cash": cash, "short": short,
                "discount_reason": _text(form, "discount_reason") or None}
    if answer == "refund":
        amount = parse_rupiah(_text(form, "refund"))
        if amount is None:
            raise FormProblem("office.bad_amount")
        return {"refund": amount}
    if answer in ("reject", "cancel"):
        reason = _text(form, "reason")
        if answer == "cancel" and (form.get("confirm") != "yes" or not reason):
            raise FormProblem("office.cancel_needs_confirm")
        return {"reason": reason or "-"}
    if answer == "exchanged":
        return {"exchange_note": _text(form, "note")}
    if answer == "handover":
        return {"colleague": _text(form, "colleague")}
    if answer == "assign":
        return {"assignee": _text(form, "assignee")}
    if answer == "prices":
        prices = []
        for number in range(1, item_count + 1):
            if form.get(f"unavailable_{number}") == "yes":
                prices.append({"unavailable": True})
                continue
            price = read_price(_text(form, f"price_{number}"))
            if price is None:
                raise FormProblem("office.bad_prices")
            prices.append(price)
        return {"prices_given": prices}
    return {}


async def _run(ctx: Context, name: str) -> None:
    action = ctx.engine.registry.actions[name]
    result = action(ctx)
    if inspect.isawaitable(result):
        await result


async def perform(app: Any, viewer: Viewer, code: str, answer: str, form: dict[str, str],
                  lang: str, now: float, item_count: int) -> Outcome:
    """Do ``answer`` on order ``code`` as ``viewer``; tell the others in chat."""
    if answer not in STEPS:
        return Outcome(False, error=app.i18n.t(lang, "office.unknown_action"))
    try:
        slots = _slots(answer, form, item_count)
    except FormProblem as problem:
        return Outcome(False, error=app.i18n.t(lang, problem.message_id, **problem.params))
    prices = slots.pop("prices_given", None)
    session = Session(key=viewer.user, slots={"code": code, **slots}, lang=lang)
    ctx = Context(engine=app.engine, session=session, now=now)
    # one unit of work, as the staff member's chat message would be (serialized with it)
    async with app.store.unit(viewer.user):
        try:
            for name in STEPS[answer]:
                await _run(ctx, name)
            if prices is not None:
                for price in prices:
                    ctx.slots["price"] = price
                    await _run(ctx, "coord_take_price")
                await _run(ctx, "coord_save_prices")
        except ActionFailed as failed:
            return Outcome(False, notices=_mine(ctx.replies, viewer),
                           error=ctx.t(failed.message_id, **failed.params))
        await app.store.flush()  # stored before anyone is told
    others = [r for r in ctx.replies if r.to != viewer.user]
    await app.deliver(others)
    log.info("office: %s did %s on an order from the page", who(viewer.user), answer)
    return Outcome(True, notices=_mine(ctx.replies, viewer), told=len(others))


def _mine(replies: list[Reply], viewer: Viewer) -> list[str]:
    return [r.text for r in replies if r.to == viewer.user and getattr(r, "text", "")]
