"""The kecamatan and kelurahan of Kota Bekasi (data/wilayah.yaml), and finding them in text.

`load_wilayah` reads and checks the file (every problem with its line); `Wilayah.find`
names the places a written address mentions: a kelurahan by its official name or a spelling
people use ("Jaka Setia", "jaksetia"), a kecamatan, or a place outside Kota Bekasi.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.engine.matching import normalize
from bot.engine.yaml_lines import LineDict, LineList, load_yaml

DEFAULT_PATH = Path(__file__).resolve().parents[3] / "data" / "wilayah.yaml"
_KECAMATAN_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
_KELURAHAN_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
FUZZY_CUTOFF = 90  # "jaksetia" -> Jakasetia (94); never "jatimulya" -> Jakamulya (89)
MIN_FUZZY = 7  # letters: shorter spellings must be exact
MAX_WORDS = 3  # a place name is at most three words ("kali abang tengah")


@dataclass(frozen=True)
class Kecamatan:
    code: str
    name: str
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kelurahan:
    code: str
    name: str
    kecamatan: Kecamatan
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Place:
    """A place named in a text: where it starts and ends (in words) and how sure we are."""

    kind: str  # kelurahan | kecamatan | kawasan | outside
    name: str
    start: int
    end: int
    exact: bool
    kelurahan: Kelurahan | None = None
    kecamatan: Kecamatan | None = None


@dataclass(frozen=True)
class WilayahProblem:
    line: int
    message: str


class WilayahError(ValueError):
    def __init__(self, path: str | Path, problems: list[WilayahProblem]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{path}:{p.line}: {p.message}" for p in problems))


def compact(text: str) -> str:
    return normalize(text).replace(" ", "")


@dataclass(frozen=True)
class Wilayah:
    kota: str
    kecamatan: tuple[Kecamatan, ...]
    kelurahan: tuple[Kelurahan, ...]
    outside: tuple[str, ...] = ()
    kawasan: tuple[str, ...] = ()
    # compact spelling -> (kind, name, kelurahan or None, kecamatan or None)
    _index: dict[str, tuple[str, str, Kelurahan | None, Kecamatan | None]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _names: list[str] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = self._index
        for place in self.outside:
            index.setdefault(compact(place), ("outside", place, None, None))
        for place in self.kawasan:
            index.setdefault(compact(place), ("kawasan", place, None, None))
        for kec in self.kecamatan:
            for spelling in (kec.name, *kec.also):
                index[compact(spelling)] = ("kecamatan", kec.name, None, kec)
        for kel in self.kelurahan:  # a kelurahan wins over its kecamatan of the same name
            for spelling in (kel.name, *kel.also):
                index[compact(spelling)] = ("kelurahan", kel.name, kel, kel.kecamatan)
        self._names.extend(k for k, v in index.items() if v[0] in ("kelurahan", "kecamatan"))

    def kelurahan_named(self, name: str) -> Kelurahan | None:
        return next((k for k in self.kelurahan if k.name == name), None)

    def find(self, words: list[str]) -> list[Place]:
        """Every place named in ``words`` (normalized words): exact spellings first, longest
        at each position; then typos of long names (not exact) among the words left."""
        places = self._scan(words, set(), exact=True)
        if not any(p.kind == "kelurahan" for p in places):
            taken = {k for p in places for k in range(p.start, p.end)}
            places += self._scan(words, taken, exact=False)
        return sorted(places, key=lambda p: p.start)

    def _scan(self, words: list[str], taken: set[int], *, exact: bool) -> list[Place]:
        places: list[Place] = []
        i = 0
        while i < len(words):
            hit = None
            for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
                span = range(i, i + n)
                if taken.intersection(span):
                    continue
                key = "".join(words[i : i + n])
                if exact:
                    found = key if key in self._index else None
                elif all(len(w) >= 3 for w in words[i : i + n]):
                    found = self._fuzzy(key)
                else:
                    found = None
                if found is not None:
                    hit = (n, self._index[found])
                    break
            if hit is None:
                i += 1
                continue
            n, (kind, name, kel, kec) = hit
            places.append(Place(kind, name, i, i + n, exact, kel, kec))
            i += n
        return places

    def _fuzzy(self, key: str) -> str | None:
        if len(key) < MIN_FUZZY or not key.isalpha():
            return None
        found = process.extract(key, self._names, scorer=fuzz.ratio, limit=2,
                                score_cutoff=FUZZY_CUTOFF - 3)
        if not found or found[0][1] < FUZZY_CUTOFF:
            return None
        if len(found) > 1 and found[0][1] - found[1][1] < 3:
            return None  # two places as close: not sure
        return found[0][0]



class _Reader:
    def __init__(self) -> None:
        self.problems: list[WilayahProblem] = []
        self.seen: dict[str, tuple[str, int]] = {}  # compact spelling -> (place, line)

    def problem(self, line: int, message: str) -> None:
        self.problems.append(WilayahProblem(line, message))

    def spellings(self, entry: LineDict, name: str, own: set[str]) -> tuple[str, ...]:
        also = entry.get("also") or LineList()
        if not isinstance(also, list) or not all(isinstance(a, str) and a.strip() for a in also):
            self.problem(entry.line_of("also"), f"{name}: 'also' must be a list of spellings")
            return ()
        line = entry.line_of("also") if "also" in entry else entry.line_of("name")
        for spelling in (name, *also):
            key = compact(spelling)
            other = self.seen.get(key)
            if other is not None and other[0] not in own:
                self.problem(line, f"spelling {spelling!r} of {name} is already used for "
                             f"{other[0]} (line {other[1]})")
            self.seen.setdefault(key, (name, line))
        return tuple(str(a) for a in also)

    def entry(self, entry: object, line: int, code: re.Pattern[str], what: str) -> LineDict | None:
        if not isinstance(entry, LineDict) or not entry.get("name") or not entry.get("code"):
            self.problem(line, f"each {what} needs a code and a name")
            return None
        if not code.match(str(entry["code"])):
            self.problem(entry.line_of("code"), f"{what} {entry['name']}: code "
                         f"{entry['code']!r} does not look like a kode wilayah")
        unknown = set(entry) - {"code", "name", "also", "kelurahan"}
        for key in sorted(unknown):
            self.problem(entry.line_of(key), f"{what} {entry['name']}: unknown key {key!r}")
        return entry


def parse_wilayah(text: str, path: str | Path = "wilayah.yaml") -> Wilayah:
    """Read the text of a wilayah file; raises WilayahError with every problem found."""
    raw, yaml_problems = load_yaml(text)
    reader = _Reader()
    for p in yaml_problems:
        reader.problem(p.line, p.message)
    if not isinstance(raw, LineDict):
        reader.problem(1, "expected kota, kecamatan and outside")
        raise WilayahError(path, reader.problems)
    kota = raw.get("kota") or {}
    kota_code = str(kota.get("code", "")) if isinstance(kota, dict) else ""
    kecamatan: list[Kecamatan] = []
    kelurahan: list[Kelurahan] = []
    entries = raw.get("kecamatan") or LineList()
    lines = getattr(entries, "item_lines", [raw.line_of("kecamatan")] * len(entries))
    for entry, line in zip(entries, lines, strict=False):
        kec_entry = reader.entry(entry, line, _KECAMATAN_CODE, "kecamatan")
        if kec_entry is None:
            continue
        name, code = str(kec_entry["name"]), str(kec_entry["code"])
        if kota_code and not code.startswith(kota_code + "."):
            reader.problem(kec_entry.line_of("code"), f"kecamatan {name}: code {code} is not "
                           f"under {kota_code}")
        kec = Kecamatan(code, name, reader.spellings(kec_entry, name, {name}))
        kecamatan.append(kec)
        children = kec_entry.get("kelurahan") or LineList()
        child_lines = getattr(children, "item_lines", [line] * len(children))
        for child, child_line in zip(children, child_lines, strict=False):
            kel_entry = reader.entry(child, child_line, _KELURAHAN_CODE, "kelurahan")
            if kel_entry is None:
                continue
            kel_name, kel_code = str(kel_entry["name"]), str(kel_entry["code"])
            if not kel_code.startswith(code + "."):
                reader.problem(kel_entry.line_of("code"), f"kelurahan {kel_name}: code "
                               f"{kel_code} is not under its kecamatan {code}")
            also = reader.spellings(kel_entry, kel_name, {kel_name, name})
            kelurahan.append(Kelurahan(kel_code, kel_name, kec, also))
    codes = [k.code for k in (*kecamatan, *kelurahan)]
    for duplicate in sorted({c for c in codes if codes.count(c) > 1}):
        reader.problem(raw.line_of("kecamatan"), f"code {duplicate} is used twice")
    lists = {}
    for key in ("outside", "kawasan"):
        names = raw.get(key) or []
        if not isinstance(names, list) or not all(isinstance(o, str) and o for o in names):
            reader.problem(raw.line_of(key), f"'{key}' must be a list of place names")
            names = []
        lists[key] = tuple(str(o) for o in names)
    for key in sorted(set(raw) - {"kota", "kecamatan", "outside", "kawasan"}):
        reader.problem(raw.line_of(key), f"unknown key {key!r} (known: kota, kecamatan, "
                       "kawasan, outside)")
    if not kelurahan:
        reader.problem(raw.line_of("kecamatan"), "no kelurahan")
    if reader.problems:
        raise WilayahError(path, reader.problems)
    return Wilayah(str(kota.get("name", "")), tuple(kecamatan), tuple(kelurahan),
                   lists["outside"], lists["kawasan"])


def load_wilayah(path: str | Path = DEFAULT_PATH) -> Wilayah:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WilayahError(path, [WilayahProblem(1, f"cannot read: {exc}")]) from None
    return parse_wilayah(text, path)


@lru_cache(maxsize=4)
def default_wilayah(path: str = str(DEFAULT_PATH)) -> Wilayah:
    """The shipped data/wilayah.yaml, read once (for code that has no loaded copy)."""
    return load_wilayah(path)
