"""`query_order_fields` (the web office's Today reads its lines through it) on every
backend: the values at dotted paths of the orders `query_orders` gives, in its order, the
same filters, None where a path leads nowhere."""

from __future__ import annotations

from collections.abc import Callable

from bot.storage.base import Record, Store

FIELDS = ("code", "status", "resident.name", "address.kelurahan", "total", "claimed_at")


def test_query_order_fields_picks_paths_of_the_orders_query_orders_gives(
        store: Store, make_order: Callable[..., Record]) -> None:
    store.create_order(make_order("A-1", created_at="2026-11-05T08:00:00+07:00",
                                  resident={"name": "Bu Ani"},
                                  address={"text": "Jl. Melati", "kelurahan": "Jatibening"}))
    store.create_order(make_order("A-2", created_at="2026-11-05T07:00:00+07:00",
                                  status="claimed", total=25000, resident="not a dict"))
    store.create_order(make_order("B-1", market="pasar-baru",
                                  created_at="2026-11-05T09:00:00+07:00"))
    store.create_order(make_order("A-0", created_at="2026-11-04T09:00:00+07:00"))
    day = {"since": "2026-11-05", "until": "2026-11-06"}
    found = store.query_order_fields(FIELDS, market="pasar-minggu", **day)
    assert found == [("A-2", "claimed", None, None, 25000, None),
                     ("A-1", "new", "Bu Ani", "Jatibening", None, None)]
    assert [c for c, in store.query_order_fields(("code",), **day)] == [
        r["code"] for r in store.query_orders(**day)]
    assert store.query_order_fields(("code",), status="claimed") == [("A-2",)]
    assert store.query_order_fields(("code",), status=[]) == []
    (address,), = store.query_order_fields(("address",), since="2026-11-05T08:00",
                                           until="2026-11-05T08:01")
    address["kelurahan"] = "changed"  # a copy: the stored order keeps its own
    assert store.get_order("A-1")["address"]["kelurahan"] == "Jatibening"
