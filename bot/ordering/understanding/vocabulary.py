"""The words that shape what residents and coordinators type, read from data/vocabulary/*.yaml.

The market office edits those files (one per language; the words of all of them are used
together, as people mix them); this module reads them once at import, and `check_folder`
reports every bad entry as ``file:line: message``: ``main.py validate`` prints them and the
bot does not start until they are fixed (as with any data file). The parser itself leaves a
bad entry out and uses the rest.

Other word files (intents, place names) can reuse `check_word_file` with their own sections.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.engine.yaml_lines import LineDict, LineList, load_yaml

FOLDER = Path(__file__).resolve().parents[3] / "data" / "vocabulary"

UNITS = (
    "kg", "g", "ons", "pon", "l", "ml", "ikat", "biji", "butir", "buah", "bungkus", "ekor",
    "sisir", "papan", "botol", "dus", "kaleng", "sachet", "potong", "lembar",
)  # fmt: skip

WORDS, PHRASES, MAP, REWRITE = "words", "phrases", "map", "rewrite"

# section -> kind; every section is optional in every file
SECTIONS: dict[str, str] = {
    "units": MAP, "dozen": WORDS, "note_markers": WORDS, "note_headers": WORDS,
    "cut_words": WORDS, "cut_join": WORDS, "each": WORDS, "each_doubled": WORDS,
    "joiners": WORDS, "lead_fillers": WORDS, "trail_fillers": WORDS, "in_names": WORDS,
    "chatter": PHRASES, "closing": PHRASES, "abbreviations": REWRITE, "budget_leads": PHRASES,
    "phone_words": WORDS, "address_starts": WORDS, "address_marks": WORDS,
    "remove_words": WORDS, "cancel_phrases": PHRASES, "replace_words": PHRASES,
    "becomes_words": WORDS, "number_words": WORDS, "range_words": WORDS, "all_words": WORDS,
    "the_words": WORDS, "yes_words": PHRASES, "no_words": PHRASES,
    "unavailable": PHRASES, "price_fillers": WORDS, "substitute_words": WORDS,
    "substitute_fillers": WORDS, "exact_cash": PHRASES, "titles": WORDS,
    "courier_words": PHRASES,
}  # fmt: skip


def add_sections(kinds: Mapping[str, str]) -> None:
    """Let another module's words live in data/vocabulary/ too (name -> words/phrases/...)."""
    for name, kind in kinds.items():
        if kind not in (WORDS, PHRASES, MAP, REWRITE):
            raise ValueError(f"unknown kind of section {kind!r}")
        SECTIONS.setdefault(name, kind)


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class WordFile:
    """What one file holds, section by section, after the bad entries were left out."""

    sets: dict[str, set[str]] = field(default_factory=dict)
    maps: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    rewrites: dict[str, dict[str, str]] = field(default_factory=dict)


def _word_problem(value: Any, kind: str) -> str | None:
    if not isinstance(value, str) or isinstance(value, bool):
        return f"{value!r} is not a word (quote words YAML reads otherwise: \"no\", \"on\")"
    text = value.strip()
    if not text:
        return "an empty word"
    if text != text.lower():
        return f"{value!r}: write words in lowercase"
    if text != " ".join(text.split()):
        return f"{value!r}: extra spaces"
    if kind == WORDS and " " in text:
        return f"{value!r}: one word only here (phrases go in a phrases section)"
    return None


def _words(raw: Any, line: int, kind: str, path: str, problems: list[Problem]) -> list[str]:
    if not isinstance(raw, list):
        problems.append(Problem(path, line, f"needs a list of {kind}: [a, b]"))
        return []
    lines = raw.item_lines if isinstance(raw, LineList) else [line] * len(raw)
    seen: dict[str, int] = {}
    kept = []
    for value, where in zip(raw, lines, strict=False):
        problem = _word_problem(value, kind)
        if problem:
            problems.append(Problem(path, where, problem))
            continue
        if value in seen:
            problems.append(Problem(path, where, f"{value!r} twice (first at line {seen[value]})"))
            continue
        seen[value] = where
        kept.append(value)
    return kept


def _shown(path: Path) -> str:
    """The path as a person runs the bot from the project folder: data/vocabulary/id.yaml."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def check_word_file(
    path: str | Path, sections: Mapping[str, str], text: str | None = None
) -> tuple[WordFile, list[Problem]]:
    """Read one word file against ``sections`` (name -> words/phrases/map/rewrite)."""
    path = Path(path)
    where = _shown(path)
    found = WordFile()
    try:
        source = path.read_text(encoding="utf-8") if text is None else text
    except OSError as exc:
        return found, [Problem(where, 1, f"cannot read: {exc.strerror or exc}")]
    data, yaml_problems = load_yaml(source)
    problems = [Problem(where, p.line, p.message) for p in yaml_problems]
    if data is None:
        return found, problems
    if not isinstance(data, LineDict):
        return found, [*problems, Problem(where, 1, "needs sections: `name: [words]`")]
    for name, raw in data.items():
        line = data.line_of(name)
        if name == "language":
            if not isinstance(raw, str) or not raw.isalpha():
                problems.append(Problem(where, line, "language: a code such as id or en"))
            continue
        kind = sections.get(name)
        if kind is None:
            known = ", ".join(sorted(sections))
            problems.append(Problem(where, line, f"unknown section {name!r} (known: {known})"))
            continue
        if kind in (WORDS, PHRASES):
            found.sets[name] = set(_words(raw, line, kind, where, problems))
        elif not isinstance(raw, LineDict):
            problems.append(Problem(where, line, f"{name}: needs `key: ...` entries"))
        elif kind == MAP:
            found.maps[name] = {
                str(key): _words(value, raw.line_of(key), WORDS, where, problems)
                for key, value in raw.items()
            }
        else:
            rewrites: dict[str, str] = {}
            for key, value in raw.items():
                problem = _word_problem(key, WORDS) or _word_problem(value, PHRASES)
                if problem:
                    problems.append(Problem(where, raw.line_of(key), problem))
                else:
                    rewrites[key] = value
            found.rewrites[name] = rewrites
    return found, problems


@dataclass(frozen=True)
class Vocabulary:
    """Every word of every file, merged; ``words(name)`` for a words/phrases section."""

    sets: dict[str, frozenset[str]]
    units: dict[str, str]  # spelling -> canonical unit
    abbreviations: dict[str, str]

    def words(self, name: str) -> frozenset[str]:
        return self.sets.get(name, frozenset())


def _check_meaning(path: str, data: WordFile, lines: dict[str, int]) -> list[Problem]:
    """Entries that are well-formed but cannot work: unknown units, a word in two roles."""
    problems = []
    units = data.maps.get("units", {})
    owner: dict[str, str] = {}
    for unit, spellings in units.items():
        line = lines.get("units", 1)
        if unit not in UNITS:
            problems.append(Problem(path, line, f"units: {unit!r} is not one of {' '.join(UNITS)}"))
            continue
        for spelling in spellings:
            if spelling in owner and owner[spelling] != unit:
                problems.append(Problem(path, line, f"units: {spelling!r} is both "
                                                    f"{owner[spelling]} and {unit}"))  # fmt: skip
            owner[spelling] = unit
    for short, meant in data.rewrites.get("abbreviations", {}).items():
        if short in owner or short in UNITS:
            problems.append(Problem(path, lines.get("abbreviations", 1),
                                    f"abbreviations: {short!r} is a unit"))  # fmt: skip
        if short in data.sets.get("lead_fillers", set()):
            problems.append(Problem(path, lines.get("abbreviations", 1),
                                    f"abbreviations: {short!r} is also a lead filler"))  # fmt: skip
        if short == meant:
            problems.append(Problem(path, lines.get("abbreviations", 1),
                                    f"abbreviations: {short!r} rewrites to itself"))  # fmt: skip
    return problems


def _section_lines(path: Path) -> dict[str, int]:
    try:
        data, _ = load_yaml(path.read_text(encoding="utf-8"))
    except OSError:
        return {}
    if not isinstance(data, LineDict):
        return {}
    return {key: data.line_of(key) for key in data}


def read_folder(folder: str | Path = FOLDER) -> tuple[Vocabulary, list[Problem]]:
    """Every *.yaml of ``folder`` merged, and the problems found (bad entries left out)."""
    folder = Path(folder)
    problems: list[Problem] = []
    sets: dict[str, set[str]] = {}
    units: dict[str, str] = {u: u for u in UNITS}
    abbreviations: dict[str, str] = {}
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        problems.append(Problem(_shown(folder), 1, "no vocabulary files (*.yaml) here"))
    for path in files:
        data, found = check_word_file(path, SECTIONS)
        problems += found + _check_meaning(_shown(path), data, _section_lines(path))
        for name, words in data.sets.items():
            sets.setdefault(name, set()).update(words)
        for unit, spellings in data.maps.get("units", {}).items():
            if unit in UNITS:
                for spelling in spellings:
                    units.setdefault(spelling, unit)
        abbreviations.update(data.rewrites.get("abbreviations", {}))
    frozen = {name: frozenset(words) for name, words in sets.items()}
    return Vocabulary(frozen, units, abbreviations), problems


def check_folder(folder: str | Path = FOLDER) -> list[Problem]:
    """``file:line: message`` for every bad entry of the vocabulary files."""
    return read_folder(folder)[1]


def phrases_in(words: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """Phrases as word tuples, longest first (for matching runs of tokens)."""
    return tuple(sorted((tuple(w.split()) for w in words), key=len, reverse=True))


VOCABULARY, PROBLEMS = read_folder()
_W = VOCABULARY.words

NOTE_MARKERS = _W("note_markers")
NOTE_HEADERS = _W("note_headers")
CUT_WORDS = _W("cut_words")
CUT_JOIN = _W("cut_join")
EACH = _W("each")
EACH_DOUBLED = _W("each_doubled")
JOINERS = _W("joiners")
LEAD_FILLERS = _W("lead_fillers")
TRAIL_FILLERS = _W("trail_fillers")
IN_NAMES = _W("in_names")  # "ikan mas" is a fish, "makasih mas" is thanks
CHATTER = _W("chatter")
CLOSING = _W("closing")
DOZEN = _W("dozen")
BUDGET_LEADS = phrases_in(_W("budget_leads"))
ABBREVIATIONS = VOCABULARY.abbreviations
UNIT_SPELLINGS = VOCABULARY.units
