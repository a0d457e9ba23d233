"""Matching what a user typed against a menu's options.

The generic matcher accepts an option's id, its number in the menu, its label
(case-insensitively) and close typos of the label. An app can register its own matcher
for an option source (markets do: partial names, abbreviations, closed markets); every
matcher returns one of the `ChoiceMatch` results below.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.messages import Option


@dataclass(frozen=True)
class Matched:
    option_id: str


@dataclass(frozen=True)
class Ambiguous:
    """Several options fit: ask which one (the engine shows these as a menu)."""

    candidates: tuple[Option, ...]


@dataclass(frozen=True)
class Unavailable:
    """The user named something real that cannot be chosen now (a market not yet open)."""

    message_id: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NoMatch:
    pass


ChoiceMatch = Matched | Ambiguous | Unavailable | NoMatch

_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]")


def normalize(text: str) -> str:
    """Lowercase, accents and punctuation gone, single spaces. (A short text is remembered:
    a message's conditions and matchers normalize the same text several times.)"""
    if len(text) <= _CACHED_UP_TO:
        return _normalize_cached(text)
    return _normalize(text)


_CACHED_UP_TO = 200  # characters


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _PUNCT.sub(" ", text.lower())
    return _SPACES.sub(" ", text).strip()


_normalize_cached = lru_cache(maxsize=2048)(_normalize)


def match_number(text: str, options: Sequence[Option]) -> Option | None:
    """The option a menu number points at ("2", "2.", "no 2")."""
    m = re.fullmatch(r"(?:no\.?\s*|nomor\s*|#)?(\d{1,3})[.)]?", text.strip().lower())
    if not m:
        return None
    index = int(m.group(1)) - 1
    return options[index] if 0 <= index < len(options) else None


def match_words(
    wanted: str, options: Sequence[Option], labels: dict[str, str]
) -> ChoiceMatch | None:
    """Words that all stand in a label ("pesan" -> "Pesan belanja"); None if no label has them."""
    words = set(wanted.split())
    if len(wanted) < 3 or not words:
        return None
    hits = tuple(o for o in options if words <= set(labels[o.id].split()))
    if len(hits) == 1:
        return Matched(hits[0].id)
    return Ambiguous(hits) if hits else None


def match_choice(text: str, options: Sequence[Option], *, cutoff: float = 80) -> ChoiceMatch:
    """The generic matcher: id, number, label, words of a label, then a close typo."""
    if not options or not text.strip():
        return NoMatch()
    by_number = match_number(text, options)
    if by_number is not None:
        return Matched(by_number.id)
    wanted = normalize(text)
    for option in options:
        if wanted in (normalize(option.id), normalize(option.label)):
            return Matched(option.id)
    labels = {option.id: normalize(option.label) for option in options}
    by_words = match_words(wanted, options, labels)
    if by_words is not None:
        return by_words
    found = process.extract(wanted, labels, scorer=fuzz.ratio, limit=2, score_cutoff=cutoff)
    if not found:
        return NoMatch()
    if len(found) > 1 and found[0][1] - found[1][1] < 5:
        chosen = {key for _, _, key in found}
        return Ambiguous(tuple(o for o in options if o.id in chosen))
    return Matched(found[0][2])
