"""Fixtures for the storage tests: one `store` per backend, and order/session makers.

A new backend joins the contract suite by adding one entry to BACKENDS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.storage.base import Record, Store
from bot.storage.memory import MemoryStore
from bot.storage.tinydb_store import TinyDBStore

BACKENDS: dict[str, Callable[[Path], Store]] = {
    "memory": lambda tmp: MemoryStore(),
    "tinydb": lambda tmp: TinyDBStore(tmp / "data"),
}


@pytest.fixture(params=list(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend = BACKENDS[request.param](tmp_path)
    yield backend
    backend.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def tiny(data_dir: Path) -> Iterator[TinyDBStore]:
    store = TinyDBStore(data_dir)
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
