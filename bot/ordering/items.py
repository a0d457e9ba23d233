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
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from bot.ordering.amounts import read_amount
from bot.ordering.segments import Segment, parse_part
from bot.ordering.tokens import tokenize
from bot.ordering.units import UNIT_ALIASES, UNITS
from bot.ordering.vocabulary import NOTE_MARKERS

__all__ = [
    "NOTE_MARKERS",
    "UNITS",
    "UNIT_ALIASES",
    "Item",
    "describe",
    "format_decimal",
    "format_quantity",
    "format_rupiah",
    "parse_items",
]

_BULLET = re.compile(r"^\s*(?:[^\w\s(@]+|[0-9]{1,2}\s*[.)](?![0-9]))\s*")
_HEADER = re.compile(r"^([^0-9:]{1,40}):(?:\s+|$)(.*)$")
_RUPIAH_TAIL = re.compile(r"(?<=[0-9]),-+|(?<=[0-9]{3}),00(?![0-9])")
_FRACTIONS = {"½": " 1/2", "¼": " 1/4", "¾": " 3/4"}


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


def _clean_line(line: str) -> str:
    line = _RUPIAH_TAIL.sub("", line)
    for _ in range(3):
        stripped = _BULLET.sub("", line, count=1)
        if stripped == line:
            break
        line = stripped
    m = _HEADER.match(line)
    if m:
        head, rest = m.group(1), m.group(2)
        if not rest.strip():
            return ""
        toks = tokenize(rest)
        starts_with_amount = bool(toks) and read_amount(toks, 0, first=True) is not None
        line = f"{head} {rest}" if starts_with_amount else rest
    return line


def _prepare(text: str) -> str:
    for char, repl in _FRACTIONS.items():
        text = text.replace(char, repl)
    text = unicodedata.normalize("NFKC", text).replace("\u2044", "/")
    return text.lower()


def parse_items(text: str) -> list[Item]:
    """Every item in a shopping list, in order. Never raises; empty list when nothing is there."""
    if not isinstance(text, str):
        return []
    items: list[Item] = []
    for raw_line in _prepare(text).splitlines():
        line = _clean_line(raw_line)
        line_start = len(items)
        for part in _split_commas(line):
            for seg in parse_part(part):
                _add(items, line_start, seg)
    return items


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
