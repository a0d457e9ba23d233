"""Reading shopping lists: the public example set, the tricky cases, and robustness."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ordering.understanding.catalog import load_catalog
from bot.ordering.understanding.items import (
    UNITS,
    Item,
    describe,
    format_rupiah,
    parse_items,
    read_list,
)
from bot.ordering.understanding.vocabulary import SECTIONS, check_folder, check_word_file

ROOT = Path(__file__).parent.parent
LINES = Path(__file__).parent / "data" / "shopping_lines.yaml"
WRITTEN = Path(__file__).parent / "data" / "shopping_written.yaml"
CATALOG = load_catalog(ROOT / "data" / "catalog.yaml")
FIELDS = ("name", "quantity", "unit", "budget")


def _expected(item: dict) -> dict:
    return {
        "name": item["name"],
        "quantity": item.get("quantity"),
        "unit": item.get("unit"),
        "budget": item.get("budget"),
    }


def _got(item: Item) -> dict:
    d = item.to_dict()
    return {key: d[key] for key in FIELDS}


def test_shopping_lines_score() -> None:
    cases = yaml.safe_load(LINES.read_text(encoding="utf-8"))
    assert len(cases) >= 150
    wrong = []
    for case in cases:
        want = [_expected(i) for i in case["items"]]
        got = [_got(i) for i in parse_items(case["line"])]
        if got != want:
            wrong.append(f"{case['line']!r}\n    want {want}\n    got  {got}")
    ok, total = len(cases) - len(wrong), len(cases)
    pct = 100 * ok / total
    print(f"shopping lines: {ok}/{total} exact = {pct:.1f}%")
    for line in wrong:
        print("  WRONG", line)
    assert pct >= 97, "\n".join(wrong)


def test_messages_as_people_write_them_score() -> None:
    """tests/data/shopping_written.yaml (issue 11): items, closing words, remarks, asides."""
    groups = yaml.safe_load(WRITTEN.read_text(encoding="utf-8"))
    total = sum(len(cases) for cases in groups.values())
    assert total >= 150 and len(groups) >= 6
    wrong = []
    for category, cases in groups.items():
        for case in cases:
            reading = read_list(case["line"], CATALOG)
            got = ([_got(i) for i in reading.items], reading.done, bool(reading.notes),
                   reading.asides[0][0] if reading.asides else None)  # fmt: skip
            want = ([_expected(i) for i in case["items"]], bool(case.get("done")),
                    bool(case.get("order_note")), case.get("aside"))  # fmt: skip
            if got != want:
                wrong.append(f"[{category}] {case['line']!r}\n    want {want}\n    got  {got}")
    pct = 100 * (total - len(wrong)) / total
    print(f"written messages: {total - len(wrong)}/{total} exact = {pct:.1f}%")
    assert pct >= 97, "\n".join(wrong)


def test_politeness_and_closing_words_are_not_items() -> None:
    assert parse_items("udh itu aja") == []
    assert read_list("udah itu aja bu, makasih").done
    assert not read_list("makasih ya mbak").done
    assert parse_items("mas, tolong belikan tomat 1 kg ya") == [Item("tomat", Decimal(1), "kg")]


def test_short_forms_and_clear_typos_become_the_name_meant() -> None:
    assert read_list("tmt 1 kg, kngkung 2 iket, dg sapi 1/2", CATALOG).items == [
        Item("tomat", Decimal(1), "kg"), Item("kangkung", Decimal(2), "ikat"),
        Item("daging sapi", Decimal("0.5"), "kg"),
    ]  # fmt: skip
    assert read_list("telor 1 kg", CATALOG).items[0].name == "telor"  # a proper spelling stays
    unsure = read_list("bawamg nerah 2 ons", CATALOG)
    assert unsure.items[0].name == "bawamg nerah"  # two letters off: kept, and asked
    assert unsure.suggestions == {0: "bawang merah"}


def test_remarks_phone_numbers_and_addresses_are_not_items() -> None:
    reading = read_list("tlg pilihin yg seger ya bu\n1234 5678 877\njl. melati 3 rt 2 rw 5")
    assert reading.items == []
    assert reading.notes == [("tlg pilihin yg seger ya bu", "")]
    assert [kind for kind, _ in reading.asides] == ["phone", "address"]
    named = read_list("cabe rawit 10rb\ncabenya jangan yang busuk")
    assert named.items == [Item("cabe rawit", budget=10000, note="cabenya jangan yang busuk")]
    assert named.notes == []


def test_vocabulary_files_are_valid() -> None:
    assert check_folder() == []


def test_a_bad_vocabulary_entry_is_reported_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "xx.yaml"
    bad.write_text(
        "language: xx\n"
        "closing: [udah, Sudah]\n"
        "note_markers:\n"
        "  - yang\n"
        "  - jangan dong\n"
        "  - yang\n"
        "yes_words: [no]\n"
        "colours: [red]\n"
        "units:\n"
        "  kilo: [kg2]\n",
        encoding="utf-8",
    )
    problems = check_folder(tmp_path)
    where = sorted((p.line, p.message.split(":")[0]) for p in problems)
    assert [line for line, _ in where] == [2, 5, 6, 7, 8, 9], problems
    assert all(str(p).startswith(f"{p.path}:{p.line}: ") for p in problems)
    data, _ = check_word_file(bad, SECTIONS)
    assert data.sets["closing"] == {"udah"}  # the good entries are still used


def test_example_units_are_canonical() -> None:
    for case in yaml.safe_load(LINES.read_text(encoding="utf-8")):
        for item in case["items"]:
            assert item.get("unit") in (None, *UNITS), case["line"]


def one(text: str) -> Item:
    items = parse_items(text)
    assert len(items) == 1, items
    return items[0]


def test_two_items_with_decimal_comma() -> None:
    assert parse_items("telur 1,5 kg, gula 1 kg") == [
        Item("telur", Decimal("1.5"), "kg"),
        Item("gula", Decimal(1), "kg"),
    ]


def test_numbering_is_not_a_quantity() -> None:
    assert parse_items("1. bawang") == [Item("bawang")]
    assert parse_items("2) tomat\n3. wortel") == [Item("tomat"), Item("wortel")]
    assert one("1 bawang") == Item("bawang", Decimal(1))  # no dot: a quantity


def test_budget_without_quantity() -> None:
    assert one("cabe rawit 5rb") == Item("cabe rawit", budget=5000)


def test_cutting_instruction_is_a_note() -> None:
    assert one("ayam 1 ekor potong 12") == Item("ayam", Decimal(1), "ekor", note="potong 12")
    assert one("ayam potong 1 ekor") == Item("ayam potong", Decimal(1), "ekor")
    assert one("ayam potong 12").note == "potong 12"
    assert one("ayam 1 ekor, potong 12").note == "potong 12"


@pytest.mark.parametrize(
    ("text", "budget"),
    [
        ("cabe 5rb", 5000),
        ("cabe 5 ribu", 5000),
        ("cabe 5k", 5000),
        ("cabe Rp5.000", 5000),
        ("cabe rp 5000", 5000),
        ("cabe 10ribu", 10000),
        ("cabe Rp 5.000,-", 5000),
        ("cabe 20rb an", 20000),
        ("cabe 20ribuan", 20000),
        ("cabe 2500 rupiah", 2500),
        ("cabe 7,5rb", 7500),
        ("cabe Rp 5,000", 5000),
        ("cabe lima ribu", 5000),
        ("cabe seharga 15rb", 15000),
    ],
)
def test_budgets(text: str, budget: int) -> None:
    item = one(text)
    assert (item.name, item.budget, item.quantity) == ("cabe", budget, None)


def test_rupiah_shaped_number_without_unit_is_a_budget() -> None:
    assert one("kerupuk 5.000") == Item("kerupuk", budget=5000)
    assert one("kerupuk 15000") == Item("kerupuk", budget=15000)
    assert one("ayam 1 ekor 45000") == Item("ayam", Decimal(1), "ekor", budget=45000)
    assert one("tahu 10") == Item("tahu", Decimal(10))  # a count, not money
    assert one("aqua 1500 ml") == Item("aqua", Decimal(1500), "ml")  # a unit: a quantity


@pytest.mark.parametrize(
    ("text", "quantity", "unit"),
    [
        ("gula 2", "2", None),
        ("gula 1,5 kg", "1.5", "kg"),
        ("gula 1.5 kg", "1.5", "kg"),
        ("gula 1/2", "0.5", "kg"),
        ("gula 1/4 kg", "0.25", "kg"),
        ("gula 2 1/2 kg", "2.5", "kg"),
        ("gula ½ kg", "0.5", "kg"),
        ("gula ¾", "0.75", "kg"),
        ("gula setengah", "0.5", "kg"),
        ("gula 1 1/2", "1.5", "kg"),
        ("gula 2", "2", None),
        ("gula seperempat kilo", "0.25", "kg"),
        ("gula sekilo", "1", "kg"),
        ("gula 1kg", "1", "kg"),
        ("gula 2 kilo setengah", "2.5", "kg"),
        ("gula tiga perempat kg", "0.75", "kg"),
        ("gula 2 kgs", "2", "kg"),
        ("gula 500 grm", "500", "g"),
        ("gula 1 pon", "1", "pon"),
        ("gula 2 ons", "2", "ons"),
        ("gula 1 kiloan", "1", "kg"),
    ],
)
def test_quantities(text: str, quantity: str, unit: str | None) -> None:
    item = one(text)
    assert (item.name, item.quantity, item.unit) == ("gula", Decimal(quantity), unit)


@pytest.mark.parametrize(
    ("word", "unit"),
    [("seikat", "ikat"), ("sebutir", "butir"), ("seons", "ons"), ("sepapan", "papan"),
     ("sesisir", "sisir"), ("seekor", "ekor"), ("se-kilo", "kg"), ("se kilo", "kg")],
)  # fmt: skip
def test_se_forms(word: str, unit: str) -> None:
    assert one(f"barang {word}") == Item("barang", Decimal(1), unit)


@pytest.mark.parametrize(
    ("word", "unit"),
    [("bks", "bungkus"), ("pak", "bungkus"), ("btr", "butir"), ("bh", "buah"), ("bj", "biji"),
     ("bji", "biji"), ("ltr", "l"), ("liter", "l"), ("gr", "g"), ("iket", "ikat"),
     ("btl", "botol"), ("klg", "kaleng"), ("saset", "sachet"), ("lbr", "lembar")],
)  # fmt: skip
def test_unit_abbreviations(word: str, unit: str) -> None:
    assert one(f"barang 2 {word}").unit == unit
    assert one(f"2{word} barang").unit == unit


def test_quantity_after_or_before_name() -> None:
    assert one("2 ikat kangkung") == one("kangkung 2 ikat") == Item("kangkung", Decimal(2), "ikat")


def test_notes() -> None:
    assert one("kangkung 2 ikat yang segar").note == "yang segar"
    assert one("ayam 1 ekor (potong 12)").note == "potong 12"
    assert one("ikan 1 kg, dibersihkan").note == "dibersihkan"
    assert one("sambal 1 bks tidak pedas").note == "tidak pedas"
    assert one("bawang merah yang besar 1/4 kg") == Item(
        "bawang merah", Decimal("0.25"), "kg", note="yang besar"
    )
    assert one("telur 1 kg").note == ""


def test_units_we_do_not_have_stay_in_the_note() -> None:
    assert one("sereh 2 batang") == Item("sereh", Decimal(2), None, note="batang")
    assert one("beras 1 karung 25kg") == Item("beras", Decimal(1), None, note="karung 25kg")


def test_a_list_without_commas() -> None:
    assert [i.name for i in parse_items("tomat 1 kg wortel 1 kg")] == ["tomat", "wortel"]
    assert [i.name for i in parse_items("cabe 10rb sm bawang 5rb")] == ["cabe", "bawang"]
    assert one("minyak goreng 2 liter merk bimoli").note == "merk bimoli"


def test_package_size_stays_in_the_name() -> None:
    assert one("air mineral 600ml 1 dus") == Item("air mineral 600ml", Decimal(1), "dus")
    assert one("telur 1 kg = 16 butir") == Item("telur", Decimal(1), "kg", note="16 butir")


def test_masing_masing_gives_every_item_the_amount() -> None:
    items = parse_items("bawang merah, bawang putih masing2 1/4 kg")
    assert [(i.name, i.quantity, i.unit) for i in items] == [
        ("bawang merah", Decimal("0.25"), "kg"),
        ("bawang putih", Decimal("0.25"), "kg"),
    ]


def test_amount_on_its_own_line_joins_the_item_before() -> None:
    assert parse_items("bawang merah\n1/4 kg") == [Item("bawang merah", Decimal("0.25"), "kg")]


def test_empty_and_chatter() -> None:
    assert parse_items("") == []
    assert parse_items("\n\n  \n") == []
    assert parse_items("makasih ya bu") == []
    assert parse_items("Belanja:\n") == []


def test_round_trip_and_dict_shape() -> None:
    item = Item("telur", Decimal("1.50"), "kg", None, "yang bagus")
    d = item.to_dict()
    assert d == {"name": "telur", "quantity": "1.5", "unit": "kg", "budget": None,
                 "note": "yang bagus"}  # fmt: skip
    assert Item.from_dict(d) == item
    assert Item(name="x", quantity=Decimal("10")).to_dict()["quantity"] == "10"
    assert Item.from_dict({"name": "cabe", "budget": 5000}) == Item("cabe", budget=5000)


def test_describe() -> None:
    assert describe(Item("bawang merah", Decimal("0.25"), "kg")) == "bawang merah 1/4 kg"
    assert describe(Item("cabe rawit", budget=5000)) == "cabe rawit Rp5.000"
    assert describe(Item("ayam", Decimal(1), "ekor", note="potong 12")) == "ayam 1 ekor (potong 12)"
    assert describe(Item("telur", Decimal("1.5"), "kg")) == "telur 1,5 kg"
    assert describe(Item("tempe", Decimal(2))) == "tempe 2"
    assert format_rupiah(1250000) == "Rp1.250.000"


def test_letter_bullets_dozens_and_each() -> None:
    assert parse_items("a. tomat 1 kg\nb) wortel 1/2") == [
        Item("tomat", Decimal(1), "kg"), Item("wortel", Decimal("0.5"), "kg")]
    assert one("telur 1 lusin") == Item("telur", Decimal(12), "biji")
    assert [i.quantity for i in parse_items("tomat, wortel tiap2 1 kg")] == [1, 1]
    assert [i.quantity for i in parse_items("cabe, bawang sama2 1/4 kg")] == [Decimal("0.25")] * 2
    assert one("cumi2 1/2 kg").name == "cumi-cumi"
    assert one("susu Dancow 800 gr 1 kaleng") == Item("susu dancow 800 gr", Decimal(1), "kaleng")
    assert one("minyak 2 liter paling mahal 40rb").budget == 40000


def test_long_input() -> None:
    text = "kangkung 2 ikat, " * 600
    items = parse_items(text)
    assert len(items) == 600
    assert parse_items("a" * 10_000)[0].name == "a" * 10_000


VOCAB = st.sampled_from(
    ["1", "2", "1,5", "1.5", "1/2", "0/0", "5.000", "½", "rb", "kg", "ikat", "setengah",
     "sekilo", "potong", "12", "rp", ",", ";", "\n", "(", ")", "dan", "yang", "masing2", "@",
     "-", "1.", "x", "se", "lusin", "ribu", "dua", "puluh", ":", " ", "ayam", "🍅", "Ⅻ"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    result = parse_items(text)
    assert isinstance(result, list)
    for item in result:
        assert item.unit in (None, *UNITS)
        describe(item)
        assert Item.from_dict(item.to_dict()) == item


@settings(max_examples=300, deadline=None)
@given(st.lists(VOCAB, max_size=40).map(" ".join))
def test_never_raises_on_list_like_text(text: str) -> None:
    reading = read_list(text, CATALOG)
    assert all(0 <= k < len(reading.items) for k in reading.suggestions)
    result = parse_items(text)
    assert isinstance(result, list)
    for item in result:
        assert item.name or item.note
        describe(item)
        assert Item.from_dict(item.to_dict()) == item
