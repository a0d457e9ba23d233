"""A worker killed between answering a webhook 200 and committing its handling leaves the
delivery in the PostgreSQL inbox. The live workers take it over within seconds (no
restart needed: a dead machine behind a proxy never comes back), and a next message of
the same conversation arriving meanwhile is handled after it, not before."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from telegram import Update

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram import conversation as tg_conversation
from bot.adapters.whatsapp import conversations
from bot.adapters.whatsapp_parse import parse_payload
from bot.app import App
from bot.server import build_server
from bot.storage.postgres import PostgresStore
from tests.chat import test_config
from tests.telegram.conftest import WEBHOOK_SECRET, telegram_settings
from tests.telegram.fakeapi import FakeBotAPI, serve
from tests.telegram.residents import Resident as TgResident
from tests.webhooks.support import Poster, served_graph
from tests.whatsapp.fake_graph import PHONE_NUMBER_ID, FakeGraph
from tests.whatsapp.support import text as wa_text
from tests.workers.cluster import (
    Cluster,
    Resident,
    all_confirmed,
    residents,
    same_items,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]

# what a worker does before its 200 (the delivery and its conversations in the inbox,
# synced), and then nothing more: it is killed before it handles them
ANSWERED_THEN_KILLED = textwrap.dedent("""
    import asyncio, json, sys
    from bot.storage.postgres import PostgresStore

    async def main():
        inbox = PostgresStore(sys.argv[1], pool_size=1).inbox(sys.argv[3])
        for body, keys in json.loads(sys.argv[2]):
            inbox.add(body.encode("utf-8"), keys)
        await inbox.sync()
        print("answered", flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
""")


@pytest.fixture
def graph() -> Iterator[tuple[FakeGraph, str]]:
    yield from served_graph()


def payload(resident: Resident, words: str) -> dict[str, Any]:
    sent = wa_text(words, resident.phone)
    sent["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = (
        f"Warga {resident.n}")
    return sent


def inbox_rows(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM inbox").fetchone()
    return int(row[0]) if row else 0


def message_id(sent: dict[str, Any]) -> str:
    return str(sent["entry"][0]["changes"][0]["value"]["messages"][0]["id"])


async def answered_then_killed(dsn: str, deliveries: list[dict[str, Any]],
                               channel: str = "whatsapp") -> None:
    """A worker that answered these deliveries 200 (each in the inbox with its
    conversations, as its adapter records them) and was killed -9 before handling them."""
    bodies = []
    for sent in deliveries:
        if channel == "whatsapp":
            keys = conversations(parse_payload(sent, PHONE_NUMBER_ID))
        else:
            keys = [key] if (key := tg_conversation(Update.de_json(sent, None))) else []
        bodies.append((json.dumps(sent), keys))
    worker = subprocess.Popen([sys.executable, "-c", ANSWERED_THEN_KILLED, dsn,
                               json.dumps(bodies), channel], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        line = await asyncio.wait_for(asyncio.to_thread(worker.stdout.readline), 30)  # type: ignore[union-attr]
        assert line.strip() == "answered"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()


async def test_a_killed_workers_answered_message_is_taken_over_and_handled_before_the_next(
        tmp_path: Path, pg_dsn: str, graph: tuple[FakeGraph, str]) -> None:
    """Resident 0's second item line is answered by a worker that is then killed; the
    third line goes at once to the live worker: the order holds the three lines in the
    order sent. Resident 1's greeting is answered by the killed worker and nothing follows
    it: the live worker (never restarted) replies to it within seconds all the same."""
    fake, url = graph
    rng = random.Random(2)
    ordering, lone = residents(2, rng)
    cluster = Cluster(tmp_path, pg_dsn, url, 1)
    await cluster.start()
    poster = Poster(cluster.urls[0])
    try:
        script = ordering.script()
        first_line = script.index(ordering.lines[0])
        for words in script[:first_line + 1]:
            assert await poster.whatsapp(payload(ordering, words))
        left, greeting = payload(ordering, ordering.lines[1]), payload(lone, "halo")
        await answered_then_killed(pg_dsn, [left, greeting])
        for words in script[first_line + 2:]:  # the next line at once, then the rest
            assert await poster.whatsapp(payload(ordering, words))
        await wait_until(lambda: all_confirmed(fake, [ordering]), "the confirmation", 20)
        await wait_until(lambda: fake.to(lone.phone), "a reply to the lone greeting", 10)
        # both left rows taken over, handled (or skipped, handled already) and done
        await wait_until(lambda: inbox_rows(pg_dsn) == 0, "the inbox emptied", 10)
    finally:
        await poster.aclose()
        assert await cluster.stop() == [0]
    with PostgresStore(pg_dsn, pool_size=1) as store:
        [order] = store.query_orders(user=ordering.key)
        assert same_items(order, ordering.lines), [i["name"] for i in order["items"]]
        assert store.seen_message("whatsapp", message_id(left))
        assert store.seen_message("whatsapp", message_id(greeting))


async def test_a_live_worker_of_another_database_on_the_server_does_not_hold_deliveries(
        pg_server: Any) -> None:
    """Owner numbers start at 1 in every database, and pg_locks shows the whole server's
    locks: a worker alive on another database must not pass for this one's dead owner."""
    elsewhere = PostgresStore(pg_server.create_database(), pool_size=1)
    dsn = pg_server.create_database()
    try:
        elsewhere.inbox("whatsapp")  # alive there, presence owner 1
        with PostgresStore(dsn, pool_size=1) as dead:  # owner 1 here, then gone
            inbox = dead.inbox("whatsapp")
            inbox.add(b'{"left": 1}', ["whatsapp:6281300000003"])
            await inbox.sync()
        with PostgresStore(dsn, pool_size=1) as live:
            assert [d.body for d in live.inbox("whatsapp").pending()] == [b'{"left": 1}']
    finally:
        elsewhere.close()


async def test_telegram_a_killed_workers_update_is_handled_before_the_chats_next(
        pg_dsn: str) -> None:
    """Telegram webhooks on PostgreSQL: a chat's update answered by a worker killed before
    handling it is handled before the chat's next update, which reaches a live worker at
    once (by the engine's handling times of the two)."""
    async with serve(FakeBotAPI()) as fake:
        config = test_config()
        config["telegram"] = telegram_settings(fake, mode="webhook")
        app = App(config, store=PostgresStore(pg_dsn, pool_size=2))
        adapter = TelegramAdapter(app, app.config["telegram"])
        app.attach(adapter)
        server = build_server(app, [adapter])
        resident = TgResident(fake, 7001)
        left, following = resident.text_update("halo"), resident.text_update("bantuan")
        try:
            async with (server.router.lifespan_context(server),
                        httpx.AsyncClient(transport=httpx.ASGITransport(app=server),
                                          base_url="http://pasar.test") as client):
                await answered_then_killed(pg_dsn, [left], channel="telegram")
                response = await client.post("/webhooks/telegram", json=following, headers={
                    "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
                assert response.status_code == 200
                ids = [f"u{left['update_id']}", f"u{following['update_id']}"]
                await wait_until(lambda: all(app.store.seen_message("telegram", i)
                                             for i in ids), "both updates handled", 10)
        finally:
            app.close()
    with PostgresStore(pg_dsn, pool_size=1) as store, store.db.conn() as conn:
        handled = [row[0] for row in conn.execute(
            "SELECT message_id FROM messages WHERE channel = 'telegram' ORDER BY at")]
        assert handled == ids
