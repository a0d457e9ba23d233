"""An order as the app handles it: one typed `Order`, read from and written to the store's
record with `Order.from_record` / `Order.to_record`.

Storage keeps orders as plain JSON dicts; only this module reads and writes those dicts.
The round trip is lossless: a part of the order that was not changed is written back
exactly as it was read (so records written by older versions, with keys this version does
not know, keep them), and a changed part is written in the current shape. `changes()`
gives the top-level keys that differ from the record read, for the store's versioned
update.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.ordering.domain.thread import ThreadMessage, read_thread
from bot.ordering.understanding.address import Address
from bot.ordering.understanding.items import Item

Record = dict[str, Any]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _opt_text(value: Any) -> str | None:
    return None if value is None or value == "" else _text(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _extra(data: Mapping[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in data.items() if k not in known}


@dataclass(frozen=True)
class OrderItem:
    """One line of the order: what the resident asked for, and what the coordinator found
    (``price`` in whole rupiah, ``unavailable``, or a ``substitute`` bought instead)."""

    name: str
    quantity: str | None = None  # as written by `Item.to_dict` ("0.25")
    unit: str | None = None
    budget: int | None = None
    note: str = ""
    price: int | None = None
    unavailable: bool = False
    substitute: str | None = None
    # the resident's word on the substitute: asked, accepted, refused, or left to the
    # coordinator (no answer in time); None where the market buys substitutes unasked
    substitute_answer: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    # the keys the stored line had (a line written anew keeps its shape)
    keys: frozenset[str] = field(default=frozenset({"name", "quantity", "unit", "budget",
                                                    "note"}), compare=False, repr=False)

    KEYS = ("name", "quantity", "unit", "budget", "note", "price", "unavailable",
            "substitute", "substitute_answer")

    @classmethod
    def from_record(cls, data: Any) -> OrderItem:
        if not isinstance(data, Mapping):
            return cls(name=_text(data))
        quantity = data.get("quantity")
        return cls(
            name=_text(data.get("name")),
            quantity=None if quantity is None else _text(quantity),
            unit=_opt_text(data.get("unit")),
            budget=_int(data.get("budget")),
            note=_text(data.get("note")),
            price=_int(data.get("price")),
            unavailable=bool(data.get("unavailable")),
            substitute=_opt_text(data.get("substitute")),
            substitute_answer=_opt_text(data.get("substitute_answer")),
            extra=_extra(data, cls.KEYS),
            keys=frozenset(data),
        )

    def to_record(self) -> Record:
        base: Record = {"name": self.name, "quantity": self.quantity, "unit": self.unit,
                        "budget": self.budget, "note": self.note}
        out = {k: v for k, v in base.items() if k == "name" or k in self.keys or v}
        if self.unavailable:
            out["unavailable"] = True
        if self.price is not None:
            out["price"] = self.price
        if self.substitute:
            out["substitute"] = self.substitute
        if self.substitute_answer:
            out["substitute_answer"] = self.substitute_answer
        return {**copy.deepcopy(dict(self.extra)), **out}

    @property
    def item(self) -> Item:
        """The shopping-list line (for describing it as the resident wrote it)."""
        try:
            quantity = None if self.quantity is None else Decimal(self.quantity)
        except InvalidOperation:
            quantity = None
        return Item(name=self.name, quantity=quantity, unit=self.unit, budget=self.budget,
                    note=self.note)

    def asked(self) -> OrderItem:
        """The line as the resident asked for it, without what was found at the market."""
        return replace(self, price=None, unavailable=False, substitute=None,
                       substitute_answer=None)


@dataclass(frozen=True)
class Resident:
    name: str = ""
    phone: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_record(cls, data: Any) -> Resident:
        data = data if isinstance(data, Mapping) else {}
        return cls(name=_text(data.get("name")), phone=_opt_text(data.get("phone")),
                   extra=_extra(data, ("name", "phone")))

    def to_record(self) -> Record:
        return {**copy.deepcopy(dict(self.extra)), "name": self.name, "phone": self.phone}


@dataclass(frozen=True)
class Courier:
    name: str
    phone: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_record(cls, data: Any) -> Courier | None:
        if not isinstance(data, Mapping) or not data:
            return None
        return cls(name=_text(data.get("name")), phone=_text(data.get("phone")),
                   extra=_extra(data, ("name", "phone")))

    def to_record(self) -> Record:
        return {**copy.deepcopy(dict(self.extra)), "name": self.name, "phone": self.phone}


@dataclass(frozen=True)
class Payment:
    """The cash a coordinator received. ``outstanding`` is what the resident still owes,
    ``discount`` what was let go (with ``discount_reason``): both 0 when the cash covered
    the total."""

    cash: int | None = None
    paid_at: str | None = None
    outstanding: int = 0
    discount: int = 0
    discount_reason: str = ""

    KEYS = ("cash", "paid_at", "outstanding", "discount", "discount_reason")


@dataclass(frozen=True)
class Cancellation:
    reason: str = ""
    by: str = ""
    at: str | None = None


@dataclass(frozen=True)
class Exchange:
    """A problem the resident reported after delivery, and how it was resolved."""

    items: tuple[int, ...] = ()  # numbers of the items, from 1
    note: str = ""
    photo: str | None = None
    requested_at: str | None = None
    requested_by: str = ""
    done_at: str | None = None
    done_by: str = ""
    done_note: str = ""
    resolution: str = ""  # exchanged | refunded | rejected ("" for records before these)
    refund: int | None = None  # rupiah given back for a refunded item
    extra: Mapping[str, Any] = field(default_factory=dict)

    KEYS = ("items", "note", "photo", "requested_at", "requested_by", "done_at", "done_by",
            "done_note", "resolution", "refund")

    @classmethod
    def from_record(cls, data: Any) -> Exchange | None:
        if not isinstance(data, Mapping) or not data:
            return None
        numbers = data.get("items")
        return cls(
            items=tuple(n for n in (numbers if isinstance(numbers, list) else [])
                        if isinstance(n, int)),
            note=_text(data.get("note")),
            photo=_opt_text(data.get("photo")),
            requested_at=_opt_text(data.get("requested_at")),
            requested_by=_text(data.get("requested_by")),
            done_at=_opt_text(data.get("done_at")),
            done_by=_text(data.get("done_by")),
            done_note=_text(data.get("done_note")),
            resolution=_text(data.get("resolution")),
            refund=_int(data.get("refund")),
            extra=_extra(data, cls.KEYS),
        )

    def to_record(self) -> Record:
        out: Record = {"items": list(self.items), "note": self.note, "photo": self.photo,
                       "requested_at": self.requested_at, "requested_by": self.requested_by}
        if self.done_at is not None:
            out.update(done_at=self.done_at, done_by=self.done_by, done_note=self.done_note)
        if self.resolution:
            out["resolution"] = self.resolution
        if self.refund is not None:
            out["refund"] = self.refund
        return {**copy.deepcopy(dict(self.extra)), **out}


@dataclass(frozen=True)
class HistoryEntry:
    """One change of the order: who (a user key), when, from which status to which, by
    which event (none for the order's creation), with the note given."""

    at: str
    by: str
    from_: str | None
    to: str
    event: str | None = None
    note: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    # the keys the stored entry had (an entry written anew keeps its shape)
    keys: frozenset[str] = field(default=frozenset({"at", "by", "from", "to"}),
                                 compare=False, repr=False)

    KEYS = ("at", "by", "from", "to", "event", "note")

    @classmethod
    def from_record(cls, data: Any) -> HistoryEntry:
        data = data if isinstance(data, Mapping) else {}
        return cls(at=_text(data.get("at")), by=_text(data.get("by")),
                   from_=_opt_text(data.get("from")), to=_text(data.get("to")),
                   event=_opt_text(data.get("event")), note=_text(data.get("note")),
                   extra=_extra(data, cls.KEYS), keys=frozenset(data))

    def to_record(self) -> Record:
        base: Record = {"at": self.at, "by": self.by, "from": self.from_, "to": self.to}
        out = {k: v for k, v in base.items() if k in self.keys or v}
        if self.event:
            out["event"] = self.event
        if self.note:
            out["note"] = self.note
        return {**copy.deepcopy(dict(self.extra)), **out}


# top-level keys of the record each typed field is read from (the rest go to `extra`)
_TIMES = ("claimed_at", "sent_at", "delivered_at")
_KNOWN = (
    "code", "market", "status", "user", "channel", "items", "address", "resident",
    "referral", "estimate", "note", "request_id", "scheduled_for", "created_at",
    "updated_at", "version", "coordinator", "total", "courier", *_TIMES, *Payment.KEYS,
    "cancel_reason", "cancelled_by", "cancelled_at", "exchange", "history", "thread",
)
# keys a new order always carries (as orders have since the first version)
_ALWAYS = ("code", "market", "status", "items", "address", "resident", "user", "channel",
           "referral", "estimate", "created_at", "updated_at", "history")


@dataclass(frozen=True)
class Order:
    code: str
    market: str
    status: str
    user: str  # the resident's conversation key
    items: tuple[OrderItem, ...] = ()
    address: Address = field(default_factory=lambda: Address(text=""))
    resident: Resident = field(default_factory=Resident)
    channel: str = ""
    referral: str | None = None
    estimate: int | None = None
    note: str = ""  # the resident's remark for the coordinator
    request_id: str | None = None
    scheduled_for: str | None = None
    created_at: str = ""
    updated_at: str = ""
    version: int = 0  # 0 until stored
    coordinator: str | None = None
    claimed_at: str | None = None
    total: int | None = None
    courier: Courier | None = None
    sent_at: str | None = None
    delivered_at: str | None = None
    payment: Payment = field(default_factory=Payment)
    cancellation: Cancellation | None = None
    exchange: Exchange | None = None
    history: tuple[HistoryEntry, ...] = ()
    # what the resident and the coordinator wrote each other through the bot, oldest first
    # (`bot.ordering.domain.thread`); the web office and the export show it
    thread: tuple[ThreadMessage, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)  # keys this version doesn't know
    # the record this order was read from, and its parts as read (for a lossless write)
    _source: Record | None = field(default=None, repr=False, compare=False)
    _read: Record | None = field(default=None, repr=False, compare=False)

    # -- reading and writing the stored record --------------------------------------
    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Order:
        """The order a stored record holds. The record is kept as it is (not copied: the
        caller hands it over, as the store hands over a fresh copy) for `to_record`."""
        r = record
        courier = Courier.from_record(r.get("courier"))
        cancelled = any(k in r for k in ("cancel_reason", "cancelled_by", "cancelled_at"))
        history = r.get("history")
        items = r.get("items")
        order = cls(
            code=_text(r.get("code")),
            market=_text(r.get("market")),
            status=_text(r.get("status")) or "new",
            user=_text(r.get("user")),
            items=tuple(OrderItem.from_record(i) for i in (items if isinstance(items, list)
                                                            else [])),
            address=Address.from_dict(r.get("address")),
            resident=Resident.from_record(r.get("resident")),
            channel=_text(r.get("channel")),
            referral=_opt_text(r.get("referral")),
            estimate=_int(r.get("estimate")),
            note=_text(r.get("note")),
            request_id=_opt_text(r.get("request_id")),
            scheduled_for=_opt_text(r.get("scheduled_for")),
            created_at=_text(r.get("created_at")),
            updated_at=_text(r.get("updated_at")),
            version=_int(r.get("version")) or 0,
            coordinator=_opt_text(r.get("coordinator")),
            claimed_at=_opt_text(r.get("claimed_at")),
            total=_int(r.get("total")),
            courier=courier,
            sent_at=_opt_text(r.get("sent_at")),
            delivered_at=_opt_text(r.get("delivered_at")),
            payment=Payment(cash=_int(r.get("cash")), paid_at=_opt_text(r.get("paid_at")),
                            outstanding=_int(r.get("outstanding")) or 0,
                            discount=_int(r.get("discount")) or 0,
                            discount_reason=_text(r.get("discount_reason"))),
            cancellation=Cancellation(reason=_text(r.get("cancel_reason")),
                                      by=_text(r.get("cancelled_by")),
                                      at=_opt_text(r.get("cancelled_at")))
            if cancelled else None,
            exchange=Exchange.from_record(r.get("exchange")),
            history=tuple(HistoryEntry.from_record(h) for h in (
                history if isinstance(history, list) else [])),
            thread=read_thread(r.get("thread")),
            extra=_extra(r, _KNOWN),
        )
        object.__setattr__(order, "_source", record)
        return order

    def _as_read(self) -> Record:
        """The typed fields of the record read, as `_fields` writes them (computed when
        first written: reading lists of orders does not pay for it)."""
        if self._read is None:
            object.__setattr__(self, "_read", Order.from_record(self._source or {})._fields())
        return self._read  # type: ignore[return-value]

    def _fields(self) -> Record:
        """The record's top-level keys as this order's typed fields write them."""
        out: Record = {
            "code": self.code, "market": self.market, "status": self.status,
            "items": [i.to_record() for i in self.items],
            "address": self.address.to_dict(), "resident": self.resident.to_record(),
            "user": self.user, "channel": self.channel, "referral": self.referral,
            "estimate": self.estimate, "created_at": self.created_at,
            "updated_at": self.updated_at,
            "history": [h.to_record() for h in self.history],
        }
        optional: Record = {
            "note": self.note or None, "request_id": self.request_id,
            "scheduled_for": self.scheduled_for, "coordinator": self.coordinator,
            "claimed_at": self.claimed_at, "total": self.total,
            "courier": self.courier.to_record() if self.courier else None,
            "sent_at": self.sent_at, "delivered_at": self.delivered_at,
            "cash": self.payment.cash, "paid_at": self.payment.paid_at,
            "outstanding": self.payment.outstanding or None,
            "discount": self.payment.discount or None,
            "discount_reason": self.payment.discount_reason or None,
            "exchange": self.exchange.to_record() if self.exchange else None,
            "thread": [m.to_record() for m in self.thread] or None,
        }
        if self.cancellation is not None:
            c = self.cancellation
            optional.update(cancel_reason=c.reason, cancelled_by=c.by, cancelled_at=c.at)
        out.update({k: v for k, v in optional.items() if v is not None})
        if self.version:
            out["version"] = self.version
        return out

    def to_record(self) -> Record:
        """The record to store: what was read, with the changed parts written anew."""
        fresh = self._fields()
        if self._source is None:
            return {**copy.deepcopy(dict(self.extra)), **fresh}
        read = self._as_read()
        out = copy.deepcopy(dict(self._source))
        for key, value in fresh.items():
            if read.get(key, _MISSING) != value:
                out[key] = value
        for key in read.keys() - fresh.keys():
            if key not in _ALWAYS:
                out.pop(key, None)  # a part cleared since it was read
        for key in self.extra.keys() - out.keys():
            out[key] = copy.deepcopy(self.extra[key])
        return out

    def changes(self) -> Record:
        """The top-level keys whose values differ from the record read (all for a new
        order): what a versioned update of the store writes."""
        record = self.to_record()
        source = self._source or {}
        out = {k: v for k, v in record.items() if k != "version" and source.get(k, _MISSING) != v}
        for key in source.keys() - record.keys():
            out[key] = None  # cleared (the store has no key deletion: None reads as absent)
        return out

    def evolve(self, **changes: Any) -> Order:
        """A copy with ``changes``, still knowing the record it was read from."""
        new = replace(self, **changes)
        object.__setattr__(new, "_source", self._source)
        object.__setattr__(new, "_read", self._read)
        return new

    # -- what people and reports ask of an order ---------------------------------
    @property
    def item_count(self) -> int:
        return len(self.items)

    @property
    def priced(self) -> bool:
        return self.total is not None

    @property
    def cash(self) -> int | None:
        return self.payment.cash

    @property
    def cancel_reason(self) -> str:
        return self.cancellation.reason if self.cancellation else ""

    def at(self, status: str) -> str | None:
        """When the order last entered ``status`` (from its history)."""
        for entry in reversed(self.history):
            if entry.to == status:
                return entry.at
        return None


class _Missing:
    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "<missing>"


_MISSING: Any = _Missing()


# the shape of a stored order's parts: key -> (what it must be, the types that are fine)
_SHAPES: dict[str, tuple[str, tuple[type, ...]]] = {
    "code": ("a text", (str,)), "market": ("a text", (str,)), "status": ("a text", (str,)),
    "user": ("a text", (str,)), "items": ("a list", (list,)),
    "address": ("an object or a text", (dict, str)), "resident": ("an object", (dict,)),
    "history": ("a list", (list,)), "courier": ("an object", (dict,)),
    "exchange": ("an object", (dict,)), "thread": ("a list", (list,)),
    "total": ("a whole number", (int,)),
    "cash": ("a whole number", (int,)), "version": ("a whole number", (int,)),
    "created_at": ("a date text", (str,)),
}


def record_problems(record: Mapping[str, Any]) -> list[str]:
    """What in a stored order is not of the shape this version writes (``resident is not an
    object``): `Order.from_record` reads past it, `main.py doctor` reports it."""
    found = []
    for key, (what, types) in _SHAPES.items():
        value = record.get(key)
        if value is None:
            continue
        if not isinstance(value, types) or isinstance(value, bool):
            found.append(f"{key} is {type(value).__name__}, not {what}")
    for name in ("items", "history", "thread"):
        entries = record.get(name)
        if isinstance(entries, list) and not all(isinstance(e, dict) for e in entries):
            found.append(f"{name} holds something that is not an object")
    return found


def field_names() -> tuple[str, ...]:
    """The Order's typed fields (for documentation and tests)."""
    return tuple(f.name for f in fields(Order) if not f.name.startswith("_"))
