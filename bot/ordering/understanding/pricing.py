"""What a coordinator types for money: ``12000``, ``12.000``, ``12rb``, ``Rp12.000``,
``Rp. 65.000,-``, ``12,5rb``; for an item also ``habis``/``ga ada``/``kosong`` (not
available) or ``ganti minyakita 2 liter 36rb`` (a substitute). The words are data
(data/vocabulary/*.yaml: ``unavailable``, ``price_fillers``, ``substitute_words``, ...)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, InputKind, Invalid, Result, answer_text
from bot.engine.matching import normalize
from bot.messages import Incoming, Menu, Option, Reply
from bot.ordering.understanding.vocabulary import VOCABULARY

MAX_RUPIAH = 50_000_000
_AMOUNT = re.compile(
    r"^(?:rp\.?\s*)?(\d{1,3}(?:\.\d{3})+|\d+(?:,\d{1,3})?)\s*(rb|ribu|rebu|k|jt|juta)?$"
)
_W = VOCABULARY.words
UNAVAILABLE = _W("unavailable")
EXACT = _W("exact_cash")
_FILLERS = _W("price_fillers")
_SUBSTITUTE = _W("substitute_words")
_SUBSTITUTE_FILLERS = _W("substitute_fillers")
_TAIL = re.compile(r"(?<=[0-9]),-*$|(?<=[0-9])-+$|(?<=[0-9]{3}),00$")
_WORD_EDGE = ".,!?:;"


def _words(text: str) -> list[str]:
    return " ".join(text.split()).split(" ") if text.strip() else []


def _without_fillers(words: list[str]) -> list[str]:
    """Drop "harganya", "bu", "ya" around what matters (not inside it)."""
    low = [w.lower().strip(_WORD_EDGE) for w in words]
    start, end = 0, len(words)
    while start < end and low[start] in _FILLERS and low[start] != "rp":
        start += 1
    while end > start and low[end - 1] in _FILLERS and low[end - 1] != "rp":
        end -= 1
    return words[start:end]


SMALLEST = 100  # no price at the market is below Rp100: "65" alone means 65 ribu, so ask


def _too_small(text: str, amount: int | None) -> str:
    """The digits of a bare amount below ``SMALLEST`` ("65"), else ""."""
    digits = "".join(text.split())
    if amount is not None and 0 < amount < SMALLEST and digits.isdigit():
        return digits
    return ""


def read_cash(text: str) -> int | None:
    """Money received: "100rb", "Rp. 100.000,-", "terima 100rb"."""
    return parse_rupiah(" ".join(_without_fillers(_words(text))))


def read_price(text: str) -> dict[str, Any] | None:
    """One item's real price: {price}, {unavailable: True}, {substitute, price}, or None."""
    words = _without_fillers(_words(text[:120]))
    said = " ".join(w.lower().strip(_WORD_EDGE) for w in words)
    if said in UNAVAILABLE or normalize(said) in UNAVAILABLE:
        return {"unavailable": True}
    amount = parse_rupiah(" ".join(words))
    if amount is not None:
        return {"price": amount}
    if words and words[0].lower() in _SUBSTITUTE:
        rest = words[1:]
        while rest and rest[0].lower() in _SUBSTITUTE_FILLERS:
            rest = rest[1:]
        for size in (3, 2, 1):  # "Rp 40.000 an", "Rp 40.000", "36rb"
            if len(rest) > size:
                price = parse_rupiah(" ".join(rest[-size:]))
                name = " ".join(rest[:-size]).strip(_WORD_EDGE + " ")
                if price is not None and name:
                    return {"substitute": name, "price": price}
    return None


def parse_rupiah(text: str) -> int | None:
    """Whole rupiah from ``12000``, ``12.000``, ``12rb``, ``12,5 rb``, ``Rp 12.000``."""
    text = " ".join(text.lower().split()).replace("rp.", "rp").replace("rp ", "rp")
    found = _AMOUNT.match(_TAIL.sub("", text))
    if not found:
        return None
    digits, scale = found.group(1), found.group(2)
    try:
        if "," in digits:
            if not scale:
                return None
            value = Decimal(digits.replace(",", "."))
        else:
            value = Decimal(digits.replace(".", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        return None
    if scale in ("rb", "ribu", "rebu", "k"):
        value *= 1000
    elif scale in ("jt", "juta"):
        value *= 1_000_000
    if value != value.to_integral_value() or value > MAX_RUPIAH:
        return None
    return int(value)


class ItemPriceKind(InputKind):
    """The real price of one item: an amount, ``habis``, or ``ganti NAME AMOUNT``."""

    name = "item_price"
    hint = "coord.hint_price"

    def options(self, ctx: Context, spec: InputSpec) -> list[Option]:
        return [Option("unavailable", ctx.t("coord.opt_unavailable"))]

    def prompt(self, ctx: Context, spec: InputSpec, text: str, value: Any = None) -> Reply:
        return Menu(to=ctx.key, text=text, options=tuple(self.options(ctx, spec)))

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        if msg.choice == "unavailable":
            return Accept({"unavailable": True})
        text = answer_text(msg)
        found = read_price(text)
        if found is None:
            return Invalid("coord.invalid_price")
        small = _too_small(text, found.get("price"))
        return Invalid("coord.price_too_small", {"amount": small}) if small else Accept(found)

    def describe(self, ctx: Context, value: Any) -> str:
        if not isinstance(value, dict):
            return ""
        if value.get("unavailable"):
            return ctx.t("coord.item_unavailable")
        return f"{value.get('substitute', '')} {value.get('price', '')}".strip()


class RupiahKind(InputKind):
    """An amount of money; ``pas`` means exactly the slot named by ``exact`` (the total)."""

    name = "rupiah"
    hint = "coord.hint_rupiah"

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        text = answer_text(msg)[:60]
        exact = spec.params.get("exact")
        if exact and normalize(text) in EXACT and isinstance(ctx.slots.get(exact), int):
            return Accept(ctx.slots[exact])
        amount = read_cash(text)
        small = _too_small(text, amount)
        if small:
            return Invalid("coord.price_too_small", {"amount": small})
        return Accept(amount) if amount is not None else Invalid("coord.invalid_rupiah")
