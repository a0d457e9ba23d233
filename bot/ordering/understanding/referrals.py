"""Referral tags of the market bot: the neighbourhood a link was shared in.

A tag is what `link` makes (``rw05-jatibening``) and what an RT/RW admin may name one
(``rt03_pekayon``, ``rw5``): ``rw`` or ``rt``, its number, then words joined by - or _; or,
for a Lurah's group (the link went out through Lurah, RW and RT groups), ``kel`` then at
least one word (``kel-jatibening``). Nothing else is one: not an order code
(KRB-1127-001), not a command or a menu word, not "halo". It is kept in lower case (a phone
may capitalise what a resident types). The engine applies it the same way on every channel
(/start, a wa.me text, a typed first message): the app registers it
(`Registry.referral_tags`).
"""

from __future__ import annotations

import re

TAG = re.compile(r"^(?:r[wt]\d{1,3}(?:[-_][a-z0-9]+)*|kel(?:[-_][a-z0-9]+)+)$")
MAX_TAG = 64


def referral_tag(text: str | None) -> str | None:
    """The tag (lower case) when a whole text is a referral tag (`TAG`), else None."""
    tag = (text or "").strip().lower()
    return tag if len(tag) <= MAX_TAG and TAG.match(tag) else None
