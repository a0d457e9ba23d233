"""Times of day as people in Kota Bekasi write them, and as the bot writes them back:
``05.00`` or ``05:00``, a span ``05.00-14.00``. One parser for market hours and for the
daily recap time (config ``recap.time``), so what the bot says it also reads."""

from __future__ import annotations

import re
from datetime import time

_CLOCK = r"(\d{1,2})(?:[.:](\d{2}))?"
CLOCK = re.compile(rf"^{_CLOCK}$")
SPAN = re.compile(rf"^{_CLOCK}\s*[-–]\s*{_CLOCK}$")


class ClockError(ValueError):
    """A time of day or a span that cannot be read; the message says what is expected."""


def _time(hours: str, minutes: str | None, written: str) -> time:
    try:
        return time(int(hours), int(minutes or 0))
    except ValueError:
        raise ClockError(f"{written!r} is not a time of day (00.00 to 23.59)") from None


def parse_clock(text: str) -> time:
    """``20:00``, ``20.00`` or ``20``; raises ClockError otherwise (``8 malam``)."""
    written = str(text).strip()
    found = CLOCK.match(written)
    if not found:
        raise ClockError(f"{written!r} is not a time like 20:00 or 20.00")
    return _time(found.group(1), found.group(2), written)


def parse_span(text: str) -> tuple[time, time]:
    """``05:00-14:00`` or ``05.00-14.00`` (opening, closing); closing after opening."""
    written = str(text).strip()
    found = SPAN.match(written)
    if not found:
        raise ClockError(f"hours must look like 05:00-14:00 or 05.00-14.00, got {written!r}")
    h1, m1, h2, m2 = found.groups()
    opens, closes = _time(h1, m1, written), _time(h2, m2, written)
    if closes <= opens:
        raise ClockError(f"{written!r}: closing time must be after opening time")
    return opens, closes
