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
    # broadcasts (announcements) no more; ``stop`` too where nothing is in progress (the
    # engine decides: see `Engine._stop_word`); ``mulai`` turns them on again
    "unsubscribe": ("berhenti", "unsubscribe"),
}
STOP_WORDS = ("stop",)  # cancel what is in progress, else unsubscribe
RESUBSCRIBE_WORDS = ("mulai",)  # start, and broadcasts on again for one who stopped them
_WORD_TO_COMMAND = {w: c for c, words in COMMAND_WORDS.items() for w in words}
_SLASH = re.compile(r"^/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
REFERRAL = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what a Telegram deep link may carry


@dataclass(frozen=True)
class Command:
    name: str
    argument: str = ""
    word: str = ""  # the word typed, lowercased (``stop`` and ``batal`` both cancel)


def parse_command(text: str | None) -> Command | None:
    """``/batal``, ``batal``, ``Batal!`` -> cancel; ``/start rw05`` -> start with argument."""
    if not text:
        return None
    stripped = text.strip()
    slash = _SLASH.match(stripped)
    if slash:
        word = slash.group(1).lower()
        name = _WORD_TO_COMMAND.get(word)
        return Command(name, (slash.group(2) or "").strip(), word) if name else None
    word = stripped.lower().rstrip("!.").strip()
    name = _WORD_TO_COMMAND.get(word)
    return Command(name, word=word) if name else None
