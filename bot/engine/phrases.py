"""Phrases that mean a menu's option, per language: "mau pesen dong" is *order*.

Each language may have ``locales/<lang>/intents.yaml`` (translators edit it beside the
language's messages.po):

    fillers: [mau, dong, ...]          # words that carry no meaning of their own
    intents:
      order: [pesan, mau belanja, ...] # an intent is named like the option it means
      status: [cek pesanan, ...]

A menu accepts, besides its options' numbers and labels, a message whose words plainly say
one of its options' intents (`match_intent`): filler words stripped, small typos of long
words forgiven. A message that only partly says it is asked back ("Maksud Anda ...?"); a
message that says an intent this menu does not offer matches nothing here, never a
different option. The engine holds no words of any language: they come from these files.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.engine.matching import normalize
from bot.engine.yaml_lines import LineDict, LineList, load_yaml

FILE = "intents.yaml"
CONFIDENT = 0.5  # share of the message's meaningful words an intent's phrase must cover
TYPO_MIN = 5  # letters: shorter words must be written exactly
TYPO_RATIO = 85


@dataclass(frozen=True)
class Intents:
    """One language's phrases: intent -> phrases (each a tuple of normalized words)."""

    phrases: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    fillers: frozenset[str] = frozenset()
    # phrases by their first word, and the words long enough for a typo to be forgiven
    starts: dict[str, list[tuple[str, tuple[str, ...]]]] = field(
        default_factory=dict, repr=False, compare=False)
    long_words: list[str] = field(default_factory=list, repr=False, compare=False)
    # text -> (words covered per intent, meaningful words) of texts read lately: a
    # message is read against the same intents by several conditions of one menu
    scored: dict[str, tuple[dict[str, int], int]] = field(
        default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        vocabulary = set()
        for intent, phrases in self.phrases.items():
            for phrase in phrases:
                self.starts.setdefault(phrase[0], []).append((intent, phrase))
                vocabulary.update(phrase)
        self.long_words.extend(sorted(w for w in vocabulary if len(w) >= TYPO_MIN))

    def fits(self, typed: str) -> set[str]:
        """The phrase words ``typed`` may be: itself, or one it is a small typo of."""
        found = {typed}
        if len(typed) >= TYPO_MIN - 1 and typed.isalpha():
            for word, _, _ in process.extract(typed, self.long_words, scorer=fuzz.ratio,
                                              score_cutoff=TYPO_RATIO, limit=None):
                found.add(word)
        return found


@dataclass(frozen=True)
class IntentMatch:
    """What a message says among some intents: the intents it says best (several: a tie),
    and whether it says it plainly (else: ask back)."""

    intents: tuple[str, ...]
    confident: bool


@dataclass(frozen=True)
class Phrasebook:
    """Every language's intents; a language without a file falls back to the default."""

    languages: Mapping[str, Intents] = field(default_factory=dict)
    default: str = "id"

    def get(self, language: str | None) -> Intents:
        found = self.languages.get(language or "") if language else None
        return found or self.languages.get(self.default) or Intents()

    def match(self, language: str | None, text: str, offered: Collection[str]) -> IntentMatch:
        return match_intent(text, self.get(language), offered)


@dataclass(frozen=True)
class PhraseProblem:
    path: str
    line: int
    message: str


def match_intent(text: str, intents: Intents, offered: Collection[str]) -> IntentMatch:
    """The intent ``text`` says best, counting the words its phrases cover ("barangnya
    jelek, mau tuker": two words of *report*). Only offered intents are returned: a message
    that says something this menu does not offer better than any offered intent matches
    nothing ("ga jadi pesen" at the main menu is not *order*)."""
    scored = intents.scored.get(text)
    if scored is None:
        scored = _score(text, intents)
        if len(text) <= SCORED_UP_TO:
            if len(intents.scored) >= SCORED_KEPT:
                intents.scored.clear()
            intents.scored[text] = scored
    score, count = scored
    if not score:
        return IntentMatch((), False)
    top = max(score.values())
    winners = [i for i, s in score.items() if s == top]
    chosen = tuple(i for i in winners if i in offered)
    if not chosen:
        return IntentMatch((), False)  # it says something this menu does not offer
    return IntentMatch(chosen, top / count >= CONFIDENT)


SCORED_UP_TO, SCORED_KEPT = 200, 1024  # characters of a text remembered; texts remembered


def _score(text: str, intents: Intents) -> tuple[dict[str, int], int]:
    """How many of ``text``'s meaningful words each intent's phrases cover, and how many
    meaningful words it has (no score without any)."""
    words = [w for w in normalize(text).split() if w not in intents.fillers]
    if not words:
        return {}, 0
    fits = [intents.fits(w) for w in words]
    covered: dict[str, set[int]] = {}
    for i, candidates in enumerate(fits):
        for first in candidates:
            for intent, phrase in intents.starts.get(first, ()):
                n = len(phrase)
                if i + n <= len(words) and all(phrase[k] in fits[i + k] for k in range(1, n)):
                    covered.setdefault(intent, set()).update(range(i, i + n))
    return {intent: len(at) for intent, at in covered.items()}, len(words)


def _phrase_words(phrase: str, fillers: frozenset[str]) -> tuple[str, ...]:
    words = tuple(w for w in normalize(phrase).split() if w not in fillers)
    return words or tuple(normalize(phrase).split())


def parse_intents(text: str, path: str = FILE) -> tuple[Intents, list[PhraseProblem]]:
    """One language's file; every problem with its line (bad entries are left out)."""
    raw, yaml_problems = load_yaml(text)
    problems = [PhraseProblem(path, p.line, p.message) for p in yaml_problems]
    if raw is None:
        return Intents(), problems
    if not isinstance(raw, LineDict):
        return Intents(), [*problems, PhraseProblem(path, 1, "expected fillers and intents")]
    for key in raw:
        if key not in ("fillers", "intents"):
            problems.append(PhraseProblem(path, raw.line_of(key), f"unknown key {key!r} "
                                          "(known: fillers, intents)"))
    raw_fillers = raw.get("fillers") or []
    if not isinstance(raw_fillers, list) or not all(isinstance(f, str) for f in raw_fillers):
        problems.append(PhraseProblem(path, raw.line_of("fillers"), "fillers: a list of words"))
        raw_fillers = []
    fillers = frozenset(w for f in raw_fillers for w in normalize(f).split())
    table = raw.get("intents") or LineDict()
    if not isinstance(table, LineDict):
        problems.append(PhraseProblem(path, raw.line_of("intents"), "intents: a mapping of "
                                      "intent names to lists of phrases"))
        return Intents({}, fillers), problems
    phrases: dict[str, tuple[tuple[str, ...], ...]] = {}
    owner: dict[tuple[str, ...], tuple[str, int]] = {}
    for intent, entries in table.items():
        line = table.line_of(intent)
        if not isinstance(entries, LineList):
            problems.append(PhraseProblem(path, line, f"intent {intent}: a list of phrases"))
            continue
        kept = []
        lines = getattr(entries, "item_lines", [line] * len(entries))
        for entry, at in zip(entries, lines, strict=False):
            if not isinstance(entry, str) or not normalize(entry):
                problems.append(PhraseProblem(path, at, f"intent {intent}: {entry!r} is not a "
                                              "phrase"))
                continue
            words = _phrase_words(entry, fillers)
            other = owner.get(words)
            if other is not None and other[0] != intent:
                problems.append(PhraseProblem(path, at, f"intent {intent}: {entry!r} also "
                                              f"means {other[0]} (line {other[1]})"))
                continue
            owner[words] = (intent, at)
            kept.append(words)
        phrases[str(intent)] = tuple(kept)
    return Intents(phrases, fillers), problems


def load_phrasebook(locales: str | Path, default: str = "id") -> tuple[Phrasebook,
                                                                        list[PhraseProblem]]:
    """``locales/<lang>/intents.yaml`` of every language that has one."""
    languages: dict[str, Intents] = {}
    problems: list[PhraseProblem] = []
    for path in sorted(Path(locales).glob(f"*/{FILE}")):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            problems.append(PhraseProblem(str(path), 1, f"cannot read: {exc}"))
            continue
        intents, found = parse_intents(text, str(path))
        languages[path.parent.name] = intents
        problems.extend(found)
    return Phrasebook(languages, default), problems
