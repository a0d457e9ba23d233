"""`main.py serve` stopped by SIGTERM or Ctrl-C (SIGINT) finishes what it has in hand,
closes the store and exits 0, without a traceback (issue 10, item 9).

A real process on the WhatsApp webhook: a message is answered 200 and its reply is kept
waiting at the fake Graph API when the signal comes, so the process must still send it
before it exits. Closed cleanly means: the lock is released (the folder opens), the
journal is folded into the snapshot files (nothing to replay) and the inbox is empty.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.tinydb_store import TinyDBStore
from tests.webhooks.support import served_graph, until, whatsapp_serve
from tests.whatsapp.fake_graph import FakeGraph
from tests.whatsapp.support import text, texts

USER = "6281377003344"


@pytest.fixture(scope="module")
def graph() -> Iterator[tuple[FakeGraph, str]]:
    yield from served_graph()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_serve_stopped_by_a_signal_finishes_closes_the_store_and_exits_0(
        tmp_path: Path, graph: tuple[FakeGraph, str], sig: signal.Signals) -> None:
    fake, url = graph
    fake.reset()
    serve, poster = whatsapp_serve(tmp_path, url)
    await serve.start()
    try:
        fake.hold(USER)
        assert await poster.whatsapp(text("halo", USER), forever=False)
        await until(lambda: fake.waiting, "the reply at the fake Graph API")
        serve.send(sig)
        await asyncio.sleep(0.3)  # the process is stopping, its reply still in hand
        fake.release()
        code = await serve.wait()
    finally:
        serve.kill9()
        await poster.aclose()
    log = serve.stderr()
    assert code == 0, log
    assert "Traceback" not in log and "KeyboardInterrupt" not in log, log
    assert f"stopped by {sig.name}; the store is closed" in log
    assert "Apa yang ingin Anda lakukan?" in texts(fake.to(USER))  # finished, then exited
    data = tmp_path / "data"
    journal = data / "journal.jsonl"
    assert not journal.exists() or journal.stat().st_size == 0  # folded at close
    assert not (data / "inbox-whatsapp.jsonl").exists()
    with TinyDBStore(data) as store:  # raises StoreLocked if the lock had stayed
        assert store.problems() == []
        assert store.get_session(f"whatsapp:{USER}") is not None
