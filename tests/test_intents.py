"""Plain words at every menu (issue 11 item 1): "mau pesen dong" is *order*, "komplain"
opens the report (asking which order if there are several), "ga jadi" cancels where
cancelling is offered, a phone number typed as a name is not taken for one."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.engine.phrases import Intents, load_phrasebook, match_intent, parse_intents
from bot.ordering.domain.lifecycle import change
from tests.chat import ChatBot, drive

ROOT = Path(__file__).resolve().parent.parent
BOOK, PROBLEMS = load_phrasebook(ROOT / "locales")
WIB = ZoneInfo("Asia/Jakarta")
KOORD = "console:koord-kranji-1"
_BOT: ChatBot | None = None
_USERS = itertools.count(1)


class Resident:
    """One resident of a bot shared by this module's tests (an app costs ~1 s to load);
    each test has its own user, so its own session and orders."""

    def __init__(self, bot: ChatBot) -> None:
        self.bot, self.user = bot, f"warga-intents-{next(_USERS)}"
        self.store, self.clock = bot.store, bot.clock

    def say(self, text: str) -> Any:
        return self.bot.say(text, self.user)

    def text(self) -> str:
        return self.bot.text(self.user)

    def state(self) -> str:
        return self.bot.state(self.user)

    def options(self) -> list[str]:
        return self.bot.options(self.user)

    def session(self) -> dict[str, Any]:
        return self.bot.session(self.user)

    def orders(self) -> list[dict[str, Any]]:
        return self.bot.orders(self.user)

    def drive(self, state: str) -> None:
        drive(self.bot, state, self.user)


def fresh() -> Resident:
    global _BOT
    if _BOT is None:
        _BOT = ChatBot()
    return Resident(_BOT)


def test_the_shipped_phrases_are_valid() -> None:
    assert PROBLEMS == []
    assert {"order", "status", "report", "cancel", "yes", "no"} <= set(BOOK.get("id").phrases)


@pytest.mark.parametrize("text", ["mau pesen dong", "pesen", "belanja", "mau belanja", "order",
                                  "Mau pesan kak", "pesan belanja"])
def test_words_for_ordering_at_the_main_menu(text: str) -> None:
    bot = fresh()
    bot.say("halo")
    bot.say(text)
    assert bot.state() == "order.market", bot.text()


@pytest.mark.parametrize("text", ["cek pesanan", "pesanan saya", "status", "cek pesanan dong"])
def test_words_for_my_orders_at_the_main_menu(text: str) -> None:
    bot = fresh()
    bot.say("halo")
    bot.say(text)
    assert "Anda belum punya pesanan" in bot.text(), bot.text()
    assert "pilihan itu tidak ada" not in bot.text()


def test_unclear_words_are_asked_back_never_taken() -> None:
    bot = fresh()
    bot.say("halo")
    bot.say("mau pesen bawang sama cabe 1 kg")  # only partly "order": ask, don't guess
    assert bot.state() == "main.menu"
    assert "Maksud Anda *Pesan belanja*?" in bot.text()
    bot.say("ga jadi pesen")  # says cancel, which the main menu does not offer
    assert bot.state() == "main.menu" and "pilihan itu tidak ada" in bot.text()


def _placed(bot: Resident, code_market: str = "kranji baru") -> str:
    before = {o["code"] for o in bot.orders()}
    bot.say("halo")
    bot.say("pesen")
    bot.say(code_market)
    bot.say("telur 1 kg")
    bot.say("selesai")
    bot.say("Jl. Melati No. 12, RT 03/RW 05, Jatibening")
    if bot.state() == "order.name":
        bot.say("Bu Ani")
    if bot.state() == "order.phone":
        bot.say("0812-3456-7890")
    bot.say("iya")
    (code,) = {o["code"] for o in bot.orders()} - before
    return code


def _deliver(bot: Resident, code: str) -> None:
    at = datetime(2025, 11, 27, 8, 0, tzinfo=WIB)
    for number, (event, data) in enumerate([
        ("claim", {}), ("start_shopping", {}), ("record_prices", {"prices": [{"price": 30000}]}),
        ("send_courier", {"courier": {"name": "Pak Joko", "phone": "+6281311112222"}}),
        ("deliver", {}),
    ], 1):
        change(bot.store, code, event, KOORD, at + timedelta(minutes=number), **data)


def test_komplain_with_one_delivered_order_opens_its_report() -> None:
    bot = fresh()
    code = _placed(bot)
    _deliver(bot, code)
    bot.say("halo")
    bot.say("barangnya jelek, mau tuker")
    assert bot.state() == "status.report_items", bot.text()
    assert bot.session()["slots"]["code"] == code


def test_komplain_with_several_delivered_orders_asks_which() -> None:
    bot = fresh()
    first, second = _placed(bot), _placed(bot, "harapan jaya")
    _placed(bot, "rawalumbu")  # not delivered: not offered for a report
    for code in (first, second):
        _deliver(bot, code)
    bot.say("halo")
    bot.say("komplain")
    assert bot.state() == "status.pick"
    options = bot.options()
    assert sorted(options) == sorted([f"view:{first}", f"view:{second}", "done"])
    bot.say(str(options.index(f"view:{second}") + 1))
    assert bot.state() == "status.report_items"
    assert bot.session()["slots"]["code"] == second


def test_komplain_with_nothing_delivered_says_so() -> None:
    bot = fresh()
    _placed(bot)
    bot.say("halo")
    bot.say("laporkan masalah")
    assert "Tidak ada pesanan yang bisa dilaporkan" in bot.text()


def test_batalin_at_the_order_card_cancels_and_ga_jadi_at_the_summary() -> None:
    bot = fresh()
    code = _placed(bot)
    bot.say(code)
    assert bot.state() == "status.detail"
    bot.say("batalin")
    assert bot.state() == "status.confirm_cancel"
    bot.say("iya")
    assert bot.store.get_order(code)["status"] == "cancelled"
    bot.drive("order.confirm")
    bot.say("ga jadi")
    assert "Pesanan dibatalkan" in bot.text()
    assert len(bot.orders()) == 1


def test_a_first_message_asking_to_order_starts_the_order() -> None:
    bot = fresh()
    bot.say("mau pesen dong")
    assert "Selamat datang" in bot.text() and bot.state() == "order.market"


def test_intent_matching_strips_fillers_forgives_typos_and_refuses_other_intents() -> None:
    intents = BOOK.get("id")
    offered = {"order", "status", "help", "report"}
    assert match_intent("mau pesen dong kak", intents, offered).intents == ("order",)
    assert match_intent("komplainn", intents, offered).intents == ("report",)
    assert match_intent("ga jadi pesen", intents, offered).intents == ()
    assert not match_intent("pesen bawang 1 kg", intents, offered).confident
    assert match_intent("", intents, offered).intents == ()
    assert match_intent("halo", Intents(), offered).intents == ()


def test_a_bad_phrase_entry_is_reported_at_its_line() -> None:
    text = (
        "fillers: [mau]\n"  # 1
        "intents:\n"  # 2
        "  order: [pesan, belanja]\n"  # 3
        "  status:\n"  # 4
        "    - cek\n"  # 5
        "    - mau belanja\n"  # 6
        "    - yes\n"  # 7
        "  help: bantuan\n"  # 8
    )
    _, problems = parse_intents(text, "intents.yaml")
    assert [(p.line, p.message) for p in problems] == [
        (6, "intent status: 'mau belanja' also means order (line 3)"),
        (7, "intent status: True is not a phrase"),
        (8, "intent help: a list of phrases"),
    ]


def test_a_phone_number_where_the_name_is_asked_is_kept_as_the_phone() -> None:
    """Before: "0812 3456 7890" became the resident's name."""
    bot = fresh()
    bot.drive("order.name")
    bot.say("0812 3456 7890")
    assert bot.state() == "order.name" and "0812-3456-7890 sudah saya catat" in bot.text()
    bot.say("Bu Ani")
    assert bot.state() == "order.confirm", bot.text()  # the phone is not asked again
    assert "Bu Ani · 0812-3456-7890" in bot.text()


def test_a_name_with_its_number_on_one_line_gives_both() -> None:
    bot = fresh()
    bot.drive("order.name")
    bot.say("Bu Ani 081234567890")
    assert bot.state() == "order.confirm" and "Bu Ani · 0812-3456-7890" in bot.text()


def test_a_phone_number_at_the_address_step_is_kept_and_the_address_asked() -> None:
    bot = fresh()
    bot.drive("order.address")
    bot.say("081234567890")
    assert bot.state() == "order.address" and "sudah saya catat" in bot.text()
    assert bot.session()["slots"].get("address") is None
    bot.say("Jl. Kemuning Raya 21 RT 004/RW 005 Jaka Setia")
    bot.say("Bu Ani")
    assert bot.state() == "order.confirm", bot.text()


@pytest.mark.parametrize(
    ("text", "intent"),
    [("udah sampe bu", "delivered"), ("lunas", "paid"), ("kurir", "courier"),
     ("catat harga", "prices")],
)  # fmt: skip
def test_a_coordinators_words_at_the_order_card(text: str, intent: str) -> None:
    offered = {"shop", "prices", "courier", "delivered", "paid", "cancel", "home"}
    found = match_intent(text, BOOK.get("id"), offered)
    assert found.intents == (intent,) and found.confident


def test_more_of_the_address_at_the_name_step_is_added_to_the_address() -> None:
    """A landmark sent after the address was accepted was taken for the resident's name."""
    bot = fresh()
    bot.drive("order.address")
    bot.say("Jl. Kemuning Raya 21 RT 004/RW 005 Jaka Setia")
    assert bot.state() == "order.name"
    bot.say("dekat masjid Al-Ikhlas")
    assert bot.state() == "order.name" and "Saya tambahkan ke alamat" in bot.text()
    address = bot.session()["slots"]["address"]
    assert address["landmark"] == "dekat masjid Al-Ikhlas" and address["kelurahan"] == "Jakasetia"
    bot.say("Bu Ani")
    assert bot.session()["slots"]["name"] == "Bu Ani"


def test_a_first_message_asking_to_report_opens_the_report() -> None:
    bot = fresh()
    code = _placed(bot)
    _deliver(bot, code)
    bot.clock.advance(7 * 3600)  # a new conversation: the welcome reads the message
    bot.say("komplain kak, sayurnya layu")
    assert bot.state() == "status.report_items", bot.text()
    assert bot.session()["slots"]["code"] == code


def test_a_bad_also_list_is_reported_at_its_line() -> None:
    from bot.app import build_registry
    from bot.engine.loader import read_flow
    from bot.engine.validator import validate_flows
    from bot.i18n import I18n

    text = (
        "flow: t\n"  # 1
        "start: menu\n"  # 2
        "states:\n"  # 3
        "  menu:\n"  # 4
        "    ask: main.menu\n"  # 5
        "    input: {kind: menu, options: main_menu, also: report}\n"  # 6
        "    next: done\n"  # 7
        "  done:\n"  # 8
        "    say: main.help\n"  # 9
        "    final: true\n"  # 10
    )
    flow, errors = read_flow(text, "t.yaml")
    assert flow is not None and not errors
    found = validate_flows({"t": flow}, build_registry(), I18n.load(ROOT / "locales"))
    assert [str(e) for e in found] == [
        "t.yaml:6: 'also' must be a list of intent names (answers not shown as options)"]


@pytest.mark.parametrize(("text", "state"), [("ganti alamat", "order.address"),
                                             ("alamatnya salah", "order.address"),
                                             ("no hp", "order.phone"),
                                             ("tambah barang", "order.items")])
def test_words_at_the_edit_menu(text: str, state: str) -> None:
    bot = fresh()
    bot.drive("order.confirm")
    bot.say("ubah")
    assert bot.state() == "order.edit_menu"
    bot.say(text)
    assert bot.state() == state, bot.text()
