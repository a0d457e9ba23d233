"""An order's conversation attacked (issue 16 item 1, reviewed): someone who is not a side
of the order writing into it by a forged reply button or someone else's code, a
coordinator of another market, a closed thread, and messages longer than a thread keeps."""

from __future__ import annotations

import pytest

from bot.ordering.domain.order import Order
from bot.ordering.domain.thread import MAX_TEXT
from tests.chat import ChatBot
from tests.test_order_thread import KOORD, place

OTHER_MARKET = "koord-harapan-1"  # Bu Yati, Pasar Harapan Jaya


def thread_of(bot: ChatBot, code: str) -> tuple:
    return Order.from_record(bot.store.get_order(code)).thread


@pytest.fixture(scope="module")
def claimed() -> tuple[ChatBot, str]:
    """One bot for the module: warga's order claimed by Pak Budi; warga-2 has an order too."""
    bot = ChatBot()
    for user in (KOORD, OTHER_MARKET):
        bot.say("halo", user)
    code = place(bot, "ayam 1 ekor")
    place(bot, "telur 1 kg", "warga-2")
    bot.push(KOORD, choice=f"claim:{code}")
    bot.say("menu", KOORD)
    return bot, code


def test_nobody_but_the_orders_two_sides_writes_into_its_thread(
        claimed: tuple[ChatBot, str]) -> None:
    bot, code = claimed
    attempts = [
        ("warga-2", {"choice": f"talk:{code}"}),  # a forged reply button
        ("warga-2", {"text": f"tanya {code}"}),  # another resident's code
        (OTHER_MARKET, {"text": f"balas {code}"}),  # a coordinator of another market
        (OTHER_MARKET, {"choice": f"talk:{code}"}),
    ]
    for user, message in attempts:
        bot.say("menu", user)
        bot.push(user, **message)
        assert not bot.state(user).endswith(("talk_write", "talk_more")), (user, message)
        bot.say("bu tolong kirim ke alamat saya saja", user)
        for side in ("warga", KOORD):
            assert bot.to(side) == [], (user, message, bot.text(side))
    assert thread_of(bot, code) == ()


def test_a_message_longer_than_the_thread_keeps_is_refused_whole(
        claimed: tuple[ChatBot, str]) -> None:
    """Before: 5,000 characters went to the coordinator in full and were kept cut to 1,000
    in the order (the office and the export showed another message), and the writer was
    told "Terkirim"."""
    bot, code = claimed
    bot.say("menu")
    bot.say(f"tanya {code}")
    assert bot.state() == "status.talk_write"
    bot.say("a" * 5000)
    assert "terlalu panjang" in bot.text() and "5000" in bot.text()
    assert bot.state() == "status.talk_write"  # asked again, in parts
    assert bot.to(KOORD) == []
    bot.push("warga", unsupported="photo", media="photo-ref-9", caption="c" * 3000)
    assert "terlalu panjang" in bot.text() and bot.to(KOORD) == []
    assert thread_of(bot, code) == ()
    bot.say("b" * MAX_TEXT)  # the longest that goes: relayed and kept alike
    relayed = bot.text(KOORD)
    assert "b" * MAX_TEXT in relayed
    assert [m.text for m in thread_of(bot, code)] == ["b" * MAX_TEXT]
    bot.say("selesai")


def test_a_coordinators_long_plain_reply_is_refused_not_cut(
        claimed: tuple[ChatBot, str]) -> None:
    """The reply typed at the menu (no button) takes the same road: refused whole."""
    bot, code = claimed
    bot.say("menu")
    bot.say(f"tanya {code}")
    bot.say("bu, ayamnya yang kecil ya")  # she wrote lately: a plain reply goes to her
    bot.say("selesai")
    before = len(thread_of(bot, code))
    bot.say("menu", KOORD)
    bot.say("x" * (MAX_TEXT + 1), KOORD)
    assert "terlalu panjang" in bot.text(KOORD)
    assert bot.to("warga") == []
    assert len(thread_of(bot, code)) == before


def test_a_cancelled_orders_thread_takes_nothing() -> None:
    bot = ChatBot()
    bot.say("halo", KOORD)
    code = place(bot, "telur 1 kg")
    bot.push(KOORD, choice=f"claim:{code}")
    bot.say("menu", KOORD)
    bot.say(f"batalkan {code}")
    bot.say("ya")
    assert bot.store.get_order(code)["status"] == "cancelled", bot.text()
    bot.say("menu")
    bot.say(f"tanya {code}")
    assert "sudah ditutup" in bot.text()
    bot.push("warga", choice=f"talk:{code}")  # the old reply button
    bot.say("jadi kirim ya bu")
    bot.say("menu", KOORD)
    bot.say(f"balas {code}", KOORD)
    assert "sudah ditutup" in bot.text(KOORD)
    assert thread_of(bot, code) == ()


def test_the_bots_own_words_are_never_relayed_as_a_reply() -> None:
    """Before: a coordinator who typed ``menu`` (or ``/start``) within 6 hours of a
    resident's message had "menu" sent to the resident as their answer, and was left in the
    conversation; the resident's ``menu`` after a coordinator wrote went the same way."""
    bot = ChatBot()
    bot.say("halo", KOORD)
    code = place(bot, "ayam 1 ekor")
    bot.push(KOORD, choice=f"claim:{code}")
    bot.say("menu", KOORD)
    bot.say(f"tanya {code}")
    bot.say("bu, ayamnya yang kecil ya")
    bot.say("selesai")
    for word in ("menu", "/start", "Menu!", "mulai"):
        bot.say(word, KOORD)
        assert bot.to("warga") == [], (word, bot.text("warga"))
        assert bot.state(KOORD) == "coordinator.home", word
    bot.say("cabe rawit habis, ganti cabe merah?", KOORD)  # a real reply still goes
    assert "cabe rawit habis" in bot.text("warga")
    bot.say("selesai", KOORD)
    for word in ("menu", "/start", "mulai"):
        bot.say(word)
        assert bot.to(KOORD) == [], (word, bot.text(KOORD))
        assert bot.state() == "main.menu", word
    assert [m.text for m in thread_of(bot, code)] == [
        "bu, ayamnya yang kecil ya", "cabe rawit habis, ganti cabe merah?"]


def test_a_telegram_photo_to_a_coordinator_on_another_messenger_goes_as_words() -> None:
    """A picture is a reference of its own messenger (a Telegram file_id means nothing to
    WhatsApp): the other side gets the caption and a note, never the foreign reference."""
    import asyncio
    import itertools

    from bot.messages import Incoming, Photo
    from tests.chat import ADDRESS

    bot = ChatBot()
    bot.say("halo", KOORD)  # the coordinator chats on another channel (console)
    ids = itertools.count()

    def on_telegram(text: str | None = None, **fields: object) -> None:
        bot.replies = asyncio.run(bot.app.engine.handle(Incoming(
            channel="telegram", user="777", text=text, message_id=f"tg{next(ids)}",
            **fields)))  # type: ignore[arg-type]

    for line in ("halo", "1", "kranji baru", "telur 1 kg", "selesai", ADDRESS, "Bu Ani",
                 "0812-3456-7890", "ya"):
        on_telegram(line)
    code = bot.store.query_orders(user="telegram:777")[-1]["code"]
    bot.push(KOORD, choice=f"claim:{code}")
    on_telegram(f"tanya {code}")
    on_telegram(unsupported="photo", media="AgACAgIAAxkBAAIBtelegramfileid", caption="yg ini")
    got = bot.to(KOORD)
    assert got and not any(isinstance(r, Photo) for r in got)
    text = "\n".join(r.text for r in got)
    assert "yg ini" in text and "foto" in text and "AgACAgIAAxkBAAIB" not in text
    assert "0812" not in text and "777" not in text
    assert [m.photo for m in thread_of(bot, code)] == ["AgACAgIAAxkBAAIBtelegramfileid"]
