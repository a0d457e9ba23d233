"""What may happen to an order: one table of events.

A row says everything about one event:
- ``sources`` / ``dest``: the statuses it moves an order from, and to (None: it stays);
- ``roles``: who may fire it, as what they are to the order (`RELATIONS`);
- ``needs``: what it needs (`NEEDS`: the order claimed or priced first, a reason, the
  prices, the courier, the cash, the items of a complaint);
- ``apply``: what it changes (the Order's fields, and the note kept in its history);
- ``tells``: who is told, with which message, button and values;
- ``offer``: how it is offered (the answer id in the coordinator's flow, the button's
  label message id, the verb people may type).

The lifecycle machine, the role checks, the notifications and the coordinator's buttons
are all built from this table (`bot.ordering.domain.lifecycle`); adding an event is adding
a row (and its words in the locales).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.ordering.domain.errors import MissingData
from bot.ordering.domain.order import Cancellation, Courier, Exchange, Order, Payment

# what someone is to an order
RESIDENT = "resident"  # the resident who placed it
COORDINATOR = "coordinator"  # the coordinator holding it; any of its market's while unclaimed
COLLEAGUE = "colleague"  # another coordinator of its market, while someone else holds it
STRANGER = "stranger"  # anyone else (other residents, other markets, heads, the office)
HEAD = "head"  # the head of its market unit, or a market-office admin
SYSTEM = "system"  # the app itself (a timer that came due); fired with no role check
RELATIONS = (RESIDENT, COORDINATOR, COLLEAGUE, STRANGER, HEAD, SYSTEM)

# who is told (see bot.ordering.chat.notify)
TO_RESIDENT = "resident"
TO_OTHER_COORDINATORS = "other_coordinators"  # the market's, but not the one acting
TO_HOLDER = "holder"  # the coordinator who held it (else the market's coordinators)
TO_ASSIGNEE = "assignee"  # the coordinator it was just given to
TO_HEAD = "head"  # the head of its market unit (else the market office)
TO_OFFICE = "office"  # the market office's admins

Data = Mapping[str, Any]
Apply = Callable[[Order, str, str, Data], tuple[dict[str, Any], str]]


@dataclass(frozen=True)
class Tell:
    """A message to someone about the change: ``values`` names what it says besides the
    order's code, market, name, address, items and total; ``button`` is (verb, label id),
    offered with the order's code (``report:KRB-1127-001``)."""

    to: str
    message_id: str
    values: tuple[str, ...] = ()
    button: tuple[str, str] | None = None
    photo: bool = False  # the complaint's photo goes along
    sources: tuple[str, ...] = ()  # only when fired from one of these statuses (): always


@dataclass(frozen=True)
class Offer:
    """How the coordinator's order menu offers an event."""

    answer: str  # the answer id the flow's `on:` handles
    label: str  # the button's message id
    verb: str | None = None  # what people may type with the code (``ambil KRB-...``)


@dataclass(frozen=True)
class Event:
    name: str
    sources: tuple[str, ...]
    dest: str | None  # None: the order stays in its status
    roles: frozenset[str]
    apply: Apply
    needs: tuple[str, ...] = ()
    tells: tuple[Tell, ...] = ()
    offer: Offer | None = None
    data: Mapping[str, Any] = field(default_factory=dict)  # free for variant tables
    dest_from: Mapping[str, str] = field(default_factory=dict)  # source -> dest, else dest

    def dest_of(self, source: str) -> str:
        """Where the event takes an order from ``source``."""
        return self.dest_from.get(source) or self.dest or source


def _text(data: Data, key: str) -> str:
    value = data.get(key)
    return " ".join(str(value).split()) if value else ""


def _amount(value: Any) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return value if ok else None


def _happened(order: Order, event: str) -> bool:
    """Whether ``event`` is in the order's history (a timer's event fires once)."""
    return any(entry.event == event for entry in order.history)


# -- what each event needs: a check and the message saying what is missing -------------
@dataclass(frozen=True)
class Need:
    check: Callable[[Order, Data], bool]
    message_id: str
    params: Callable[[Order], dict[str, Any]] = lambda order: {}


NEEDS: dict[str, Need] = {
    "claimed": Need(lambda o, d: bool(o.coordinator), "coord.claim_first",
                    lambda o: {"code": o.code}),
    "priced": Need(lambda o, d: o.total is not None, "coord.prices_first",
                   lambda o: {"code": o.code}),
    "reason": Need(lambda o, d: bool(_text(d, "reason")), "coord.reason_missing"),
    "prices": Need(lambda o, d: isinstance(d.get("prices"), list)
                   and len(d["prices"]) == len(o.items), "coord.prices_incomplete",
                   lambda o: {"count": len(o.items)}),
    "courier": Need(lambda o, d: isinstance(d.get("courier"), Mapping)
                    and bool(_text(d["courier"], "name")) and bool(_text(d["courier"], "phone")),
                    "coord.courier_missing"),
    "cash": Need(lambda o, d: _amount(d.get("cash")) is not None, "coord.cash_missing"),
    # cash short of the total: the coordinator said whether the resident still owes it or
    # it is a discount (with a reason)
    "short_decided": Need(lambda o, d: _amount(d.get("cash")) is None
                          or d["cash"] >= (o.total or 0) or d.get("short") == "owes"
                          or (d.get("short") == "discount"
                              and bool(_text(d, "discount_reason"))),
                          "coord.cash_short_undecided", lambda o: {"code": o.code}),
    "refund": Need(lambda o, d: (_amount(d.get("amount")) or 0) > 0
                   and d["amount"] <= (o.total or 0), "coord.refund_too_much",
                   lambda o: {"code": o.code, "total": o.total or 0}),
    "assignee": Need(lambda o, d: bool(_text(d, "to")) and _text(d, "to") != o.coordinator,
                     "coord.assignee_missing", lambda o: {"code": o.code}),
    "not_escalated": Need(lambda o, d: not _happened(o, "escalate"), "coord.escalated_already",
                          lambda o: {"code": o.code}),
    "escalated": Need(lambda o, d: _happened(o, "escalate")
                      and not _happened(o, "escalate_office"), "coord.escalated_already",
                      lambda o: {"code": o.code}),
    "substitutes_asked": Need(lambda o, d: any(i.substitute_answer == "asked"
                                               for i in o.items),
                              "status.no_substitute_question", lambda o: {"code": o.code}),
    "items": Need(lambda o, d: isinstance(d.get("items"), list) and bool(d["items"])
                  and all(isinstance(i, int) and not isinstance(i, bool)
                          and 1 <= i <= len(o.items) for i in d["items"]),
                  "exchange.items_missing", lambda o: {"count": len(o.items)}),
}


# -- what each event changes ---------------------------------------------------------
def _claim(order: Order, by: str, when: str, data: Data) -> tuple[dict[str, Any], str]:
    return {"coordinator": by, "claimed_at": when}, ""


def _nothing(order: Order, by: str, when: str, data: Data) -> tuple[dict[str, Any], str]:
    return {}, ""


def _prices(order: Order, by: str, when: str, data: Data) -> tuple[dict[str, Any], str]:
    items, total = [], 0
    for item, price in zip(order.items, data["prices"], strict=True):
        if not isinstance(price, Mapping):
            raise MissingData("coord.prices_incomplete", count=len(order.items))
        asked = item.asked()
        if price.get("unavailable"):
            items.append(replace(asked, unavailable=True))
            continue
        amount = _amount(price.get("price"))
        if amount is None:
            raise MissingData("coord.prices_incomplete", count=len(order.items))
        total += amount
        substitute = str(price["substitute"]) if price.get("substitute") else None
        # asked: always where the market asks; where it allows substitutes, only above the
        # price the resident wrote for the item ("tomat 1/2 kg max 15rb")
        over = item.budget is not None and amount > item.budget
        asking = data.get("ask_substitutes") or (data.get("cap_substitutes") and over)
        answer = "asked" if substitute and asking else None
        items.append(replace(asked, price=amount, substitute=substitute,
                             substitute_answer=answer))
    return {"items": tuple(items), "total": total}, ""


def _courier(order: Order, by: str, when: str, data: Data) -> tuple[dict[str, Any], str]:
    courier = Courier(name=_text(data["courier"], "name"), phone=_text(data["courier"], "phone"))
    return {"courier": courier, "sent_at": when}, courier.name


def _deliver(order: Order, by: str, when: str, data: Data) -> tuple[dict[str, Any], str]:
    return {"delivered_at": when}, ""


def _pay(order: Order, by: str, when: str, data: Data) -> tuple[dict[str, Any], str]:
    """The cash received. More than the total: the change went back, the total is kept.
    Less: the rest is outstanding (the resident still owes it) or a discount."""
    cash, total = data["cash"], order.total
    if total is None:
        return {"payment": replace(order.payment, cash=cash, paid_at=when)}, ""
    short = max(total - cash, 0)
    discount = short if short and data.get("short") == "discount" else 0
    reason = _text(data, "discount_reason") if discount else ""
    payment = replace(order.payment, cash=min(cash, total), paid_at=when,
                      outstanding=short - discount, discount=discount, discount_reason=reason)
    return {"payment": payment}, reason


def _cancel(order: Order, by: str, when: str, data: Data) -> tuple[dict[str, Any], str]:
    reason = _text(data, "reason")
    return {"cancellation": Cancellation(reason=reason, by=by, at=when)}, reason


def _request_exchange(order: Order, by: str, when: str,
                      data: Data) -> tuple[dict[str, Any], str]:
    photo = data.get("photo")
    exchange = Exchange(items=tuple(sorted(set(data["items"]))), note=_text(data, "note"),
                        photo=str(photo) if photo else None, requested_at=when,
                        requested_by=by)
    return {"exchange": exchange}, exchange.note


def _finish_exchange(order: Order, by: str, when: str,
                     data: Data) -> tuple[dict[str, Any], str]:
    note = _text(data, "note")
    exchange = replace(order.exchange or Exchange(), done_at=when, done_by=by, done_note=note,
                       resolution="exchanged")
    return {"exchange": exchange}, note


def _refund(order: Order, by: str, when: str, data: Data) -> tuple[dict[str, Any], str]:
    """Money back for an item of a complaint: the order's total follows."""
    amount = data["amount"]
    exchange = replace(order.exchange or Exchange(), done_at=when, done_by=by,
                       done_note=_text(data, "note"), resolution="refunded", refund=amount)
    return {"exchange": exchange, "total": (order.total or 0) - amount}, str(amount)


def _reject(order: Order, by: str, when: str, data: Data) -> tuple[dict[str, Any], str]:
    reason = _text(data, "reason")
    exchange = replace(order.exchange or Exchange(), done_at=when, done_by=by,
                       done_note=reason, resolution="rejected")
    return {"exchange": exchange}, reason


def _substitutes(answer: str) -> Apply:
    """The resident's (or, after the timeout, the coordinator's) word on the substitutes
    asked about; a refused one is not bought, and the total follows."""

    def apply(order: Order, by: str, when: str, data: Data) -> tuple[dict[str, Any], str]:
        items = []
        for item in order.items:
            if item.substitute_answer != "asked":
                items.append(item)
            elif answer == "refused":
                items.append(replace(item, price=None, unavailable=True,
                                     substitute_answer="refused"))
            else:
                items.append(replace(item, substitute_answer=answer))
        total = sum(i.price or 0 for i in items if not i.unavailable)
        return {"items": tuple(items), "total": total}, answer

    return apply


def _release(order: Order, by: str, when: str, data: Data) -> tuple[dict[str, Any], str]:
    """Back to the open orders: nobody holds it."""
    return {"coordinator": None, "claimed_at": None}, ""


def _assign(order: Order, by: str, when: str, data: Data) -> tuple[dict[str, Any], str]:
    """The order given to a coordinator (by the head, or by its coordinator to a
    colleague); an unclaimed one is claimed for them."""
    to = _text(data, "to")
    return {"coordinator": to, "claimed_at": order.claimed_at or when}, to


COORDINATORS = frozenset({COORDINATOR})
EVENT_TABLE: tuple[Event, ...] = (
    Event("claim", ("new",), "claimed", frozenset({COORDINATOR, COLLEAGUE}), _claim,
          tells=(Tell(TO_RESIDENT, "status.note_claimed", ("coordinator",)),
                 Tell(TO_OTHER_COORDINATORS, "coord.claimed_by_other", ("coordinator",))),
          offer=Offer("claim", "coord.opt_claim", "claim")),
    Event("start_shopping", ("claimed",), "shopping", COORDINATORS, _nothing,
          needs=("claimed",),
          tells=(Tell(TO_RESIDENT, "status.note_shopping", ("coordinator",)),),
          offer=Offer("shop", "coord.opt_shop")),
    Event("record_prices", ("shopping",), None, COORDINATORS, _prices,
          needs=("claimed", "prices"),
          tells=(Tell(TO_RESIDENT, "status.note_priced"),),
          offer=Offer("prices", "coord.opt_prices")),
    Event("send_courier", ("shopping",), "on_the_way", COORDINATORS, _courier,
          needs=("claimed", "priced", "courier"),
          tells=(Tell(TO_RESIDENT, "status.note_on_the_way", ("courier", "phone")),),
          offer=Offer("courier", "coord.opt_courier")),
    Event("deliver", ("on_the_way",), "delivered", COORDINATORS, _deliver,
          needs=("claimed",),
          tells=(Tell(TO_RESIDENT, "status.note_delivered",
                      button=("report", "status.opt_report")),),
          offer=Offer("delivered", "coord.opt_delivered")),
    Event("pay", ("delivered", "exchange_done"), "paid", COORDINATORS, _pay,
          needs=("claimed", "cash", "short_decided"),
          tells=(Tell(TO_RESIDENT, "status.note_paid", ("cash", "payment_note")),),
          offer=Offer("paid", "coord.opt_paid")),
    Event("cancel_by_resident", ("new", "claimed"), "cancelled", frozenset({RESIDENT}),
          _cancel, tells=(Tell(TO_HOLDER, "coord.cancelled_by_resident"),)),
    Event("cancel_by_coordinator", ("new", "claimed", "shopping", "on_the_way"), "cancelled",
          COORDINATORS, _cancel, needs=("reason",),
          tells=(Tell(TO_RESIDENT, "status.note_cancelled", ("reason",)),),
          offer=Offer("cancel", "coord.opt_cancel", "cancel")),
    # a coordinator who cannot finish gives the order to a colleague, or back to the list
    Event("hand_over", ("claimed", "shopping"), None, COORDINATORS, _assign,
          needs=("claimed", "assignee"),
          tells=(Tell(TO_ASSIGNEE, "coord.assigned_to_you", ("coordinator",),
                      button=("view", "coord.opt_view")),
                 Tell(TO_RESIDENT, "status.note_assigned", ("assignee",))),
          offer=Offer("handover", "coord.opt_handover")),
    Event("hand_back", ("claimed",), "new", COORDINATORS, _release, needs=("claimed",),
          tells=(Tell(TO_OTHER_COORDINATORS, "coord.handed_back", ("coordinator",),
                      button=("claim", "coord.opt_claim")),)),
    # after payment too (within `complaint_days`, checked where it is asked for)
    Event("request_exchange", ("delivered", "paid"), "exchange_requested",
          frozenset({RESIDENT}), _request_exchange, needs=("items",),
          tells=(Tell(TO_HOLDER, "coord.exchange_task", ("wanted", "note"),
                      button=("view", "coord.opt_view"), photo=True),),
          dest_from={"paid": "complaint"}),
    # a complaint is resolved as an exchange, a refund of an item, or rejected: before
    # payment the order is then paid for (its new total), after payment it is paid again
    Event("finish_exchange", ("exchange_requested", "complaint"), "exchange_done",
          COORDINATORS, _finish_exchange, needs=("claimed",),
          tells=(Tell(TO_RESIDENT, "status.note_exchanged", sources=("exchange_requested",)),
                 Tell(TO_RESIDENT, "status.note_exchanged_paid", sources=("complaint",))),
          offer=Offer("exchanged", "coord.opt_exchanged"), dest_from={"complaint": "paid"}),
    Event("refund", ("exchange_requested", "complaint"), "exchange_done", COORDINATORS,
          _refund, needs=("claimed", "refund"),
          tells=(Tell(TO_RESIDENT, "status.note_refunded", ("refund",)),),
          offer=Offer("refund", "coord.opt_refund"), dest_from={"complaint": "paid"}),
    Event("reject_complaint", ("exchange_requested", "complaint"), "exchange_done",
          COORDINATORS, _reject, needs=("claimed", "reason"),
          tells=(Tell(TO_RESIDENT, "status.note_complaint_rejected", ("reason",)),),
          offer=Offer("reject", "coord.opt_reject"), dest_from={"complaint": "paid"}),
    # a substitute the market asks the resident about: accepted, refused (not bought, the
    # total follows), or left to the coordinator when no answer came in time (the timer)
    Event("accept_substitutes", ("shopping", "on_the_way"), None, frozenset({RESIDENT}),
          _substitutes("accepted"), needs=("substitutes_asked",),
          tells=(Tell(TO_HOLDER, "coord.substitutes_accepted"),)),
    Event("refuse_substitutes", ("shopping", "on_the_way"), None, frozenset({RESIDENT}),
          _substitutes("refused"), needs=("substitutes_asked",),
          tells=(Tell(TO_HOLDER, "coord.substitutes_refused"),)),
    Event("substitutes_unanswered", ("shopping", "on_the_way"), None, frozenset({SYSTEM}),
          _substitutes("coordinator"), needs=("substitutes_asked",),
          tells=(Tell(TO_HOLDER, "coord.substitutes_unanswered", ("minutes",)),)),
    # nobody waits forever: an order nobody claimed is escalated by the app's timer to the
    # head of unit, then to the market office (each once: the history says it happened)
    Event("escalate", ("new",), None, frozenset({SYSTEM}), _nothing,
          needs=("not_escalated",),
          tells=(Tell(TO_HEAD, "coord.escalated", ("minutes",),
                      button=("assign", "coord.opt_assign")),)),
    Event("escalate_office", ("new",), None, frozenset({SYSTEM}), _nothing,
          needs=("escalated",),
          tells=(Tell(TO_OFFICE, "coord.escalated", ("minutes",),
                      button=("assign", "coord.opt_assign")),)),
    Event("assign", ("new", "claimed", "shopping"), None, frozenset({HEAD}), _assign,
          needs=("assignee",),
          tells=(Tell(TO_ASSIGNEE, "coord.assigned_to_you", ("coordinator",),
                      button=("view", "coord.opt_view")),
                 Tell(TO_RESIDENT, "status.note_assigned", ("assignee",), sources=("new",))),
          dest_from={"new": "claimed"}),
)


def changed_fields(order: Order, event: Event, by: str, when: str,
                   data: Data) -> tuple[dict[str, Any], str]:
    """The Order fields ``event`` sets (besides status and history), and its history note.
    Raises MissingData when a need is not met."""
    for name in event.needs:
        need = NEEDS[name]
        if not need.check(order, data):
            raise MissingData(need.message_id, **need.params(order))
    return event.apply(order, by, when, data)


__all__ = ["EVENT_TABLE", "NEEDS", "RELATIONS", "Event", "Need", "Offer", "Payment", "Tell",
           "changed_fields"]
