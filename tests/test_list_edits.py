"""Changing a shopping list as people type it (issue 11): tests/data/list_edits.yaml."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.inputs.listing import DONE
from bot.ordering.understanding.catalog import load_catalog
from bot.ordering.understanding.items import Item, describe, parse_items, read_list
from bot.ordering.understanding.list_edits import read_edit
from bot.ordering.understanding.vocabulary import VOCABULARY

ROOT = Path(__file__).parent.parent
CASES = yaml.safe_load((ROOT / "tests" / "data" / "list_edits.yaml").read_text(encoding="utf-8"))
CATALOG = load_catalog(ROOT / "data" / "catalog.yaml")


def shown(entries: list[dict]) -> list[str]:
    return [describe(Item.from_dict(e)) for e in entries]


@pytest.mark.parametrize("case", CASES, ids=[c["send"] for c in CASES])
def test_edit(case: dict) -> None:
    entries = [item.to_dict() for item in parse_items(case["list"])]
    change = read_edit(case["send"], entries, CATALOG)
    if change is None:  # not an edit: the message adds items
        after = entries + [i.to_dict() for i in read_list(case["send"], CATALOG).items]
        asked = False
    else:
        after = change.entries if change.entries is not None else entries
        asked = change.ask is not None
    assert (shown(after), asked) == (case["after"], bool(case.get("ask")))


def test_by_name_the_exact_line_wins_over_a_longer_one() -> None:
    entries = [i.to_dict() for i in parse_items("daun bawang 1 ikat\nbawang 1/4 kg")]
    change = read_edit("hapus bawang", entries)
    assert change is not None and shown(change.entries or []) == ["daun bawang 1 ikat"]


def test_a_listed_name_with_jadi_changes_that_line() -> None:
    entries = [i.to_dict() for i in parse_items("tomat 1 kg\nkangkung 1 ikat")]
    change = read_edit("kangkung jadi 2 ikat", entries)
    assert change is not None and shown(change.entries or []) == ["tomat 1 kg", "kangkung 2 ikat"]


def test_shopping_lines_are_not_edits() -> None:
    entries = [i.to_dict() for i in parse_items("tomat 1 kg")]
    for text in ("cabe rawit 5rb", "ayam 1 ekor potong 12", "kangkung jadi 2 ikat", "ya", ""):
        assert read_edit(text, entries) is None, text


def test_a_bare_edit_word_asks_which_line() -> None:
    entries = [i.to_dict() for i in parse_items("tomat 1 kg")]
    for text in ("hapus", "ganti"):
        change = read_edit(text, entries)
        assert change is not None and change.ask == "order.list_edit_unclear"


WORDS = st.sampled_from(
    ["hapus", "ganti", "jadi", "no", "yang", "telurnya", "ga", "jadi", "1", "2", "-", ",",
     "sampai", "semua", "tomat", "telur", "2 kg", "15rb", "dan", "999", "0", "nomor"]
)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.lists(WORDS, max_size=8).map(" ".join), st.text(max_size=40))
def test_edits_never_raise(words: str, noise: str) -> None:
    entries = [i.to_dict() for i in parse_items("tomat 1 kg\ntelur 1 kg\ntelur bebek 2")]
    for text in (words, noise, words + noise):
        change = read_edit(text, entries, CATALOG)
        if change is not None and change.entries is not None:
            assert all(isinstance(e, dict) for e in change.entries)


def test_the_engine_list_kind_holds_no_words_people_type() -> None:
    """The words ("hapus", "selesai", "udah") come from data through the app, not the engine."""
    source = (ROOT / "bot" / "engine" / "inputs" / "listing.py").read_text(encoding="utf-8")
    literals = {node.value.lower() for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.Constant) and isinstance(node.value, str)}  # fmt: skip
    typed = VOCABULARY.words("closing") | VOCABULARY.words("remove_words")
    assert not (literals - {DONE}) & typed, literals & typed  # DONE: the button's id
