"""Fixtures: one fake Graph API server for the session, a fresh bot per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from bot.app import App
from bot.storage.base import Store
from tests.chat import Clock, test_config
from tests.whatsapp.fake_graph import FakeGraph, Served
from tests.whatsapp.support import WaBot


@pytest.fixture(scope="session")
def served_graph() -> Iterator[tuple[FakeGraph, str]]:
    graph = FakeGraph()
    served = Served(graph.app)
    yield graph, served.url
    served.close()


@pytest.fixture
def graph(served_graph: tuple[FakeGraph, str]) -> FakeGraph:
    served_graph[0].reset()
    return served_graph[0]


def new_app(store: Store | None = None) -> App:
    from bot.storage.memory import MemoryStore

    app = App(test_config(), store=store if store is not None else MemoryStore())
    app.engine.clock = Clock()
    return app


@pytest.fixture
async def make_bot(served_graph: tuple[FakeGraph, str], graph: FakeGraph
                   ) -> AsyncIterator[Callable[..., Any]]:
    """``await make_bot(store=..., template_name=...)``: a started bot, closed at the end."""
    made: list[WaBot] = []

    async def make(store: Store | None = None, **extra: Any) -> WaBot:
        bot = WaBot(new_app(store), graph, served_graph[1], **extra)
        made.append(bot)
        return await bot.start()

    yield make
    for bot in made:
        await bot.close()


@pytest.fixture
async def wa(make_bot: Callable[..., Any]) -> WaBot:
    return await make_bot()
