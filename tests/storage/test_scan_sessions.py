"""`scan_sessions` (the web office's funnel reads conversations through it) on every
backend, PostgreSQL included: sessions updated since a time, as copies, read only."""

from __future__ import annotations

from collections.abc import Callable

from bot.storage.base import Record, Store


def test_scan_sessions_lists_those_updated_since_as_copies(
        store: Store, make_session: Callable[..., Record]) -> None:
    store.put_session("console:old", make_session(100.0, state="market"))
    store.put_session("console:new", make_session(200.0, state="address"))
    store.put_session("console:edge", make_session(150.0, state="items"))
    found = dict(store.scan_sessions(150.0))
    assert set(found) == {"console:new", "console:edge"}
    assert found["console:new"]["state"] == "address"
    assert set(dict(store.scan_sessions(0))) == {"console:old", "console:new", "console:edge"}
    assert not dict(store.scan_sessions(201.0))
    found["console:new"]["state"] = "changed"  # a copy: the store keeps its own
    assert store.get_session("console:new")["state"] == "address"
    store.delete_session("console:edge")
    assert set(dict(store.scan_sessions(150.0))) == {"console:new"}
