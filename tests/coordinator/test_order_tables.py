"""The order domain from its two tables (issue 12 item 1): every (status, event, role)
triple behaves as the tables say; a table with one more status and event runs the
lifecycle and the coordinator's buttons with no other change; and an order's record,
old ones included, round-trips through `Order` exactly."""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.ordering.chat.coordinator import offers
from bot.ordering.domain.errors import IllegalChange, MissingData, Refused
from bot.ordering.domain.events import (
    COLLEAGUE,
    COORDINATOR,
    EVENT_TABLE,
    NEEDS,
    RESIDENT,
    STRANGER,
    TO_RESIDENT,
    Event,
    Offer,
    Tell,
)
from bot.ordering.domain.lifecycle import LIFECYCLE, Lifecycle
from bot.ordering.domain.markets import load_markets
from bot.ordering.domain.order import Order
from bot.ordering.domain.repository import Orders
from bot.ordering.domain.roles import Roles
from bot.ordering.domain.statuses import STATUS_TABLE, Status
from bot.storage.memory import MemoryStore
from bot.storage.tinydb_store import TinyDBStore

ROOT = Path(__file__).resolve().parents[2]
ROLES = Roles(load_markets(ROOT / "data" / "markets.yaml"), frozenset({"telegram:42"}))
WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2025, 11, 27, 9, 0, tzinfo=WIB)
K1, K2 = "console:koord-kranji-1", "console:koord-kranji-2"
WARGA, OTHER_MARKET = "console:warga", "console:koord-harapan-1"
# someone for each relation a person can have to an order (the app itself is no person)
PEOPLE = {RESIDENT: WARGA, COORDINATOR: K1, COLLEAGUE: K2, STRANGER: OTHER_MARKET,
          "head": "console:kepala-kranji"}
# complete data for each event that needs some (a row added without its data here fails
# below with MissingData: add it)
DATA: dict[str, dict[str, Any]] = {
    "record_prices": {"prices": [{"price": 12000}, {"unavailable": True},
                                 {"substitute": "kol", "price": 8000}]},
    "send_courier": {"courier": {"name": "Pak Joko", "phone": "+6281311112222"}},
    "pay": {"cash": 20000},
    "cancel_by_coordinator": {"reason": "pasar tutup"},
    "request_exchange": {"items": [1], "note": "layu"},
    "refund": {"amount": 5000},
    "reject_complaint": {"reason": "sudah dicek"},
    "assign": {"to": K2},
    "hand_over": {"to": K2},
}
# what the order must already hold for an event (data cannot give it): a substitute the
# resident was asked about
ASKED = {"items": [{"name": "bawang merah", "price": 12000},
                   {"name": "telur", "substitute": "telur bebek", "price": 8000,
                    "substitute_answer": "asked"}]}
HOLDS: dict[str, dict[str, Any]] = {
    "accept_substitutes": ASKED, "refuse_substitutes": ASKED, "substitutes_unanswered": ASKED,
}


def record(status: str, **extra: Any) -> dict[str, Any]:
    """An order in ``status`` as it would be stored: held by K1 once claimed, priced once
    shopped."""
    held = status != "new"
    return {
        "code": "KRB-1127-001", "market": "kranji-baru", "status": status, "user": WARGA,
        "items": [{"name": "bawang merah", "quantity": "0.25", "unit": "kg", "budget": None,
                   "note": ""}, {"name": "telur", "quantity": "1", "unit": "kg",
                                 "budget": None, "note": ""},
                  {"name": "kangkung", "quantity": "2", "unit": "ikat", "budget": None,
                   "note": ""}],
        "address": {"text": "Jl. Melati 3"}, "resident": {"name": "Bu Ani", "phone": None},
        "coordinator": K1 if held else None,
        "total": None if status in ("new", "claimed") else 20000,
        "exchange": {"items": [1], "note": "layu", "photo": None,
                     "requested_at": "2025-11-27T08:30:00+07:00", "requested_by": WARGA}
        if "exchange" in status or status == "complaint" else None,
        "created_at": "2025-11-27T07:33:20+07:00", "updated_at": "2025-11-27T07:33:20+07:00",
        "history": [{"at": "2025-11-27T07:33:20+07:00", "by": WARGA, "from": None,
                     "to": "new"}],
        "version": 4, **extra,
    }


def expected(status: str, event: Event, relation: str, order: Order) -> str:
    """What the tables say firing ``event`` as ``relation`` does: "ok", or the refusal."""
    if relation not in event.roles:
        return "refused"
    unclaimed = relation == COORDINATOR and not order.coordinator
    if unclaimed and "claimed" in event.needs:
        return "claim_first"
    if status not in event.sources:
        return "illegal"
    data = DATA.get(event.name, {})
    if not all(NEEDS[n].check(order, data) for n in event.needs):
        return "missing"
    return "ok"


TRIPLES = [(s.name, e.name, r) for s in STATUS_TABLE for e in EVENT_TABLE for r in PEOPLE]


@pytest.mark.parametrize(("status", "event", "relation"), TRIPLES,
                         ids=[f"{s}-{e}-{r}" for s, e, r in TRIPLES])
def test_every_status_event_and_role_as_the_tables_say(status: str, event: str,
                                                       relation: str) -> None:
    row = LIFECYCLE.events[event]
    order = Order.from_record(record(status, **HOLDS.get(event, {})))
    user = PEOPLE[relation]
    actual = ROLES.relations(user, order)  # K2 is no colleague while nobody holds it
    assert relation in actual or (relation == COLLEAGUE and actual == {COORDINATOR})
    want = expected(status, row, relation if relation in actual else COORDINATOR, order)
    data = DATA.get(event, {})
    if want == "ok":
        fired = LIFECYCLE.fire(order, event, user, NOW, ROLES.judge(user), **data)
        dest = row.dest_of(status) if hasattr(row, "dest_of") else (row.dest or status)
        assert fired.after.status == dest
        last = fired.after.history[-1]
        assert (last.by, last.from_, last.to, last.event) == (user, status, fired.after.status,
                                                              event)
        assert fired.tells == row.tells and order.status == status  # the order read: as it was
        return
    errors = {"refused": Refused, "claim_first": Refused, "illegal": IllegalChange,
              "missing": MissingData}
    with pytest.raises(errors[want]) as refused:
        LIFECYCLE.fire(order, event, user, NOW, ROLES.judge(user), **data)
    if want == "claim_first":
        assert refused.value.message_id == "coord.claim_first"


def test_the_triples_are_not_vacuous() -> None:
    """Every event is legal for someone from some status, and refused for the others."""
    for event in EVENT_TABLE:
        outcomes = set()
        for status in STATUS_TABLE:
            order = Order.from_record(record(status.name, **HOLDS.get(event.name, {})))
            for relation in PEOPLE:
                outcomes.add(expected(status.name, event, relation, order))
        system_only = not event.roles & set(PEOPLE)
        assert system_only or "ok" in outcomes, event.name
        assert outcomes - {"ok"}, event.name


# -- one more status and event: the tables are the only place that changes ------------
def _refund_all(order: Order, by: str, when: str, data: Any) -> tuple[dict[str, Any], str]:
    return {"total": 0}, "semua dikembalikan"


REFUNDED = Status("refunded", "status.cancelled", "#000000", finished=True)
REFUND_ALL = Event("refund_all", ("paid",), "refunded", frozenset({COORDINATOR}), _refund_all,
                   needs=("claimed",), tells=(Tell(TO_RESIDENT, "status.note_cancelled"),),
                   offer=Offer("refund_all", "coord.opt_cancel"))


def test_a_table_with_one_more_event_runs_the_lifecycle_and_the_buttons() -> None:
    variant = Lifecycle((*STATUS_TABLE, REFUNDED), (*EVENT_TABLE, REFUND_ALL))
    orders = Orders(MemoryStore(finished=variant.statuses.finished))
    new = record("new")
    new.pop("version")
    orders.create(Order.from_record(new))
    steps = [("claim", K1), ("start_shopping", K1), ("record_prices", K1),
             ("send_courier", K1), ("deliver", K1), ("pay", K1)]
    for event, who in steps:
        variant.change(orders, "KRB-1127-001", event, who, NOW, ROLES.judge(who),
                       **DATA.get(event, {}))
    paid = orders.get("KRB-1127-001")
    assert paid is not None and paid.status == "paid"
    # the coordinator's buttons come from the table: the holder is offered the new event
    assert REFUND_ALL.offer in offers(variant, ROLES, K1, paid)
    assert REFUND_ALL.offer not in offers(variant, ROLES, K2, paid)
    assert REFUND_ALL.offer not in offers(LIFECYCLE, ROLES, K1, paid)  # the default: not
    with pytest.raises(Refused):
        variant.change(orders, "KRB-1127-001", "refund_all", K2, NOW, ROLES.judge(K2))
    fired = variant.change(orders, "KRB-1127-001", "refund_all", K1, NOW, ROLES.judge(K1))
    assert fired.after.status == "refunded" and fired.after.total == 0
    assert fired.tells == REFUND_ALL.tells
    assert fired.after.history[-1].note == "semua dikembalikan"
    assert variant.statuses.is_finished("refunded") and "refunded" not in LIFECYCLE.statuses
    assert offers(variant, ROLES, K1, fired.after) == []  # nothing after it
    with pytest.raises(IllegalChange):
        LIFECYCLE.fire(paid, "refund_all", K1, NOW, ROLES.judge(K1))


# -- the record round trip ---------------------------------------------------------------
OLD_RECORDS = [
    # the first versions: the address a plain text, no channel, no event in the history
    {"code": "KRB-1001-001", "market": "kranji-baru", "status": "new", "user": "telegram:7",
     "items": [{"name": "cabe", "qty": "5rb", "price": None}], "address": "Jl. Melati 3",
     "resident": {"name": "Bu Ani"}, "created_at": "2025-10-01T08:00:00+07:00",
     "history": [{"at": "2025-10-01T08:00:00+07:00", "by": "telegram:7", "to": "new"}]},
    # an address with a pin only, an unknown key, a paid order with its payment
    {"code": "KRB-1002-004", "market": "kranji-baru", "status": "paid", "user": "whatsapp:1",
     "items": [{"name": "telur", "quantity": "1", "unit": "kg", "budget": None, "note": "",
                "price": 28000}], "address": {"text": "", "pin": [-6.2, 107.0]},
     "resident": {"name": "Pak Ujang", "phone": "+628123"}, "coordinator": K1,
     "total": 28000, "cash": 30000, "paid_at": "2025-10-02T10:00:00+07:00",
     "courier": {"name": "Mas Anto", "phone": "+62812"}, "legacy_flag": True,
     "created_at": "2025-10-02T07:00:00+07:00", "updated_at": "2025-10-02T10:00:00+07:00",
     "history": [], "version": 7},
    # as this version writes one, every part present
    {**record("exchange_done"), "note": "pagar hijau", "referral": "rw05-jatibening",
     "request_id": "abc", "scheduled_for": "2025-11-28T05:00",
     "exchange": {"items": [1, 3], "note": "layu", "photo": "photo-1",
                  "requested_at": "2025-11-27T09:00:00+07:00", "requested_by": WARGA,
                  "done_at": "2025-11-27T10:00:00+07:00", "done_by": K1, "done_note": "ok"},
     "cancel_reason": "", "claimed_at": "2025-11-27T07:40:00+07:00"},
    # a cancelled one, values of odd types read past
    {"code": "KRB-1003-002", "market": "kranji-baru", "status": "cancelled", "user": WARGA,
     "items": [], "address": None, "resident": None, "cancel_reason": "salah pasar",
     "cancelled_by": WARGA, "cancelled_at": "2025-10-03T09:00:00+07:00", "total": "12000",
     "created_at": "2025-10-03T08:00:00+07:00", "history": [{"at": "x", "by": WARGA,
                                                            "from": "new", "to": "cancelled",
                                                            "event": "cancel_by_resident",
                                                            "extra": 1}]},
]


@pytest.mark.parametrize("stored", OLD_RECORDS, ids=[r["code"] for r in OLD_RECORDS])
def test_a_stored_record_round_trips_exactly(stored: dict[str, Any]) -> None:
    before = copy.deepcopy(stored)
    order = Order.from_record(stored)
    assert order.to_record() == before and order.changes() == {}
    assert stored == before  # reading does not touch it


def test_old_orders_on_disk_read_and_move_on_keeping_what_was_not_changed(
    tmp_path: Path,
) -> None:
    with TinyDBStore(tmp_path / "data", finished=LIFECYCLE.statuses.finished) as store:
        for stored in OLD_RECORDS:
            store.create_order({k: v for k, v in stored.items() if k != "version"})
    with TinyDBStore(tmp_path / "data", finished=LIFECYCLE.statuses.finished) as store:
        orders = Orders(store)
        for stored in OLD_RECORDS:
            on_disk = store.get_order(stored["code"])
            assert on_disk is not None
            assert orders.get(stored["code"]).to_record() == on_disk  # type: ignore[union-attr]
        # the first version's order is claimed: its old address and items stay as they were
        fired = LIFECYCLE.change(orders, "KRB-1001-001", "claim", K1, NOW, ROLES.judge(K1))
        raw = store.get_order("KRB-1001-001")
    assert fired.after.status == "claimed" and fired.before.status == "new"
    assert raw is not None and raw == fired.after.to_record()
    assert raw["address"] == "Jl. Melati 3"
    assert raw["items"] == [{"name": "cabe", "qty": "5rb", "price": None}]
    assert raw["coordinator"] == K1 and raw["status"] == "claimed" and raw["version"] == 2
    assert raw["history"][0] == OLD_RECORDS[0]["history"][0]
    assert raw["history"][1]["event"] == "claim" and raw["history"][1]["from"] == "new"
