"""Reading a resident's shopping list: "bawang merah 1/4 kg, cabe rawit 5rb, ayam 1 ekor potong 12".

`parse_items` turns free text into `Item`s (name, quantity, unit, budget, note). It never
raises: whatever it cannot read stays in an item's name or note, so nothing the resident
wrote is refused. Units are kept as the resident said them; converting is for price estimates.

This module holds the `Item`, its formatting and the line-level work (bullets, headers,
commas, "masing-masing"); one part of a line is read in `segments`, amounts in `amounts`,
units in `units`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Protocol

from bot.ordering.understanding.amounts import read_amount
from bot.ordering.understanding.segments import OPENERS, Segment, read_part, talk
from bot.ordering.understanding.tokens import tokenize
from bot.ordering.understanding.units import UNIT_ALIASES, UNITS
from bot.ordering.understanding.vocabulary import (
    ABBREVIATIONS,
    EACH_DOUBLED,
    NOTE_HEADERS,
    NOTE_MARKERS,
    VOCABULARY,
)

__all__ = [
    "NOTE_MARKERS",
    "UNITS",
    "UNIT_ALIASES",
    "Item",
    "Reading",
    "describe",
    "format_decimal",
    "format_quantity",
    "format_rupiah",
    "parse_items",
    "read_list",
]

_BULLET = re.compile(
    r"^\s*(?:[^\w\s(@]+|[0-9]{1,2}\s*[.)](?![0-9])|[a-z][.)](?=\s)|[a-z]\)(?=\S))\s*"
)  # "1.", "2)", "-", "•", and letter bullets "a.", "b)"
_HEADER = re.compile(r"^([^0-9:]{1,40}):(?:\s+|$)(.*)$")
_RUPIAH_TAIL = re.compile(r"(?<=[0-9]),-+|(?<=[0-9]{3}),00(?![0-9])")
_FRACTIONS = {"½": " 1/2", "¼": " 1/4", "¾": " 3/4"}
_DOUBLED = re.compile(r"(?<![\w-])([^\W\d_]{3,})2(?![\w/.,])")  # "cumi2", "sama2", "seger2"
_SENTENCE = re.compile(r"(?<=[^\W\d_]{3})\.\s+(?=[^\W\d_])")  # "... 2 liter ya. makasih"
_PHONE_CHARS = re.compile(r"^\+?[0-9][0-9 \-.]*$")
_PHONE_DIGITS = (10, 14)
_ADDRESS_NUMBER = re.compile(r"^[0-9]{1,3}(?:/[0-9]{1,3})?$")
_PHONE_WORDS = VOCABULARY.words("phone_words")
_ADDRESS_STARTS = VOCABULARY.words("address_starts")
_ADDRESS_MARKS = VOCABULARY.words("address_marks")
_DIGIT = re.compile(r"[0-9]")
_ADDRESS_MARK = re.compile(  # "rt 04", "RW.5": an address mark before a number
    r"(?<![^\W\d_])(?:" + "|".join(map(re.escape, sorted(_ADDRESS_MARKS))) + r")\.?\s*[0-9]"
    if _ADDRESS_MARKS else r"(?!x)x"
)
_FIRST_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_ABBREVIATED = re.compile(
    r"(?<![\w-])(?:" + "|".join(map(re.escape, sorted(ABBREVIATIONS))) + r")(?![\w-])"
) if ABBREVIATIONS else None
_WORDS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|[0-9]+")
_REMARK_OPENERS = OPENERS - {"minta", "mohon", "tolong", "tlg"} | {"tolong", "tlg", "mohon"}


class Names(Protocol):
    """What knows the names of goods (the catalog): the name to use, and a suggestion."""

    def resolve(self, name: str) -> tuple[str, str | None]: ...


@dataclass
class Reading:
    """Everything one message at the list step holds."""

    items: list[Item] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (remark, good it names or "")
    done: bool = False  # "udah itu aja": the list is closed
    asides: list[tuple[str, str]] = field(default_factory=list)  # ("phone"|"address", text)
    suggestions: dict[int, str] = field(default_factory=dict)  # item index -> a name meant


@dataclass(frozen=True)
class Item:
    """One line of a shopping list."""

    name: str
    quantity: Decimal | None = None
    unit: str | None = None
    budget: int | None = None  # whole rupiah: "cabe rawit 5rb" -> 5000
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        q = None if self.quantity is None else format_decimal(self.quantity)
        return {"name": self.name, "quantity": q, "unit": self.unit,
                "budget": self.budget, "note": self.note}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Item:
        q = d.get("quantity")
        budget = d.get("budget")
        return cls(
            name=str(d.get("name") or ""),
            quantity=None if q is None else Decimal(str(q)),
            unit=d.get("unit") or None,
            budget=None if budget is None else int(budget),
            note=str(d.get("note") or ""),
        )

    @property
    def has_amount(self) -> bool:
        return self.quantity is not None or self.budget is not None


def format_decimal(value: Decimal) -> str:
    """Plain decimal text: 1.5, 10, 0.25 (no exponent, no trailing zeros)."""
    return format(value.normalize(), "f")


def format_rupiah(amount: int) -> str:
    """Rp5.000 (dot thousands, no decimals)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def format_quantity(value: Decimal) -> str:
    """1/2, 1/4, 3/4 for parts of one; otherwise a decimal comma: "1,5", "2"."""
    common = {Decimal("0.5"): "1/2", Decimal("0.25"): "1/4", Decimal("0.75"): "3/4"}
    if value in common:
        return common[value]
    return format_decimal(value).replace(".", ",")


def describe(item: Item) -> str:
    """For humans: "bawang merah 1/4 kg", "cabe rawit Rp5.000", "ayam 1 ekor (potong 12)"."""
    parts = [item.name] if item.name else []
    if item.quantity is not None:
        parts.append(format_quantity(item.quantity) + (f" {item.unit}" if item.unit else ""))
    elif item.unit:
        parts.append(item.unit)
    if item.budget is not None:
        parts.append(format_rupiah(item.budget))
    text = " ".join(parts)
    if item.note:
        text = f"{text} ({item.note})" if text else item.note
    return text


# --- lines and lists ----------------------------------------------------------------------


def _split_commas(line: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(line):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in ",;|":
            between_digits = (
                ch == "," and 0 < i < len(line) - 1
                and line[i - 1] in "0123456789" and line[i + 1] in "0123456789"
            )  # fmt: skip
            if not between_digits:
                parts.append(line[start:i])
                start = i + 1
    parts.append(line[start:])
    return parts


def _clean_line(line: str, keep_remark_header: bool = False) -> str:
    line = _RUPIAH_TAIL.sub("", line)
    for _ in range(3):
        stripped = _BULLET.sub("", line, count=1)
        if stripped == line:
            break
        line = stripped
    m = _HEADER.match(line)
    if m:
        head, rest = m.group(1), m.group(2)
        if keep_remark_header and head.strip() in NOTE_HEADERS:
            return line  # "catatan: sayurnya yg seger": the remark keeps its header
        if not rest.strip():
            return ""
        toks = tokenize(rest)
        starts_with_amount = bool(toks) and read_amount(toks, 0, first=True) is not None
        line = f"{head} {rest}" if starts_with_amount else rest
    return line


def _undouble(m: re.Match[str]) -> str:
    word = m.group(1)
    if word in EACH_DOUBLED:
        return "masing-masing"
    if word in UNIT_ALIASES:
        return m.group(0)
    return f"{word}-{word}"  # "cumi2" is cumi-cumi


def _prepare(text: str) -> str:
    for char, repl in _FRACTIONS.items():
        text = text.replace(char, repl)
    text = unicodedata.normalize("NFKC", text).replace("\u2044", "/")
    return _DOUBLED.sub(_undouble, text.lower())


def _aside(raw: str) -> str | None:
    """ "phone" or "address" when a line is a phone number or an address, not goods."""
    first = raw.split(None, 1)[0].strip(".:,") if raw.strip() else ""
    if (first not in _ADDRESS_STARTS and not _ADDRESS_MARK.search(raw)
            and len(_DIGIT.findall(raw)) < _PHONE_DIGITS[0]):  # fmt: skip
        return None  # the usual shopping line: no tokenizing twice
    toks = tokenize(raw)
    if not toks:
        return None
    words = [t.text for t in toks]
    rest = raw
    for w in words:
        if w in _PHONE_WORDS and not toks[0].is_num:
            rest = rest.replace(w, " ", 1)
    rest = rest.replace(":", " ").strip()
    digits = sum(c.isdigit() for c in rest)
    if _PHONE_CHARS.match(rest) and _PHONE_DIGITS[0] <= digits <= _PHONE_DIGITS[1]:
        return "phone"
    if words and words[0] in _ADDRESS_STARTS and len(words) > 1:
        return "address"
    for k, w in enumerate(words[:-1]):
        if w in _ADDRESS_MARKS and _ADDRESS_NUMBER.match(words[k + 1]):
            return "address"
    return None


def _may_be_remark(line: str) -> bool:
    """A quick look at the first word, so most item lines skip `_remark`."""
    m = _FIRST_WORD.search(line)
    if m is None:
        return False
    first = m.group()
    return (first in _REMARK_OPENERS or first in NOTE_MARKERS or first in NOTE_HEADERS
            or _nya(first) or _di_verb(first))  # fmt: skip


def _remark(words: list[str]) -> tuple[bool, str]:
    """(a line is a remark for the coordinator, the good it names): "cabenya jangan ..." """
    i = 0
    while i < len(words) and words[i] in _REMARK_OPENERS:
        i += 1
    if i >= len(words):
        return False, ""
    first = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if _di_verb(first):
        return True, next((w[:-3] for w in words[i + 1 :] if _nya(w)), "")  # "dipilihin ..."
    if _nya(first) and (nxt in NOTE_MARKERS or nxt.startswith("di") or not nxt):
        return True, first[:-3]  # "cabenya jangan yang busuk"
    if (first in NOTE_HEADERS and (nxt or i > 0)) or (first in NOTE_MARKERS and first != "minta"):
        return True, next((w[:-3] for w in words[i + 1 :] if _nya(w)), "")
    return False, ""


def _di_verb(word: str) -> bool:
    """ "dipilihin", "dibersihkan", "dianterin": something to do, not something to buy."""
    return len(word) >= 7 and word.startswith("di") and word.endswith(("in", "kan"))


def _nya(word: str) -> bool:
    return len(word) > 5 and word.endswith("nya")


def _expand(name: str) -> str:
    """Short forms a word at a time: "bwg merah" -> "bawang merah", "dg sapi" -> "daging sapi"."""
    if _ABBREVIATED is None or not _ABBREVIATED.search(name):
        return name
    return " ".join(ABBREVIATIONS.get(w, w) for w in name.split(" "))


def read_list(text: str, names: Names | None = None) -> Reading:
    """Items, remarks, closing words and misplaced phone numbers/addresses of one message.

    Never raises. ``names`` (the catalog) turns short forms and clear typos into the name
    meant, and gives a suggestion for an unclear one.
    """
    reading = Reading()
    if not isinstance(text, str):
        return reading
    items = reading.items
    for raw_line in _prepare(text).splitlines():
        if not raw_line.strip():
            continue
        kind = _aside(raw_line.strip())
        if kind is not None:
            reading.asides.append((kind, " ".join(raw_line.split())))
            continue
        line = _clean_line(raw_line, keep_remark_header=True)
        is_remark, about = _remark(_WORDS.findall(line)) if _may_be_remark(line) else (False, "")
        if is_remark:
            quiet, closes = talk(tokenize(line))  # "udah itu aja" starts like a remark
            if quiet:
                reading.done = reading.done or closes
            else:
                _keep_remark(reading, " ".join(line.split()), about)
            continue
        line_start = len(items)
        for part in _SENTENCE.split(line) if ". " in line else (line,):
            for piece in _split_commas(part):
                segments, closes = read_part(piece)
                reading.done = reading.done or closes
                for seg in segments:
                    _add(items, line_start, seg)
    for index, item in enumerate(items):
        name = _expand(item.name)
        suggestion = None
        if names is not None and name:
            name, suggestion = names.resolve(name)
        if name != item.name:
            items[index] = replace(item, name=name)
        if suggestion:
            reading.suggestions[index] = suggestion
    return reading


def _keep_remark(reading: Reading, text: str, about: str) -> None:
    """On the item it names if that item is in this message, else for the order."""
    if about:
        for index in range(len(reading.items) - 1, -1, -1):
            item = reading.items[index]
            if about in item.name.split() or item.name.startswith(about):
                reading.items[index] = replace(item, note=_join(item.note, text))
                return
    reading.notes.append((text, about))


def parse_items(text: str) -> list[Item]:
    """Every item in a shopping list, in order. Never raises; empty list when nothing is there."""
    return read_list(text).items


def _add(items: list[Item], line_start: int, seg: Segment) -> None:
    amount = {"quantity": seg.quantity, "unit": seg.unit, "budget": seg.budget}
    if seg.each and seg.has_amount:
        k = len(items)
        while k > line_start and not items[k - 1].has_amount:
            k -= 1
        for j in range(k, len(items)):
            items[j] = replace(items[j], **amount)
    if seg.name:
        items.append(Item(seg.name, seg.quantity, seg.unit, seg.budget, seg.note))
    elif seg.has_amount and not seg.each and items and not items[-1].has_amount:
        items[-1] = replace(items[-1], **amount, note=_join(items[-1].note, seg.note))  # "\n1/4 kg"
    elif seg.note and len(items) > line_start:
        items[-1] = replace(items[-1], note=_join(items[-1].note, seg.note))  # ", dibersihkan"
    elif seg.note:  # a line that is only a remark: keep it rather than lose it
        items.append(Item(seg.note, **({} if seg.each else amount)))


def _join(a: str, b: str) -> str:
    return "; ".join(x for x in (a, b) if x)
