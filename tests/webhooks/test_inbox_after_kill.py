"""A WhatsApp message answered 200 survives a kill -9 of `main.py serve` (issue 10, item 2).

The resident's ``ya`` on the summary is answered 200 and the process is killed before it
handled it: the restarted process finds it in the inbox, places the order once and sends
the confirmation. To make "before it handled it" certain rather than likely, the fake
Graph API holds the answer to the resident's previous message (a ``bantuan``), so ``ya``
waits behind it in that resident's queue when the kill comes. That ``bantuan`` was
handled and its answer never left: the restarted process sends the answer (kept with the
session, bot/engine/unsent.py) and does not handle the message again.
"""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.tinydb_store import TinyDBStore
from tests.chat import ADDRESS
from tests.webhooks.support import Poster, served_graph, until, whatsapp_serve
from tests.whatsapp.fake_graph import FakeGraph
from tests.whatsapp.support import text, texts

USER = "6281377001122"
CODE = re.compile(r"\b[A-Z]{3}-\d{4}-\d{3,}\b")


@pytest.fixture
def graph() -> Iterator[tuple[FakeGraph, str]]:
    yield from served_graph()


async def answer(graph: FakeGraph, since: int, expect: str) -> str:
    """The text sent to USER after the first ``since`` bodies, once it holds ``expect``."""
    for _ in range(1000):
        got = texts(graph.to(USER)[since:])
        if expect in got:
            return got
        await asyncio.sleep(0.01)
    raise AssertionError(f"no {expect!r} in what the bot sent: {texts(graph.to(USER))!r}")


async def say(poster: Poster, graph: FakeGraph, message: str, expect: str) -> str:
    since = len(graph.to(USER))
    assert await poster.whatsapp(text(message, USER), forever=False)
    return await answer(graph, since, expect)


async def test_a_ya_answered_200_then_kill_9_is_ordered_once_after_restart(
        tmp_path: Path, graph: tuple[FakeGraph, str]) -> None:
    fake, url = graph
    serve, poster = whatsapp_serve(tmp_path, url)
    await serve.start()
    try:
        await say(poster, fake, "halo", "Apa yang ingin Anda lakukan?")
        await say(poster, fake, "1", "pasar mana")
        await say(poster, fake, "kranji baru", "Tulis daftar belanja")
        await say(poster, fake, "telur 1 kg", "Daftar Anda (1)")
        await say(poster, fake, "selesai", "Ke mana")
        await say(poster, fake, ADDRESS, "Ringkasan pesanan")
        fake.hold(USER)
        assert await poster.whatsapp(text("bantuan", USER), forever=False)
        # its answer is on its way: `ya` queues behind it
        await until(lambda: fake.waiting, "the answer to bantuan on the wire")
        assert await poster.whatsapp(text("ya", USER), forever=False)  # 200: it is ours now
        serve.kill9()
        assert await serve.stop() == -signal.SIGKILL
        fake.release()
        before = len(fake.to(USER))
        await serve.start()
        confirmation = await answer(fake, before, "diterima")
        assert await serve.stop(signal.SIGTERM) == 0, serve.stderr()
        after = texts(fake.to(USER)[before:])
    finally:
        serve.kill9()
        await poster.aclose()
    [code] = CODE.findall(confirmation)
    with TinyDBStore(tmp_path / "data") as store:
        [order] = store.query_orders(user=f"whatsapp:{USER}")
        assert order["code"] == code and order["items"][0]["name"] == "telur"
        assert store.inbox("whatsapp").pending() == []
    assert after.count("diterima") == 1
    # `bantuan` was handled but its answer never left: the restarted process sends it
    assert after.count("Ringkasan pesanan") == 1
    assert after.index("Ringkasan pesanan") < after.index("diterima")
