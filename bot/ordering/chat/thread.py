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

from bot.engine.commands import parse_command
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
from bot.ordering.domain.thread import MAX_TEXT

DONE_WORDS = {"selesai", "sudah selesai", "udah selesai", "done", "keluar", "finish"}
SLOT = "said"
CARRIED = "carried"  # a plain reply that opened the conversation, relayed on entering it
# what a first message asks of the main menu rather than being a reply to a coordinator
MENU_INTENTS = ("order", "status", "help", "report", "cancel", "talk")


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
    """Entering the talk state: may this person write on the order? (said if not) A plain
    reply that opened the conversation is relayed at once."""
    ctx.slots.pop("wants", None)
    carried = ctx.slots.pop(CARRIED, None)
    try:
        order = check(ctx)
        ctx.slots["talk"] = True
    except ActionFailed as failed:
        ctx.slots.pop("talk", None)
        ctx.say(failed.message_id, **failed.params)
        return
    if isinstance(carried, dict) and _too_long(ctx, str(carried.get("text") or "")):
        return  # said; the talk state asks for it again, in parts
    if isinstance(carried, dict):
        outcome = relay.send(ctx, order, str(carried.get("text") or ""), carried.get("photo"))
        ctx.say(outcome, code=order.code)
        ctx.slots["talk"] = "sent"


def _too_long(ctx: Context, text: str) -> bool:
    """A message longer than the thread keeps is refused whole, saying so (it was kept cut
    at `MAX_TEXT` while the other side got all of it)."""
    if len(text) <= MAX_TEXT:
        return False
    ctx.say("thread.too_long", length=len(text), max=MAX_TEXT)
    return True


def _plain_reply(ctx: Context) -> dict[str, Any] | None:
    """The message as a reply to pass on: a text that asks nothing of the main menu (not
    a greeting alone, not "mau pesan", "cek pesanan", "komplain", ...), or a photo."""
    msg = ctx.incoming
    if msg is None or msg.choice is not None:
        return None
    if msg.unsupported:
        return ({"text": (msg.caption or "").strip(), "photo": msg.media}
                if msg.unsupported == "photo" and msg.media else None)
    text = answer_text(msg).strip()
    if parse_command(text) is not None:
        return None  # "menu", "/start", "batal": the bot's own words, never the other side's
    phrasebook = ctx.engine.registry.phrasebook
    fillers = phrasebook.get(ctx.lang).fillers
    if not text or all(w in fillers for w in normalize(text).split()):
        return None
    if phrasebook.match(ctx.lang, text, MENU_INTENTS).intents:
        return None
    return {"text": text, "photo": None}


def replies(ctx: Context) -> bool:
    """A resident with no conversation going on answers a coordinator who wrote to them
    lately (`relay.RECENT_HOURS`) in plain words: it goes to that order."""
    if ctx.services.roles.is_staff(ctx.key) or _plain_reply(ctx) is None:
        return False
    return bool(relay.recent_codes(ctx))


def coordinator_replies(ctx: Context) -> bool:
    """A coordinator at their menu (or with nothing going on) answers in plain words the
    resident of the one order whose resident wrote to them lately; with several, the
    *Balas* button of the message says which."""
    return _plain_reply(ctx) is not None and len(relay.recent_codes(ctx)) == 1


def coordinator_reply_intake(ctx: Context) -> None:
    """The order such a reply is about, and the reply to relay on entering the talk."""
    if not coordinator_replies(ctx):
        return
    ctx.slots[CARRIED] = _plain_reply(ctx)
    ctx.slots["code"] = relay.recent_codes(ctx)[0]
    ctx.slots["wants"] = "talk"


def reply_intake(ctx: Context) -> None:
    """In the status flow: the order such a reply is about (asked when several are)."""
    if ctx.slots.get("code") or ctx.slots.get("wish") or not replies(ctx):
        return
    ctx.slots[CARRIED] = _plain_reply(ctx)
    codes = relay.recent_codes(ctx)
    if len(codes) == 1:
        ctx.slots["code"] = codes[0]
        ctx.slots["wants"] = "talk"
    else:
        ctx.slots["wish"] = "talk"  # which order? (the pick lists the open conversations)


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
            if len((msg.caption or "").strip()) > MAX_TEXT:
                return _long(msg.caption or "")
            return Accept({"text": (msg.caption or "").strip(), "photo": msg.media})
        text = answer_text(msg).strip()
        if normalize(text) in DONE_WORDS:
            return Accept("done")
        if not text:
            return Invalid("thread.text_or_photo")
        if len(text) > MAX_TEXT:
            return _long(text)
        return Accept({"text": text, "photo": None})


def _long(text: str) -> Invalid:
    return Invalid("thread.too_long", {"length": len(text.strip()), "max": MAX_TEXT})


def register(registry: Registry) -> None:
    registry.kind(MessageKind())
    registry.action("thread_begin")(begin)
    registry.action("thread_send")(send)
    registry.condition("thread_can_write")(can_write)
    registry.condition("thread_ready")(lambda ctx: bool(ctx.slots.get("talk")))
    registry.condition("thread_carried_sent")(lambda ctx: ctx.slots.get("talk") == "sent")
    registry.condition("replies_on_thread")(replies)
    registry.action("thread_reply_intake")(reply_intake)
    registry.condition("coord_replies_on_thread")(coordinator_replies)
    registry.action("thread_coord_reply")(coordinator_reply_intake)
    registry.condition("wants_talk")(lambda ctx: ctx.slots.get("wants") == "talk")
    # what waited for a person goes out when they next write (before the answer)
    registry.on_arrival(relay.deliver_on_arrival)
