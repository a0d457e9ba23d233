"""Order codes, defined once: ``KRB-1127-001`` is the market's code, the month and day
the order was placed, and its number among that day's orders at that market.

The number has three digits (``001``) and as many as it needs, without a leading zero,
from the 1,000th order of a day on (``KRB-1127-1000``). Every flow, command, button id
and parser that recognizes a code uses `PATTERN` (or `CODE`), so a code the bot gives
out is always one it accepts.

The number comes from the store's sequence named after the market and the day
(`sequence_name`); the storage keeps every sequence at least as high as any code
``<sequence name>-<number>`` it finds (see `bot.storage.floor`), so a code is never given
twice even when counters were lost.
"""

from __future__ import annotations

import re

MARKET_CODE = r"[A-Za-z]{3}"  # the market's code: three letters (checked in markets.py)
NUMBER = r"(?:\d{3}|[1-9]\d{3,})"  # as `format_code` writes it: 001-999, then 1000, ...
PATTERN = rf"{MARKET_CODE}-\d{{4}}-{NUMBER}"
CODE = re.compile(PATTERN)
MIN_DIGITS = 3


def sequence_name(market_code: str, day: str) -> str:
    """The store sequence that numbers a market's orders of one day (``day`` is MMDD)."""
    return f"{market_code}-{day}"


def format_code(market_code: str, day: str, number: int) -> str:
    """``KRB-1127-001``; ``KRB-1127-1000`` once a day has that many orders."""
    return f"{sequence_name(market_code, day)}-{number:0{MIN_DIGITS}d}"


def is_code(text: str) -> bool:
    """True if ``text`` is an order code (any letter case)."""
    return CODE.fullmatch(text) is not None
