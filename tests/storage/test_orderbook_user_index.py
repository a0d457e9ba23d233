"""`OrderBook` finds a user's live orders through its index by user: the same answers as
reading every order, through creates, updates that change the user or archive the order,
orders whose ``user`` is not a string, and a reopen (load and journal replay)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.storage.query import order_matches
from bot.storage.tinydb_store import TinyDBStore
from tests.storage.conftest import FINISHED


def order(code: str, user: Any, status: str = "new") -> dict[str, Any]:
    return {"code": code, "user": user, "status": status, "market": "m",
            "created_at": f"2026-11-{int(code[1:]) % 28 + 1:02d}T08:00:00+07:00"}


def scanned(store: TinyDBStore, user: str, statuses: frozenset[str] | None) -> list[str]:
    """What a query finds by reading every order held (no index)."""
    book = store._orders
    every = [*book.live.data.values(), *book.archive.orders(None, None)]
    return sorted(o["code"] for o in every
                  if order_matches(o, market=None, statuses=statuses, since=None,
                                   until=None, referral=None, user=user))


def check(store: TinyDBStore, users: list[str]) -> None:
    for user in users:
        for status in (None, "new", ["new", "claimed"], "paid"):
            found = sorted(o["code"] for o in store.query_orders(user=user, status=status))
            statuses = None if status is None else frozenset(
                [status] if isinstance(status, str) else status)
            assert found == scanned(store, user, statuses), (user, status)


def test_user_index_answers_as_a_scan(tmp_path: Path) -> None:
    users = ["telegram:1", "telegram:2", "whatsapp:3"]
    with TinyDBStore(tmp_path / "data", finished=FINISHED) as store:
        for i in range(30):
            store.create_order(order(f"A{i}", users[i % 3]))
        store.create_order(order("A90", ["odd"]))  # not a string: never equal to a user
        store.create_order(order("A91", None))
        check(store, users)
        store.update_order("A1", {"user": "telegram:1"}, 1)  # moved to another user
        store.update_order("A2", {"status": "claimed"}, 1)
        store.update_order("A3", {"status": "paid"}, 1)  # archived: out of the live index
        store.update_order("A4", {"user": 7}, 1)
        check(store, users)
        assert store.query_orders(user="telegram:2", status="paid") == []
        assert [o["code"] for o in store.query_orders(user="telegram:1", status="paid")] \
            == ["A3"]
        store.flush_sync()
    with TinyDBStore(tmp_path / "data", finished=FINISHED) as store:  # the journal replayed
        check(store, users)
        store.compact()
    with TinyDBStore(tmp_path / "data", finished=FINISHED) as store:  # from orders.json
        check(store, users)
        store.update_order("A0", {"user": "telegram:2"}, 1)
        check(store, users)
