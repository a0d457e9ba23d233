"""Announcements attacked (issue 16 item 3, reviewed): ``berhenti`` said while an
announcement is being sent is honoured by the batches after it, and a resident who never
ordered from the market is not in its audience."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.messages import Incoming, Reply
from bot.ordering.chat.announcements import BATCH, queue_announcement
from tests.announcing import order_record
from tests.chat import ChatBot, Console

HEAD = "console:kepala-kranji"


def test_berhenti_during_a_send_is_honoured_by_the_next_batches() -> None:
    bot = ChatBot()
    users = [f"console:warga-{n}" for n in range(2 * BATCH + 5)]
    created = datetime.fromtimestamp(bot.clock(), bot.app.services.markets.timezone)
    for number, user in enumerate(users):
        bot.store.create_order(order_record(number, user, created - timedelta(days=1)))
        bot.store.put_session(user, {"updated_at": bot.clock() - 60})
    never = "console:tetangga"  # wrote to the bot, never ordered
    bot.store.put_session(never, {"updated_at": bot.clock() - 60})
    late = users[-1]  # in the third batch
    got: list[str] = []
    first = asyncio.Event()

    class Counting(Console):
        async def send(self, reply: Reply) -> bool:
            if "pasar tutup" in reply.text:
                got.append(reply.to)
                first.set()
            return await super().send(reply)

    console = Counting()
    bot.app.adapters["console"] = console

    async def run() -> None:
        await queue_announcement(bot.app, HEAD, "kranji-baru", "Besok pasar tutup.")
        assert await bot.app.run_timers() == 1
        await first.wait()  # the announcement is going out: the last resident says stop
        await bot.app.engine.handle(Incoming(channel="console", user="warga-"
                                             + late.rsplit("-", 1)[1], text="berhenti",
                                             message_id="stop-mid-send"))
        await bot.app.announcer.idle()

    asyncio.run(run())
    assert late not in got and never not in got
    assert sorted(got) == sorted(users[:-1])
    told = [r.text for r in console.sent if r.to == HEAD]
    assert told and f"{len(users) - 1} terkirim, 0 gagal, 1 dilewati (1 di antaranya" in told[-1]
