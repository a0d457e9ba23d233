"""The daily recap is queued in the outbox with the day's marker, in one unit of work: a
bot that dies after taking the day's recap and before sending it sends it after its
restart, once (before the outbox it was lost: the marker said "sent")."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.storage.tinydb_store import TinyDBStore
from tests import chat
from tests.chat import ChatBot, Clock, Console
from tests.coordinator.sample import fill
from tests.coordinator.test_daily import EVENING


def test_a_recap_taken_but_not_sent_before_a_crash_goes_out_once_after_the_restart(
        tmp_path: Path) -> None:
    config = chat.test_config(admins=["console:kantor-pasar"],
                              escalation={"claim_minutes": 0})
    bot = ChatBot(store=TinyDBStore(tmp_path / "data"), clock=Clock(EVENING), config=config)
    fill(bot.store)
    for user in ("kepala-kranji", "kantor-pasar"):
        bot.say("halo", user)
    # no console adapter runs in this process: the recap is taken and queued, not sent,
    # as in a process that dies right after the recap's unit of work
    assert asyncio.run(bot.app.run_jobs())["daily recap"] == 2
    bot.store.close()
    again = ChatBot(store=TinyDBStore(tmp_path / "data"), clock=Clock(EVENING + 60),
                    config=config)
    outbox = Console()
    again.app.attach(outbox)
    try:
        assert asyncio.run(again.app.run_jobs())["daily recap"] == 0  # taken already
        assert asyncio.run(again.app.sender.send_waiting()) >= 2  # what waited goes out
        recaps = [r for r in outbox.sent if "*Semua pasar*: 9 pesanan" in r.text
                  or "*Pasar Kranji Baru*: 5 pesanan" in r.text]
        assert sorted(r.to for r in recaps) == ["console:kantor-pasar", "console:kepala-kranji"]
        assert asyncio.run(again.app.sender.send_waiting()) == 0  # once
    finally:
        again.store.close()
