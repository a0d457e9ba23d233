"""The `Store` contract: every backend must pass these (see BACKENDS in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.storage.base import (
    FINISHED_STATUSES,
    DuplicateOrder,
    OrderNotFound,
    Record,
    Store,
    VersionConflict,
)

Maker = Callable[..., Record]

# -- sessions --------------------------------------------------------------------------


def test_missing_session_is_none(store: Store) -> None:
    assert store.get_session("telegram:1") is None


def test_put_get_round_trip_is_exact(store: Store, make_session: Maker) -> None:
    session = make_session(
        1000.5,
        slots={"items": ["bawang merah ½ kg", "cabe 5rb"], "n": 3, "ok": True, "x": None},
        lang="id",
    )
    store.put_session("telegram:1", session)
    assert store.get_session("telegram:1") == session


def test_put_replaces_and_keys_are_separate(store: Store, make_session: Maker) -> None:
    store.put_session("telegram:1", make_session(1, state="a"))
    store.put_session("telegram:1", make_session(2, state="b"))
    store.put_session("whatsapp:1", make_session(3, state="c"))
    assert store.get_session("telegram:1") == make_session(2, state="b")
    assert store.get_session("whatsapp:1") == make_session(3, state="c")


def test_delete_session(store: Store, make_session: Maker) -> None:
    store.put_session("k", make_session(1))
    store.delete_session("k")
    store.delete_session("k")  # deleting a missing key is fine
    assert store.get_session("k") is None


def test_expire_sessions(store: Store, make_session: Maker) -> None:
    for i in range(10):
        store.put_session(f"k{i}", make_session(float(i)))
    assert store.expire_sessions(older_than=4) == 4
    assert [store.get_session(f"k{i}") is None for i in range(10)] == [True] * 4 + [False] * 6
    assert store.expire_sessions(older_than=4) == 0


def test_sessions_are_copies_not_aliases(store: Store, make_session: Maker) -> None:
    session = make_session(1, slots={"items": ["a"]})
    store.put_session("k", session)
    session["slots"]["items"].append("mutated after put")
    got = store.get_session("k")
    assert got is not None and got["slots"]["items"] == ["a"]
    got["slots"]["items"].append("mutated after get")
    assert store.get_session("k") == make_session(1, slots={"items": ["a"]})


# -- sequences -------------------------------------------------------------------------


def test_next_sequence_counts_per_name(store: Store) -> None:
    assert [store.next_sequence("PM") for _ in range(3)] == [1, 2, 3]
    assert store.next_sequence("KB") == 1
    assert store.next_sequence("PM") == 4


def test_next_sequence_never_gives_the_number_of_a_stored_code(
    store: Store, make_order: Maker
) -> None:
    store.create_order(make_order("KRB-1127-007"))  # e.g. restored by hand
    assert store.next_sequence("KRB-1127") == 8
    store.create_order(make_order("KRB-1127-003"))  # below: changes nothing
    assert store.next_sequence("KRB-1127") == 9


# -- orders ----------------------------------------------------------------------------


def test_create_get_update(store: Store, make_order: Maker) -> None:
    created = store.create_order(make_order("PM-1"))
    assert created == {**make_order("PM-1"), "version": 1}
    assert store.get_order("PM-1") == created
    assert store.get_order("nope") is None
    updated = store.update_order("PM-1", {"status": "claimed", "by": "kor:7"}, 1)
    assert updated == {**created, "status": "claimed", "by": "kor:7", "version": 2}
    assert store.get_order("PM-1") == updated


def test_update_with_stale_version_conflicts_and_changes_nothing(
    store: Store, make_order: Maker
) -> None:
    store.create_order(make_order("PM-1"))
    store.update_order("PM-1", {"status": "claimed"}, 1)
    with pytest.raises(VersionConflict) as info:
        store.update_order("PM-1", {"status": "cancelled"}, 1)
    assert (info.value.code, info.value.expected, info.value.actual) == ("PM-1", 1, 2)
    assert store.get_order("PM-1")["status"] == "claimed"  # type: ignore[index]


def test_update_missing_order(store: Store) -> None:
    with pytest.raises(OrderNotFound):
        store.update_order("nope", {"status": "claimed"}, 1)


def test_update_cannot_change_code_or_version(store: Store, make_order: Maker) -> None:
    store.create_order(make_order("PM-1"))
    updated = store.update_order("PM-1", {"code": "X", "version": 99, "note": "n"}, 1)
    assert (updated["code"], updated["version"]) == ("PM-1", 2)
    assert store.get_order("X") is None


def test_duplicate_code(store: Store, make_order: Maker) -> None:
    store.create_order(make_order("PM-1"))
    with pytest.raises(DuplicateOrder):
        store.create_order(make_order("PM-1", market="other"))
    assert store.get_order("PM-1")["market"] == "pasar-minggu"  # type: ignore[index]


@pytest.mark.parametrize("status", sorted(FINISHED_STATUSES))
def test_duplicate_code_of_a_finished_order(store: Store, status: str, make_order: Maker) -> None:
    store.create_order(make_order("PM-1"))
    store.update_order("PM-1", {"status": status}, 1)
    with pytest.raises(DuplicateOrder):
        store.create_order(make_order("PM-1"))


def test_orders_are_copies_not_aliases(store: Store, make_order: Maker) -> None:
    order = make_order("PM-1")
    created = store.create_order(order)
    order["items"].append({"name": "after create"})
    created["items"].append({"name": "returned by create"})
    store.get_order("PM-1")["items"].append({"name": "returned by get"})  # type: ignore[index]
    changes = {"items": [{"name": "tomat"}]}
    updated = store.update_order("PM-1", changes, 1)
    changes["items"].append({"name": "changes after update"})
    updated["items"].append({"name": "returned by update"})
    store.query_orders()[0]["items"].append({"name": "returned by query"})
    assert store.get_order("PM-1")["items"] == [{"name": "tomat"}]  # type: ignore[index]


def test_finished_orders_are_still_found_and_can_reopen(store: Store, make_order: Maker) -> None:
    store.create_order(make_order("PM-1", created_at="2026-10-30T09:00:00"))
    store.update_order("PM-1", {"status": "paid", "total": 52000}, 1)
    assert store.get_order("PM-1")["total"] == 52000  # type: ignore[index]
    assert [o["code"] for o in store.query_orders(status="paid")] == ["PM-1"]
    # an exchange after payment reopens it
    store.update_order("PM-1", {"status": "exchange"}, 2)
    assert store.get_order("PM-1")["version"] == 3  # type: ignore[index]
    assert [o["code"] for o in store.query_orders()] == ["PM-1"]
    assert store.query_orders(status="paid") == []
    store.update_order("PM-1", {"status": "cancelled"}, 3)
    assert [o["status"] for o in store.query_orders()] == ["cancelled"]


def test_order_created_finished(store: Store, make_order: Maker) -> None:
    store.create_order(make_order("PM-1", status="cancelled"))
    assert store.get_order("PM-1")["status"] == "cancelled"  # type: ignore[index]
    assert len(store.query_orders(status=["cancelled"])) == 1


# -- queries ---------------------------------------------------------------------------


@pytest.fixture
def many(store: Store, make_order: Maker) -> Store:
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
        store.create_order(
            make_order(code, market=market, created_at=created, referral=referral, user=user)
        )
        if status != "new":
            store.update_order(code, {"status": status}, 1)
    return store


def codes(orders: list) -> list[str]:
    return [o["code"] for o in orders]


def test_query_all_oldest_first(many: Store) -> None:
    # C and G share created_at: ties are broken by code
    assert codes(many.query_orders()) == ["F", "A", "B", "C", "G", "D", "E"]


def test_query_by_market(many: Store) -> None:
    assert codes(many.query_orders(market="kebayoran")) == ["B", "E"]
    assert many.query_orders(market="nowhere") == []


def test_query_by_status(many: Store) -> None:
    assert codes(many.query_orders(status="paid")) == ["C", "E"]
    assert codes(many.query_orders(status={"new", "claimed"})) == ["A", "B", "G"]
    assert codes(many.query_orders(status=["new", "paid"])) == ["A", "C", "G", "E"]
    assert codes(many.query_orders(status=("cancelled", "paid"))) == ["C", "D", "E"]
    assert many.query_orders(status=set()) == []


def test_query_by_date_range_until_exclusive(many: Store) -> None:
    nov = many.query_orders(since="2026-11-01", until="2026-12-01")
    assert codes(nov) == ["B", "C", "G", "D"]
    assert codes(many.query_orders(since="2026-11-01T07:00:00")) == ["C", "G", "D", "E"]
    assert codes(many.query_orders(until="2026-11-01T00:00:00")) == ["F", "A"]
    assert codes(many.query_orders(since="2026-11-02", until="2026-11-15T10:00:01")) == ["D"]
    assert codes(many.query_orders(since="2027")) == []


def test_query_by_referral_and_user(many: Store) -> None:
    assert codes(many.query_orders(referral="rw07")) == ["D", "E"]
    assert codes(many.query_orders(user="telegram:1")) == ["F", "A", "C"]


def test_query_filters_combine(many: Store) -> None:
    found = many.query_orders(
        market="pasar-minggu", status={"paid", "new"}, since="2026-11", user="telegram:1"
    )
    assert codes(found) == ["C"]


# -- processed message ids ---------------------------------------------------------------


def test_messages_seen_mark_expire(store: Store) -> None:
    assert not store.seen_message("telegram", "1")
    store.mark_message("telegram", "1", at=100.0)
    store.mark_message("whatsapp", "wamid.X", at=200.0)
    assert store.seen_message("telegram", "1")
    assert not store.seen_message("whatsapp", "1")  # ids are per channel
    assert store.seen_message("whatsapp", "wamid.X")
    assert store.expire_messages(older_than=150.0) == 1
    assert not store.seen_message("telegram", "1")
    assert store.seen_message("whatsapp", "wamid.X")


# -- durability ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_flush_and_close(store: Store, make_order: Maker) -> None:
    store.create_order(make_order("PM-1"))
    await store.flush()
    await store.flush()  # nothing new: fine
    assert store.get_order("PM-1") is not None
