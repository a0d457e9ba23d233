"""Who delivers, as a coordinator types it on a phone: "mas anto 081299887766",
"Anto 0812-9988-7766", "kurir: joko", "081299887766 dedi".

The name keeps its title, as residents will call him ("mas anto" -> Mas Anto, "Pak Joko"),
and is written with capitals; words around it ("kurir:", "hp", "wa": data/vocabulary
``courier_words``) are dropped, and a phone number on the same line is taken too, so it is
not asked again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, InputKind, Invalid, Result, answer_text
from bot.messages import Incoming
from bot.ordering.understanding.person import split_phone
from bot.ordering.understanding.vocabulary import VOCABULARY, phrases_in

TITLES = VOCABULARY.words("titles")
_LEADS = phrases_in(VOCABULARY.words("courier_words"))
MAX_NAME = 60
PHONE_SLOT = "courier_phone"


@dataclass(frozen=True)
class Courier:
    name: str
    phone: str | None


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s,:;/]+", text) if w]


def read_courier(text: str) -> Courier | None:
    """The courier's name (and phone, if given) from one line; None when no name is there."""
    if not isinstance(text, str):
        return None
    text, phone = split_phone(" ".join(text.split())[:200])
    words = _words(text)
    lowered = [w.lower().strip(".") for w in words]
    kept: list[str] = []
    i = 0
    while i < len(words):
        lead = next((p for p in _LEADS if tuple(lowered[i : i + len(p)]) == p), None)
        if lead is not None:
            i += len(lead)
            continue
        kept.append(words[i])
        i += 1
    name = " ".join(w[:1].upper() + w[1:] if w.islower() else w for w in kept)[:MAX_NAME]
    if len(name) < 2 or not any(c.isalpha() for c in name) or name.lower() in TITLES:
        return None  # a title alone ("pak") is not a name yet
    return Courier(name, phone)


class CourierKind(InputKind):
    """The courier's name; a phone number on the same line goes to the ``courier_phone`` slot
    (so the flow skips asking for it)."""

    name = "courier"
    hint = "coord.hint_courier"

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        found = read_courier(answer_text(msg))
        if found is None:
            return Invalid("coord.invalid_courier")
        if found.phone:
            ctx.slots[PHONE_SLOT] = found.phone
        else:
            ctx.slots.pop(PHONE_SLOT, None)
        return Accept(found.name)
