"""Presence on WhatsApp (issue 16 item 4): each message a resident sends is marked read
with "typing..." shown while its reply is prepared (Cloud API ``status: read`` with
``typing_indicator``), as a post of its own that never delays or fails the reply."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tests.whatsapp.fake_graph import FakeGraph
from tests.whatsapp.support import USER, WaBot, text, texts


async def _reads(graph: FakeGraph, count: int) -> list[dict[str, Any]]:
    """The receipts, once ``count`` have arrived (they are not waited for by the bot)."""
    for _ in range(500):
        if len(graph.reads) >= count:
            break
        await asyncio.sleep(0.01)
    return list(graph.reads)


async def test_a_message_is_marked_read_with_the_typing_indicator(
        wa: WaBot, graph: FakeGraph) -> None:
    payload = text("halo")
    wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    sent = await wa.send(payload)
    assert "Selamat datang" in texts(sent)
    assert await _reads(graph, 1) == [{"messaging_product": "whatsapp", "status": "read",
                                       "message_id": wamid,
                                       "typing_indicator": {"type": "text"}}]
    assert all(b.get("status") != "read" for b in graph.sent)  # not a message to anyone


async def test_a_receipt_that_hangs_or_fails_never_holds_the_reply(
        wa: WaBot, graph: FakeGraph) -> None:
    graph.hold("read")
    sent = await wa.say("halo")  # answered while the receipt still waits
    assert "Selamat datang" in texts(sent) and graph.reads == []
    graph.release()
    assert len(await _reads(graph, 1)) == 1
    graph.fail("read", (500, None))
    sent = await wa.say("1")
    assert "pasar mana" in texts(sent)  # the failed receipt changed nothing
    assert len(graph.to(USER)) >= 2


async def test_presence_off_sends_no_receipt(
        make_bot: Callable[..., Any], graph: FakeGraph) -> None:
    wa = await make_bot(presence=False)
    assert "Selamat datang" in texts(await wa.say("halo"))
    await asyncio.sleep(0.05)
    assert graph.reads == []
