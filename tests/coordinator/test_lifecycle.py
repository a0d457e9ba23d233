"""The order lifecycle: every (status, event) pair, legal and illegal, and the claim race."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.ordering.domain.lifecycle import (
    EVENTS,
    STATUSES,
    IllegalChange,
    LifecycleError,
    MissingData,
    OrderMissing,
    advance,
    allowed_events,
    change,
)
from bot.ordering.domain.lifecycle import advance as lifecycle_advance
from bot.ordering.domain.order import Order
from bot.ordering.domain.repository import Orders
from bot.storage.base import Record
from bot.storage.memory import MemoryStore
from bot.storage.tinydb_store import TinyDBStore

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2025, 11, 27, 8, 0, tzinfo=WIB)
KOORD, WARGA = "console:koord-kranji-1", "console:warga"

# The whole machine, written out by hand: (status, event) -> new status. Anything else
# must be refused.
LEGAL = {
    ("new", "claim"): "claimed",
    ("claimed", "start_shopping"): "shopping",
    ("shopping", "record_prices"): "shopping",
    ("shopping", "send_courier"): "on_the_way",
    ("on_the_way", "deliver"): "delivered",
    ("delivered", "pay"): "paid",
    ("exchange_done", "pay"): "paid",
    ("new", "cancel_by_resident"): "cancelled",
    ("claimed", "cancel_by_resident"): "cancelled",
    ("new", "cancel_by_coordinator"): "cancelled",
    ("claimed", "cancel_by_coordinator"): "cancelled",
    ("shopping", "cancel_by_coordinator"): "cancelled",
    ("on_the_way", "cancel_by_coordinator"): "cancelled",
    ("delivered", "request_exchange"): "exchange_requested",
    ("exchange_requested", "finish_exchange"): "exchange_done",
    # complaints after payment, refunds and rejections (issue 12 items 4-5)
    ("paid", "request_exchange"): "complaint",
    ("complaint", "finish_exchange"): "paid",
    ("exchange_requested", "refund"): "exchange_done",
    ("complaint", "refund"): "paid",
    ("exchange_requested", "reject_complaint"): "exchange_done",
    ("complaint", "reject_complaint"): "paid",
    # nobody waits forever (item 7): the timer's events and the head's assignment
    ("new", "escalate"): "new",
    ("new", "escalate_office"): "new",
    ("new", "assign"): "claimed",
    ("claimed", "assign"): "claimed",
    ("shopping", "assign"): "shopping",
    ("claimed", "hand_over"): "claimed",
    ("shopping", "hand_over"): "shopping",
    ("claimed", "hand_back"): "new",
    # a substitute the resident is asked about (item 4)
    ("shopping", "accept_substitutes"): "shopping",
    ("shopping", "refuse_substitutes"): "shopping",
    ("shopping", "substitutes_unanswered"): "shopping",
    ("on_the_way", "accept_substitutes"): "on_the_way",
    ("on_the_way", "refuse_substitutes"): "on_the_way",
    ("on_the_way", "substitutes_unanswered"): "on_the_way",
}
# What each event needs to be complete.
DATA: dict[str, dict[str, Any]] = {
    "record_prices": {"prices": [{"price": 12000}, {"unavailable": True},
                                 {"substitute": "kol", "price": 8000}]},
    "send_courier": {"courier": {"name": "Pak Joko", "phone": "+6281311112222"}},
    "pay": {"cash": 20000},
    "cancel_by_coordinator": {"reason": "pasar tutup"},
    "request_exchange": {"items": [1], "note": "kualitas kurang baik"},
    "refund": {"amount": 5000},
    "reject_complaint": {"reason": "sudah dicek, masih segar"},
    "assign": {"to": "console:koord-kranji-2"},
    "hand_over": {"to": "console:koord-kranji-2"},
}
# what the order must already hold for an event (the office is told after the head)
BEFORE: dict[str, dict[str, Any]] = {
    "escalate_office": {"history": [
        {"at": "2025-11-27T07:33:20+07:00", "by": WARGA, "from": None, "to": "new"},
        {"at": "2025-11-27T08:33:20+07:00", "by": "system:timer", "from": "new", "to": "new",
         "event": "escalate"}]},
    **{event: {"items": [{"name": "telur", "substitute": "telur bebek", "price": 8000,
                          "substitute_answer": "asked"}]}
       for event in ("accept_substitutes", "refuse_substitutes", "substitutes_unanswered")},
}
ALL_PAIRS = [(s, e) for s in STATUSES for e in EVENTS]


def order(status: str = "new", **extra: Any) -> Order:
    return Order.from_record(record(status, **extra))


def record(status: str = "new", **extra: Any) -> Record:
    return {
        "code": "KRB-1127-001", "market": "kranji-baru", "status": status, "user": WARGA,
        "items": [{"name": "bawang merah"}, {"name": "telur"}, {"name": "kangkung"}],
        "total": None if status in ("new", "claimed") else 20000,
        "coordinator": None if status == "new" else KOORD,  # claimed orders are held
        "history": [{"at": "2025-11-27T07:33:20+07:00", "by": WARGA, "from": None, "to": "new"}],
        "version": 3, **extra,
    }


@pytest.mark.parametrize(("status", "event"), ALL_PAIRS, ids=[f"{s}-{e}" for s, e in ALL_PAIRS])
def test_every_status_and_event(status: str, event: str) -> None:
    before = order(status, **BEFORE.get(event, {}))
    if (status, event) in LEGAL:
        changes = advance(before, event, KOORD, NOW, **DATA.get(event, {})).to_record()
        assert changes["status"] == LEGAL[(status, event)]
        last = changes["history"][-1]
        assert last == {**last, "by": KOORD, "from": status, "to": changes["status"],
                        "at": "2025-11-27T08:00:00+07:00", "event": event}
        grown = len(before.history) + 1
        assert len(changes["history"]) == grown and changes["updated_at"] == last["at"]
        assert before.status == status and len(before.history) == grown - 1  # untouched
        assert event in allowed_events(status)
    else:
        with pytest.raises(IllegalChange) as refused:
            advance(before, event, KOORD, NOW, **DATA.get(event, {}))
        assert (refused.value.status, refused.value.event) == (status, event)
        assert refused.value.message_id == "coord.illegal_change"
        assert event not in allowed_events(status)


def test_the_matrix_is_complete() -> None:
    assert len(ALL_PAIRS) == len(STATUSES) * len(EVENTS) == 10 * 20
    assert {s for s, _ in LEGAL} | {"cancelled"} == set(STATUSES)
    assert allowed_events("paid") == ["request_exchange"]  # a complaint, within days
    assert allowed_events("cancelled") == []
    assert allowed_events("no-such-status") == []


def test_an_unknown_event_or_status_is_illegal() -> None:
    with pytest.raises(IllegalChange):
        advance(order("new"), "teleport", KOORD, NOW)
    with pytest.raises(IllegalChange):
        advance(order("lost"), "claim", KOORD, NOW)


def test_event_fields() -> None:
    def advance(before: Order, event: str, by: str, now: datetime, **data: Any) -> Record:
        return lifecycle_advance(before, event, by, now, **data).to_record()

    assert advance(order("new"), "claim", KOORD, NOW)["coordinator"] == KOORD
    priced = advance(order("shopping"), "record_prices", KOORD, NOW, **DATA["record_prices"])
    assert priced["total"] == 20000
    assert priced["items"][0] == {"name": "bawang merah", "price": 12000}
    assert priced["items"][1] == {"name": "telur", "unavailable": True}
    assert priced["items"][2] == {"name": "kangkung", "price": 8000, "substitute": "kol"}
    sent = advance(order("shopping", total=20000), "send_courier", KOORD, NOW,
                   **DATA["send_courier"])
    assert sent["courier"] == {"name": "Pak Joko", "phone": "+6281311112222"}
    assert sent["history"][-1]["note"] == "Pak Joko"
    paid = advance(order("delivered"), "pay", KOORD, NOW, cash=20000)
    assert paid["cash"] == 20000 and paid["paid_at"].startswith("2025-11-27T08:00")
    gone = advance(order("claimed"), "cancel_by_coordinator", KOORD, NOW, reason=" pasar  tutup ")
    assert gone["cancel_reason"] == "pasar tutup" and gone["history"][-1]["note"] == "pasar tutup"
    asked = advance(order("delivered"), "request_exchange", WARGA, NOW,
                    items=[3, 1, 3], note="layu", photo="photo-123")
    assert asked["exchange"]["items"] == [1, 3] and asked["exchange"]["photo"] == "photo-123"
    done = advance(order("exchange_requested", exchange=asked["exchange"]), "finish_exchange",
                   KOORD, NOW, note="kangkung diganti")
    assert done["exchange"]["items"] == [1, 3] and done["exchange"]["done_by"] == KOORD


@pytest.mark.parametrize(("status", "event", "data", "why"), [
    ("shopping", "record_prices", {}, "coord.prices_incomplete"),
    ("shopping", "record_prices", {"prices": [{"price": 1}]}, "coord.prices_incomplete"),
    ("shopping", "record_prices", {"prices": [{"price": -1}] * 3}, "coord.prices_incomplete"),
    ("shopping", "record_prices", {"prices": [{"price": "12rb"}] * 3}, "coord.prices_incomplete"),
    ("on_the_way", "cancel_by_coordinator", {"reason": "  "}, "coord.reason_missing"),
    ("delivered", "pay", {}, "coord.cash_missing"),
    ("delivered", "pay", {"cash": True}, "coord.cash_missing"),
    ("delivered", "request_exchange", {"items": [4]}, "exchange.items_missing"),
    ("delivered", "request_exchange", {"items": []}, "exchange.items_missing"),
])
def test_missing_data_is_refused(status: str, event: str, data: dict, why: str) -> None:
    with pytest.raises(MissingData) as refused:
        advance(order(status), event, KOORD, NOW, **data)
    assert refused.value.message_id == why


def test_no_courier_before_the_prices() -> None:
    with pytest.raises(MissingData) as refused:
        advance(order("shopping", total=None), "send_courier", KOORD, NOW, **DATA["send_courier"])
    assert refused.value.message_id == "coord.prices_first"


def test_courier_needs_name_and_phone() -> None:
    with pytest.raises(MissingData):
        advance(order("shopping", total=1000), "send_courier", KOORD, NOW,
                courier={"name": "Joko"})


def stored(store: Any) -> Record:
    new = record("new")
    new.pop("version")
    return store.create_order(new)


def test_change_persists_and_counts_versions() -> None:
    store = MemoryStore()
    stored(store)
    before, after = change(Orders(store), "KRB-1127-001", "claim", KOORD, NOW)
    assert before.status == "new" and after.status == "claimed"
    assert after.version == 2 == store.get_order("KRB-1127-001")["version"]
    with pytest.raises(OrderMissing):
        change(Orders(store), "KRB-0000-000", "claim", KOORD, NOW)


class StaleReads(MemoryStore):
    """Every reader first sees the order as it was before anyone changed it."""

    def __init__(self) -> None:
        super().__init__()
        self.first: Record | None = None
        self.reads = 0

    def get_order(self, code: str) -> Record | None:
        self.reads += 1
        if self.first is None:
            self.first = super().get_order(code)
        return dict(self.first) if self.reads <= 2 else super().get_order(code)


def test_the_claim_race_has_one_winner_and_the_loser_is_told() -> None:
    store = StaleReads()
    stored(store)
    # both coordinators read version 1 before either writes
    a = store.get_order("KRB-1127-001")
    store.reads = 1
    _, won = change(Orders(store), "KRB-1127-001", "claim", "console:koord-kranji-1", NOW)
    assert won.coordinator == "console:koord-kranji-1" and a["version"] == 1
    with pytest.raises(IllegalChange) as lost:
        change(Orders(store), "KRB-1127-001", "claim", "console:koord-kranji-2", NOW)
    assert lost.value.status == "claimed"
    assert store.get_order("KRB-1127-001")["coordinator"] == "console:koord-kranji-1"


def test_threads_claiming_on_disk_exactly_one_wins(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path / "data")
    try:
        stored(store)
        barrier = threading.Barrier(8)
        results: dict[str, str] = {}

        def claim(who: str) -> None:
            barrier.wait()
            try:
                change(Orders(store), "KRB-1127-001", "claim", who, NOW)
                results[who] = "won"
            except IllegalChange:
                results[who] = "lost"

        threads = [threading.Thread(target=claim, args=(f"console:k{i}",)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results.values()) == ["lost"] * 7 + ["won"]
        winner = next(k for k, v in results.items() if v == "won")
        final = store.get_order("KRB-1127-001")
        assert final["coordinator"] == winner and final["version"] == 2
        assert [h["to"] for h in final["history"]] == ["new", "claimed"]
    finally:
        store.close()


def test_a_store_that_always_conflicts_gives_up_clearly() -> None:
    from bot.storage.base import VersionConflict

    class Busy(MemoryStore):
        def update_order(self, code: str, changes: Record, expected_version: int) -> Record:
            raise VersionConflict(code, expected_version, expected_version + 1)

    store = Busy()
    stored(store)
    with pytest.raises(LifecycleError) as busy:
        change(Orders(store), "KRB-1127-001", "claim", KOORD, NOW)
    assert busy.value.message_id == "coord.busy"


def test_a_whole_life_in_history() -> None:
    store = MemoryStore()
    stored(store)
    steps = ["claim", "start_shopping", "record_prices", "send_courier", "deliver",
             "request_exchange", "finish_exchange", "pay"]
    for minute, event in enumerate(steps):
        change(Orders(store), "KRB-1127-001", event, KOORD, NOW + timedelta(minutes=minute),
               **DATA.get(event, {}))
    final = store.get_order("KRB-1127-001")
    assert [h["to"] for h in final["history"]] == [
        "new", "claimed", "shopping", "shopping", "on_the_way", "delivered",
        "exchange_requested", "exchange_done", "paid"]
    assert final["status"] == "paid" and final["cash"] == 20000 and final["total"] == 20000


def test_every_status_has_words_and_finished_ones_are_the_stores(tmp_path: Path) -> None:
    from bot.app import open_store
    from bot.ordering.domain.orders import LIVE_STATUSES, STATUS_MESSAGES
    from bot.ordering.domain.statuses import STATUSES as TABLE

    assert set(STATUS_MESSAGES) == set(STATUSES)
    assert TABLE.finished == {"paid", "cancelled"}
    assert set(STATUSES) - TABLE.finished == LIVE_STATUSES
    # the app tells its store which statuses are finished (the store knows none)
    store = open_store({"storage": {"backend": "tinydb", "path": str(tmp_path / "data")}})
    try:
        assert store._orders.finished == TABLE.finished  # type: ignore[attr-defined]
    finally:
        store.close()
