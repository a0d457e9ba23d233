"""Global commands: they work from any state, as plain words or with a slash."""

from __future__ import annotations

import re
from dataclasses import dataclass

# command -> words that mean it (Indonesian first; English too, the bot speaks both)
COMMAND_WORDS: dict[str, tuple[str, ...]] = {
    "start": ("start", "mulai", "menu", "home", "awal"),
    "cancel": ("batal", "batalkan", "cancel", "stop"),
    "back": ("kembali", "back", "balik", "sebelumnya"),
    "help": ("bantuan", "help", "tolong", "?"),
    "language": ("bahasa", "language", "lang"),
}
_WORD_TO_COMMAND = {w: c for c, words in COMMAND_WORDS.items() for w in words}
_SLASH = re.compile(r"^/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
REFERRAL = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what a Telegram deep link may carry
# A referral tag: what `link` makes (``rw05-jatibening``) and what an RT/RW admin may name
# one (``rt03_pekayon``, ``rw5``): ``rw`` or ``rt``, its number, then words joined by - or _;
# or, for a Lurah's group (the link went out through Lurah, RW and RT groups), ``kel`` then
# at least one word (``kel-jatibening``).
# Nothing else is one: not an order code (KRB-1127-001), not a command or a menu word, not
# "halo". A tag is one wherever it comes from (/start, a wa.me text, a typed first
# message), and is kept in lower case (a phone may capitalise what a resident types).
TAG = re.compile(r"^(?:r[wt]\d{1,3}(?:[-_][a-z0-9]+)*|kel(?:[-_][a-z0-9]+)+)$")
MAX_TAG = 64


@dataclass(frozen=True)
class Command:
    name: str
    argument: str = ""


def parse_command(text: str | None) -> Command | None:
    """``/batal``, ``batal``, ``Batal!`` -> cancel; ``/start rw05`` -> start with argument."""
    if not text:
        return None
    stripped = text.strip()
    slash = _SLASH.match(stripped)
    if slash:
        name = _WORD_TO_COMMAND.get(slash.group(1).lower())
        return Command(name, (slash.group(2) or "").strip()) if name else None
    word = stripped.lower().rstrip("!.").strip()
    name = _WORD_TO_COMMAND.get(word)
    return Command(name) if name else None


def referral_tag(text: str | None) -> str | None:
    """The tag (lower case) when a whole text is a referral tag (`TAG`), else None."""
    tag = (text or "").strip().lower()
    return tag if len(tag) <= MAX_TAG and TAG.match(tag) else None


def clean_referral(value: str | None) -> str | None:
    """A referral from a deep link's payload or an adapter: a tag, or nothing."""
    return referral_tag(value)
