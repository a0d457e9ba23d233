"""The simple input kinds: text, number, location."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, InputKind, Invalid, Result, answer_text
from bot.i18n import number
from bot.messages import AskLocation, Incoming, Reply


class TextKind(InputKind):
    name = "text"
    hint = "engine.hint_text"

    def check(self, spec: InputSpec) -> list[str]:
        params = spec.params
        bad = [k for k in ("min", "max") if k in params and not isinstance(params[k], int)]
        return [f"'{k}' must be a whole number of characters" for k in bad]

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        text = " ".join(answer_text(msg).split())
        low, high = spec.params.get("min", 1), spec.params.get("max", 500)
        if len(text) < low:
            return Invalid("engine.text_too_short", {"min": low})
        if len(text) > high:
            return Invalid("engine.text_too_long", {"max": high, "length": len(text)})
        return Accept(text)


_NUMBER = re.compile(r"^-?\d{1,3}(?:\.\d{3})+$|^-?\d+(?:[.,]\d+)?$")


def parse_number(text: str) -> Decimal | None:
    """``12``, ``1,5``, ``1.5``; ``15.000`` is fifteen thousand (Indonesian grouping)."""
    text = text.strip().lower().removeprefix("rp").strip().replace(" ", "")
    if not _NUMBER.match(text):
        return None
    if re.match(r"^-?\d{1,3}(?:\.\d{3})+$", text):
        text = text.replace(".", "")
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


class NumberKind(InputKind):
    name = "number"
    hint = "engine.hint_number"

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        found = parse_number(answer_text(msg))
        if found is None:
            return Invalid("engine.invalid_number")
        low, high = spec.params.get("min"), spec.params.get("max")
        if low is not None and found < Decimal(str(low)):
            return Invalid("engine.number_too_small", {"min": number(low, ctx.lang)})
        if high is not None and found > Decimal(str(high)):
            return Invalid("engine.number_too_big", {"max": number(high, ctx.lang)})
        if spec.params.get("integer") and found != found.to_integral_value():
            return Invalid("engine.number_not_whole")
        return Accept(int(found) if found == found.to_integral_value() else str(found))


class LocationKind(InputKind):
    name = "location"
    hint = "engine.hint_location"

    def prompt(self, ctx: Context, spec: InputSpec, text: str, value: Any = None) -> Reply:
        return AskLocation(to=ctx.key, text=text, button=ctx.t("engine.button_send_location"))

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        if msg.location is None:
            return Invalid("engine.need_location")
        if not msg.location.possible:  # NaN, Infinity, beyond ±90/±180
            return Invalid("engine.location_impossible")
        return Accept({"latitude": msg.location.latitude, "longitude": msg.location.longitude})

    def describe(self, ctx: Context, value: Any) -> str:
        if not isinstance(value, dict):
            return ""
        return f"{value.get('latitude')}, {value.get('longitude')}"
