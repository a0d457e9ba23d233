"""The generic option matcher used by every `choice` whose source has no matcher of its own."""

from __future__ import annotations

import pytest

from bot.engine.matching import Ambiguous, Matched, NoMatch, match_choice
from bot.messages import Option

MENU = [Option("order", "Pesan belanja"), Option("status", "Cek pesanan saya"),
        Option("help", "Bantuan")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", "order"), ("2.", "status"), ("no 3", "help"),  # numbers
        ("order", "order"), ("STATUS", "status"),  # ids
        ("pesan belanja", "order"), ("Cek Pesanan Saya!", "status"),  # labels
        ("pesan", "order"), ("cek", "status"),  # words of a label
        ("pesan belnja", "order"), ("cek psanan saya", "status"),  # typos
    ],
)
def test_matches(text: str, expected: str) -> None:
    assert match_choice(text, MENU) == Matched(expected)


@pytest.mark.parametrize("text", ["", "   ", "9", "0", "terbang ke bulan", "xx"])
def test_no_match(text: str) -> None:
    assert match_choice(text, MENU) == NoMatch()


def test_words_in_several_labels_are_ambiguous() -> None:
    options = [Option("a", "Nomor HP"), Option("b", "Nomor rumah")]
    found = match_choice("nomor", options)
    assert isinstance(found, Ambiguous) and {o.id for o in found.candidates} == {"a", "b"}
