"""Announcements (issue 16 item 3): ``umumkan`` from the market office or a head of unit
to the residents who ordered from a market lately, at a pace within each platform's
limits, as the configured template to WhatsApp residents outside the 24-hour window,
never to one who said ``berhenti``, with the counts told to the sender."""

from __future__ import annotations

import asyncio
import itertools
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.app import App
from bot.messages import Incoming, Reply
from bot.ordering.chat.announcements import AnnouncementRefused, announce
from tests.announcing import (
    OFFICE,
    TEMPLATE,
    most_in_window,
    on_both_fakes,
    order_record,
    residents,
)
from tests.chat import ChatBot, Clock, Console, test_config

_ids = itertools.count(1)


def assert_paced(times: list[float], rate: float) -> None:
    """Arrivals at the fake never faster than ``rate`` a second: over the whole run, and in
    any half second (allowing 50 ms of arrival jitter: requests leave at the pace and
    cross a loaded machine's loopback in a varying time)."""
    assert len(times) > rate / 2, "too few sends to measure a rate"
    span = max(times) - min(times)
    print(f"{len(times)} sends in {span:.3f} s: {(len(times) - 1) / span:.1f}/s "
          f"(pace {rate:.0f}/s), most in 0.5 s: {most_in_window(times, 0.5)}")
    assert (len(times) - 1) / span <= rate * 1.05, f"{len(times)} sends in {span:.3f} s"
    assert most_in_window(times, 0.5) <= rate * (0.5 + 0.05) + 1


async def handle(app: App, user: str, text: str) -> str:
    answer = await app.engine.handle(Incoming(channel="console", user=user, text=text,
                                              message_id=f"ann{next(_ids)}"))
    return "\n".join(r.text for r in answer if r.to == f"console:{user}")


async def test_announcement_to_500_residents_paced_and_counted() -> None:
    rates = {"telegram": 200.0, "whatsapp": 200.0}  # above what a loaded machine reaches
    config = test_config(admins=[OFFICE], announcements={
        "telegram_per_second": rates["telegram"], "whatsapp_per_second": rates["whatsapp"],
        "in_flight": 16,
        "whatsapp_template": TEMPLATE, "whatsapp_template_language": "id"})
    async with on_both_fakes(config, telegram={"retry_backoff": 0.05, "max_in_flight": 16},
                             retry_delays=(0.001,)) as on:
        app, fake, graph = on.app, on.bot_api, on.graph
        groups = residents(app.store, app.engine.clock(), app.services.markets.timezone, 500)
        console = Console()
        app.attach(console)
        await handle(app, "kantor-pasar", "halo")
        assert "pasar mana" in (await handle(app, "kantor-pasar", "umumkan")).lower()
        asked = await handle(app, "kantor-pasar", "Pasar Kranji Baru")
        assert "Tulis pengumuman" in asked
        text = "Pasar Kranji Baru tutup besok, Jumat 28/11, untuk perbaikan atap."
        confirm = await handle(app, "kantor-pasar", text)
        assert "480 warga" in confirm and "20 warga sudah berhenti" in confirm
        assert "sedang dikirim" in await handle(app, "kantor-pasar", "ya")
        assert await app.run_timers() == 1
        await app.announcer.idle()
        told = "\n".join(r.text for r in console.sent if r.to == OFFICE)
        found = re.search(r"(\d+) terkirim, (\d+) gagal, (\d+) dilewati \((\d+)", told)
        assert found, told
        sent, failed, skipped, stopped = map(int, found.groups())

        chats = {int(u.split(":")[1]) for u in groups["text"] + groups["template"]
                 + groups["stopped"] if u.startswith("telegram:")}
        at_telegram = [c for c in fake.sent() if c.chat in chats]
        numbers = {u.split(":")[1] for g in groups.values() for u in g
                   if u.startswith("whatsapp:")}
        at_graph = [b for b in graph.sent if b["to"] in numbers]
        # the count told matches what the fakes received
        assert sent == len(at_telegram) + len(at_graph) == 480
        assert (failed, skipped, stopped) == (0, 20, 20)
        # those who said berhenti get nothing
        stopped_ids = {u.split(":")[1] for u in groups["stopped"]}
        assert not [c for c in at_telegram if str(c.chat) in stopped_ids]
        assert not [b for b in at_graph if b["to"] in stopped_ids]
        # every one says how to stop them; outside the window: the template
        assert all("berhenti" in c.text for c in at_telegram)
        outside = {u.split(":")[1] for u in groups["template"]}
        templates = [b for b in at_graph if b["type"] == "template"]
        assert {b["to"] for b in templates} == outside
        params = templates[0]["template"]["components"][0]["parameters"]
        assert params[0]["text"] == "Pasar Kranji Baru"
        assert text in params[1]["text"] and "berhenti" in params[1]["text"]
        assert all("\n" not in p["text"] for p in params)
        texts = [b for b in at_graph if b["type"] == "text"]
        assert len(texts) + len(templates) == len(at_graph)
        assert all("berhenti" in b["text"]["body"] for b in texts)
        # the pace, measured where the messages arrive
        assert_paced([c.at for c in at_telegram], rates["telegram"])
        assert_paced([t for t, to in graph.arrivals if to in numbers], rates["whatsapp"])


# -- who may announce ---------------------------------------------------------------------
def test_a_head_announces_to_their_own_market_only(bot: ChatBot) -> None:
    bot.say("halo", "kepala-kranji")
    bot.say("umumkan", "kepala-kranji")  # one market: its text is asked at once
    assert "Pasar Kranji Baru" in bot.text("kepala-kranji")
    assert bot.state("kepala-kranji") == "coordinator.announce_text"
    bot.say("menu", "kepala-kranji")
    assert "announce" in bot.options("kepala-kranji")  # the head's menu offers it too
    bot.push("kepala-kranji", choice="announce")
    assert bot.state("kepala-kranji") == "coordinator.announce_text"
    with pytest.raises(AnnouncementRefused) as refused:
        asyncio.run(announce(bot.app, "console:kepala-kranji", "jatiasih", "Besok tutup"))
    assert refused.value.message_id == "announce.not_your_market"


def test_coordinators_and_residents_may_not_announce(bot: ChatBot) -> None:
    bot.say("halo", "koord-kranji-1")
    bot.say("umumkan", "koord-kranji-1")
    assert "kepala unit pasar atau kantor pasar" in bot.text("koord-kranji-1")
    assert bot.state("koord-kranji-1") == "coordinator.home"
    bot.say("umumkan", "warga")
    assert "pengumuman" not in bot.text("warga").lower()
    with pytest.raises(AnnouncementRefused):
        asyncio.run(announce(bot.app, "console:warga", "kranji-baru", "Besok tutup"))


def test_an_empty_or_long_text_is_refused_in_words(bot: ChatBot) -> None:
    with pytest.raises(AnnouncementRefused) as refused:
        asyncio.run(announce(bot.app, "console:kepala-kranji", "kranji-baru", "   "))
    assert refused.value.message_id == "announce.empty"
    bot.say("halo", "kepala-kranji")
    bot.say("umumkan", "kepala-kranji")
    bot.say("x" * 600, "kepala-kranji")
    assert "500" in bot.text("kepala-kranji")  # asked again, the limit said
    assert bot.state("kepala-kranji") == "coordinator.announce_text"


def test_every_send_waits_for_the_pace(bot: ChatBot) -> None:
    """The pace binds (an injected clock, so no waiting): with four sends in flight at once,
    no second holds more than the rate's starts."""
    from bot.pace import Pace
    from tests.test_pace import FakeTime

    fake = FakeTime()
    started: list[float] = []

    class Slow(Console):
        async def send(self, reply: Reply) -> bool:
            started.append(fake.now)
            await asyncio.sleep(0)
            return await super().send(reply)

    timezone = bot.app.services.markets.timezone
    created = datetime.fromtimestamp(bot.clock(), timezone) - timedelta(days=1)
    for number in range(40):
        user = f"console:warga-{number}"
        bot.store.create_order(order_record(number, user, created))
        bot.store.put_session(user, {"updated_at": bot.clock() - 60})
    adapter = Slow()
    bot.app.adapters["console"] = adapter
    counts = asyncio.run(announce(bot.app, "console:kepala-kranji", "kranji-baru",
                                  "Besok tutup", paces={"console": Pace(
                                      10, clock=fake.clock, sleep=fake.sleep)}))
    assert (counts.sent, counts.failed, counts.skipped) == (40, 0, 0)
    assert len(adapter.sent) == 40
    # a send starts when the event loop gets to its task, just after the pace let it go
    assert most_in_window(started, 1.0) <= 10 + 1
    assert started[-1] - started[0] >= 3.8  # 40 at 10 a second


def test_umumkan_as_a_first_message(bot: ChatBot) -> None:
    bot.say("umumkan", "kepala-kranji")
    assert bot.state("kepala-kranji") == "coordinator.announce_text"
    bot.say("Besok pasar tutup karena kerja bakti.", "kepala-kranji")
    assert "Kirim sekarang?" in bot.text("kepala-kranji")
    bot.say("tidak", "kepala-kranji")
    assert "tidak dikirim" in bot.text("kepala-kranji")
    assert bot.state("kepala-kranji") == "coordinator.home"


def test_an_announcement_cut_short_by_a_restart_is_finished_after_it(tmp_path: Any) -> None:
    """The process dies in its second batch: after the restart (TinyDB reopened) and the
    lease, the rest is sent; nobody is left out, at most one batch goes twice, and the
    sender is told once, counting each resident once."""
    from bot.ordering.chat.announcements import BATCH, LEASE
    from bot.storage.tinydb_store import TinyDBStore

    clock = Clock()
    store = TinyDBStore(tmp_path / "data")
    bot = ChatBot(store=store, clock=clock)
    users = [f"console:warga-{n}" for n in range(2 * BATCH + 20)]
    created = datetime.fromtimestamp(clock(), bot.app.services.markets.timezone)
    for number, user in enumerate(users):
        store.create_order(order_record(number, user, created - timedelta(days=1)))
        store.put_session(user, {"updated_at": clock() - 60})
    bot.say("umumkan", "kepala-kranji")
    bot.say("Besok pasar tutup.", "kepala-kranji")
    bot.say("ya", "kepala-kranji")
    got: list[str] = []
    stuck = asyncio.Event()

    class Dies(Console):
        async def send(self, reply: Reply) -> bool:
            if reply.to in users and len(got) >= BATCH + 10:
                await stuck.wait()  # the process dies here, in the second batch
            if reply.to in users:
                got.append(reply.to)
            return await super().send(reply)

    async def first_run() -> None:
        bot.app.adapters["console"] = Dies()
        assert await bot.app.run_timers() == 1
        while len(got) < BATCH + 10:
            await asyncio.sleep(0.001)
        for task in list(bot.app.announcer.tasks):
            task.cancel()
        await asyncio.gather(*bot.app.announcer.tasks, return_exceptions=True)

    asyncio.run(first_run())
    store.close()
    store = TinyDBStore(tmp_path / "data")
    bot = ChatBot(store=store, clock=clock)
    told = Console()

    async def after_restart() -> None:
        bot.app.adapters["console"] = told
        assert await bot.app.run_timers() == 0  # the lease still runs
        clock.advance(LEASE + 1)
        assert await bot.app.run_timers() == 1
        await bot.app.announcer.idle()

    asyncio.run(after_restart())
    got += [r.to for r in told.sent if r.to in users]
    assert set(got) == set(users)
    assert len(got) - len(users) <= BATCH
    counts = [r.text for r in told.sent if r.to == "console:kepala-kranji"]
    assert len(counts) == 1 and f"{len(users)} terkirim, 0 gagal" in counts[0]
    before = len(told.sent)
    clock.advance(2 * LEASE)
    asyncio.run(bot.app.run_timers())  # done: its timer is gone
    assert told.sent[before:] == []
    store.close()


def test_queued_from_outside_chat_is_sent_and_counted(bot: ChatBot) -> None:
    from bot.ordering.chat.announcements import queue_announcement

    created = datetime.fromtimestamp(bot.clock(), bot.app.services.markets.timezone)
    for number in range(3):
        user = f"console:warga-{number}"
        bot.store.create_order(order_record(number, user, created - timedelta(days=1)))
        bot.store.put_session(user, {"updated_at": bot.clock() - 60})
    console = Console()
    bot.app.adapters["console"] = console

    async def run() -> None:
        with pytest.raises(AnnouncementRefused):
            await queue_announcement(bot.app, "console:warga-0", "kranji-baru", "Tutup")
        await queue_announcement(bot.app, "console:kepala-kranji", "kranji-baru", "Tutup", 7)
        assert await bot.app.run_timers() == 1
        await bot.app.announcer.idle()

    asyncio.run(run())
    assert sorted(r.to for r in console.sent if "Tutup" in r.text) == [
        f"console:warga-{n}" for n in range(3)]
    told = [r.text for r in console.sent if r.to == "console:kepala-kranji"]
    assert told and "3 terkirim, 0 gagal, 0 dilewati" in told[0]
