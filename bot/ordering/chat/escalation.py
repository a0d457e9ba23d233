"""Nobody waits forever: an order no coordinator claims is escalated, and the head of the
market unit can give it to a coordinator.

The timer is the order itself: an order in ``new`` is due for escalation once it has
waited ``escalation.claim_minutes`` (config; from when it was placed, or from the market's
opening for an order taken while the market was closed), and due again for the market
office ``escalation.office_minutes`` later. `escalate_due` is a periodic job of the app
(`App.jobs`, run every minute by the server, with the app's clock): it fires the events
``escalate`` / ``escalate_office`` of the event table as the app (no role check). Each
event needs that it has not happened yet (the order's history says so) and is stored with
the order's version check, so it fires once, across restarts and processes, and after a
restart an order that came due meanwhile is escalated at the next run. The change and the
notices it makes are written in one unit of work (the notices queued in the outbox), so
a crash after it loses no notice. The order stays its own timer (not a `Timer` row): its
due time follows from its status, history and the configured delays, so changing
``escalation.*`` or claiming the order needs no timer to be moved or cancelled. The
row's ``tells`` say who is told (the head, else the office; the office), with an "assign"
button.

The head (or an admin) answers with ``assign``: which coordinator of the market takes it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.engine.context import ActionFailed, Context
from bot.engine.registry import Registry
from bot.messages import Menu, Option, Reply, Text
from bot.ordering.chat.changes import act, current
from bot.ordering.domain.errors import LifecycleError
from bot.ordering.domain.events import TO_HEAD, TO_HOLDER, TO_OFFICE, Tell
from bot.ordering.domain.lifecycle import LIFECYCLE, Fired
from bot.ordering.domain.order import Order
from bot.ordering.domain.repository import Orders

log = logging.getLogger(__name__)

BY = "system:timer"  # who fired a timer's event, in the order's history
DEFAULTS = {"claim_minutes": 60, "office_minutes": 120, "substitute_minutes": 30}
ASKING = ("shopping", "on_the_way")  # statuses where a substitute question may wait


def delays(config: dict[str, Any]) -> tuple[float, float]:
    """(minutes before the head is told, minutes more before the office is); 0: never."""
    section = {**DEFAULTS, **(config.get("escalation") or {})}

    def minutes(key: str) -> float:
        try:
            return max(float(section.get(key) or 0), 0.0)
        except (TypeError, ValueError):
            return 0.0

    return minutes("claim_minutes"), minutes("office_minutes")


def substitute_delay(config: dict[str, Any]) -> float:
    """Minutes a resident has to answer about a substitute; 0: no timeout."""
    section = {**DEFAULTS, **(config.get("escalation") or {})}
    try:
        return max(float(section.get("substitute_minutes") or 0), 0.0)
    except (TypeError, ValueError):
        return 0.0


def substitute_due(order: Order, now: datetime, delay: float) -> bool:
    """A substitute question unanswered for ``delay`` minutes since the prices."""
    if delay <= 0 or not any(i.substitute_answer == "asked" for i in order.items):
        return False
    asked = next((e.at for e in reversed(order.history) if e.event == "record_prices"), None)
    try:
        return asked is not None and (now - datetime.fromisoformat(asked)).total_seconds() \
            >= delay * 60
    except (TypeError, ValueError):
        return False


def waiting_since(order: Order) -> datetime | None:
    """When the order started waiting for a coordinator: placed, or the market's opening
    for one taken while it was closed."""
    try:
        start = datetime.fromisoformat(order.created_at)
        if order.scheduled_for:
            start = max(start, datetime.fromisoformat(order.scheduled_for))
    except (TypeError, ValueError):
        return None
    return start


def due_event(order: Order, now: datetime, first: float, second: float) -> str | None:
    """The timer's event due for ``order`` at ``now``, if any."""
    start = waiting_since(order)
    if order.status != "new" or start is None or first <= 0:
        return None
    waited = (now - start).total_seconds() / 60
    done = {entry.event for entry in order.history}
    if "escalate" not in done:
        return "escalate" if waited >= first else None
    if "escalate_office" not in done and second > 0 and waited >= first + second:
        return "escalate_office"
    return None


def _audience(app: Any, order: Order, tell: Tell) -> list[str]:
    """Those the row's tell names who have chatted with the bot (it may write to them)."""
    market = app.services.markets.get(order.market)
    office = sorted(app.services.admins)
    wanted = office if tell.to == TO_OFFICE else (
        [market.head] if market is not None and market.head else [])
    reachable = [u for u in wanted if u and app.store.get_session(u) is not None]
    if tell.to == TO_HOLDER:
        wanted = [order.coordinator or ""]
        reachable = [u for u in wanted if u and app.store.get_session(u) is not None]
    if not reachable and tell.to == TO_HEAD:  # no head, or one who never chatted: the office
        reachable = [u for u in office if app.store.get_session(u) is not None]
    return reachable


def _replies(app: Any, fired: Fired, minutes: int) -> list[Reply]:
    order, i18n, engine = fired.after, app.engine.i18n, app.engine
    market = app.services.markets.get(order.market)
    replies: list[Reply] = []
    for tell in fired.tells:
        users = _audience(app, order, tell)
        if not users:
            log.warning("order %s: %s, but nobody to tell has chatted with the bot",
                        order.code, fired.event.name)
        for user in users:
            lang = engine.language_of(user)
            text = i18n.t(lang, tell.message_id, code=order.code, minutes=minutes,
                          name=order.resident.name or "-",
                          market=market.name if market else order.market)
            if tell.button:
                verb, label = tell.button
                option = Option(f"{verb}:{order.code}", i18n.t(lang, label))
                replies.append(Menu(to=user, text=text, options=(option,)))
            else:
                replies.append(Text(to=user, text=text))
    return replies


async def escalate_due(app: Any, now: float) -> int:
    """Fire every timer that has come (escalations, unanswered substitute questions);
    the number fired."""
    first, second = delays(app.config)
    moment = datetime.fromtimestamp(now, app.services.markets.timezone)
    orders = getattr(app.services, "orders", None) or Orders(app.store)
    machine = getattr(app.services, "lifecycle", None) or LIFECYCLE
    due: list[tuple[Order, str, int]] = []
    if first > 0:
        for order in orders.query(status="new"):
            event = due_event(order, moment, first, second)
            if event is not None:
                due.append((order, event, round(first if event == "escalate"
                                                else first + second)))
    delay = substitute_delay(app.config)
    if delay > 0:
        due += [(order, "substitutes_unanswered", round(delay))
                for order in orders.query(status=ASKING) if substitute_due(order, moment, delay)]
    fired_count = 0
    for order, event, minutes in due:
        async with app.store.unit(f"escalation:{order.code}"):
            try:
                fired = machine.change(orders, order.code, event, BY, moment, None)
            except LifecycleError:  # claimed meanwhile, or escalated by another process
                continue
            fired_count += 1
            queued = app.queue(_replies(app, fired, minutes), now)
            await app.store.flush()  # stored with its notices: told once, never lost
        await app.dispatch(queued)
    if fired_count:
        log.info("%d order(s) escalated", fired_count)
    return fired_count


# -- the head gives the order to a coordinator ---------------------------------------
def _market_coordinators(ctx: Context) -> list[str]:
    order = current(ctx)
    market = ctx.services.markets.get(order.market) if order is not None else None
    return list(market.coordinators) if market is not None else []


def assign_prompt(ctx: Context) -> None:
    order = current(ctx)
    roles = ctx.services.roles
    if order is None:
        raise ActionFailed("coord.no_such_order", code=str(ctx.slots.get("code") or ""))
    if not (roles.is_head(ctx.key, order.market) or roles.is_admin(ctx.key)):
        roles.refused(ctx.key, "assign", order.code)
        raise ActionFailed("coord.head_only", code=order.code)
    ctx.view["code"] = order.code


def assignees(ctx: Context) -> list[Option]:
    """The market's coordinators, then the head (or admin) themself: "I take it"."""
    roles = ctx.services.roles
    return [*(Option(f"c{number}", roles.display_name(user))
              for number, user in enumerate(_market_coordinators(ctx), 1)),
            Option("me", ctx.t("coord.opt_take"))]


def assign(ctx: Context) -> None:
    chosen = str(ctx.slots.get("assignee") or "")
    if chosen == "me":
        order = act(ctx, "assign", to=ctx.key)
        ctx.say("coord.claimed", code=order.code)
        return
    users = _market_coordinators(ctx)
    number = int(chosen[1:]) if chosen[1:].isdecimal() else 0
    if not 1 <= number <= len(users):
        raise ActionFailed("coord.assignee_missing", code=str(ctx.slots.get("code") or ""))
    order = act(ctx, "assign", to=users[number - 1])
    ctx.say("coord.assigned", code=order.code,
            name=ctx.services.roles.display_name(users[number - 1]))


# -- a coordinator who cannot finish: to a colleague, or back to the open orders -------
def colleagues(ctx: Context) -> list[Option]:
    """The market's other coordinators (numbered as in the market's list), then "back to
    the open orders" while nobody has started shopping, then "keep it"."""
    roles, order = ctx.services.roles, current(ctx)
    options = [Option(f"c{number}", roles.display_name(user))
               for number, user in enumerate(_market_coordinators(ctx), 1) if user != ctx.key]
    if order is not None and order.status == "claimed":
        options.append(Option("release", ctx.t("coord.opt_release")))
    return [*options, Option("keep", ctx.t("coord.opt_keep"))]


def hand_over(ctx: Context) -> None:
    chosen = str(ctx.slots.get("colleague") or "")
    code = str(ctx.slots.get("code") or "")
    if chosen == "keep":
        ctx.say("coord.kept", code=code)
        return
    if chosen == "release":
        act(ctx, "hand_back")
        ctx.say("coord.released", code=code)
        return
    users = _market_coordinators(ctx)
    number = int(chosen[1:]) if chosen[1:].isdecimal() else 0
    if not 1 <= number <= len(users):
        raise ActionFailed("coord.assignee_missing", code=code)
    act(ctx, "hand_over", to=users[number - 1])
    ctx.say("coord.assigned", code=code,
            name=ctx.services.roles.display_name(users[number - 1]))


def register(registry: Registry) -> None:
    registry.options("coord_colleagues")(colleagues)
    registry.action("coord_hand_over")(hand_over)
    registry.condition("coord_wants_assign")(lambda ctx: ctx.slots.get("wants") == "assign")
    registry.options("coord_assignees")(assignees)
    registry.action("coord_assign_prompt")(assign_prompt)
    registry.action("coord_assign")(assign)
