"""Reading Kota Bekasi addresses as residents write them (issue 11 item 4)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml

from bot.ordering.domain.order import Order
from bot.ordering.reports.export import as_json, write_csv
from bot.ordering.understanding.address import (
    AREA_PART,
    RTRW_PART,
    STREET_PART,
    Address,
    read_address,
)
from bot.ordering.understanding.wilayah import WilayahError, load_wilayah, parse_wilayah

ROOT = Path(__file__).resolve().parent.parent
WILAYAH = load_wilayah(ROOT / "data" / "wilayah.yaml")
CASES = yaml.safe_load((ROOT / "tests" / "data" / "addresses.yaml").read_text())["cases"]
PARTS = {"street": STREET_PART, "rtrw": RTRW_PART, "area": AREA_PART}


def test_wilayah_holds_the_12_kecamatan_and_56_kelurahan_with_their_codes() -> None:
    assert len(WILAYAH.kecamatan) == 12 and len(WILAYAH.kelurahan) == 56
    assert all(k.code.startswith("32.75.") for k in WILAYAH.kecamatan)
    for kel in WILAYAH.kelurahan:
        assert kel.code.startswith(kel.kecamatan.code + "."), kel
    jakasetia = WILAYAH.kelurahan_named("Jakasetia")
    assert jakasetia is not None and jakasetia.code == "32.75.04.1004"
    assert jakasetia.kecamatan.name == "Bekasi Selatan"


def test_the_real_address_without_kel_is_accepted_and_read_whole() -> None:
    """Issue 11: "Jl. Kemuning Raya 21 RT 004/RW 005 Jaka Setia" was refused for lacking a
    kelurahan."""
    reading = read_address("Jl. Kemuning Raya 21 RT 004/RW 005 Jaka Setia", wilayah=WILAYAH)
    assert reading.missing == ()
    a = reading.address
    assert (a.street, a.rt, a.rw) == ("Jl. Kemuning Raya 21", "004", "005")
    assert (a.kelurahan, a.kecamatan, a.kelurahan_code) == ("Jakasetia", "Bekasi Selatan",
                                                            "32.75.04.1004")


@pytest.mark.parametrize(
    ("written", "rt", "rw"),
    [("RT 004/RW 005", "004", "005"), ("rt4 rw5", "004", "005"), ("RT.04/05", "004", "005"),
     ("004/005", "004", "005"), ("rt 3 rw 5", "003", "005"), ("Rt.5/Rw.12", "005", "012"),
     ("RT003 RW011", "003", "011"), ("rt/rw 03/07", "003", "007"), ("rt 7/2", "007", "002"),
     ("RW 05 RT 03", "003", "005"), ("RT. 001 / RW. 008", "001", "008")],
)  # fmt: skip
def test_rt_and_rw_in_all_their_forms(written: str, rt: str, rw: str) -> None:
    a = read_address(f"Jl. Melati No. 3 {written} Jatibening", wilayah=WILAYAH).address
    assert (a.rt, a.rw, a.kelurahan) == (rt, rw, "Jatibening")


@pytest.mark.parametrize(
    ("written", "kelurahan"),
    [("Jakasetia", "Jakasetia"), ("jaka setia", "Jakasetia"), ("jaksetia", "Jakasetia"),
     ("Medan Satria", "Medansatria"), ("medansatria", "Medansatria"),
     ("kayuringin", "Kayuringinjaya"), ("Jatibening Baru", "Jatibening Baru")],
)  # fmt: skip
def test_kelurahan_by_the_spellings_people_use(written: str, kelurahan: str) -> None:
    a = read_address(f"Jl. Mawar 2 rt 1 rw 2 {written}", wilayah=WILAYAH).address
    assert a.kelurahan == kelurahan


@pytest.mark.parametrize("word", ["dekat", "depan", "samping", "sebelah", "patokan"])
def test_a_landmark_is_found_and_is_enough_for_the_area(word: str) -> None:
    reading = read_address(f"Jl. Mawar No. 3 RT 02/RW 04, {word} masjid Al-Ikhlas",
                           wilayah=WILAYAH)
    assert reading.address.landmark == f"{word} masjid Al-Ikhlas"
    assert reading.missing == ()


def test_only_what_is_really_missing_is_asked_for() -> None:
    assert read_address("jl kemuning raya 21 jaka setia", wilayah=WILAYAH).missing == (
        RTRW_PART,)
    assert read_address("rt 4 rw 5 jakasetia", wilayah=WILAYAH).missing == (STREET_PART,)
    assert read_address("Jl. Mawar No. 3 RT 02/RW 04", wilayah=WILAYAH).missing == (
        AREA_PART,)


def test_outside_kota_bekasi_is_accepted_and_marked() -> None:
    reading = read_address("jl. jati no 4 rt 3 rw 2 kel. jatimulya kec. tambun selatan",
                           wilayah=WILAYAH)
    assert reading.missing == ()
    assert reading.address.outside == "Tambun Selatan" and reading.address.kelurahan == ""


def test_the_written_addresses_score_at_least_95_percent() -> None:
    """tests/data/addresses.yaml: RT, RW and kelurahan right (and nothing else asked)."""
    right = 0
    for case in CASES:
        reading = read_address(case["text"], wilayah=WILAYAH)
        a = reading.address
        right += (a.rt, a.rw, a.kelurahan or None) == (case["rt"], case["rw"], case["kelurahan"])
    assert len(CASES) >= 80
    assert right / len(CASES) >= 0.95, f"{right}/{len(CASES)}"


def test_what_is_missing_and_outside_match_the_written_cases() -> None:
    wrong = []
    for case in CASES:
        reading = read_address(case["text"], wilayah=WILAYAH)
        want = tuple(PARTS[m] for m in case["missing"])
        if (reading.missing, bool(reading.address.outside)) != (want, bool(case.get("outside"))):
            wrong.append(case["text"])
    assert len(wrong) <= len(CASES) * 0.05, wrong


def test_export_carries_the_structured_address() -> None:
    reading = read_address("Jl. Kemuning Raya 21 RT 004/RW 005 Jaka Setia, dekat masjid",
                           wilayah=WILAYAH)
    stored = {**reading.address.to_dict(), "location": {"latitude": -6.25, "longitude": 107.0}}
    order = {"code": "KRB-1127-001", "market": "kranji-baru", "status": "new", "items": [],
             "address": stored, "resident": {}, "created_at": "2026-11-27T08:00:00+07:00"}
    record = as_json(Order.from_record(order))["address"]
    assert (record["street"], record["rt"], record["rw"], record["kelurahan"],
            record["kecamatan"], record["landmark"]) == (
        "Jl. Kemuning Raya 21", "004", "005", "Jakasetia", "Bekasi Selatan", "dekat masjid")
    out = io.StringIO()
    write_csv([Order.from_record(order)], out)
    text = out.getvalue().removeprefix("\ufeff")
    header, row = list(csv.reader(io.StringIO(text), delimiter=";"))
    columns = dict(zip(header, row, strict=True))
    assert (columns["address_rt"], columns["address_rw"], columns["address_kelurahan"],
            columns["address_latitude"]) == ("004", "005", "Jakasetia", "-6.25")
    # an order stored before addresses were read keeps its text, other columns empty
    old = as_json(Order.from_record({**order, "address": {"text": "Jl. Melati 3"}}))["address"]
    assert old["text"] == "Jl. Melati 3" and old["rt"] is None
    assert Address.from_dict("Jl. Melati 3").text == "Jl. Melati 3"


def test_a_bad_wilayah_entry_is_reported_at_its_line() -> None:
    text = (
        "kota: {code: \"32.75\", name: Kota Bekasi}\n"  # 1
        "kecamatan:\n"  # 2
        "  - code: \"32.75.04\"\n"  # 3
        "    name: Bekasi Selatan\n"  # 4
        "    kelurahan:\n"  # 5
        "      - {code: \"32.75.04.1004\", name: Jakasetia}\n"  # 6
        "      - {code: \"32.75.09.1001\", name: Jatimekar}\n"  # 7
        "      - {code: \"32.75.04\", name: Jakamulya, also: [Jaka Setia]}\n"  # 8
    )
    with pytest.raises(WilayahError) as caught:
        parse_wilayah(text, "wilayah.yaml")
    problems = str(caught.value).splitlines()
    assert "wilayah.yaml:7: kelurahan Jatimekar: code 32.75.09.1001 is not under its " \
           "kecamatan 32.75.04" in problems
    assert "wilayah.yaml:8: kelurahan Jakamulya: code '32.75.04' does not look like a kode " \
           "wilayah" in problems
    assert "wilayah.yaml:8: spelling 'Jaka Setia' of Jakamulya is already used for " \
           "Jakasetia (line 6)" in problems


def test_validate_names_a_bad_wilayah_or_phrase_entry_with_its_line(tmp_path: Path) -> None:
    """`main.py validate` (bot.app.load) reads data/wilayah.yaml beside markets.yaml and every
    locales/<lang>/intents.yaml: a bad entry stops the start at its file and line."""
    import shutil

    from bot.app import load
    from tests.chat import test_config

    data, locales = tmp_path / "office", tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    data.mkdir()
    shutil.copy(ROOT / "data" / "markets.yaml", data / "markets.yaml")
    wilayah = (ROOT / "data" / "wilayah.yaml").read_text(encoding="utf-8")
    bad = wilayah.replace('"32.75.04.1004", name: Jakasetia', '"32.75.09.1004", name: Jakasetia')
    (data / "wilayah.yaml").write_text(bad, encoding="utf-8")
    with (locales / "id" / "intents.yaml").open("a", encoding="utf-8") as out:
        out.write("  bogus: [pesan]\n")
    config = test_config(locales=str(locales),
                         data={"markets": str(data / "markets.yaml"),
                               "catalog": str(ROOT / "data" / "catalog.yaml")})
    errors = [str(e) for e in load(config).errors]
    kel_line = next(n for n, line in enumerate(bad.splitlines(), 1) if "name: Jakasetia" in line)
    phrase_line = len((locales / "id" / "intents.yaml").read_text().splitlines())
    assert (f"{data / 'wilayah.yaml'}:{kel_line}: kelurahan Jakasetia: code 32.75.09.1004 is "
            "not under its kecamatan 32.75.04") in errors, errors
    assert any(e.startswith(f"{locales / 'id' / 'intents.yaml'}:{phrase_line}: intent bogus: "
                            "'pesan' also means order") for e in errors), errors


def test_an_address_outside_kota_bekasi_is_accepted_and_the_coordinator_warned() -> None:
    from tests.chat import ChatBot, drive

    bot = ChatBot()
    bot.say("halo", user="koord-kranji-1")  # a coordinator who has chatted gets new orders
    drive(bot, "order.address")
    bot.say("Jl. Sultan Hasanudin no 5 RT 02 RW 03 Tambun, Kab. Bekasi")
    assert bot.state() == "order.name", bot.text()
    bot.say("Bu Ani")
    bot.say("0812-3456-7890")
    assert "di luar Kota Bekasi: Tambun" in bot.text()
    bot.say("ya")
    assert bot.orders()[-1]["address"]["outside"] == "Tambun"
    assert "⚠️ Alamat ini di luar Kota Bekasi (Tambun)" in bot.text("koord-kranji-1")


def test_a_kelurahan_kota_bekasi_does_not_have_is_taken_as_outside() -> None:
    reading = read_address("Jl. Mawar no 4 rt 1 rw 2 kel. cipinang", wilayah=WILAYAH)
    assert reading.missing == () and reading.address.outside == "Cipinang"
    typo = read_address("Jl. Mawar no 4 rt 1 rw 2 kel. jaksetia", wilayah=WILAYAH).address
    assert (typo.kelurahan, typo.outside) == ("Jakasetia", "")


def test_rt_rw_numbers_are_not_a_house_number_and_a_street_named_ujung_is_no_landmark() -> None:
    assert read_address("jl mawar rt 3 rw 4 jatibening", wilayah=WILAYAH).missing == (
        STREET_PART,)
    a = read_address("jl. ujung harapan gg. h. ridi no 9 rt 4 rw 8 harapan baru, pas depan "
                     "masjid", wilayah=WILAYAH).address
    assert (a.street, a.landmark, a.kelurahan) == ("jl. ujung harapan gg. h. ridi no 9",
                                                   "pas depan masjid", "Harapanbaru")
