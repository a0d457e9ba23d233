"""Deep links into the bot: the t.me and wa.me link formats, shared by the chat's `link`
command, `main.py links` and the WhatsApp adapter. URL formats only, no platform API."""

from __future__ import annotations

import re
from urllib.parse import quote

from bot.engine.commands import REFERRAL


def telegram_link(bot_username: str, payload: str) -> str:
    """``https://t.me/<bot>?start=<payload>``; the payload as Telegram allows it."""
    if not REFERRAL.match(payload):
        raise ValueError(f"referral {payload!r}: use 1-64 of A-Z a-z 0-9 _ -")
    username = bot_username.strip().lstrip("@")
    if not username or not username.replace("_", "").isalnum() or not username.isascii():
        raise ValueError(f"bot username {bot_username!r}: use A-Z a-z 0-9 _")
    return f"https://t.me/{username}?start={payload}"


def whatsapp_link(number: str, text: str | None = None) -> str:
    """``https://wa.me/<digits>?text=<text>``: opens a chat with the text typed in."""
    digits = re.sub(r"\D", "", number or "")
    if digits.startswith("0"):  # 0812-... as written in Indonesia
        digits = "62" + digits[1:]
    if not digits:
        raise ValueError(f"not a phone number: {number!r}")
    link = f"https://wa.me/{digits}"
    return f"{link}?text={quote(text, safe='')}" if text else link
