"""The life of an order, as one `transitions` machine built from the tables.

    new -> claimed -> shopping -> on_the_way -> delivered -> paid
    new | claimed -> cancelled                          (the resident, before shopping)
    new | claimed | shopping | on_the_way -> cancelled  (a coordinator, with a reason)
    delivered -> exchange_requested -> exchange_done -> paid   (payment deferred meanwhile)

`Lifecycle` builds one Machine from a status table (`statuses.STATUS_TABLE`) and an event
table (`events.EVENT_TABLE`): the statuses are its states, the events its triggers (one
transition per source status), and the machine steers. Its conditions are the role check
(the ``judge`` given, built by `Roles` from the event's ``roles``) and the event's needs;
its ``after`` callback collects the change (the Order's new fields, its history entry) and
the notifications (the event's ``tells``) on the plain object the event is fired on, and
our code persists and sends them afterwards (no AsyncMachine: see DESIGN.md).

`change` persists with optimistic concurrency: when two coordinators claim the same order
at once, exactly one update lands; the other re-reads, finds the order claimed and gets
`IllegalChange`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from transitions import EventData, Machine, MachineError

from bot.ordering.domain.errors import (
    IllegalChange,
    LifecycleError,
    MissingData,
    OrderMissing,
    Refused,
)
from bot.ordering.domain.events import EVENT_TABLE, Event, Tell, changed_fields
from bot.ordering.domain.order import HistoryEntry, Order
from bot.ordering.domain.statuses import STATUS_TABLE, Status, Statuses

__all__ = [
    "EVENTS", "LIFECYCLE", "STATUSES", "Fired", "IllegalChange", "Judge", "Lifecycle",
    "LifecycleError", "MissingData", "OrderMissing", "advance", "allowed_events", "change",
]

MAX_TRIES = 5
# who may fire an event on an order: None when they may, else why not
Judge = Callable[[Event, Order], Refused | None]


@dataclass
class _Cursor:
    """The plain object an event is fired on: the order's status, and what the machine's
    conditions and callback need and leave."""

    state: str
    order: Order
    event: Event
    by: str
    when: str
    data: dict[str, Any]
    judge: Judge | None
    refusal: Exception | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    after: Order | None = None
    tells: tuple[Tell, ...] = ()


@dataclass(frozen=True)
class Fired:
    """An event that happened: the order before and after, and who is to be told what."""

    event: Event
    before: Order
    after: Order
    tells: tuple[Tell, ...]


def _allowed(event_data: EventData) -> bool:
    cursor: _Cursor = event_data.model
    if cursor.judge is not None:
        cursor.refusal = cursor.judge(cursor.event, cursor.order)
    return cursor.refusal is None


def _complete(event_data: EventData) -> bool:
    cursor: _Cursor = event_data.model
    try:
        cursor.fields, cursor.note = changed_fields(cursor.order, cursor.event, cursor.by,
                                                    cursor.when, cursor.data)
    except MissingData as missing:
        cursor.refusal = missing
        return False
    return True


def _collect(event_data: EventData) -> None:
    """The machine's ``after``: the change and the notifications, for our code to apply."""
    cursor: _Cursor = event_data.model
    order = cursor.order
    note = cursor.note or " ".join(str(cursor.data.get("note") or "").split())
    entry = HistoryEntry(at=cursor.when, by=cursor.by, from_=order.status, to=cursor.state,
                         event=cursor.event.name, note=note)
    cursor.after = order.evolve(**cursor.fields, status=cursor.state,
                                history=(*order.history, entry), updated_at=cursor.when)
    cursor.tells = cursor.event.tells


class Lifecycle:
    """The order's machine, its statuses and its events, from two tables."""

    def __init__(self, statuses: Iterable[Status] = STATUS_TABLE,
                 events: Iterable[Event] = EVENT_TABLE) -> None:
        self.statuses = Statuses(tuple(statuses))
        self.events: dict[str, Event] = {e.name: e for e in events}
        unknown = {s for e in self.events.values()
                   for s in (*e.sources, e.dest or e.sources[0], *e.dest_from.values())
                   if s not in self.statuses}
        if unknown:
            raise ValueError(f"events name unknown statuses: {', '.join(sorted(unknown))}")
        transitions = [
            {"trigger": e.name, "source": source, "dest": e.dest_of(source),
             "conditions": [_allowed, _complete], "after": _collect}
            for e in self.events.values() for source in e.sources
        ]
        self.machine = Machine(model=None, states=list(self.statuses.names),
                               transitions=transitions, initial=None,
                               auto_transitions=False, send_event=True)
        self._allowed = {s: [e for e in self.events if s in self.events[e].sources]
                         for s in self.statuses.names}

    @property
    def event_names(self) -> tuple[str, ...]:
        return tuple(self.events)

    def allowed_events(self, status: str) -> list[str]:
        """The events allowed from ``status`` (by status alone), in table order."""
        return list(self._allowed.get(status, ()))

    def target(self, status: str, event: str) -> str:
        """Where ``event`` takes an order in ``status``; raises MachineError if nowhere."""
        found = self.events.get(event)
        if found is None or status not in found.sources:
            raise MachineError(f"no event {event!r} from {status!r}")
        return found.dest_of(status)

    def fire(self, order: Order, event: str, by: str, now: datetime,
             judge: Judge | None = None, **data: Any) -> Fired:
        """Fire ``event`` by ``by`` at ``now`` on ``order`` (not changed): the machine checks
        the status, the role (``judge``) and the data, and collects the change.

        Raises Refused, IllegalChange or MissingData."""
        found = self.events.get(event)
        if found is None or order.status not in self.statuses:
            if found is not None and judge is not None:
                self._refuse_first(judge, found, order)
            raise IllegalChange(order.code or "?", order.status, event)
        cursor = _Cursor(order.status, order, found, by, now.isoformat(timespec="seconds"),
                         data, judge)
        try:
            moved = self.machine.events[event].trigger(cursor)
        except MachineError:
            if judge is not None:  # someone who may not do it at all is told so first
                self._refuse_first(judge, found, order)
            raise IllegalChange(order.code or "?", order.status, event) from None
        if not moved or cursor.after is None:
            raise cursor.refusal or IllegalChange(order.code or "?", order.status, event)
        return Fired(found, order, cursor.after, cursor.tells)

    @staticmethod
    def _refuse_first(judge: Judge, event: Event, order: Order) -> None:
        refusal = judge(event, order)
        if refusal is not None:
            raise refusal

    def change(self, orders: Any, code: str, event: str, by: str, now: datetime,
               judge: Judge | None = None, **data: Any) -> Fired:
        """Read, fire and write an order (``orders``: the app's typed `Orders`, or the
        storage's order repository, which is wrapped in one).

        On a version conflict (someone else changed it meanwhile) read it again and
        re-check: of two coordinators claiming at once, the second finds it claimed."""
        from bot.ordering.domain.repository import Orders
        from bot.storage.base import VersionConflict

        if not isinstance(orders, Orders):
            orders = Orders(orders)
        for _ in range(MAX_TRIES):
            order = orders.get(code)
            if order is None:
                raise OrderMissing(code)
            fired = self.fire(order, event, by, now, judge, **data)
            try:
                stored = orders.update(fired.after)
            except VersionConflict:
                continue
            return Fired(fired.event, order, stored, fired.tells)
        raise LifecycleError("coord.busy", code=code)


LIFECYCLE = Lifecycle()
STATUSES: tuple[str, ...] = LIFECYCLE.statuses.names
EVENTS: tuple[str, ...] = LIFECYCLE.event_names


def allowed_events(status: str) -> list[str]:
    return LIFECYCLE.allowed_events(status)


def advance(order: Order, event: str, by: str, now: datetime, **data: Any) -> Order:
    """The order after ``event`` (no role check); the caller's order is not changed."""
    return LIFECYCLE.fire(order, event, by, now, None, **data).after


def change(orders: Any, code: str, event: str, by: str, now: datetime,
           judge: Judge | None = None, **data: Any) -> tuple[Order, Order]:
    """`Lifecycle.change` on the default tables: (order before, order after)."""
    fired = LIFECYCLE.change(orders, code, event, by, now, judge, **data)
    return fired.before, fired.after
