"""A coordinators' group: one post per new order, claimed from the group by a coordinator."""

from __future__ import annotations

import asyncio
import dataclasses

from bot.messages import Incoming, Menu, Reply
from bot.ordering.chat import group
from tests.chat import ADDRESS, ChatBot

GROUP = "telegram:-1001234"


class Outbox:
    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[Reply] = []
        self.group_handler = None  # like the Telegram adapter

    async def send(self, reply: Reply) -> None:
        self.sent.append(reply)


def grouped_bot() -> tuple[ChatBot, Outbox, Outbox]:
    bot = ChatBot()
    markets = bot.app.services.markets
    bot.app.services.markets = dataclasses.replace(markets, markets=tuple(
        dataclasses.replace(m, group=GROUP) if m.id == "kranji-baru" else m
        for m in markets.markets))
    telegram, console = Outbox("telegram"), Outbox("console")
    bot.app.attach(telegram)
    bot.app.attach(console)
    return bot, telegram, console


def press(bot: ChatBot, sender: str, choice: str, message_id: str) -> bool:
    msg = Incoming(channel="telegram", user="-1001234", choice=choice, message_id=message_id)
    return asyncio.run(group.handle(bot.app, msg, f"console:{sender}"))


def test_claiming_from_the_group() -> None:
    bot, telegram, console = grouped_bot()
    assert telegram.group_handler is not None  # App.attach plugged the handler in
    for line in ("halo", "1", "kranji baru", "telur 1 kg", "selesai", ADDRESS, "Bu Ani",
                 "0812-3456-7890", "ya"):
        bot.say(line)
    post = [r for r in bot.replies if r.to == GROUP]
    assert len(post) == 1 and isinstance(post[0], Menu)
    code = bot.orders()[0]["code"]
    # a coordinator of another market presses it: refused in the group, nothing changes
    assert press(bot, "koord-harapan-1", f"claim:{code}", "u1")
    assert "milik Pasar Kranji Baru" in telegram.sent[-1].text
    assert bot.store.get_order(code)["status"] == "new"
    # Bu Sri presses it: hers; the group and the resident are told, she is told privately
    assert press(bot, "koord-kranji-2", f"claim:{code}", "u2")
    assert bot.store.get_order(code)["coordinator"] == "console:koord-kranji-2"
    assert any("sudah diambil oleh Bu Sri" in r.text for r in telegram.sent if r.to == GROUP)
    assert any("dicatat oleh *Bu Sri*" in r.text for r in console.sent
               if r.to == "console:warga")
    assert any("sekarang Anda pegang" in r.text for r in console.sent
               if r.to == "console:koord-kranji-2")
    # Pak Budi a moment later: told in the group who has it
    assert press(bot, "koord-kranji-1", f"claim:{code}", "u3")
    assert "sudah diambil oleh Bu Sri" in telegram.sent[-1].text
    # the same button press delivered twice is handled once
    before = len(telegram.sent)
    assert press(bot, "koord-kranji-1", f"claim:{code}", "u3")
    assert len(telegram.sent) == before
    # Bu Sri goes on in her private chat
    bot.say(f"lihat {code}", "koord-kranji-2")
    assert bot.options("koord-kranji-2") == ["shop", "cancel", "handover", "talk", "home"]


def test_other_group_messages_are_left_alone() -> None:
    bot, telegram, _ = grouped_bot()
    chatter = Incoming(channel="telegram", user="-1001234", text="selamat pagi semua")
    assert not asyncio.run(group.handle(bot.app, chatter, "console:koord-kranji-1"))
    elsewhere = Incoming(channel="telegram", user="-999", choice="claim:KRB-1127-001")
    assert not asyncio.run(group.handle(bot.app, elsewhere, "console:koord-kranji-1"))
    assert telegram.sent == []
