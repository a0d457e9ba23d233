"""Splitting a piece of a shopping list into words and numbers.

Numbers are read as residents write them: "1,5" and "1.5", "5.000" (dot thousands),
"1.250,5", and fractions "1/4". A number too long to be a real amount stays a plain word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)*(?:/[0-9]+)?|[^\W\d_]+(?:-[^\W\d_]+)*|[@&+]")
_THOUSANDS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")
_THOUSANDS_DECIMAL = re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+),([0-9]+)")
_PLAIN = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_MAX_DIGITS = 12


@dataclass(frozen=True)
class Tok:
    """A word or number, with where it stands in the text it came from."""

    text: str
    start: int
    end: int
    value: Decimal | None = None  # set for numbers that parsed
    fraction: bool = False

    @property
    def is_num(self) -> bool:
        return self.value is not None


def _number(text: str) -> tuple[Decimal | None, bool]:
    if sum(c.isdigit() for c in text) > _MAX_DIGITS:
        return None, False
    if "/" in text:
        top, _, bottom = text.partition("/")
        if not top.isdigit() or int(bottom) == 0:
            return None, False
        value = Decimal(int(top)) / Decimal(int(bottom))
        if value.as_tuple().exponent < -3:  # 1/3 and friends: keep it short
            value = value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
        return value, True
    if _THOUSANDS.fullmatch(text):
        return Decimal(text.replace(".", "")), False
    m = _THOUSANDS_DECIMAL.fullmatch(text)
    if m:
        return Decimal(m.group(1).replace(".", "") + "." + m.group(2)), False
    if _PLAIN.fullmatch(text):
        return Decimal(text.replace(",", ".")), False
    return None, False


def tokenize(text: str) -> list[Tok]:
    """The words, numbers and "@ & +" of a text, in order; punctuation is skipped."""
    toks = []
    for m in _TOKEN.finditer(text):
        word = m.group()
        value, fraction = _number(word) if word[0].isdigit() else (None, False)
        toks.append(Tok(word, m.start(), m.end(), value, fraction))
    return toks


def word(toks: list[Tok], i: int) -> str:
    """The text of token ``i``, or "" past either end."""
    return toks[i].text if 0 <= i < len(toks) else ""
