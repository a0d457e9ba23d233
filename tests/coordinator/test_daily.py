"""The daily recap: sent once a day at the configured time to heads of unit and admins."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.ordering.chat.daily import recap_time
from bot.storage.tinydb_store import TinyDBStore
from tests import chat
from tests.chat import ChatBot, Clock, Console
from tests.coordinator.sample import fill

WIB = ZoneInfo("Asia/Jakarta")
EVENING = datetime(2025, 11, 27, 20, 5, tzinfo=WIB).timestamp()


def bot_at(moment: float, store=None, **config) -> tuple[ChatBot, Console]:
    bot = ChatBot(store=store, clock=Clock(moment),
                  config=chat.test_config(admins=["console:kantor-pasar"],
                                          escalation={"claim_minutes": 0}, **config))
    outbox = Console()
    bot.app.attach(outbox)
    return bot, outbox


def test_the_recap_goes_out_once_at_the_time(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path / "data")
    bot, outbox = bot_at(EVENING - 3600, store)
    fill(bot.store)
    for user in ("kepala-kranji", "kantor-pasar"):
        bot.say("halo", user)
    assert asyncio.run(bot.app.run_jobs()) == {"daily recap": 0, "escalation": 0}  # 19:05: not yet
    bot.clock.advance(3600)
    assert asyncio.run(bot.app.run_jobs()) == {"daily recap": 2, "escalation": 0}
    to = {r.to: r.text for r in outbox.sent}
    assert set(to) == {"console:kepala-kranji", "console:kantor-pasar"}  # Pak Hendra never chatted
    assert "*Pasar Kranji Baru*: 5 pesanan" in to["console:kepala-kranji"]
    assert "Harapan" not in to["console:kepala-kranji"]
    assert "*Semua pasar*: 9 pesanan" in to["console:kantor-pasar"]
    assert asyncio.run(bot.app.run_jobs()) == {"daily recap": 0, "escalation": 0}  # once a day
    store.close()
    # a restarted bot does not send it again the same evening
    again, outbox = bot_at(EVENING + 600, TinyDBStore(tmp_path / "data"))
    assert asyncio.run(again.app.run_jobs()) == {"daily recap": 0, "escalation": 0}
    assert outbox.sent == []
    again.store.close()


def test_the_time_is_configurable_and_can_be_off() -> None:
    assert recap_time({}).hour == 20
    assert recap_time({"recap": {"time": "06:30"}}).minute == 30
    assert recap_time({"recap": {"time": ""}}) is None
    with pytest.raises(ValueError):
        recap_time({"recap": {"time": "jam delapan"}})
    bot, outbox = bot_at(EVENING, recap={"time": ""})
    bot.say("halo", "kepala-kranji")
    assert asyncio.run(bot.app.run_jobs()) == {"daily recap": 0, "escalation": 0}
    assert outbox.sent == []


def test_a_failing_job_does_not_stop_the_others() -> None:
    # (a bad recap.time no longer makes a failing job: the config is refused at start)
    bot, _ = bot_at(EVENING, recap={"time": ""})

    async def broken(app, now):
        raise RuntimeError("broken job")

    async def fine(app, now):
        return "ok"

    bot.app.jobs["broken"] = broken
    bot.app.jobs["other"] = fine
    assert asyncio.run(bot.app.run_jobs()) == {"daily recap": 0, "escalation": 0, "broken": None,
                                             "other": "ok"}
