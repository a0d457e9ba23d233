"""An address: written text, or a location pin plus a written detail.

Whether a text says enough to find a house is the app's knowledge: it passes a checker that
returns the message ids of the missing parts (the engine's default only wants some text).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, InputKind, Invalid, Keep, Result, answer_text
from bot.messages import AskLocation, Incoming, Reply

# (text, has_pin) -> message ids of what is missing; empty when the address will do
AddressChecker = Callable[[str, bool], list[str]]

MAX_ADDRESS = 500


def minimal_checker(text: str, has_pin: bool) -> list[str]:
    return [] if len(text) >= 10 else ["engine.address_part_detail"]


class AddressKind(InputKind):
    name = "address"
    hint = "engine.hint_address"

    def __init__(self, checker: AddressChecker = minimal_checker) -> None:
        self.checker = checker

    def prompt(self, ctx: Context, spec: InputSpec, text: str, value: Any = None) -> Reply:
        if isinstance(value, dict) and value.get("location") and not value.get("text"):
            text = ctx.t("engine.address_pin_received")
        return AskLocation(to=ctx.key, text=text, button=ctx.t("engine.button_send_location"))

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        pin = value.get("location") if isinstance(value, dict) else None
        if msg.location is not None:
            if not msg.location.possible:  # NaN, Infinity, beyond ±90/±180
                return Invalid("engine.location_impossible")
            pin = {"latitude": msg.location.latitude, "longitude": msg.location.longitude}
            written = " ".join((msg.location.address or "").split())
            if written and not self.checker(written, True):
                return Accept({"text": written, "location": pin})
            return Keep({"text": "", "location": pin})
        text = " ".join(answer_text(msg).split())
        if len(text) > MAX_ADDRESS:
            return Invalid("engine.text_too_long", {"max": MAX_ADDRESS, "length": len(text)})
        missing = self.checker(text, pin is not None)
        if missing:
            parts = ", ".join(ctx.t(m) for m in missing)
            return Invalid("engine.address_missing", {"missing": parts})
        return Accept({"text": text, "location": pin})

    def describe(self, ctx: Context, value: Any) -> str:
        if not isinstance(value, dict):
            return ""
        pin = value.get("location")
        where = f" ({pin['latitude']}, {pin['longitude']})" if pin else ""
        return f"{value.get('text', '')}{where}".strip()
