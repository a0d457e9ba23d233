"""Reading an amount at a token: a quantity ("1/4 kg", "dua ikat", "sekilo setengah") or a
budget ("5rb", "Rp 10.000", "goceng").

Each reader takes the tokens and a position and returns an `Amount` saying what it read and
where the reading ended, or None when no amount starts there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from bot.ordering.understanding.tokens import Tok, word
from bot.ordering.understanding.units import SE_FORMS, SE_UNITS, UNIT_ALIASES, unit_of
from bot.ordering.understanding.vocabulary import (
    BUDGET_LEADS,
    DOZEN,
    EACH,
    EACH_DOUBLED,
    NOTE_MARKERS,
)

_ONES = {
    "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5,
    "enam": 6, "tujuh": 7, "delapan": 8, "sembilan": 9,
}  # fmt: skip
_TENS = {"sepuluh": 10, "sebelas": 11, "seratus": 100}
_HALF = {"setengah", "stengah", "stgh", "setgh", "stngh"}
_QUARTER = {"seperempat", "seprapat", "seperapat", "seprempat", "sperempat", "seperampat"}

_THOUSAND_SUFFIX = {
    "rb", "ribu", "rbu", "rebu", "k", "rban", "rbn", "ribuan", "rebuan", "rb-an", "ribu-an",
}  # fmt: skip
_ONE_SUFFIX = {"rupiah", "perak", "rp"}
_RP_PREFIX = {"rp", "idr"}
_BUDGET_WORDS = {"seribu": 1000, "seceng": 1000, "goceng": 5000, "ceban": 10000,
                 "noban": 20000, "goban": 50000}  # fmt: skip
_EN_THOUSANDS = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")


@dataclass(frozen=True)
class Amount:
    """What an amount reader found, and the index of the first token after it."""

    end: int
    quantity: Decimal | None = None
    unit: str | None = None
    budget: int | None = None


def word_number(toks: list[Tok], i: int) -> tuple[Decimal, int] | None:
    """satu..sembilan, dua belas, dua puluh lima, seratus, setengah, seperempat."""
    w = word(toks, i)
    if w in _HALF:
        return Decimal("0.5"), i + 1
    if w in _QUARTER:
        return Decimal("0.25"), i + 1
    if w in _TENS:
        return Decimal(_TENS[w]), i + 1
    if w not in _ONES:
        return None
    value, j = _ONES[w], i + 1
    nxt = word(toks, j)
    if nxt == "perempat":
        return Decimal(value) / 4, j + 1
    if nxt == "belas":
        value, j = value + 10, j + 1
    elif nxt == "puluh":
        value, j = value * 10, j + 1
        if word(toks, j) in _ONES:
            value, j = value + _ONES[word(toks, j)], j + 1
    elif nxt == "ratus":
        value, j = value * 100, j + 1
    return Decimal(value), j


def _money(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _read_budget(toks: list[Tok], i: int) -> Amount | None:
    w = word(toks, i)
    if w in _BUDGET_WORDS:
        return Amount(i + 1, budget=_BUDGET_WORDS[w])
    if w in _RP_PREFIX and i + 1 < len(toks) and toks[i + 1].is_num:
        raw, value, j = toks[i + 1].text, toks[i + 1].value, i + 2
        assert value is not None
        if word(toks, j) in _THOUSAND_SUFFIX:
            value, j = value * 1000, j + 1
        elif _EN_THOUSANDS.fullmatch(raw):  # "Rp 5,000"
            value = Decimal(raw.replace(",", ""))
        if word(toks, j) in {"an", "perak", "rupiah"}:
            j += 1
        return Amount(j, budget=_money(value))
    if i < len(toks) and toks[i].is_num and not toks[i].fraction:
        value, j = toks[i].value, i + 1
    else:
        found = word_number(toks, i)
        if found is None or word(toks, found[1]) not in {"ribu", "ribuan", "rb", "rupiah"}:
            return None
        value, j = found
    assert value is not None
    suffix = word(toks, j)
    if suffix in _THOUSAND_SUFFIX:
        value = value * 1000
    elif suffix not in _ONE_SUFFIX:
        return None
    j += 1
    while word(toks, j) in {"an", "perak"}:
        j += 1
    return Amount(j, budget=_money(value))


# a bare whole number this big, with no unit, is money: "kerupuk 15000", "jahe 7.000"
_RUPIAH_SHAPED = 1000
_RUPIAH_STEP = 100


def _finish_quantity(toks: list[Tok], j: int, value: Decimal, bare: bool = True) -> Amount:
    """After a number: "setengah", "x", a unit, "an", "lusin" and "kilo setengah".

    With no unit, a part of one ("1/2", "1 1/2", "setengah") is kg, and a Rupiah-shaped
    whole number ("15000", "7.000") is a budget.
    """
    if word(toks, j) in _HALF and value == value.to_integral_value():
        value, j = value + Decimal("0.5"), j + 1
    if word(toks, j) == "x":
        j += 1
    dozen = word(toks, j) in DOZEN
    if dozen:
        value, j = value * 12, j + 1
    unit = unit_of(word(toks, j))
    if unit is not None:
        j += 1
        if word(toks, j) == "an":
            j += 1
        if word(toks, j) in _HALF and value == value.to_integral_value():
            value, j = value + Decimal("0.5"), j + 1
    elif dozen:
        unit = "biji"
    elif bare and value != value.to_integral_value():
        unit = "kg"  # "bawang putih 1/2"
    elif bare and value >= _RUPIAH_SHAPED and value % _RUPIAH_STEP == 0:
        if word(toks, j) in {"an", "perak"}:
            j += 1
        return Amount(j, budget=_money(value))
    return Amount(j, quantity=value, unit=unit)


def read_quantity(toks: list[Tok], i: int, first: bool) -> Amount | None:
    """A quantity starting at token ``i``: "2 1/2 kg", "x3", "sekilo", "dua ikat".

    A number word counts only ``first`` in its item, last in the part, or before a unit,
    "setengah", "lusin", a note marker or "masing-masing"; elsewhere it stays a word.
    """
    tok = toks[i]
    if tok.is_num:
        value, j = tok.value, i + 1
        assert value is not None
        nxt = toks[j] if j < len(toks) else None
        mixed = nxt is not None and nxt.fraction and nxt.value is not None and nxt.value < 1
        if mixed and not tok.fraction:  # "2 1/2"
            assert nxt is not None and nxt.value is not None
            value, j = value + nxt.value, j + 1
        return _finish_quantity(toks, j, value)
    w = tok.text
    if w == "x" and i + 1 < len(toks) and toks[i + 1].is_num:
        return read_quantity(toks, i + 1, first)
    if w.startswith("se") and w[2:] in DOZEN:  # "selusin": 12 biji
        dozen = _finish_quantity(toks, i + 1, Decimal(12), bare=False)
        return replace(dozen, unit=dozen.unit or "biji")
    se = w.replace("-", "") if w.startswith("se-") else w
    if se in SE_FORMS:
        return _finish_quantity_after_unit(toks, i + 1, SE_FORMS[se])
    if w == "se" and word(toks, i + 1) in SE_UNITS:
        return _finish_quantity_after_unit(toks, i + 2, UNIT_ALIASES[word(toks, i + 1)])
    found = word_number(toks, i)
    if found is None:
        return None
    value, j = found
    nxt = word(toks, j)
    if nxt in _HALF and value == value.to_integral_value():
        nxt = word(toks, j + 1)
    fits = (first or j >= len(toks) or unit_of(nxt) is not None or nxt in NOTE_MARKERS
            or nxt in EACH or nxt in EACH_DOUBLED or nxt in _HALF or nxt in DOZEN)  # fmt: skip
    return _finish_quantity(toks, j, value) if fits else None


def _finish_quantity_after_unit(toks: list[Tok], j: int, unit: str) -> Amount:
    value = Decimal(1)
    if word(toks, j) in _HALF:  # "sekilo setengah"
        value, j = Decimal("1.5"), j + 1
    return Amount(j, quantity=value, unit=unit)


_LEADS: dict[str, list[tuple[str, ...]]] = {}
for _phrase in BUDGET_LEADS:
    _LEADS.setdefault(_phrase[0], []).append(_phrase)


def _lead_end(toks: list[Tok], i: int) -> int | None:
    """Where a budget lead ("paling mahal", "maks", "sekitar") starting at ``i`` ends."""
    for phrase in _LEADS.get(word(toks, i), ()):
        if all(word(toks, i + k) == w for k, w in enumerate(phrase)):
            return i + len(phrase)
    return None


def read_amount(toks: list[Tok], i: int, first: bool) -> Amount | None:
    """A budget or a quantity starting at token ``i`` (a budget wins: "5rb" is money)."""
    end = _lead_end(toks, i)
    if end is not None:
        lead = _read_budget(toks, end)
        if lead is None and end < len(toks) and toks[end].is_num and not toks[end].fraction:
            bare = _finish_quantity(toks, end + 1, toks[end].value or Decimal(0))
            lead = bare if bare.budget is not None else None  # "maks 30000"
        if lead is not None:
            return lead
    return _read_budget(toks, i) or read_quantity(toks, i, first)
