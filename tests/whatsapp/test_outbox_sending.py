"""Replies go through the outbox (bot/delivery.py): a refused send is tried again once its
retry time came, sent once; what a dead process left queued goes out before anything newer
to the same person; replies made outside a message (`App.deliver`) are durable the same way.

The real WhatsApp adapter posts to the fake Graph API; the sender's clock values are handed
in (``now``), so no test waits for a retry."""

from __future__ import annotations

import io
import time

from bot.adapters.console import ConsoleAdapter
from bot.delivery import BACKOFF_FIRST, LEASE
from bot.engine.unsent import records
from bot.messages import Text
from tests.whatsapp.fake_graph import FakeGraph
from tests.whatsapp.support import USER, WaBot, texts

KEY = f"whatsapp:{USER}"
UNDELIVERABLE = (400, 131026)


async def test_a_refused_reply_is_sent_again_once_its_retry_time_came_and_only_once(
        wa: WaBot, graph: FakeGraph) -> None:
    graph.fail(USER, UNDELIVERABLE)
    assert await wa.say("halo") == []  # refused: it waits in the outbox
    assert wa.app.store.outbox_waiting()[0] == 1
    now = time.time()
    assert await wa.app.sender.send_waiting(now + BACKOFF_FIRST / 2) == 0  # not yet
    assert graph.to(USER) == []
    assert await wa.app.sender.send_waiting(now + BACKOFF_FIRST + 1) == 1
    await wa.adapter.idle()
    assert "Apa yang ingin Anda lakukan" in texts(graph.to(USER))
    assert wa.app.store.outbox_waiting() == (0, None)
    assert await wa.app.sender.send_waiting(now + 3600) == 0  # never twice
    assert len(graph.to(USER)) == 1


async def test_replies_a_dead_process_left_queued_go_before_a_newer_answer(
        wa: WaBot, graph: FakeGraph) -> None:
    store = wa.app.store
    async with store.unit(KEY):  # queued by a worker that died before sending them
        store.queue(records([Text(to=KEY, text="first, from before"),
                             Text(to=KEY, text="second, from before")]),
                    owner="dead-worker", lease_until=0)
        await store.flush()
    wa.app.sender.claim()  # as `serve` does before its adapters start
    await wa.say("halo")
    got = texts(graph.to(USER))
    assert got.index("first, from before") < got.index("second, from before") \
        < got.index("Apa yang ingin Anda lakukan")
    assert store.outbox_waiting() == (0, None)


async def test_deliver_outside_a_message_is_durable_and_retried(
        wa: WaBot, graph: FakeGraph) -> None:
    graph.fail(USER, UNDELIVERABLE)
    await wa.app.deliver([Text(to=KEY, text="pengumuman pasar"),
                          Text(to=KEY, text="kedua")])
    await wa.adapter.idle()
    assert graph.to(USER) == []  # the first was refused; the second waits behind it
    assert wa.app.store.outbox_waiting()[0] == 2
    assert await wa.app.sender.send_waiting(time.time() + BACKOFF_FIRST + 1) == 2
    await wa.adapter.idle()
    assert texts(graph.to(USER)).split("kedua")[0].count("pengumuman pasar") == 1
    assert wa.app.store.outbox_waiting() == (0, None)


async def test_a_reply_for_a_channel_not_running_here_waits_for_a_process_that_runs_it(
        wa: WaBot) -> None:
    await wa.app.deliver([Text(to="console:koordinator", text="pesanan baru KRB-1130-001")])
    assert wa.app.store.outbox_waiting()[0] == 1  # no console adapter here: not dropped
    out = io.StringIO()
    wa.app.attach(ConsoleAdapter(wa.app, user="warga", stdout=out))  # one that runs it
    assert await wa.app.sender.send_waiting(time.time() + LEASE + 1) == 1
    assert out.getvalue().count("pesanan baru KRB-1130-001") == 1
    assert wa.app.store.outbox_waiting() == (0, None)
