"""The resident's name, when a phone number or more of the address comes instead.

Asked "Pesanan ini atas nama siapa?", residents often send their number, or both on one
line ("Bu Ani 0812 3456 7890"). A number alone is kept as the order's phone (so it is not
asked again) and the name is asked once more; a name with a number gives both. A line that
adds to the address just given ("dekat masjid Al-Ikhlas", "RT 03/RW 05") is added to the
address, not taken for a name.
"""

from __future__ import annotations

import re
from typing import Any

from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, InputKind, Invalid, Keep, Result, answer_text
from bot.engine.inputs.phone import display_phone, normalize_phone
from bot.messages import Incoming
from bot.ordering.understanding.address import LANDMARK_START, Address, read_address
from bot.ordering.understanding.wilayah import default_wilayah

_PHONE = re.compile(r"\+?[0-9][0-9 .\-()]{7,18}[0-9]")
MIN_NAME, MAX_NAME = 2, 60
PHONE_SLOT = "phone"
GOT_PHONE = "order.name_got_phone"
GOT_ADDRESS = "order.name_got_address"
_RT_RW_WORD = re.compile(r"\b(rt|rw)\b", re.I)


def split_phone(text: str) -> tuple[str, str | None]:
    """(the text without a phone number in it, that number normalized or None)."""
    m = _PHONE.search(text)
    phone = normalize_phone(m.group()) if m else None
    if m is None or phone is None:
        return text, None
    rest = " ".join((text[: m.start()] + " " + text[m.end() :]).split()).strip(" ,;:-/")
    return rest, phone


class ResidentNameKind(InputKind):
    """``resident_name``: a name; a phone number sent instead is kept, not taken as one."""

    name = "resident_name"
    hint = "engine.hint_text"

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        text = " ".join(answer_text(msg).split())
        rest, phone = split_phone(text)
        if phone is not None:
            ctx.slots[PHONE_SLOT] = phone
            if not re.search(r"[^\W\d_]", rest):  # nothing but the number
                return Keep(None, note=GOT_PHONE, params={"phone": display_phone(phone)})
            text = rest
        more = self._address_part(ctx, text)
        if more is not None:
            ctx.slots["address"] = more
            return Keep(None, note=GOT_ADDRESS, params={"address": more["text"]})
        if len(text) < MIN_NAME:
            return Invalid("engine.text_too_short", {"min": MIN_NAME})
        if len(text) > MAX_NAME:
            return Invalid("engine.text_too_long", {"max": MAX_NAME, "length": len(text)})
        return Accept(text)

    def _address_part(self, ctx: Context, text: str) -> dict[str, Any] | None:
        """The saved address with ``text`` added, when ``text`` is plainly more of it."""
        saved = ctx.slots.get("address")
        if not isinstance(saved, dict) or not saved.get("text"):
            return None
        wilayah = getattr(ctx.services, "wilayah", None) or default_wilayah()
        reading = read_address(text, False, wilayah)
        street = "order.address_street" not in reading.missing
        if not (LANDMARK_START.match(text) or _RT_RW_WORD.search(text) or street):
            return None
        joined = read_address(f"{saved['text']}, {text}", bool(saved.get("location")), wilayah)
        address = Address.from_dict(saved)
        kept = joined.address.to_dict()
        kept["location"] = address.location
        return kept
