"""The Graph API sender keeps a bounded number of posts in flight (issue 13): the rest
wait their turn in the sender, not in aiohttp's connector, and every one is still sent."""

from __future__ import annotations

import asyncio

from bot.adapters.whatsapp_send import GraphSender, new_session
from tests.whatsapp.fake_graph import PHONE_NUMBER_ID, TOKEN, FakeGraph


async def test_posts_in_flight_stay_within_the_bound(
        served_graph: tuple[FakeGraph, str]) -> None:
    graph, url = served_graph
    graph.reset()
    users = [f"62812000000{n:02d}" for n in range(5)]
    for user in users:
        graph.hold(user)
    async with new_session(2) as session:
        sender = GraphSender(session, f"{url}/v21.0", PHONE_NUMBER_ID, TOKEN, in_flight=2)
        posts = [asyncio.create_task(sender.post({"messaging_product": "whatsapp", "to": u,
                                                  "type": "text", "text": {"body": "x"}}))
                 for u in users]
        while len(graph.waiting) < 2:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # time for more to arrive, were they let through
        assert len(graph.waiting) == 2
        graph.release()
        results = await asyncio.gather(*posts)
    assert all(r.ok for r in results)
    assert sorted(b["to"] for b in graph.sent) == users
