"""What coordinators and residents type: commands with order codes, prices, item numbers,
RW numbers; referral tags and links."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.links import telegram_link, whatsapp_link
from bot.messages import Incoming
from bot.ordering.chat.links import make_tag, slug
from bot.ordering.understanding.commands import Command, read_command
from bot.ordering.understanding.courier import read_courier
from bot.ordering.understanding.pricing import parse_rupiah, read_cash, read_price

TYPING = yaml.safe_load((Path(__file__).parent.parent / "data" / "coordinator_typing.yaml")
                        .read_text(encoding="utf-8"))  # fmt: skip


def text(value: str) -> Incoming:
    return Incoming(channel="console", user="x", text=value)


@pytest.mark.parametrize(("typed", "wanted"), [
    ("ambil KRB-1127-001", Command("claim", "KRB-1127-001")),
    ("Ambil krb-1127-001", Command("claim", "KRB-1127-001")),
    ("/ambil KRB-1127-001", Command("claim", "KRB-1127-001")),
    ("klaim  HJY-0102-010!", Command("claim", "HJY-0102-010")),
    ("KRB-1127-001", Command("view", "KRB-1127-001")),
    ("lihat KRB-1127-001", Command("view", "KRB-1127-001")),
    ("cek KRB-1127-001", Command("view", "KRB-1127-001")),
    ("batalkan KRB-1127-001", Command("cancel", "KRB-1127-001")),
    ("komplain KRB-1127-001", Command("report", "KRB-1127-001")),
    ("tukar krb-1127-001", Command("report", "KRB-1127-001")),
    ("tolong KRB-1127-001", Command("view", "KRB-1127-001")),  # unknown verb: open it
    ("rekap", Command("recap")),
    ("Rekap!", Command("recap")),
    ("/rekap", Command("recap")),
    ("link", Command("link")),
    ("koordinator", Command("staff")),
])
def test_commands(typed: str, wanted: Command) -> None:
    assert read_command(text(typed)) == wanted


@pytest.mark.parametrize("typed", [
    "", "halo", "1", "KRB-1127", "ambil", "ambil KRB-1127-0011", "bawang merah 1/4 kg",
    "pesan belanja", "ambil KRB-1127-001 dan KRB-1127-002", "x" * 500,
])
def test_not_commands(typed: str) -> None:
    assert read_command(text(typed)) is None


def test_buttons() -> None:
    def pressed(choice: str) -> Command | None:
        return read_command(Incoming(channel="console", user="x", choice=choice))

    assert pressed("claim:KRB-1127-001") == Command("claim", "KRB-1127-001")
    assert pressed("report:KRB-1127-001") == Command("report", "KRB-1127-001")
    assert pressed("view:KRB-1127-001") == Command("view", "KRB-1127-001")
    assert pressed("claim:nonsense") is None
    assert pressed("order") is None
    assert pressed("steal:KRB-1127-001") is None
    assert read_command(None) is None


@given(st.text(max_size=80))
def test_any_text_is_a_command_or_none(value: str) -> None:
    found = read_command(text(value))
    assert found is None or isinstance(found, Command)


@pytest.mark.parametrize(("typed", "amount"), [
    ("12000", 12000), ("12.000", 12000), ("Rp12.000", 12000), ("rp 12.000", 12000),
    ("12rb", 12000), ("12 rb", 12000), ("12 ribu", 12000), ("12k", 12000), ("12,5rb", 12500),
    ("1.250.000", 1250000), ("1,2jt", 1200000), ("0", 0), ("500", 500),
])
def test_rupiah(typed: str, amount: int) -> None:
    assert parse_rupiah(typed) == amount


@pytest.mark.parametrize("typed", [
    "", "dua belas ribu", "12,5", "-5000", "12.00", "1,2345rb", "99jt", "12000 13000",
])
def test_not_rupiah(typed: str) -> None:
    assert parse_rupiah(typed) is None


@pytest.mark.parametrize("case", TYPING["price"], ids=[c["send"] for c in TYPING["price"]])
def test_prices_as_typed_at_the_market(case: dict) -> None:
    assert read_price(case["send"]) == case["want"]


@pytest.mark.parametrize("case", TYPING["courier"], ids=[c["send"] for c in TYPING["courier"]])
def test_courier_name_and_number_on_one_line(case: dict) -> None:
    found = read_courier(case["send"])
    assert found is not None and {"name": found.name, "phone": found.phone} == case["want"]


@pytest.mark.parametrize("case", TYPING["cash"], ids=[c["send"] for c in TYPING["cash"]])
def test_cash_as_typed(case: dict) -> None:
    assert read_cash(case["send"]) == case["want"]


@given(st.text(max_size=80))
def test_prices_couriers_and_cash_never_raise(value: str) -> None:
    price = read_price(value)
    assert price is None or "price" in price or price == {"unavailable": True}
    courier = read_courier(value)
    if courier is not None:
        assert len(courier.name) >= 2
        assert courier.phone is None or courier.phone.startswith("+62")
    cash = read_cash(value)
    assert cash is None or cash >= 0


def test_not_a_courier() -> None:
    assert read_courier("081299887766") is None  # a number alone: the name is still needed
    assert read_courier("pak") is None
    assert read_courier("") is None


def test_tags_and_links() -> None:
    assert slug("Jatibening") == "jatibening"
    assert slug("Kel. Jati Bening Baru") == "jati-bening-baru"
    assert slug("Pekayon Jaya") == "pekayon-jaya"
    assert make_tag(5, "Jatibening") == "rw05-jatibening"
    assert make_tag(12, "Kelurahan Harapan Jaya") == "rw12-harapan-jaya"
    assert make_tag(3, "???") == "rw03"
    assert telegram_link("@PasarDaringBot", "rw05-jatibening") == (
        "https://t.me/PasarDaringBot?start=rw05-jatibening")
    assert whatsapp_link("0812-3456-7890", "rw05-jatibening") == (
        "https://wa.me/6281234567890?text=rw05-jatibening")
    assert whatsapp_link("+62 812 3456 7890", "x") == "https://wa.me/6281234567890?text=x"
    for bad in (lambda: telegram_link("", "x"), lambda: whatsapp_link("", "x")):
        with pytest.raises(ValueError):
            bad()
