"""The catalog of common items: lookup, suggestions for misspellings, price estimates."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.ordering.understanding.catalog import Catalog, CatalogError, Entry, convert, load_catalog
from bot.ordering.understanding.items import UNITS, Item, parse_items

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(ROOT / "data" / "catalog.yaml")


def one(text: str) -> Item:
    (item,) = parse_items(text)
    return item


def test_real_catalog_loads(catalog: Catalog) -> None:
    assert 60 <= len(catalog.entries) <= 100
    assert catalog.prices_as_of
    for entry in catalog.entries:
        assert entry.unit in UNITS
        assert all(isinstance(p, int) and p > 0 for p in entry.prices.values())
    assert {e.category for e in catalog.entries} >= {"sayur", "bumbu", "daging", "ikan"}


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("bawang merah", "bawang merah"),
        ("Bawang Merah", "bawang merah"),
        ("cabe rawit", "cabai rawit merah"),
        ("cabai rawit", "cabai rawit merah"),
        ("bawang bombai", "bawang bombay"),
        ("telor", "telur ayam"),
        ("telur", "telur ayam"),
        ("cumi-cumi", "cumi"),
        ("toge", "tauge"),
    ],
)
def test_lookup_by_name_or_synonym(catalog: Catalog, name: str, entry: str) -> None:
    found = catalog.lookup(name)
    assert found is not None and found.name == entry


def test_lookup_unknown(catalog: Catalog) -> None:
    assert catalog.lookup("sepatu") is None
    assert catalog.lookup("") is None


def test_estimate_converts_ons_to_the_kg_price(catalog: Catalog) -> None:
    price = catalog.lookup("bawang merah").price  # per kg
    assert catalog.estimate(one("bawang merah 2 ons")) == price * 2 // 10
    assert catalog.estimate(one("bawang merah 1/4 kg")) == price // 4
    assert catalog.estimate(one("bawang merah 250 gr")) == price // 4
    assert catalog.estimate(one("bawang merah 1 pon")) == price // 2


def test_estimate_budget_is_the_estimate(catalog: Catalog) -> None:
    assert catalog.estimate(one("cabe rawit 5rb")) == 5000
    assert catalog.estimate(one("barang aneh 10rb")) == 10000  # even when unknown


def test_estimate_unknown_item_or_unit(catalog: Catalog) -> None:
    assert catalog.estimate(one("sepatu 2 buah")) is None
    assert catalog.estimate(one("kangkung 1 kg")) is None  # sold by the ikat: no conversion
    assert catalog.estimate(one("minyak goreng 1 kg")) is None  # weight is not volume


def test_estimate_defaults_to_one_usual_unit(catalog: Catalog) -> None:
    tempe = catalog.lookup("tempe").price
    assert catalog.estimate(one("tempe")) == tempe
    assert catalog.estimate(one("tempe 2")) == 2 * tempe
    assert catalog.estimate(Item("tempe", unit="papan")) == tempe


def test_estimate_uses_other_prices(catalog: Catalog) -> None:
    telur = catalog.lookup("telur")
    assert catalog.estimate(one("telur 10 butir")) == 10 * telur.prices["butir"]
    assert catalog.estimate(one("telur 1/2 kg")) == telur.price // 2


def test_estimate_total(catalog: Catalog) -> None:
    items = parse_items("bawang merah 1/4 kg, cabe rawit 5rb, sepatu 1, kangkung 2 ikat")
    total, unknown = catalog.estimate_total(items)
    bawang = catalog.lookup("bawang merah").price // 4
    kangkung = 2 * catalog.lookup("kangkung").price
    assert (total, unknown) == (bawang + 5000 + kangkung, 1)
    assert catalog.estimate_total([]) == (0, 0)


def test_suggest_misspellings(catalog: Catalog) -> None:
    assert catalog.suggest("bwang merah") == "bawang merah"
    assert catalog.suggest("kangkug") == "kangkung"
    assert catalog.suggest("ayam kampug") == "ayam kampung"
    assert catalog.suggest("cabe rawt") == "cabai rawit merah"


def test_suggest_none_when_unsure(catalog: Catalog) -> None:
    assert catalog.suggest("sepatu") is None
    assert catalog.suggest("handphone") is None
    assert catalog.suggest("bawang") is None  # merah or putih? do not guess
    assert catalog.suggest("bawang merah") is None  # already known
    assert catalog.suggest("abc") is None


def test_convert() -> None:
    assert convert(Decimal(2), "ons", "kg") == Decimal("0.2")
    assert convert(Decimal(1), "pon", "g") == Decimal(500)
    assert convert(Decimal(1), "l", "ml") == Decimal(1000)
    assert convert(Decimal(1), "kg", "l") is None
    assert convert(Decimal(1), "ikat", "kg") is None


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("items: [{name: x, unit: karung, price: 1000}]", "unit must be one of"),
        ("items: [{name: x, unit: kg, price: 1.5}]", "whole rupiah"),
        ("items: [{name: x, unit: kg, price: '40.000'}]", "whole rupiah"),
        ("items: [{name: x, unit: kg}]", "whole rupiah"),
        ("items: [{unit: kg, price: 1000}]", "needs a name"),
        ("items: [{name: x, unit: kg, price: 1, other_prices: {peti: 9}}]", "unknown unit"),
        ("items: [{name: a, unit: kg, price: 1}, {name: b, unit: kg, price: 1, synonyms: [A]}]",
         "already used by 'a'"),
        ("nothing: here", "needs a list of items"),
        ("items: [", "cannot read"),
    ],
)  # fmt: skip
def test_load_reports_mistakes(tmp_path: Path, text: str, complaint: str) -> None:
    with pytest.raises(CatalogError, match=complaint):
        load_catalog(_write(tmp_path, text))


def test_load_minimal(tmp_path: Path) -> None:
    catalog = load_catalog(_write(tmp_path, "items: [{name: Gula, unit: kg, price: 18000}]"))
    assert catalog.entries == (Entry("gula", "kg", 18000),)
    assert catalog.estimate(Item("gula", Decimal("0.5"), "kg")) == 9000
