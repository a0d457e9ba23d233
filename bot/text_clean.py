"""Text from outside made safe to store and to print, at the one edge where it enters.

Whatever a platform or a terminal hands us may hold lone surrogates (``"\\ud800"`` from a
JSON escape, or undecodable bytes read with ``surrogateescape``), which no UTF-8 writer
accepts: stored once, they would break every later file write and every output that shows
them. NULs and other control characters break CSV exports and terminals. `clean` replaces a
lone surrogate with U+FFFD (a valid pair becomes its character), drops control characters
(a multi-line text keeps its tabs and line breaks; a one-line field gets spaces for them),
and cuts an absurd length. Printable text comes back as it is, after one check.
"""

from __future__ import annotations

import re

MAX_TEXT = 16_384  # a message: four times what Telegram and WhatsApp allow (4096)
MAX_FIELD = 1_024  # a one-line field: a user key, an option id, a name, an address

_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\t\n\r]")


def clean(text: str, *, multiline: bool = False) -> str:
    """``text`` without lone surrogates or control characters, at most `MAX_TEXT`
    (multi-line) or `MAX_FIELD` characters."""
    limit = MAX_TEXT if multiline else MAX_FIELD
    if len(text) <= limit and text.isprintable():  # no control, no surrogate: as it is
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = _CONTROLS.sub("", text)
    if not multiline:
        text = _LINE_BREAKS.sub(" ", text)
    return text[:limit]

