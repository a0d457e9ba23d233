"""The life of an order, as one `transitions` machine built once at import.

    new -> claimed -> shopping -> on_the_way -> delivered -> paid
    new | claimed -> cancelled                          (the resident, before shopping)
    new | claimed | shopping | on_the_way -> cancelled  (a coordinator, with a reason)
    delivered -> exchange_requested -> exchange_done -> paid   (payment deferred meanwhile)

`advance` checks one change against the machine and the data it needs and returns the
order's new fields, the change recorded in ``history`` (who, when, from, to, note).
`change` persists it with optimistic concurrency: when two coordinators claim the same
order at once, exactly one update lands; the other re-reads, finds the order claimed and
gets `IllegalChange`. Who may fire which event is decided in `bot.ordering.domain.roles`.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from transitions import Machine, MachineError

from bot.storage.base import Record, Store, VersionConflict

STATUSES = (
    "new", "claimed", "shopping", "on_the_way", "delivered",
    "exchange_requested", "exchange_done", "paid", "cancelled",
)
TRANSITIONS: tuple[dict[str, Any], ...] = (
    {"trigger": "claim", "source": "new", "dest": "claimed"},
    {"trigger": "start_shopping", "source": "claimed", "dest": "shopping"},
    {"trigger": "record_prices", "source": "shopping", "dest": "shopping"},
    {"trigger": "send_courier", "source": "shopping", "dest": "on_the_way"},
    {"trigger": "deliver", "source": "on_the_way", "dest": "delivered"},
    {"trigger": "pay", "source": ["delivered", "exchange_done"], "dest": "paid"},
    {"trigger": "cancel_by_resident", "source": ["new", "claimed"], "dest": "cancelled"},
    {"trigger": "cancel_by_coordinator",
     "source": ["new", "claimed", "shopping", "on_the_way"], "dest": "cancelled"},
    {"trigger": "request_exchange", "source": "delivered", "dest": "exchange_requested"},
    {"trigger": "finish_exchange", "source": "exchange_requested", "dest": "exchange_done"},
)
EVENTS = tuple(dict.fromkeys(t["trigger"] for t in TRANSITIONS))
MAX_TRIES = 5

MACHINE = Machine(model=None, states=list(STATUSES), transitions=[dict(t) for t in TRANSITIONS],
                  initial=None, auto_transitions=False)


class LifecycleError(Exception):
    """A change that cannot be made; ``message_id`` says why to a person."""

    def __init__(self, message_id: str, /, **params: Any) -> None:
        super().__init__(f"{message_id} {params}")
        self.message_id = message_id
        self.params = params


class IllegalChange(LifecycleError):
    """The event is not allowed from the order's status (claimed twice, paid before...)."""

    def __init__(self, code: str, status: str, event: str) -> None:
        super().__init__("coord.illegal_change", code=code, status=status, event=event)
        self.code, self.status, self.event = code, status, event


class MissingData(LifecycleError):
    """The event needs something it was not given (a reason, a price, a courier...)."""


class OrderMissing(LifecycleError):
    def __init__(self, code: str) -> None:
        super().__init__("coord.no_such_order", code=code)


class _Cursor:
    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def allowed_events(status: str) -> list[str]:
    """The events the machine allows from ``status``, in the order they are declared."""
    if status not in STATUSES:
        return []
    found = set(MACHINE.get_triggers(status))
    return [e for e in EVENTS if e in found]


def target(status: str, event: str) -> str:
    """Where ``event`` takes an order in ``status``; raises MachineError if it cannot."""
    if event not in MACHINE.events or status not in STATUSES:
        raise MachineError(f"no event {event!r} from {status!r}")
    cursor = _Cursor(status)
    MACHINE.events[event].trigger(cursor)
    return cursor.state


def _stamp(now: datetime) -> str:
    return now.isoformat(timespec="seconds")


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return " ".join(str(value).split()) if value else ""


def _priced_items(order: Record, prices: Any) -> tuple[list[dict[str, Any]], int]:
    items = order.get("items") or []
    if not isinstance(prices, list) or len(prices) != len(items):
        raise MissingData("coord.prices_incomplete", count=len(items))
    priced, total = [], 0
    for item, price in zip(items, prices, strict=True):
        entry = {k: v for k, v in item.items() if k not in ("price", "unavailable", "substitute")}
        if not isinstance(price, dict):
            raise MissingData("coord.prices_incomplete", count=len(items))
        if price.get("unavailable"):
            entry["unavailable"] = True
        else:
            amount = price.get("price")
            if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
                raise MissingData("coord.prices_incomplete", count=len(items))
            entry["price"] = amount
            total += amount
            if price.get("substitute"):
                entry["substitute"] = str(price["substitute"])
        priced.append(entry)
    return priced, total


def _event_fields(order: Record, event: str, by: str, when: str,
                  data: dict[str, Any]) -> tuple[Record, str]:
    """The fields an event sets besides status and history, and the history note."""
    if event == "claim":
        return {"coordinator": by, "claimed_at": when}, ""
    if event == "record_prices":
        items, total = _priced_items(order, data.get("prices"))
        return {"items": items, "total": total}, ""
    if event == "send_courier":
        if order.get("total") is None:
            raise MissingData("coord.prices_first", code=order["code"])
        courier = data.get("courier") or {}
        name, phone = _text(courier, "name"), _text(courier, "phone")
        if not name or not phone:
            raise MissingData("coord.courier_missing")
        return {"courier": {"name": name, "phone": phone}, "sent_at": when}, name
    if event == "deliver":
        return {"delivered_at": when}, ""
    if event == "pay":
        cash = data.get("cash")
        if not isinstance(cash, int) or isinstance(cash, bool) or cash < 0:
            raise MissingData("coord.cash_missing")
        return {"cash": cash, "paid_at": when}, ""
    if event in ("cancel_by_resident", "cancel_by_coordinator"):
        reason = _text(data, "reason")
        if event == "cancel_by_coordinator" and not reason:
            raise MissingData("coord.reason_missing")
        return {"cancel_reason": reason, "cancelled_by": by, "cancelled_at": when}, reason
    if event == "request_exchange":
        wanted = data.get("items")
        count = len(order.get("items") or [])
        if not isinstance(wanted, list) or not wanted or not all(
            isinstance(i, int) and 1 <= i <= count for i in wanted
        ):
            raise MissingData("exchange.items_missing", count=count)
        exchange = {"items": sorted(set(wanted)), "note": _text(data, "note"),
                    "photo": data.get("photo"), "requested_at": when, "requested_by": by}
        return {"exchange": exchange}, exchange["note"]
    if event == "finish_exchange":
        exchange = dict(order.get("exchange") or {})
        exchange.update({"done_at": when, "done_by": by, "done_note": _text(data, "note")})
        return {"exchange": exchange}, exchange["done_note"]
    return {}, ""  # pragma: no cover - every event is handled above


def advance(order: Record, event: str, by: str, now: datetime, **data: Any) -> Record:
    """The order's new fields after ``event`` by ``by`` at ``now``; the caller's order
    is not changed. Raises IllegalChange, or MissingData when the event lacks its data."""
    status = order.get("status", "")
    try:
        dest = target(status, event)
    except MachineError:
        raise IllegalChange(order.get("code", "?"), status, event) from None
    when = _stamp(now)
    fields, note = _event_fields(order, event, by, when, data)
    entry = {"at": when, "by": by, "from": status, "to": dest, "event": event}
    if note or data.get("note"):
        entry["note"] = note or _text(data, "note")
    history = [*copy.deepcopy(order.get("history") or []), entry]
    return {**fields, "status": dest, "history": history, "updated_at": when}


def change(store: Store, code: str, event: str, by: str, now: datetime,
           **data: Any) -> tuple[Record, Record]:
    """Read, advance and write an order; returns (order before, order after).

    On a version conflict (someone else changed it meanwhile) read it again and re-check:
    of two coordinators claiming at once, the second finds it claimed (IllegalChange).
    """
    for _ in range(MAX_TRIES):
        order = store.get_order(code)
        if order is None:
            raise OrderMissing(code)
        changes = advance(order, event, by, now, **data)
        try:
            return order, store.update_order(code, changes, order["version"])
        except VersionConflict:
            continue
    raise LifecycleError("coord.busy", code=code)
