"""What a resident asks for in plain words where no menu is open yet, or of "my orders".

The words come from the locale's intents (locales/<lang>/intents.yaml, read by
bot/engine/phrases.py); these are the names flows use for them:

- ``says_order``, ``says_report`` (conditions): the first message of a conversation plainly
  asks to order ("mau pesen dong") or to report a problem ("komplain"), so flows/main.yaml's
  welcome goes straight there.
- ``resident_wish`` (action, after ``resident_intake``): "komplain" or "batalin" without an
  order code. With one order it applies to, that order is opened for it; with several, the
  resident is asked which (``wished_orders`` lists only those, and ``resident_wishes_report``
  / ``resident_wishes_cancel`` send the pick on to the report or the cancellation); with
  none, the resident is told so.
"""

from __future__ import annotations

from bot.engine.context import Context
from bot.engine.inputs.base import answer_text
from bot.engine.registry import Registry
from bot.messages import Option
from bot.ordering.chat import relay
from bot.ordering.chat.changes import lifecycle
from bot.ordering.chat.follow import my_orders, order_options
from bot.ordering.domain.order import Order

EVENTS = {"report": "request_exchange", "cancel": "cancel_by_resident"}
NOTHING = {"report": "status.nothing_to_report", "cancel": "status.nothing_to_cancel",
           "talk": "thread.nothing_open"}


def _fits(ctx: Context, wanted: str, order: Order) -> bool:
    """The order a wish may be about: one whose event is allowed now, or for "tanya
    koordinator" one whose conversation is open."""
    if wanted == "talk":
        return relay.thread_open(ctx, order)
    return EVENTS[wanted] in lifecycle(ctx).allowed_events(order.status)
MAX_WISH_TEXT = 120


def _says(ctx: Context, *intents: str) -> str | None:
    msg = ctx.incoming
    if msg is None or msg.choice is not None:
        return None
    text = answer_text(msg)
    if not text or len(text) > MAX_WISH_TEXT:
        return None
    found = ctx.engine.registry.phrasebook.match(ctx.lang, text, intents)
    return found.intents[0] if found.confident and len(found.intents) == 1 else None


def says_order(ctx: Context) -> bool:
    return _says(ctx, "order") == "order"


def says_report(ctx: Context) -> bool:
    return _says(ctx, "report") == "report"


def says_talk(ctx: Context) -> bool:
    return _says(ctx, "talk") == "talk"


def wish(ctx: Context) -> None:
    """A report or a cancellation asked for without a code: which order is it about?"""
    ctx.slots.pop("wish", None)
    if ctx.slots.get("code"):
        return  # resident_intake found the order in the message
    wanted = _says(ctx, "report", "cancel", "talk")
    if wanted is None:
        return
    fitting = [o for o in my_orders(ctx) if _fits(ctx, wanted, o)]
    if not fitting:
        ctx.say(NOTHING[wanted])
        return
    if len(fitting) == 1:
        ctx.slots["code"] = fitting[0].code
        ctx.slots["wants"] = wanted
        return
    ctx.slots["wish"] = wanted  # ask which (the pick lists only these)


def wished_orders(ctx: Context) -> list[Option]:
    options = order_options(ctx)
    wanted = ctx.slots.get("wish")
    if wanted not in NOTHING:
        return options
    fitting = {o.code for o in my_orders(ctx) if _fits(ctx, wanted, o)}
    return [o for o in options if o.id.partition(":")[2] in fitting or o.id == "done"]


def register(registry: Registry) -> None:
    registry.condition("says_order")(says_order)
    registry.condition("says_report")(says_report)
    registry.condition("resident_wishes_report")(lambda ctx: ctx.slots.get("wish") == "report")
    registry.condition("resident_wishes_cancel")(lambda ctx: ctx.slots.get("wish") == "cancel")
    registry.condition("says_talk")(says_talk)
    registry.condition("resident_wishes_talk")(lambda ctx: ctx.slots.get("wish") == "talk")
    registry.action("resident_wish")(wish)
    registry.options("wished_orders")(wished_orders)
