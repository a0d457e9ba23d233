"""Shared fixtures: a chat bot on the memory store, and one on real TinyDB files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chat import ChatBot
from tests.logcheck import (  # noqa: F401  the session-wide log check's hooks
    pytest_runtest_logstart,
    pytest_sessionfinish,
    pytest_sessionstart,
    pytest_testnodedown,
)
from tests.office.browser import browser, page  # noqa: F401  chromium, launched when used
from tests.pg import pg_dsn, pg_empty_dsn, pg_server  # noqa: F401  a real PostgreSQL


@pytest.fixture
def bot() -> ChatBot:
    return ChatBot()


@pytest.fixture
def disk_bot(tmp_path: Path) -> Iterator[ChatBot]:
    from bot.storage.tinydb_store import TinyDBStore

    store = TinyDBStore(tmp_path / "data")
    chat = ChatBot(store=store)
    yield chat
    chat.store.close()
