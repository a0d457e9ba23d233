"""The other side of the order in chat: market hours, photos, groups, a concurrent claim,
English, referral links with configured messengers, and odd input in every state."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.messages import Incoming, Menu, Photo, user_key
from bot.ordering.domain.markets import load_markets
from tests import chat
from tests.chat import ADDRESS, ROOT, ChatBot, Clock

WIB = ZoneInfo("Asia/Jakarta")
ORDER = ["halo", "1", "kranji baru", "bawang merah 1/4 kg, telur 1 kg", "selesai", ADDRESS,
         "Bu Ani", "0812-3456-7890", "ya"]


def at(hour: int, minute: int = 0, day: int = 27) -> Clock:
    return Clock(datetime(2025, 11, day, hour, minute, tzinfo=WIB).timestamp())


def place(bot: ChatBot, user: str = "warga") -> str:
    for line in ORDER:
        bot.say(line, user)
    return bot.orders(user)[-1]["code"]


def delivered(bot: ChatBot) -> str:
    bot.say("halo", "koord-kranji-1")
    code = place(bot)
    for step in (f"ambil {code}", "mulai belanja", "catat harga", "12rb", "28rb",
                 "kirim dengan kurir", "Pak Joko", "081311112222", "sudah diantar"):
        bot.say(step, "koord-kranji-1")
    assert bot.store.get_order(code)["status"] == "delivered"
    return code


# -- market hours ----------------------------------------------------------------------
def test_an_order_after_closing_is_for_the_next_opening() -> None:
    bot = ChatBot(clock=at(20, 15))
    bot.say("halo", "koord-kranji-1")
    code = place(bot)
    text = bot.text()
    assert "Pasar Kranji Baru sudah tutup untuk hari ini (jam buka 05.00–14.00)" in text
    assert "*Jumat, 28 November 2025 pukul 05.00*" in text
    assert text.index("sudah tutup") < text.index(f"*{code}* diterima")
    assert len(bot.to()) == 1  # one message: the hours and the confirmation together
    assert bot.store.get_order(code)["scheduled_for"] == "2025-11-28T05:00+07:00"
    assert "Dibelanjakan saat pasar buka: Jumat, 28 November 2025 pukul 05.00" in (
        bot.text("koord-kranji-1"))


def test_an_order_before_opening_is_for_this_morning() -> None:
    bot = ChatBot(clock=at(4, 10))
    code = place(bot)
    assert "belum buka" in bot.text() and "hari ini pukul 05.00" in bot.text()
    assert bot.store.get_order(code)["scheduled_for"] == "2025-11-27T05:00+07:00"


def test_an_order_in_opening_hours_says_nothing_about_hours() -> None:
    bot = ChatBot(clock=at(9, 0))
    code = place(bot)
    assert "tutup" not in bot.text() and "belum buka" not in bot.text()
    assert "scheduled_for" not in bot.store.get_order(code)


def test_market_hours_from_data() -> None:
    market = load_markets(ROOT / "data" / "markets.yaml").get("kranji-baru")
    assert market.is_open_at(datetime(2025, 11, 27, 5, 0, tzinfo=WIB))
    assert not market.is_open_at(datetime(2025, 11, 27, 14, 0, tzinfo=WIB))


# -- who hears about a new order ---------------------------------------------------------
def test_coordinators_who_never_chatted_are_not_written_to(
        bot: ChatBot, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "bot.ordering.chat.notify"):
        code = place(bot)
    assert [r.to for r in bot.replies] == ["console:warga"]
    assert "no coordinator of kranji-baru has chatted" in caplog.text
    bot.say("halo", "koord-kranji-3")
    assert "Pesanan baru: 1" in bot.text("koord-kranji-3")  # it waits in the open list
    assert bot.options("koord-kranji-3")[0] == "open"
    bot.push("koord-kranji-3", choice="open")
    assert f"view:{code}" in bot.options("koord-kranji-3")


def test_a_coordinators_group_gets_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    bot = ChatBot()
    markets = bot.app.services.markets
    grouped = tuple(dataclasses.replace(m, group="telegram:-1001234") if m.id == "kranji-baru"
                    else m for m in markets.markets)
    bot.app.services.markets = dataclasses.replace(markets, markets=grouped)
    bot.say("halo", "koord-kranji-1")
    code = place(bot)
    to = [r.to for r in bot.replies]
    assert to.count("telegram:-1001234") == 1 and "console:koord-kranji-1" not in to
    group = next(r for r in bot.replies if r.to == "telegram:-1001234")
    assert isinstance(group, Menu) and group.options[0].id == f"claim:{code}"


# -- the claim race through the engine ------------------------------------------------------
def test_two_coordinators_claiming_at_the_same_moment() -> None:
    bot = ChatBot()
    for user in ("koord-kranji-1", "koord-kranji-2"):
        bot.say("halo", user)
    code = place(bot)

    async def both() -> list:
        claims = [Incoming(channel="console", user=u, choice=f"claim:{code}", message_id=f"c{u}")
                  for u in ("koord-kranji-1", "koord-kranji-2")]
        return await asyncio.gather(*(bot.app.engine.handle(m) for m in claims))

    first, second = asyncio.run(both())
    texts = ["\n".join(r.text for r in replies) for replies in (first, second)]
    assert sum("sekarang Anda pegang" in t for t in texts) == 1
    assert sum("sudah diambil oleh" in t for t in texts) == 2  # loser told + other notified
    order = bot.store.get_order(code)
    assert order["coordinator"] in ("console:koord-kranji-1", "console:koord-kranji-2")
    assert [h["to"] for h in order["history"]] == ["new", "claimed"]


# -- the exchange with a photo ---------------------------------------------------------------
def test_the_photo_of_a_complaint_is_passed_to_the_coordinator(bot: ChatBot) -> None:
    code = delivered(bot)
    bot.say(f"komplain {code}")
    assert bot.state() == "status.report_items"
    bot.say("2 pecah semua")
    bot.push(unsupported="sticker")
    assert "hanya foto" in bot.text()
    bot.push(unsupported="photo", media="AgACAgUAAxkBAAIB")
    photos = [r for r in bot.replies if isinstance(r, Photo)]
    assert len(photos) == 1 and photos[0].to == "console:koord-kranji-1"
    assert photos[0].media == "AgACAgUAAxkBAAIB" and code in photos[0].text
    order = bot.store.get_order(code)
    assert order["status"] == "exchange_requested"
    assert order["exchange"]["items"] == [1, 2]  # "semua": every item
    assert order["exchange"]["photo"] == "AgACAgUAAxkBAAIB"


def test_a_report_before_delivery_is_refused(bot: ChatBot) -> None:
    code = place(bot)
    bot.say(f"komplain {code}")
    assert "setelah pesanan diantar" in bot.text()
    assert bot.state() == "status.detail"
    assert bot.options() == ["cancel", "talk", "done"]


def test_someone_elses_order_stays_private(bot: ChatBot) -> None:
    code = place(bot)
    bot.say("halo", "tetangga")
    bot.say(code, "tetangga")
    assert "tidak ada di daftar pesanan Anda" in bot.text("tetangga")
    bot.push("tetangga", choice=f"report:{code}")
    assert "Bu Ani" not in bot.text("tetangga")
    assert bot.store.get_order(code)["status"] == "new"


# -- English, and links where the messengers are configured -----------------------------------
def test_a_coordinator_in_english(bot: ChatBot) -> None:
    bot.say("halo", "koord-kranji-1")
    bot.say("bahasa", "koord-kranji-1")
    bot.say("english", "koord-kranji-1")
    code = place(bot)
    assert "New order *" in bot.text("koord-kranji-1")
    assert "Take this order" in str(bot.to("koord-kranji-1"))
    bot.say(f"ambil {code}", "koord-kranji-1")
    assert "is now yours" in bot.text("koord-kranji-1")
    assert "sudah dicatat oleh *Pak Budi*" in bot.text("warga")  # each in their language


def test_links_for_the_configured_messengers() -> None:
    config = chat.test_config()
    config["telegram"]["bot_username"] = "PasarDaringBekasiBot"
    config["whatsapp"]["display_number"] = "0812-9999-0000"
    bot = ChatBot(config=config)
    for line in ("link", "RW 7", "Kel. Pekayon Jaya"):
        bot.say(line, "bu-rw")
    text = bot.text("bu-rw")
    assert "https://t.me/PasarDaringBekasiBot?start=rw07-pekayon-jaya" in text
    assert "https://wa.me/6281299990000?text=rw07-pekayon-jaya" in text
    assert "Belanja ke pasar tradisional Kota Bekasi" in text
    assert bot.session("bu-rw")["profile"]["links"] == ["rw07-pekayon-jaya"]


# -- odd input anywhere on the coordinator's side ---------------------------------------------
COORD_STATES = {
    "coordinator.home": [],
    "coordinator.order": ["ambil {code}"],
    "coordinator.price": ["ambil {code}", "mulai belanja", "catat harga"],
    "coordinator.courier_phone": ["ambil {code}", "mulai belanja", "catat harga", "12rb", "5rb",
                                  "kirim dengan kurir", "Pak Joko"],
    "coordinator.cash": ["ambil {code}", "mulai belanja", "catat harga", "12rb", "5rb",
                         "kirim dengan kurir", "Pak Joko", "081311112222", "sudah diantar",
                         "terima pembayaran"],
    "coordinator.find": ["cari kode pesanan"],
}
ODD = st.one_of(st.sampled_from(["", "ambil", "ambil KRB-0000-000", "KRB-1127-001", "habis",
                                 "ganti", "ganti x", "pas", "9" * 400, "rekap", "{code}",
                                 "batal", "kembali", "1", "99"]), st.text(max_size=200))


@pytest.mark.parametrize("state", list(COORD_STATES))
def test_any_text_in_any_coordinator_state(state: str) -> None:
    bot = ChatBot()
    bot.say("halo", "koord-kranji-1")
    code = place(bot)
    for line in COORD_STATES[state]:
        bot.say(line.format(code=code), "koord-kranji-1")
    assert bot.state("koord-kranji-1") == state
    key = user_key("console", "koord-kranji-1")
    snapshot, saved = bot.store.get_session(key), bot.store.get_order(code)

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=ODD)
    def check(text: str) -> None:
        bot.store.put_session(key, snapshot)
        replies = bot.say(text, "koord-kranji-1")
        assert replies and all(r.text for r in replies)
        assert "ada gangguan" not in bot.text("koord-kranji-1"), text

    check()
    assert bot.store.get_order(code)["code"] == saved["code"]


RESIDENT_STATES = {
    "status.detail": ["{code}"],
    "status.confirm_cancel": ["batalkan {code}"],
    "link.rw": ["link"],
    "link.kelurahan": ["link", "05"],
}


@pytest.mark.parametrize("state", list(RESIDENT_STATES))
def test_any_text_in_the_residents_new_states(state: str) -> None:
    bot = ChatBot()
    code = place(bot)
    for line in RESIDENT_STATES[state]:
        bot.say(line.format(code=code))
    assert bot.state() == state
    key = user_key("console", "warga")
    snapshot = bot.store.get_session(key)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=ODD)
    def check(text: str) -> None:
        bot.store.put_session(key, snapshot)
        replies = bot.say(text)
        assert replies and all(r.text for r in replies)
        assert "ada gangguan" not in bot.text(), text

    check()


def test_odd_input_while_reporting_a_problem(bot: ChatBot) -> None:
    code = delivered(bot)
    bot.say(f"komplain {code}")
    for odd in ("", "0", "999", "🥬" * 50, "semua"):
        bot.say(odd)
        assert "ada gangguan" not in bot.text()
    assert bot.state() == "status.report_photo"  # "semua" was an answer
    bot.push(unsupported="photo")  # a photo without a platform reference
    assert bot.store.get_order(code)["status"] == "exchange_requested"
