"""Reading shopping lists: the public example set, the tricky cases, and robustness."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ordering.items import UNITS, Item, describe, format_rupiah, parse_items

LINES = Path(__file__).parent / "data" / "shopping_lines.yaml"
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
    result = parse_items(text)
    assert isinstance(result, list)
    for item in result:
        assert item.name or item.note
        describe(item)
        assert Item.from_dict(item.to_dict()) == item
