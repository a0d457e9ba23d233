"""Shared by tests/test_announcements.py and bench/announce.py: residents who ordered
lately, an App on both platforms' fakes, and the most sends in any window."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.whatsapp import RETRY_DELAYS, WhatsAppAdapter
from bot.app import App
from bot.engine.session import BROADCASTS_OFF
from bot.storage.base import Store
from bot.storage.memory import MemoryStore
from tests.chat import Clock
from tests.telegram.fakeapi import TOKEN, FakeBotAPI, serve
from tests.whatsapp.fake_graph import FakeGraph, Served
from tests.whatsapp.support import settings as wa_settings

OFFICE = "console:kantor-pasar"
TEMPLATE = "pengumuman_pasar"


def order_record(number: int, user: str, created: datetime) -> dict[str, Any]:
    stamp = created.isoformat(timespec="seconds")
    return {"code": f"KRB-1120-{number:03d}", "market": "kranji-baru", "status": "paid",
            "user": user, "items": [{"name": "telur", "quantity": None, "unit": None,
                                     "budget": None, "note": ""}],
            "address": {"text": "Jl. Melati No. 12, RT 03/RW 05, Jatibening"},
            "resident": {"name": "Warga", "phone": ""}, "channel": user.split(":")[0],
            "created_at": stamp, "updated_at": stamp,
            "history": [{"at": stamp, "by": user, "from": None, "to": "new"}]}


def residents(store: Store, now: float, timezone: Any, count: int) -> dict[str, list[str]]:
    """``count`` residents who ordered from Pasar Kranji Baru two days ago, half on each
    platform; every 25th said ``berhenti``; every other WhatsApp one last wrote three
    days ago (outside the window). Returns the user keys by what they should get."""
    groups: dict[str, list[str]] = {"text": [], "template": [], "stopped": []}
    created = datetime.fromtimestamp(now, timezone) - timedelta(days=2)
    for number in range(count):
        whatsapp = number % 2 == 1
        user = f"whatsapp:62812{number:07d}" if whatsapp else f"telegram:{5000 + number}"
        store.create_order(order_record(number, user, created))
        stopped = number % 25 == 0
        outside = whatsapp and number % 4 == 1
        last = now - (3 * 86400 if outside else 3600)
        profile = {BROADCASTS_OFF: last} if stopped else {}
        store.put_session(user, {"updated_at": last, "profile": profile})
        groups["stopped" if stopped else "template" if outside else "text"].append(user)
    return groups


def most_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


@dataclass
class OnFakes:
    app: App
    bot_api: FakeBotAPI  # what reached Telegram: bot_api.sent()
    graph: FakeGraph  # what reached WhatsApp: graph.sent, graph.arrivals


@asynccontextmanager
async def on_both_fakes(config: dict[str, Any], *, telegram: dict[str, Any] | None = None,
                        retry_delays: Sequence[float] = RETRY_DELAYS) -> AsyncIterator[OnFakes]:
    """An App on a memory store (the tests' clock) with its Telegram adapter on the fake Bot
    API (``telegram``: more of that section) and its WhatsApp adapter on the fake Graph
    API, both started; stopped, and the App closed, after."""
    graph = FakeGraph()
    served = Served(graph.app)
    try:
        async with serve(FakeBotAPI()) as bot_api:
            config["telegram"] = {**config["telegram"], "enabled": True, "token": TOKEN,
                                  "base_url": bot_api.base_url, "mode": "webhook",
                                  "webhook_url": "https://pasar.example.org",
                                  "secret_token": "rahasia_Webhook-123",
                                  "rate_per_second": 10_000, **(telegram or {})}
            app = App(config, store=MemoryStore())
            app.engine.clock = Clock()
            adapters = (TelegramAdapter(app, app.config["telegram"]),
                        WhatsAppAdapter(app, wa_settings(served.url),
                                        retry_delays=retry_delays))
            for adapter in adapters:
                app.attach(adapter)
                await adapter.start()
            try:
                yield OnFakes(app, bot_api, graph)
            finally:
                for adapter in adapters:
                    await adapter.stop()
                app.close()
    finally:
        served.close()
