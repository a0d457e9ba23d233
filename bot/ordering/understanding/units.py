"""The units a shopping list is measured in, and the many ways residents spell them.

`UNITS` are the canonical units; `UNIT_ALIASES` maps every spelling we accept ("kilo",
"gr", "bks", ...; listed in data/vocabulary/*.yaml) to one of them. "sekilo", "seikat" and
the like are one of that unit.
"""

from __future__ import annotations

from bot.ordering.understanding.vocabulary import UNIT_SPELLINGS
from bot.ordering.understanding.vocabulary import UNITS as VOCAB_UNITS

UNITS = VOCAB_UNITS
# every spelling residents use (data/vocabulary/*.yaml `units`), canonical units included
UNIT_ALIASES: dict[str, str] = dict(UNIT_SPELLINGS)
# "seikat", "sekilo", "se-kilo": one of that unit. Only whole words, so "sel" is not a litre.
_SE_WORDS = (
    "kilo kg ons pon liter ikat iket biji butir buah bungkus ekor sisir papan botol dus kardus "
    "kotak kaleng sachet saset potong lembar helai"
)
SE_UNITS = frozenset(_SE_WORDS.split())
SE_FORMS: dict[str, str] = {f"se{w}": UNIT_ALIASES[w] for w in SE_UNITS} | {"skilo": "kg"}

SIZE_UNITS = frozenset({"g", "kg", "ml", "l", "ons"})  # a product's size: "aqua 600ml"
PACKS = frozenset({"bungkus", "botol", "dus", "kaleng", "sachet"})  # "aqua 600ml 1 dus"


def unit_of(word: str) -> str | None:
    """The canonical unit a word names, or None: "kilo" -> "kg", "kiloan" -> "kg"."""
    unit = UNIT_ALIASES.get(word)
    if unit is None and len(word) > 3 and word.endswith("an"):  # "kiloan", "kg-an", "ikatan"
        unit = UNIT_ALIASES.get(word[:-2].rstrip("-"))
    return unit
