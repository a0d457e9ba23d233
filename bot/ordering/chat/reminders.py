"""Reminders, durable and polite.

- A resident who stopped in the middle of an order (in the order flow, short of its end)
  is reminded once, ``reminders.resident_minutes`` after their last message, with one
  button, *Lanjutkan*, that asks the question they left (the engine's ``continue``).
- An order delivered and not marked paid ``reminders.unpaid_minutes`` later: its
  coordinator is reminded, with a button that opens the order.
- An order claimed and not being shopped by its market's closing time (data/markets.yaml
  hours): its coordinator is reminded, and the head of the market unit told (the market
  office when the market has no head who chats with the bot).

Each is a durable timer (`bot.storage.base.Timer`), one per thing, so it survives a restart
and fires once (the store hands a due timer to one taker): ``remind:<user key>`` (kind
``remind_resident``), ``unpaid:<code>`` (``remind_unpaid``), ``unshopped:<code>``
(``remind_unshopped``). Setting one again replaces it: a resident who writes again moves
their reminder later.

Where they are set: the resident's at the end of each of their messages (an engine turn
hook, `after_turn`, so the timer is written with the session, in the same flush); the
coordinators' when an order changes (`order_watcher`, on the app's `Orders`).

Polite, by the rules in `Policy` (pure functions, the clock given):
- never in quiet hours (``reminders.quiet_from`` to ``quiet_until``, the markets' time
  zone, Asia/Jakarta): a reminder due then waits for the morning;
- a resident on WhatsApp is reminded only inside the 24-hour window after their last
  message (the session holds when that was): a reminder that could only go later is not
  set at all (the engine never asks an adapter);
- when it fires, the handler looks again: a resident who wrote since, or finished or
  cancelled, gets nothing; an order that moved on gets nothing; a timer that comes due in
  quiet hours (the bot was down all day, say) is moved to the morning, if that is still
  inside the resident's window, and dropped otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from bot.engine.context import Context
from bot.engine.registry import Registry
from bot.messages import Menu, Option, Reply, split_key
from bot.ordering.domain.clock import ClockError, parse_clock
from bot.ordering.domain.markets import Market
from bot.ordering.domain.order import Order
from bot.storage.base import Timer

log = logging.getLogger(__name__)

RESIDENT, UNPAID, UNSHOPPED = "remind_resident", "remind_unpaid", "remind_unshopped"
KINDS = (RESIDENT, UNPAID, UNSHOPPED)
ORDER_FLOW = "order"  # the resident's order flow (flows/order.yaml)
WINDOW = 24 * 3600 - 300  # WhatsApp's free-form window after a user's message, less a margin
RESUME = "continue"  # the engine's option: ask the question the conversation is at
DEFAULTS: dict[str, Any] = {
    "resident_minutes": 120, "unpaid_minutes": 180,
    "quiet_from": "21:00", "quiet_until": "07:00",
}
CLAIMED_EVENTS = frozenset({"claim", "assign", "hand_over"})
UNSHOPPED_OVER = frozenset({"start_shopping", "hand_back", "cancel_by_resident",
                            "cancel_by_coordinator"})


def resident_timer(user: str) -> str:
    return f"remind:{user}"


def unpaid_timer(code: str) -> str:
    return f"unpaid:{code}"


def unshopped_timer(code: str) -> str:
    return f"unshopped:{code}"


# -- the rules -------------------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    """When reminders are due (all times epoch seconds; 0 minutes: that reminder is off)."""

    resident_after: float = 120 * 60
    unpaid_after: float = 180 * 60
    quiet_from: time = time(21, 0)
    quiet_until: time = time(7, 0)
    timezone: tzinfo | None = None

    @classmethod
    def of(cls, config: Mapping[str, Any], timezone: tzinfo | None) -> Policy:
        section = {**DEFAULTS, **(config.get("reminders") or {})}

        def minutes(key: str) -> float:
            try:
                return max(float(section[key] or 0), 0.0) * 60
            except (TypeError, ValueError):
                return float(DEFAULTS[key]) * 60

        def clock(key: str) -> time:
            try:
                return parse_clock(str(section[key]))
            except ClockError:
                return parse_clock(DEFAULTS[key])

        return cls(minutes("resident_minutes"), minutes("unpaid_minutes"),
                   clock("quiet_from"), clock("quiet_until"), timezone)

    def local(self, moment: float) -> datetime:
        return datetime.fromtimestamp(moment, self.timezone)

    def quiet(self, moment: float) -> bool:
        """In quiet hours (they may run past midnight: 21:00 to 07:00)."""
        now = self.local(moment).time()
        start, end = self.quiet_from, self.quiet_until
        if start == end:
            return False
        return start <= now < end if start < end else (now >= start or now < end)

    def polite(self, moment: float) -> float:
        """``moment``, or the end of the quiet hours it falls in."""
        if not self.quiet(moment):
            return moment
        local = self.local(moment)
        end = local.replace(hour=self.quiet_until.hour, minute=self.quiet_until.minute,
                            second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.timestamp()

    def resident_due(self, channel: str, last_message: float) -> float | None:
        """When a resident whose last message was at ``last_message`` is reminded; None:
        not at all (reminders off, or only possible outside WhatsApp's window)."""
        if self.resident_after <= 0:
            return None
        due = self.polite(last_message + self.resident_after)
        if channel == "whatsapp" and due > last_message + WINDOW:
            return None
        return due

    def unpaid_due(self, delivered: float) -> float | None:
        return self.polite(delivered + self.unpaid_after) if self.unpaid_after > 0 else None

    def closing_due(self, market: Market, since: float) -> float:
        """The market's first closing time at or after ``since`` (when an order claimed
        then should have been shopped)."""
        local = self.local(since)
        closing = local.replace(hour=market.closes.hour, minute=market.closes.minute,
                                second=0, microsecond=0)
        if closing <= local:
            closing += timedelta(days=1)
        return self.polite(closing.timestamp())


def mid_order(record: Mapping[str, Any] | None) -> bool:
    """A session in the order flow, short of its end."""
    return bool(record) and record.get("flow") == ORDER_FLOW and bool(record.get("state"))


@dataclass(frozen=True)
class Decision:
    """What a resident's timer does when it comes due: ``send``, ``move`` (to ``due``), or
    ``drop`` (``why``)."""

    action: str
    due: float = 0.0
    why: str = ""


def resident_decision(policy: Policy, key: str, record: Mapping[str, Any] | None,
                      payload: Mapping[str, Any], now: float) -> Decision:
    if not mid_order(record):
        return Decision("drop", why="not mid-order")
    last = float((record or {}).get("updated_at") or 0)
    if abs(last - float(payload.get("at") or 0)) > 1e-3:
        return Decision("drop", why="wrote since")  # their newer timer does it
    if policy.quiet(now):
        due = policy.polite(now)
        if split_key(key)[0] == "whatsapp" and due > last + WINDOW:
            return Decision("drop", why="window")
        return Decision("move", due)
    if split_key(key)[0] == "whatsapp" and now > last + WINDOW:
        return Decision("drop", why="window")
    return Decision("send")


def _epoch(iso: str | None) -> float | None:
    try:
        return datetime.fromisoformat(str(iso)).timestamp() if iso else None
    except ValueError:
        return None


def _last_event(order: Order) -> tuple[str | None, float | None]:
    if not order.history:
        return None, None
    entry = order.history[-1]
    return entry.event, _epoch(entry.at)


def order_timers(policy: Policy, market: Market | None, order: Order
                 ) -> tuple[list[Timer], list[str]]:
    """The timers to set and the timer names to drop after ``order``'s last change."""
    event, at = _last_event(order)
    if event is None or at is None:
        return [], []
    if event == "deliver" and order.status == "delivered":
        due = policy.unpaid_due(at)
        return ([Timer(unpaid_timer(order.code), UNPAID, due, {"code": order.code})]
                if due is not None else []), []
    if event == "pay":
        return [], [unpaid_timer(order.code)]
    if event in CLAIMED_EVENTS and order.status == "claimed" and market is not None:
        since = max(at, _epoch(order.scheduled_for) or at)
        return [Timer(unshopped_timer(order.code), UNSHOPPED, policy.closing_due(market, since),
                      {"code": order.code})], []
    if event in UNSHOPPED_OVER:
        return [], [unshopped_timer(order.code)]
    return [], []


# -- setting them ------------------------------------------------------------------------
_POLICIES: dict[tuple[Any, ...], Policy] = {}  # by (reminders section's items, timezone)


def _policy(services: Any) -> Policy:
    """The app's policy, made once per reminders section and timezone (every resident's
    turn needs it; the section is read again each time, so a changed config is seen)."""
    config = getattr(services, "config", None) or {}
    timezone = services.markets.timezone
    section = config.get("reminders")
    try:
        key = (tuple(section.items()) if isinstance(section, dict) else section, timezone)
        found = _POLICIES.get(key)
    except TypeError:  # a value that cannot be a key: made each time
        return Policy.of(config, timezone)
    if found is None:
        if len(_POLICIES) >= 64:
            _POLICIES.clear()
        found = _POLICIES[key] = Policy.of(config, timezone)
    return found


def after_turn(ctx: Context, flow_before: str | None) -> None:
    """The engine's turn hook: a resident mid-order gets (or moves) their reminder; one who
    left the order flow has theirs dropped. Written with the session."""
    session = ctx.session
    record = {"flow": session.flow, "state": session.state}
    if mid_order(record):
        due = _policy(ctx.services).resident_due(split_key(ctx.key)[0], ctx.now)
        if due is not None:
            ctx.set_timer(resident_timer(ctx.key), RESIDENT, due, {"at": ctx.now})
        elif flow_before == ORDER_FLOW:
            ctx.cancel_timer(resident_timer(ctx.key))
    elif flow_before == ORDER_FLOW:
        ctx.cancel_timer(resident_timer(ctx.key))


def order_watcher(services: Any, store: Any) -> Callable[[Order], None]:
    """For the app's `Orders`: after each stored change, the order's timers set or dropped
    (in the same unit of work as the change)."""

    def watch(order: Order) -> None:
        market = services.markets.get(order.market)
        to_set, to_drop = order_timers(_policy(services), market, order)
        for timer in to_set:
            store.set_timer(timer)
        for name in to_drop:
            store.cancel_timer(name)

    return watch


# -- firing them (timer handlers: bot/engine/timers.py) -----------------------------------
def _t(ctx: Context, user: str, message_id: str, **params: Any) -> str:
    engine = ctx.engine
    return engine.i18n.t(engine.language_of(user), message_id, **params)


def _reachable(ctx: Context, user: str | None) -> bool:
    return bool(user) and ctx.store.get_session(user) is not None


def _timer(ctx: Context) -> Timer:
    assert ctx.timer is not None, "a timer handler's context carries its timer"
    return ctx.timer


def resident_reply(ctx: Context, key: str, record: Mapping[str, Any]) -> Reply:
    market = ctx.services.markets.get(str((record.get("slots") or {}).get("market") or ""))
    where = _t(ctx, key, "remind.at_market", market=market.name) if market else ""
    return Menu(to=key, text=_t(ctx, key, "remind.resident", where=where),
                options=(Option(RESUME, _t(ctx, key, "engine.opt_continue")),))


def fire_resident(ctx: Context) -> None:
    """A resident's reminder came due: sent, moved to the morning, or dropped."""
    timer = _timer(ctx)
    key = timer.name.removeprefix("remind:")
    record = ctx.store.get_session(key)
    decision = resident_decision(_policy(ctx.services), key, record, timer.payload, ctx.now)
    if decision.action != "drop" and ctx.services.roles.is_staff(key):
        decision = Decision("drop", why="staff now")  # made a coordinator since: not theirs
    if decision.action == "move":
        ctx.set_timer(timer.name, timer.kind, decision.due, dict(timer.payload))
    elif decision.action == "drop":
        log.debug("a resident's reminder dropped: %s", decision.why)
    else:
        assert record is not None
        ctx.send(resident_reply(ctx, key, record))
        log.info("a resident who stopped mid-order is reminded")


def _order(ctx: Context) -> Order | None:
    orders = getattr(ctx.services, "orders", None)
    code = str(_timer(ctx).payload.get("code") or "")
    return orders.get(code) if orders is not None and code else None


def _open_button(ctx: Context, user: str, code: str) -> tuple[Option, ...]:
    return (Option(f"view:{code}", _t(ctx, user, "remind.opt_open")),)


def _later(ctx: Context) -> bool:
    """A coordinator's reminder due in quiet hours: moved to the morning (True)."""
    policy, timer = _policy(ctx.services), _timer(ctx)
    if not policy.quiet(ctx.now):
        return False
    ctx.set_timer(timer.name, timer.kind, policy.polite(ctx.now), dict(timer.payload))
    return True


def fire_unpaid(ctx: Context) -> None:
    """Delivered and not paid: its coordinator is reminded, if it still is."""
    order = _order(ctx)
    if order is None or order.status != "delivered" or _later(ctx):
        return
    holder = order.coordinator
    if holder is None or not _reachable(ctx, holder):
        log.warning("order %s: delivered and unpaid, but its coordinator cannot be written "
                    "to", order.code)
        return
    delivered = _epoch(order.delivered_at) or _last_event(order)[1] or ctx.now
    hours = max(round((ctx.now - delivered) / 3600), 1)
    text = _t(ctx, holder, "remind.unpaid", code=order.code, hours=hours,
              name=order.resident.name or "-")
    ctx.send(Menu(to=holder, text=text, options=_open_button(ctx, holder, order.code)))
    log.info("order %s: its coordinator is reminded it is not marked paid", order.code)


def _heads(ctx: Context, market: Market | None) -> list[str]:
    """The market's head, else the market office (those who chat with the bot)."""
    if market is not None and _reachable(ctx, market.head):
        return [market.head]
    return [u for u in sorted(ctx.services.admins) if _reachable(ctx, u)]


def fire_unshopped(ctx: Context) -> None:
    """Claimed and not being shopped at closing: its coordinator reminded, the head told."""
    order = _order(ctx)
    if order is None or order.status != "claimed" or _later(ctx):
        return
    market = ctx.services.markets.get(order.market)
    name = market.name if market else order.market
    closes = market.closes.strftime("%H.%M") if market else "-"
    told = 0
    holder = order.coordinator
    if holder is not None and _reachable(ctx, holder):
        ctx.send(Menu(to=holder, text=_t(ctx, holder, "remind.unshopped", code=order.code,
                                         market=name, closes=closes),
                      options=_open_button(ctx, holder, order.code)))
        told += 1
    coordinator = ctx.services.roles.display_name(holder) if holder else "-"
    for head in _heads(ctx, market):
        if head == holder:
            continue
        ctx.send(Menu(to=head, text=_t(ctx, head, "remind.unshopped_head", code=order.code,
                                       market=name, closes=closes, coordinator=coordinator),
                      options=_open_button(ctx, head, order.code)))
        told += 1
    if told:
        log.info("order %s: claimed and not shopped by closing; %d told", order.code, told)
    else:
        log.warning("order %s: claimed and unshopped at closing, nobody to tell", order.code)


def register(registry: Registry) -> None:
    registry.on_turn_end(after_turn)
    registry.timer(RESIDENT)(fire_resident)
    registry.timer(UNPAID)(fire_unpaid)
    registry.timer(UNSHOPPED)(fire_unshopped)
