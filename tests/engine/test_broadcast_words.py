"""``berhenti`` / ``stop`` / ``mulai``: stopping announcements beside the global commands
(``stop`` was, and stays, a way to cancel what is in progress), and a reminder's
"continue" button pressed away from any menu."""

from __future__ import annotations

from bot.engine.session import BROADCASTS_OFF, wants_broadcasts
from bot.messages import Menu
from tests.chat import ChatBot, drive


def test_berhenti_mid_order_stops_announcements_and_keeps_the_order(bot: ChatBot) -> None:
    drive(bot, "order.address")
    bot.say("berhenti")
    assert "tidak akan menerima pengumuman" in bot.text()
    assert bot.state() == "order.address"  # asked again, nothing dropped
    assert "alamat" in bot.text().lower()
    assert not wants_broadcasts(bot.session()["profile"])
    assert bot.session()["profile"][BROADCASTS_OFF] == bot.clock.now  # recorded, with when


def test_stop_cancels_an_order_in_progress_as_before(bot: ChatBot) -> None:
    drive(bot, "order.items")
    bot.say("stop")
    assert "dibatalkan" in bot.text()
    assert "ketik *berhenti*" in bot.text()  # in case it meant the announcements
    assert wants_broadcasts(bot.session().get("profile"))


def test_stop_with_nothing_in_progress_stops_announcements(bot: ChatBot) -> None:
    drive(bot, "main.menu")
    bot.say("STOP")
    assert "tidak akan menerima pengumuman" in bot.text()
    assert not wants_broadcasts(bot.session()["profile"])


def test_mulai_turns_them_back_on_and_starts(bot: ChatBot) -> None:
    bot.say("berhenti")
    assert not wants_broadcasts(bot.session()["profile"])
    bot.say("mulai")
    assert "Pengumuman aktif lagi" in bot.text()
    assert bot.state() == "main.menu"
    assert wants_broadcasts(bot.session()["profile"])
    bot.say("mulai")  # for one who never stopped them, mulai is just the start
    assert "Pengumuman aktif lagi" not in bot.text()


def test_continue_pressed_on_a_reminder_asks_the_question_left(bot: ChatBot) -> None:
    drive(bot, "order.address")
    bot.clock.advance(2 * 3600)
    bot.push("warga", choice="continue")  # a notice's button: no prompt
    assert bot.state() == "order.address"
    assert "alamat" in bot.text().lower()
    assert "kedaluwarsa" not in bot.text().lower() and "belum selesai" not in bot.text()
    # hours later too (past sessions.resume_after_hours): the tap says where to carry on
    bot.clock.advance(10 * 3600)
    bot.push("warga", choice="continue")
    assert bot.state() == "order.address"
    assert not [r for r in bot.to() if isinstance(r, Menu) and "restart" in
                {o.id for o in r.options}]
