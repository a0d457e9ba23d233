"""A reply committed but not yet sent survives a kill -9 of `main.py serve`, and goes out
once after the restart (issue 14 item 3, the embedded store's outbox).

The fake Graph API holds the post of the reply (the bot waits for its answer): by then
the message's unit of work is on disk with the reply queued in the outbox, and the
send has not finished. The process is killed there. The held post is answered only
after the process died, so the fake never counts it; the restarted process finds the
reply unsent in the outbox and sends it: counted exactly once at the fake.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.tinydb_store import TinyDBStore
from tests.webhooks.support import served_graph, until, whatsapp_serve
from tests.whatsapp.fake_graph import FakeGraph
from tests.whatsapp.support import text, texts

USER = "6281377002233"


@pytest.fixture
def graph() -> Iterator[tuple[FakeGraph, str]]:
    yield from served_graph()


async def test_a_reply_committed_then_kill_9_before_its_send_goes_out_once_after_restart(
        tmp_path: Path, graph: tuple[FakeGraph, str]) -> None:
    fake, url = graph
    serve, poster = whatsapp_serve(tmp_path, url)
    await serve.start()
    try:
        assert await poster.whatsapp(text("halo", USER), forever=False)
        await until(lambda: fake.to(USER), "the answer to halo")
        fake.hold(USER)
        assert await poster.whatsapp(text("bantuan", USER), forever=False)
        await until(lambda: fake.waiting, "the answer to bantuan on the wire")
        [held] = fake.waiting  # committed with its message; its send not finished
        serve.kill9()
        assert await serve.stop() == -signal.SIGKILL
        fake.release()
        before = len(fake.to(USER))
        await serve.start()
        await until(lambda: len(fake.to(USER)) > before, "the reply after the restart")
        assert await serve.stop(signal.SIGTERM) == 0, serve.stderr()
        after = fake.to(USER)[before:]
    finally:
        serve.kill9()
        await poster.aclose()
    assert after == [held]  # sent once, after the restart, and nothing else
    assert texts(fake.to(USER)).count(texts([held])) == 1  # the held post was never counted
    with TinyDBStore(tmp_path / "data") as store:
        assert store.outbox_waiting() == (0, None)
        assert store.inbox("whatsapp").pending() == []
