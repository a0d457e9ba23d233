"""Fixtures: the fake Bot API on a free local port, and the real app with a Telegram
adapter pointed at it (on a fresh TinyDB store in the test's tmp folder)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import test_config
from tests.telegram.fakeapi import TOKEN, FakeBotAPI, serve

WEBHOOK_SECRET = "rahasia_Webhook-123"


def telegram_settings(fake: FakeBotAPI, **overrides: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "token": TOKEN,
        "base_url": fake.base_url,
        "mode": "polling",
        "webhook_url": "https://pasar.example.org",
        "secret_token": WEBHOOK_SECRET,
        "poll_timeout": 1,  # seconds a getUpdates waits: short, so stopping is quick
        "retry_backoff": 0.05,
        **overrides,
    }


def make_app(tmp_path: Path, fake: FakeBotAPI, **overrides: Any) -> App:
    config = test_config()
    config["telegram"] = telegram_settings(fake, **overrides)
    return App(config, store=TinyDBStore(tmp_path / "data"))


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with serve(FakeBotAPI()) as api:
        yield api


@pytest.fixture
async def polling(tmp_path: Path, fake: FakeBotAPI) -> AsyncIterator[App]:
    """The app receiving by long polling from the fake API."""
    from bot.adapters.telegram import TelegramAdapter

    app = make_app(tmp_path, fake)
    adapter = TelegramAdapter(app, app.config["telegram"])
    app.attach(adapter)
    await adapter.start()
    try:
        yield app
    finally:
        await adapter.stop()
        app.close()
