"""What a coordinator types for money: ``12000``, ``12.000``, ``12rb``, ``Rp12.000``,
``12,5rb``; for an item also ``habis`` (not available) or ``ganti kol 8rb`` (a substitute)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, InputKind, Invalid, Result, answer_text
from bot.engine.matching import normalize
from bot.messages import Incoming, Menu, Option, Reply

MAX_RUPIAH = 50_000_000
_AMOUNT = re.compile(
    r"^(?:rp\.?\s*)?(\d{1,3}(?:\.\d{3})+|\d+(?:,\d{1,3})?)\s*(rb|ribu|rebu|k|jt|juta)?$"
)
UNAVAILABLE = {"habis", "kosong", "tidak ada", "tdk ada", "gak ada", "ga ada", "nggak ada",
               "ngga ada", "tidak", "x", "unavailable", "none", "sold out", "out"}
_SUBSTITUTE = re.compile(r"^(?:ganti|diganti|pengganti|substitute|sub)\s+(.+?)\s+(\S+)$")
EXACT = {"pas", "uang pas", "sesuai", "lunas", "exact"}


def parse_rupiah(text: str) -> int | None:
    """Whole rupiah from ``12000``, ``12.000``, ``12rb``, ``12,5 rb``, ``Rp 12.000``."""
    found = _AMOUNT.match(" ".join(text.lower().split()).replace("rp ", "rp"))
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
        text = answer_text(msg)[:120]
        if normalize(text) in UNAVAILABLE:
            return Accept({"unavailable": True})
        amount = parse_rupiah(text)
        if amount is not None:
            return Accept({"price": amount})
        swap = _SUBSTITUTE.match(" ".join(text.split()).lower())
        if swap:
            price = parse_rupiah(swap.group(2))
            if price is not None and swap.group(1).strip():
                return Accept({"substitute": swap.group(1).strip(), "price": price})
        return Invalid("coord.invalid_price")

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
        amount = parse_rupiah(text)
        return Accept(amount) if amount is not None else Invalid("coord.invalid_rupiah")
