"""Substitutes the resident is asked about (a market's ``substitutes: ask``, the default).

When the coordinator records the prices with a substitute ("ganti tomat ceri 9rb"), the
resident gets the prices and a question with two buttons, ``subok:KRB-1127-001`` and
``subno:KRB-1127-001`` (or types ``setuju KRB-1127-001`` / ``tolak KRB-1127-001``). A
refused substitute is not bought and the total follows; either answer reaches the
coordinator. No answer within ``escalation.substitute_minutes``: the coordinator decides
(`escalation.escalate_due` fires ``substitutes_unanswered``). A market with
``substitutes: allowed`` buys substitutes without asking, up to the price the resident
wrote for the item ("tomat 1/2 kg max 15rb"); above it, it asks.
"""

from __future__ import annotations

from bot.engine.context import ActionFailed, Context
from bot.engine.registry import Registry
from bot.ordering.chat.changes import act, current
from bot.ordering.chat.notify import tell
from bot.ordering.domain.order import Order
from bot.ordering.domain.orders import money
from bot.ordering.reports import views

ANSWERS = {"subok": "accept_substitutes", "subno": "refuse_substitutes"}


def asks(ctx: Context) -> bool:
    """Whether the order's market asks the resident before buying a substitute."""
    order = current(ctx)
    market = ctx.services.markets.get(order.market) if order is not None else None
    return market is None or market.substitutes == "ask"


def capped(ctx: Context) -> bool:
    """A market that allows substitutes up to the price the resident wrote (above it, the
    resident is asked)."""
    return not asks(ctx)


def lines(order: Order, lang: str, ctx: Context) -> str:
    i18n = ctx.engine.i18n
    return "\n".join(
        f"{number}. {views.item_text(item)} → "
        + i18n.t(lang, "coord.item_substitute", name=item.substitute or "",
                 price=money(item.price, lang, i18n))
        for number, item in enumerate(order.items, 1) if item.substitute_answer == "asked")


def ask_resident(ctx: Context, order: Order) -> None:
    """After the prices: the question to the resident, if a substitute awaits an answer."""
    if not any(item.substitute_answer == "asked" for item in order.items):
        return
    tell(ctx, order.user, "status.ask_substitutes",
         [(f"subok:{order.code}", "status.opt_accept_substitutes"),
          (f"subno:{order.code}", "status.opt_refuse_substitutes")],
         code=order.code, substitutes=lambda lang: lines(order, lang, ctx))
    ctx.say("coord.substitutes_asked", code=order.code)


def answer(ctx: Context, verb: str) -> None:
    """The resident's answer (from the status flow's intake): fire it, thank them."""
    try:
        order = act(ctx, ANSWERS[verb], illegal="status.no_substitute_question")
    except ActionFailed as failed:
        if failed.message_id == "coord.illegal_change":
            raise ActionFailed("status.no_substitute_question",
                               code=str(ctx.slots.get("code") or "")) from None
        raise
    ctx.say("status.substitutes_accepted" if verb == "subok" else "status.substitutes_refused",
            code=order.code, total=views.total(order, ctx.lang, ctx.engine.i18n))


def register(registry: Registry) -> None:
    registry.condition("resident_answered_substitutes")(
        lambda ctx: ctx.slots.get("wants") == "substitutes")
