"""An address: written text, or a location pin plus a written detail.

Whether a text says enough to find a house is the app's knowledge: it passes a reader that
returns what it understood (saved as the answer) and the message ids of the missing parts
(the engine's default only wants some text). A partial address is kept and the next
message adds to it, so the resident sends only what is missing ("RT 04/RW 05").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, InputKind, Invalid, Keep, Result, answer_text
from bot.messages import AskLocation, Incoming, Reply

MAX_ADDRESS = 500


@dataclass(frozen=True)
class AddressReading:
    """What a reader understood of a written address."""

    value: dict[str, Any]  # saved as the answer; holds at least "text"
    missing: tuple[str, ...] = ()  # message ids of the parts still lacking
    found: bool = True  # False: nothing in it looks like part of an address
    problem: str | None = None  # message id: this is something else (say so, keep nothing)
    params: dict[str, Any] = field(default_factory=dict)  # for the problem's message


# (context, text, has_pin) -> what the text says
AddressReader = Callable[[Context, str, bool], AddressReading]


def minimal_reader(ctx: Context, text: str, has_pin: bool) -> AddressReading:
    missing = () if len(text) >= 10 else ("engine.address_part_detail",)
    return AddressReading({"text": text}, missing, found=not missing)


class AddressKind(InputKind):
    name = "address"
    hint = "engine.hint_address"

    def __init__(self, reader: AddressReader = minimal_reader) -> None:
        self.reader = reader

    def prompt(self, ctx: Context, spec: InputSpec, text: str, value: Any = None) -> Reply:
        if isinstance(value, dict) and value.get("location") and not value.get("text"):
            text = ctx.t("engine.address_pin_received")
        elif isinstance(value, dict) and value.get("missing"):
            text = ctx.t("engine.address_send_missing")
        return AskLocation(to=ctx.key, text=text, button=ctx.t("engine.button_send_location"))

    def _done(self, reading: AddressReading, pin: dict[str, float] | None) -> Accept:
        return Accept({**reading.value, "location": pin})

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        kept = value if isinstance(value, dict) else {}
        pin = kept.get("location")
        if msg.location is not None:
            if not msg.location.possible:  # NaN, Infinity, beyond ±90/±180
                return Invalid("engine.location_impossible")
            pin = {"latitude": msg.location.latitude, "longitude": msg.location.longitude}
            written = " ".join((msg.location.address or "").split())
            if written:
                reading = self.reader(ctx, written, True)
                if not reading.missing and reading.problem is None:
                    return self._done(reading, pin)
            return Keep({"text": "", "location": pin})
        text = " ".join(answer_text(msg).split())
        if len(text) > MAX_ADDRESS:
            return Invalid("engine.text_too_long", {"max": MAX_ADDRESS, "length": len(text)})
        has_pin = pin is not None
        reading = self.reader(ctx, text, has_pin)
        if reading.problem is not None:
            return Invalid(reading.problem, dict(reading.params))
        earlier = str(kept.get("text") or "") if kept.get("missing") else ""
        if reading.missing and earlier and len(earlier) + len(text) < MAX_ADDRESS:
            joined = self.reader(ctx, f"{earlier}, {text}", has_pin)
            if len(joined.missing) < min(len(reading.missing), len(kept["missing"]) + 1):
                reading = joined
        if not reading.missing:
            return self._done(reading, pin)
        parts = ", ".join(ctx.t(m) for m in reading.missing)
        if not reading.found:
            return Invalid("engine.address_missing", {"missing": parts})
        partial = {**reading.value, "location": pin, "missing": list(reading.missing)}
        return Keep(partial, note="engine.address_missing", params={"missing": parts})

    def describe(self, ctx: Context, value: Any) -> str:
        if not isinstance(value, dict):
            return ""
        pin = value.get("location")
        where = f" ({pin['latitude']}, {pin['longitude']})" if pin else ""
        return f"{value.get('text', '')}{where}".strip()
