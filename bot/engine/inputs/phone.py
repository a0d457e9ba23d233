"""Indonesian phone numbers: 0812..., +62 812..., 62812...; stored as +62..."""

from __future__ import annotations

import re
from typing import Any

from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, InputKind, Invalid, Result, answer_text
from bot.messages import AskContact, Incoming, Reply

_SEPARATORS = re.compile(r"[\s\-.()/]")


def normalize_phone(text: str) -> str | None:
    """``0812-3456-7890`` -> ``+6281234567890``; None when it is not an Indonesian number."""
    digits = _SEPARATORS.sub("", text.strip())
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("62"):
            return None
    if not digits.isdigit():
        return None
    if digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    elif digits.startswith("8"):
        national = digits
    else:
        return None
    national = national.lstrip("0") if national.startswith("0") else national
    # mobile 8xx: 9-12 digits after the 0; landlines (21 Jakarta/Bekasi...): 8-11
    if not national or national[0] == "0" or not 8 <= len(national) <= 12:
        return None
    if national.startswith("8") and len(national) < 9:
        return None
    return "+62" + national


def display_phone(phone: str) -> str:
    """``+6281234567890`` -> ``0812-3456-7890`` (how people in Bekasi write it)."""
    if not phone.startswith("+62"):
        return phone
    national = "0" + phone[3:]
    parts = [national[:4], national[4:8], national[8:]]
    return "-".join(p for p in parts if p)


class PhoneKind(InputKind):
    name = "phone"
    hint = "engine.hint_phone"

    def prompt(self, ctx: Context, spec: InputSpec, text: str, value: Any = None) -> Reply:
        return AskContact(to=ctx.key, text=text, button=ctx.t("engine.button_share_phone"))

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        raw = msg.contact.phone if msg.contact is not None else answer_text(msg)
        phone = normalize_phone(raw)
        if phone is None:
            return Invalid("engine.invalid_phone")
        return Accept(phone)

    def describe(self, ctx: Context, value: Any) -> str:
        return display_phone(value) if isinstance(value, str) else ""
