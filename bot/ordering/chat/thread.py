"""The conversation on an order, as the flows use it: the resident's "Tanya koordinator"
(flows/status.yaml) and the coordinator's "Pesan ke warga" (flows/coordinator.yaml).

Both sides reach it from the order's card, from the reply button of a relayed message
(``talk:KRB-1127-001``, a standing option), or by typing ``tanya KRB-1127-001`` /
``balas KRB-1127-001``; a resident who says "tanya koordinator" without a code is asked
which order when more than one is open (bot/ordering/chat/wishes.py). In the talk state
every text or picture is relayed (`relay.send`) until *Selesai*; a thread closed meanwhile
(the order paid or cancelled) says so and leaves.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bot.engine.context import ActionFailed, Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, InputKind, Invalid, Result, answer_text
from bot.engine.matching import normalize
from bot.engine.registry import Registry
from bot.messages import Incoming, Menu, Option, Reply
from bot.ordering.chat import relay
from bot.ordering.chat.changes import current
from bot.ordering.domain.order import Order
from bot.ordering.domain.orders import status_label

DONE_WORDS = {"selesai", "sudah selesai", "udah selesai", "done", "keluar", "finish"}
SLOT = "said"


def _order(ctx: Context) -> Order | None:
    """The order in the ``code`` slot, if this person is one of its two sides."""
    order = current(ctx)
    return order if order is not None and relay.role_of(order, ctx.key) else None


def check(ctx: Context) -> Order:
    """The order this person may write on now, or `ActionFailed` saying why not."""
    code = str(ctx.slots.get("code") or "")
    order = current(ctx)
    if order is None:
        raise ActionFailed("status.no_such_order", code=code)
    if relay.role_of(order, ctx.key) is None:
        if ctx.services.roles.is_staff(ctx.key):
            raise ActionFailed("thread.not_holder", code=order.code)
        raise ActionFailed("status.no_such_order", code=code)
    if not relay.thread_open(ctx, order):
        raise ActionFailed("thread.closed_already", code=order.code,
                           status=status_label(ctx.engine.i18n, ctx.lang, order.status))
    return order


def begin(ctx: Context) -> None:
    """Entering the talk state: may this person write on the order? (said if not)"""
    ctx.slots.pop("wants", None)
    try:
        check(ctx)
        ctx.slots["talk"] = True
    except ActionFailed as failed:
        ctx.slots.pop("talk", None)
        ctx.say(failed.message_id, **failed.params)


def can_write(ctx: Context) -> bool:
    order = _order(ctx)
    return order is not None and relay.thread_open(ctx, order)


def send(ctx: Context) -> None:
    """Relay the message saved in the talk state."""
    said = ctx.slots.pop(SLOT, None)
    order = check(ctx)
    if not isinstance(said, dict):
        return
    outcome = relay.send(ctx, order, str(said.get("text") or ""), said.get("photo"))
    ctx.say(outcome, code=order.code)


def card_option(ctx: Context, order: Order | None, label: str) -> list[Option]:
    """The card's "Tanya koordinator" / "Pesan ke warga" while its thread is open."""
    if order is None or relay.role_of(order, ctx.key) is None:
        return []
    return [Option("talk", ctx.t(label))] if relay.thread_open(ctx, order) else []


def wants(ctx: Context) -> bool:
    """A ``talk`` command from the message that opened a flow: check it, say why not."""
    try:
        check(ctx)
    except ActionFailed as failed:
        ctx.say(failed.message_id, **failed.params)
        return False
    ctx.slots["wants"] = "talk"
    return True


class MessageKind(InputKind):
    """A message for the other side: a text, or a picture (with its caption); *Selesai*
    ends. Nothing else the messenger carries (a voice note, a sticker) can be relayed."""

    name = "thread_message"
    hint = "thread.hint"
    answers = ("done",)
    accepts_media: ClassVar[bool] = True

    def prompt(self, ctx: Context, spec: InputSpec, text: str, value: Any = None) -> Reply:
        return Menu(to=ctx.key, text=text, options=(Option("done", ctx.t("thread.opt_done")),))

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        if msg.choice == "done":
            return Accept("done")
        if msg.choice is not None:
            return Invalid("engine.choice_expired")
        if msg.unsupported:
            if msg.unsupported != "photo" or not msg.media:
                return Invalid("thread.text_or_photo")
            return Accept({"text": (msg.caption or "").strip(), "photo": msg.media})
        text = answer_text(msg).strip()
        if normalize(text) in DONE_WORDS:
            return Accept("done")
        if not text:
            return Invalid("thread.text_or_photo")
        return Accept({"text": text, "photo": None})


def register(registry: Registry) -> None:
    registry.kind(MessageKind())
    registry.action("thread_begin")(begin)
    registry.action("thread_send")(send)
    registry.condition("thread_can_write")(can_write)
    registry.condition("thread_ready")(lambda ctx: bool(ctx.slots.get("talk")))
    registry.condition("wants_talk")(lambda ctx: ctx.slots.get("wants") == "talk")
    # what waited for a person goes out when they next write (before the answer)
    registry.on_arrival(relay.deliver_on_arrival)
