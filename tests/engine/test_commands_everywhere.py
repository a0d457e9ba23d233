"""Global commands and bad input, tried in every state of the resident's flows."""

from __future__ import annotations

import pytest

from tests.chat import PATHS, ChatBot, drive

ORDER_STATES = [s for s in PATHS if s.startswith("order.")]
ALL_STATES = list(PATHS)


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("word", ["batal", "/batal", "Batal"])
def test_cancel_from_every_state(bot: ChatBot, state: str, word: str) -> None:
    drive(bot, state)
    bot.say(word)
    assert bot.state() == "main.menu"
    expected = "Tidak ada yang sedang berjalan" if state == "main.menu" else "dibatalkan"
    assert expected in bot.text()
    assert bot.options() == ["order", "status", "help"]
    assert bot.orders() == []


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("word", ["menu", "/start", "/menu"])
def test_menu_from_every_state(bot: ChatBot, state: str, word: str) -> None:
    drive(bot, state)
    bot.say(word)
    assert bot.state() == "main.menu"
    assert bot.options() == ["order", "status", "help"]


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("word", ["bantuan", "/bantuan", "help"])
def test_help_from_every_state_keeps_the_state(bot: ChatBot, state: str, word: str) -> None:
    drive(bot, state)
    before = bot.session()["slots"]
    bot.say(word)
    assert bot.state() == state
    assert bot.session()["slots"] == before
    assert len(bot.text()) > 40


@pytest.mark.parametrize("state", ALL_STATES)
def test_language_from_every_state(bot: ChatBot, state: str) -> None:
    drive(bot, state)
    bot.say("/language")
    assert bot.options() == ["id", "en"]
    bot.push(choice="en")
    assert bot.state() == state
    assert "Language changed to English" in bot.text()
    bot.say("bahasa")
    bot.say("indonesia")
    assert "Bahasa diganti" in bot.text()
    assert bot.state() == state


PREVIOUS = {
    "order.market": "main.menu",
    "order.items": "order.market",
    "order.address": "order.items",
    "order.name": "order.address",
    "order.phone": "order.name",
    "order.confirm": "order.phone",
    "order.edit_menu": "order.confirm",
}


@pytest.mark.parametrize("state", ORDER_STATES)
@pytest.mark.parametrize("word", ["kembali", "/kembali"])
def test_back_from_every_state_restores_the_answer(bot: ChatBot, state: str, word: str) -> None:
    drive(bot, state)
    bot.say(word)
    previous = PREVIOUS[state]
    assert bot.state() == previous
    answered = PATHS[state][len(PATHS[previous])]  # what the user typed in that state
    if previous not in ("main.menu", "order.market", "order.confirm"):
        shown = answered.split(",")[0].split(" 1")[0].strip()
        assert shown.lower() in bot.text().lower(), bot.text()


def test_back_at_the_first_step(bot: ChatBot) -> None:
    bot.say("halo")
    bot.say("kembali")
    assert "langkah pertama" in bot.text()
    assert bot.state() == "main.menu"


INVALID = {
    "main.menu": ("qwerty zxcv", "pilihan itu tidak ada"),
    "order.market": ("pasar ikan hiu di bulan", "pilihan itu tidak ada"),
    "order.items": ("!!! ???", "tidak menemukan barang"),
    "order.address": ("rumah", "belum cukup lengkap"),
    "order.name": ("A", "terlalu pendek"),
    "order.phone": ("123", "tidak saya kenali"),
    "order.confirm": ("mungkin nanti", "belum mengerti"),
    "order.edit_menu": ("qwerty zxcv", "pilihan itu tidak ada"),
}


@pytest.mark.parametrize("state", ALL_STATES)
def test_invalid_input_in_every_state_says_why_and_stays(bot: ChatBot, state: str) -> None:
    drive(bot, state)
    text, why = INVALID[state]
    bot.say(text)
    assert bot.state() == state
    assert why in bot.text(), bot.text()


@pytest.mark.parametrize("state", ALL_STATES)
def test_a_photo_in_every_state_gets_a_short_reply(bot: ChatBot, state: str) -> None:
    drive(bot, state)
    bot.push(unsupported="photo")
    assert bot.state() == state
    assert "belum bisa membaca kiriman" in bot.text()


def test_an_old_button_does_not_order_twice(bot: ChatBot) -> None:
    drive(bot, "order.confirm")
    bot.push(choice="yes")
    assert len(bot.orders()) == 1
    bot.push(choice="yes")
    assert len(bot.orders()) == 1
    assert "sudah tidak berlaku" in bot.text() or "Selamat datang" in bot.text()


def test_the_same_message_id_is_handled_once(bot: ChatBot) -> None:
    import asyncio

    from bot.messages import Incoming

    msg = Incoming(channel="console", user="warga", text="halo", message_id="dup-1")
    first = asyncio.run(bot.app.engine.handle(msg))
    second = asyncio.run(bot.app.engine.handle(msg))
    assert first and second == []


def test_start_with_a_referral_tags_the_order(bot: ChatBot) -> None:
    bot.say("/start rw05-jatibening")
    for line in PATHS["order.confirm"][1:]:
        bot.say(line)
    bot.say("ya")
    assert bot.orders()[0]["referral"] == "rw05-jatibening"


def test_a_bad_referral_payload_is_ignored(bot: ChatBot) -> None:
    bot.say("/start <script>")
    assert bot.state() == "main.menu"
    assert bot.session().get("referral") is None
