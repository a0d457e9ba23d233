"""The storage contracts, one per interface: every backend must pass these (see BACKENDS
in conftest.py). `SessionStore` (what the engine needs) is tested through ``sessions``,
`OrderRepository` (what the ordering app needs) through ``orders``: each test uses only
its interface."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.storage.base import (
    DuplicateOrder,
    OrderNotFound,
    OrderRepository,
    Record,
    SessionStore,
    Store,
    VersionConflict,
)
from tests.storage.conftest import BACKENDS_TOLD, FINISHED

Maker = Callable[..., Record]

# -- sessions --------------------------------------------------------------------------


def test_missing_session_is_none(sessions: SessionStore) -> None:
    assert sessions.get_session("telegram:1") is None


def test_put_get_round_trip_is_exact(sessions: SessionStore, make_session: Maker) -> None:
    session = make_session(
        1000.5,
        slots={"items": ["bawang merah ½ kg", "cabe 5rb"], "n": 3, "ok": True, "x": None},
        lang="id",
    )
    sessions.put_session("telegram:1", session)
    assert sessions.get_session("telegram:1") == session


def test_put_replaces_and_keys_are_separate(sessions: SessionStore, make_session: Maker) -> None:
    sessions.put_session("telegram:1", make_session(1, state="a"))
    sessions.put_session("telegram:1", make_session(2, state="b"))
    sessions.put_session("whatsapp:1", make_session(3, state="c"))
    assert sessions.get_session("telegram:1") == make_session(2, state="b")
    assert sessions.get_session("whatsapp:1") == make_session(3, state="c")


def test_delete_session(sessions: SessionStore, make_session: Maker) -> None:
    sessions.put_session("k", make_session(1))
    sessions.delete_session("k")
    sessions.delete_session("k")  # deleting a missing key is fine
    assert sessions.get_session("k") is None


def test_expire_sessions(sessions: SessionStore, make_session: Maker) -> None:
    for i in range(10):
        sessions.put_session(f"k{i}", make_session(float(i)))
    assert sessions.expire_sessions(older_than=4) == 4
    assert [sessions.get_session(f"k{i}") is None for i in range(10)] == [True] * 4 + [False] * 6
    assert sessions.expire_sessions(older_than=4) == 0


def test_sessions_are_copies_not_aliases(sessions: SessionStore, make_session: Maker) -> None:
    session = make_session(1, slots={"items": ["a"]})
    sessions.put_session("k", session)
    session["slots"]["items"].append("mutated after put")
    got = sessions.get_session("k")
    assert got is not None and got["slots"]["items"] == ["a"]
    got["slots"]["items"].append("mutated after get")
    assert sessions.get_session("k") == make_session(1, slots={"items": ["a"]})


# -- sequences -------------------------------------------------------------------------


def test_next_sequence_counts_per_name(orders: OrderRepository) -> None:
    assert [orders.next_sequence("PM") for _ in range(3)] == [1, 2, 3]
    assert orders.next_sequence("KB") == 1
    assert orders.next_sequence("PM") == 4


def test_next_sequence_never_gives_the_number_of_a_stored_code(
    orders: OrderRepository, make_order: Maker
) -> None:
    orders.create_order(make_order("KRB-1127-007"))  # e.g. restored by hand
    assert orders.next_sequence("KRB-1127") == 8
    orders.create_order(make_order("KRB-1127-003"))  # below: changes nothing
    assert orders.next_sequence("KRB-1127") == 9


# -- orders ----------------------------------------------------------------------------


def test_create_get_update(orders: OrderRepository, make_order: Maker) -> None:
    created = orders.create_order(make_order("PM-1"))
    assert created == {**make_order("PM-1"), "version": 1}
    assert orders.get_order("PM-1") == created
    assert orders.get_order("nope") is None
    updated = orders.update_order("PM-1", {"status": "claimed", "by": "kor:7"}, 1)
    assert updated == {**created, "status": "claimed", "by": "kor:7", "version": 2}
    assert orders.get_order("PM-1") == updated


def test_update_with_stale_version_conflicts_and_changes_nothing(
    orders: OrderRepository, make_order: Maker
) -> None:
    orders.create_order(make_order("PM-1"))
    orders.update_order("PM-1", {"status": "claimed"}, 1)
    with pytest.raises(VersionConflict) as info:
        orders.update_order("PM-1", {"status": "cancelled"}, 1)
    assert (info.value.code, info.value.expected, info.value.actual) == ("PM-1", 1, 2)
    assert orders.get_order("PM-1")["status"] == "claimed"  # type: ignore[index]


def test_update_missing_order(orders: OrderRepository) -> None:
    with pytest.raises(OrderNotFound):
        orders.update_order("nope", {"status": "claimed"}, 1)


def test_update_cannot_change_code_or_version(orders: OrderRepository, make_order: Maker) -> None:
    orders.create_order(make_order("PM-1"))
    updated = orders.update_order("PM-1", {"code": "X", "version": 99, "note": "n"}, 1)
    assert (updated["code"], updated["version"]) == ("PM-1", 2)
    assert orders.get_order("X") is None


def test_duplicate_code(orders: OrderRepository, make_order: Maker) -> None:
    orders.create_order(make_order("PM-1"))
    with pytest.raises(DuplicateOrder):
        orders.create_order(make_order("PM-1", market="other"))
    assert orders.get_order("PM-1")["market"] == "pasar-minggu"  # type: ignore[index]


@pytest.mark.parametrize("status", sorted(FINISHED))
def test_duplicate_code_of_a_finished_order(
    orders: OrderRepository, status: str, make_order: Maker
) -> None:
    orders.create_order(make_order("PM-1"))
    orders.update_order("PM-1", {"status": status}, 1)
    with pytest.raises(DuplicateOrder):
        orders.create_order(make_order("PM-1"))


def test_orders_are_copies_not_aliases(orders: OrderRepository, make_order: Maker) -> None:
    order = make_order("PM-1")
    created = orders.create_order(order)
    order["items"].append({"name": "after create"})
    created["items"].append({"name": "returned by create"})
    orders.get_order("PM-1")["items"].append({"name": "returned by get"})  # type: ignore[index]
    changes = {"items": [{"name": "tomat"}]}
    updated = orders.update_order("PM-1", changes, 1)
    changes["items"].append({"name": "changes after update"})
    updated["items"].append({"name": "returned by update"})
    orders.query_orders()[0]["items"].append({"name": "returned by query"})
    assert orders.get_order("PM-1")["items"] == [{"name": "tomat"}]  # type: ignore[index]


def test_finished_orders_are_still_found_and_can_reopen(
    orders: OrderRepository, make_order: Maker
) -> None:
    orders.create_order(make_order("PM-1", created_at="2026-10-30T09:00:00"))
    orders.update_order("PM-1", {"status": "paid", "total": 52000}, 1)
    assert orders.get_order("PM-1")["total"] == 52000  # type: ignore[index]
    assert [o["code"] for o in orders.query_orders(status="paid")] == ["PM-1"]
    # an exchange after payment reopens it
    orders.update_order("PM-1", {"status": "exchange"}, 2)
    assert orders.get_order("PM-1")["version"] == 3  # type: ignore[index]
    assert [o["code"] for o in orders.query_orders()] == ["PM-1"]
    assert orders.query_orders(status="paid") == []
    orders.update_order("PM-1", {"status": "cancelled"}, 3)
    assert [o["status"] for o in orders.query_orders()] == ["cancelled"]


def test_order_created_finished(orders: OrderRepository, make_order: Maker) -> None:
    orders.create_order(make_order("PM-1", status="cancelled"))
    assert orders.get_order("PM-1")["status"] == "cancelled"  # type: ignore[index]
    assert len(orders.query_orders(status=["cancelled"])) == 1


@pytest.mark.parametrize("backend", list(BACKENDS_TOLD))
def test_what_is_finished_is_what_the_app_said(
    backend: str, tmp_path: Path, make_order: Maker
) -> None:
    """A store knows no status: told that "selesai" is finished, it keeps "paid" orders
    with the open ones and "selesai" ones with the finished, and finds both either way."""
    store = BACKENDS_TOLD[backend](tmp_path, frozenset({"selesai"}))
    try:
        store.create_order(make_order("A", created_at="2026-10-30T09:00:00"))
        store.create_order(make_order("B", created_at="2026-10-30T10:00:00"))
        store.update_order("A", {"status": "selesai"}, 1)
        store.update_order("B", {"status": "paid"}, 1)
        assert codes(store.query_orders(status="selesai")) == ["A"]
        assert codes(store.query_orders(status={"paid", "new"})) == ["B"]
        assert codes(store.query_orders()) == ["A", "B"]
    finally:
        store.close()
    if backend == "tinydb":  # on disk: "selesai" in the month archive, "paid" live
        data = tmp_path / "data"
        again = BACKENDS_TOLD[backend](tmp_path, frozenset({"selesai"}))
        again.close()  # compaction at close writes the snapshot files
        assert '"B"' in (data / "orders.json").read_text(encoding="utf-8")
        assert '"A"' not in (data / "orders.json").read_text(encoding="utf-8")
        assert '"A"' in (data / "archive" / "orders-2026-10.json").read_text(encoding="utf-8")


# -- queries ---------------------------------------------------------------------------


@pytest.fixture
def many(orders: OrderRepository, make_order: Maker) -> OrderRepository:
    rows = [
        ("A", "pasar-minggu", "new", "2026-10-31T23:59:00", "rw05", "telegram:1"),
        ("B", "kebayoran", "claimed", "2026-11-01T00:00:00", "rw05", "telegram:2"),
        ("C", "pasar-minggu", "paid", "2026-11-01T07:00:00", None, "telegram:1"),
        ("D", "pasar-minggu", "cancelled", "2026-11-15T10:00:00", "rw07", "whatsapp:9"),
        ("E", "kebayoran", "paid", "2026-12-01T00:00:00", "rw07", "telegram:2"),
        ("F", "pasar-minggu", "delivered", "2026-09-02T10:00:00", None, "telegram:1"),
        ("G", "pasar-minggu", "new", "2026-11-01T07:00:00", None, "whatsapp:9"),
    ]
    for code, market, status, created, referral, user in rows:
        orders.create_order(
            make_order(code, market=market, created_at=created, referral=referral, user=user)
        )
        if status != "new":
            orders.update_order(code, {"status": status}, 1)
    return orders


def codes(found: list) -> list[str]:
    return [o["code"] for o in found]


def test_query_all_oldest_first(many: OrderRepository) -> None:
    # C and G share created_at: ties are broken by code
    assert codes(many.query_orders()) == ["F", "A", "B", "C", "G", "D", "E"]


def test_query_by_market(many: OrderRepository) -> None:
    assert codes(many.query_orders(market="kebayoran")) == ["B", "E"]
    assert many.query_orders(market="nowhere") == []


def test_query_by_status(many: OrderRepository) -> None:
    assert codes(many.query_orders(status="paid")) == ["C", "E"]
    assert codes(many.query_orders(status={"new", "claimed"})) == ["A", "B", "G"]
    assert codes(many.query_orders(status=["new", "paid"])) == ["A", "C", "G", "E"]
    assert codes(many.query_orders(status=("cancelled", "paid"))) == ["C", "D", "E"]
    assert many.query_orders(status=set()) == []


def test_query_by_date_range_until_exclusive(many: OrderRepository) -> None:
    nov = many.query_orders(since="2026-11-01", until="2026-12-01")
    assert codes(nov) == ["B", "C", "G", "D"]
    assert codes(many.query_orders(since="2026-11-01T07:00:00")) == ["C", "G", "D", "E"]
    assert codes(many.query_orders(until="2026-11-01T00:00:00")) == ["F", "A"]
    assert codes(many.query_orders(since="2026-11-02", until="2026-11-15T10:00:01")) == ["D"]
    assert codes(many.query_orders(since="2027")) == []


def test_query_by_referral_and_user(many: OrderRepository) -> None:
    assert codes(many.query_orders(referral="rw07")) == ["D", "E"]
    assert codes(many.query_orders(user="telegram:1")) == ["F", "A", "C"]


def test_query_filters_combine(many: OrderRepository) -> None:
    found = many.query_orders(
        market="pasar-minggu", status={"paid", "new"}, since="2026-11", user="telegram:1"
    )
    assert codes(found) == ["C"]


# -- processed message ids ---------------------------------------------------------------


def test_messages_seen_mark_expire(sessions: SessionStore) -> None:
    assert not sessions.seen_message("telegram", "1")
    sessions.mark_message("telegram", "1", at=100.0)
    sessions.mark_message("whatsapp", "wamid.X", at=200.0)
    assert sessions.seen_message("telegram", "1")
    assert not sessions.seen_message("whatsapp", "1")  # ids are per channel
    assert sessions.seen_message("whatsapp", "wamid.X")
    assert sessions.expire_messages(older_than=150.0) == 1
    assert not sessions.seen_message("telegram", "1")
    assert sessions.seen_message("whatsapp", "wamid.X")


# -- durability ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_flush_and_close(store: Store, make_order: Maker) -> None:
    store.create_order(make_order("PM-1"))
    await store.flush()
    await store.flush()  # nothing new: fine
    assert store.get_order("PM-1") is not None


# -- who needs which interface ---------------------------------------------------------------


def test_the_engine_needs_only_the_session_store() -> None:
    """bot/engine imports `SessionStore` and calls none of the order repository's methods:
    another app on the engine keeps its data as it likes."""
    import ast

    engine = Path(__file__).resolve().parents[2] / "bot" / "engine"
    order_methods = {"next_sequence", "create_order", "get_order", "update_order",
                     "query_orders"}
    imported, called = set(), set()
    for path in engine.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.storage"):
                imported |= {alias.name for alias in node.names}
            if isinstance(node, ast.Attribute) and node.attr in order_methods:
                called.add(f"{path.name}: {node.attr}")
    assert "SessionStore" in imported
    assert imported <= {"SessionStore", "StoreError", "Record", "Timer"}, imported
    assert not called
