"""Fixtures for the storage tests: one `store` per backend, and order/session makers.

A new backend joins the contract suite by adding one entry to BACKENDS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.storage.base import OrderRepository, Record, SessionStore, Store
from bot.storage.memory import MemoryStore
from bot.storage.tinydb_store import TinyDBStore
from tests.pg import store_for_contract

# The app tells a store which status values are finished (the store knows none); these
# tests tell it the ordering app's two, by value.
FINISHED = frozenset({"paid", "cancelled"})
BACKENDS_TOLD: dict[str, Callable[[Path, frozenset[str]], Store]] = {
    "memory": lambda tmp, finished: MemoryStore(finished=finished),
    "tinydb": lambda tmp, finished: TinyDBStore(tmp / "data", finished=finished),
    # a real server (tests/pg.py), one database per test process, emptied for each store
    "postgres": lambda tmp, finished: store_for_contract(finished),
}
BACKENDS: dict[str, Callable[[Path], Store]] = {
    name: (lambda tmp, make=make: make(tmp, FINISHED)) for name, make in BACKENDS_TOLD.items()
}


@pytest.fixture(params=list(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend = BACKENDS[request.param](tmp_path)
    yield backend
    backend.close()


@pytest.fixture
def sessions(store: Store) -> SessionStore:
    """The backend as the engine sees it: its session store."""
    return store


@pytest.fixture
def orders(store: Store) -> OrderRepository:
    """The backend as the ordering app sees it: its order repository."""
    return store


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def tiny(data_dir: Path) -> Iterator[TinyDBStore]:
    store = TinyDBStore(data_dir, finished=FINISHED)
    yield store
    store.close()


def _make_order(code: str, **fields: Any) -> Record:
    """An order as the ordering app would create it (fields override the defaults)."""
    order: Record = {
        "code": code,
        "market": "pasar-minggu",
        "status": "new",
        "created_at": "2026-11-05T08:00:00+07:00",
        "user": "telegram:100",
        "referral": None,
        "items": [{"name": "cabe rawit", "qty": "5rb", "price": None}],
        "address": "Jl. Melati 3, RT 05/RW 02",
    }
    order.update(fields)
    return order


def _make_session(updated_at: float, **fields: Any) -> Record:
    session: Record = {"flow": "order", "state": "items", "slots": {}, "updated_at": updated_at}
    session.update(fields)
    return session


@pytest.fixture
def make_order() -> Callable[..., Record]:
    """``make_order(code, **fields)``: an order as the ordering app would create it."""
    return _make_order


@pytest.fixture
def make_session() -> Callable[..., Record]:
    """``make_session(updated_at, **fields)``: a session record."""
    return _make_session
