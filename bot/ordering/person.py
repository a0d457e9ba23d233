"""The resident's name, when a phone number comes instead or with it.

Asked "Pesanan ini atas nama siapa?", residents often send their number, or both on one
line ("Bu Ani 0812 3456 7890"). A number alone is kept as the order's phone (so it is not
asked again) and the name is asked once more; a name with a number gives both.
"""

from __future__ import annotations

import re
from typing import Any

from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, InputKind, Invalid, Keep, Result, answer_text
from bot.engine.inputs.phone import display_phone, normalize_phone
from bot.messages import Incoming

_PHONE = re.compile(r"\+?[0-9][0-9 .\-()]{7,18}[0-9]")
MIN_NAME, MAX_NAME = 2, 60
PHONE_SLOT = "phone"
GOT_PHONE = "order.name_got_phone"


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
        if len(text) < MIN_NAME:
            return Invalid("engine.text_too_short", {"min": MIN_NAME})
        if len(text) > MAX_NAME:
            return Invalid("engine.text_too_long", {"max": MAX_NAME, "length": len(text)})
        return Accept(text)
