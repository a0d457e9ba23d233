"""Which market a resident means: "3", "kranji", "psr baru", "yg di wisma asri aja kak".

The menu lists the open markets in file order, so a number is the N-th open market. Names
match whole, without "Pasar", by abbreviation, by their first words or a contiguous part
("baru bekasi"), by a local name (`aliases:` in data/markets.yaml: "Pasar Proyek"), and
with small typos (rapidfuzz). Words around a name are dropped ("sy mau yg di ... aja kak,
yg deket"); a message naming two markets ("wisma asri atau harapan jaya") asks between
exactly those two. A market that is not open yet gives `Unavailable`; a name that fits
several markets gives `Ambiguous` so the engine can ask, and so does a short name that
fits an open market and a coming one ("pondok gede": Pasar Pondokgede or Pertokoan
Pondokgede?).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.engine.matching import (
    Ambiguous,
    ChoiceMatch,
    Matched,
    NoMatch,
    Unavailable,
    match_number,
    normalize,
)
from bot.ordering.domain.markets import Market, Markets
from bot.ordering.understanding.vocabulary import (
    PHRASES,
    REWRITE,
    WORDS,
    Problem,
    WordFile,
    check_word_file,
)

NOT_OPEN = "order.market_not_open"
UNSTAFFED = "order.market_unstaffed"  # open, but no coordinator to take the orders yet

WORDS_FILE = Path(__file__).resolve().parents[3] / "data" / "market_words.yaml"
SECTIONS = {"fillers": WORDS, "number_words": WORDS, "separators": WORDS, "region": PHRASES,
            "abbreviations": REWRITE, "two_words": REWRITE}


def read_market_words(path: str | Path = WORDS_FILE) -> tuple[WordFile, list[Problem]]:
    """data/market_words.yaml, checked (every bad entry as file:line, and left out)."""
    return check_word_file(path, SECTIONS)


_WORDS, PROBLEMS = read_market_words()
_ABBREVIATIONS = _WORDS.rewrites.get("abbreviations", {})
_SPLITS = _WORDS.rewrites.get("two_words", {})  # names residents also write as two words
_FILLERS = frozenset(_WORDS.sets.get("fillers", ()))  # words around a name
_NUMBER_WORDS = frozenset(_WORDS.sets.get("number_words", ()))


def _alternation(phrases: Iterable[str]) -> str:
    ordered = sorted(phrases, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in ordered) or "(?!)"


# Where one market's name ends and another's starts: "wisma asri atau harapan jaya".
_SEPARATORS = re.compile(rf"[,/;|&+]|\b(?:{_alternation(_WORDS.sets.get('separators', ()))})\b",
                         re.I)
# Words that place a market in the city, not name it: "Pasar Wisma Asri, Bekasi Utara".
_REGION = re.compile(rf"\b(?:{_alternation(_WORDS.sets.get('region', ()))})\b", re.I)
_MAX_CANDIDATES = 4  # more than this is too vague to ask about: show the menu again
_FUZZY_CUTOFF = 80


@dataclass(frozen=True)
class _Index:
    strong: dict[str, Market]  # compact full name, alias or code -> market
    weak: dict[str, Market]  # compact short name or id (may also fit a coming market)
    # word sequences naming a market, and the set of their words
    phrases: tuple[tuple[Market, tuple[str, ...], frozenset[str]], ...]
    vocabulary: frozenset[str]  # every word of every name
    fuzzy: tuple[str, ...]  # compact names for typo matching
    fuzzy_markets: tuple[Market, ...]  # the market of each of those
    known: dict[str, bool] = field(default_factory=dict)  # word -> may be part of a name


def _words(name: str) -> list[str]:
    return [e for w in normalize(name).split() for e in _ABBREVIATIONS.get(w, w).split()]


def _variants(name: str) -> set[str]:
    base = " ".join(_words(name))
    split = " ".join(_SPLITS.get(w, w) for w in base.split())
    return {base, split}


def _build(markets: Markets) -> _Index:
    strong: dict[str, Market] = {}
    weak: dict[str, Market] = {}
    phrases = []
    fuzzy: dict[str, Market] = {}
    for market in markets.markets:
        full = {market.name, *market.aliases}
        for name in full:
            for variant in _variants(name):
                strong.setdefault(variant.replace(" ", ""), market)
                phrases.append((market, tuple(variant.split()), frozenset(variant.split())))
            fuzzy.setdefault(normalize(name).replace(" ", ""), market)
        strong.setdefault(market.code.lower(), market)
        for name in (market.short_name, market.id):
            for variant in _variants(name):
                weak.setdefault(variant.replace(" ", ""), market)
                phrases.append((market, tuple(variant.split()), frozenset(variant.split())))
        fuzzy.setdefault(normalize(market.short_name).replace(" ", ""), market)
    vocabulary = frozenset(w for _, phrase, _ in phrases for w in phrase)
    return _Index(strong, weak, tuple(phrases), vocabulary, tuple(fuzzy), tuple(fuzzy.values()))


_CACHE: dict[int, tuple[Markets, _Index]] = {}


def _index(markets: Markets) -> _Index:
    hit = _CACHE.get(id(markets))
    if hit is None or hit[0] is not markets:
        if len(_CACHE) > 8:
            _CACHE.clear()
        hit = _CACHE[id(markets)] = (markets, _build(markets))
    return hit[1]


@lru_cache(maxsize=8192)
def _fit(typed: str, word: str) -> int:
    """2: the same word; 1: its beginning ("kran") or a small typo ("jatiasi"); 0: no."""
    if typed == word:
        return 2
    if len(typed) >= 3 and word.startswith(typed):
        return 1
    if len(typed) >= 5 and fuzz.ratio(typed, word) >= _FUZZY_CUTOFF:
        return 1
    return 0


def _phrase_fit(fits: list[dict[str, int]], phrase: tuple[str, ...]) -> int:
    """How well the typed words (each as its fits: name word -> 1 or 2) fit a contiguous run
    of ``phrase`` (0 when they do not)."""
    best = 0
    for start in range(len(phrase) - len(fits) + 1):
        score = min(fit.get(phrase[start + k], 0) for k, fit in enumerate(fits))
        best = max(best, score)
    return best


def _by_phrase(words: list[str], index: _Index) -> list[Market]:
    fits = [{v: f for v in index.vocabulary if (f := _fit(w, v))} for w in words]
    if not all(fits):
        return []
    scores: dict[str, tuple[int, Market]] = {}
    first = fits[0].keys()
    for market, phrase, words_in in index.phrases:
        if len(phrase) < len(fits) or first.isdisjoint(words_in):
            continue
        score = _phrase_fit(fits, phrase)
        if score > scores.get(market.id, (0, market))[0]:
            scores[market.id] = (score, market)
    if not scores:
        return []
    top = max(score for score, _ in scores.values())
    return [market for score, market in scores.values() if score == top]


def _by_typo(compact: str, index: _Index) -> list[Market]:
    if len(compact) < 4:
        return []
    found = process.extract(
        compact, index.fuzzy, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, limit=None
    )
    best: dict[str, tuple[float, Market]] = {}
    for _, score, position in found:
        market = index.fuzzy_markets[position]
        if score > best.get(market.id, (0.0, market))[0]:
            best[market.id] = (score, market)
    if not best:
        return []
    top = max(score for score, _ in best.values())
    return [market for score, market in best.values() if top - score < 5]


def _known(word: str, index: _Index) -> bool:
    """Could this word be part of a market's name (itself, its start, a typo of it)?"""
    hit = index.known.get(word)
    if hit is None:
        hit = any(_fit(word, v) for v in index.vocabulary)
        if len(index.known) < 10_000:  # typed words: bounded
            index.known[word] = hit
    return hit


def _name_words(text: str, index: _Index) -> list[str]:
    """The words of ``text`` that may name a market: fillers dropped, and words no market
    name has around the ones that do ("bekasi junction beli hp" -> bekasi junction)."""
    words = [e for w in _words(text) if w not in _FILLERS for e in _SPLITS.get(w, w).split()]
    known = [_known(w, index) for w in words]
    if not any(known):
        return words if len(words) == 1 else []  # one unknown word may still be a typo
    first = known.index(True)
    last = len(known) - 1 - known[::-1].index(True)
    core = words[first : last + 1]
    if len(core) == 1 and len(words) > 1 and core[0] not in index.vocabulary - _GENERIC:
        return []  # "lama banget": a lone generic word among others names nothing
    return core


_GENERIC = frozenset({"pasar", "baru", "lama", "jaya", "bekasi", "pondok", "gede", "teluk",
                      "harapan", "asri", "pertokoan"})


def _candidates(words: list[str], index: _Index) -> list[Market]:
    """The markets these words name (several when they fit several equally)."""
    core = [w for w in words if w != "pasar"]
    for attempt in (words, core):
        market = index.strong.get("".join(attempt))
        if market is not None:
            return [market]
    if not core:
        return []  # only "pasar": which one?
    found = _by_phrase(words, index) or _by_phrase(core, index)
    weak = index.weak.get("".join(core))
    if found:
        if weak is not None and weak in found and all(m.is_open for m in found):
            return [weak]  # its own short name ("pasar baru"), no coming market alike
        return found
    if weak is not None:
        return [weak]
    return _by_typo("".join(words), index) or _by_typo("".join(core), index)


def _result(found: list[Market], markets: Markets) -> ChoiceMatch:
    chosen = [m for m in markets.markets if m in found]  # file order, no repeats
    if not chosen or len(chosen) > _MAX_CANDIDATES:
        return NoMatch()
    if len(chosen) > 1:
        return Ambiguous(tuple(m.option() for m in chosen))
    market = chosen[0]
    if market.is_open:
        return Matched(market.id)
    return Unavailable(UNSTAFFED if market.unstaffed else NOT_OPEN, {"market": market.name})


def _by_number(text: str, markets: Markets) -> ChoiceMatch | None:
    options = [m.option() for m in markets.open]
    by_number = match_number(text, options)
    if by_number is None:
        words = [w for w in normalize(text).split()
                 if w not in _FILLERS or w in _NUMBER_WORDS]  # "yg nomer 3"
        if (len(words) > 1 and words[-1].isdecimal()
                and all(w in _NUMBER_WORDS for w in words[:-1])):
            by_number = match_number(words[-1], options)
    return Matched(by_number.id) if by_number is not None else None


def match_market(text: str, markets: Markets) -> ChoiceMatch:
    """The market ``text`` names, among the open ones shown as a numbered menu."""
    if not text or not text.strip():
        return NoMatch()
    by_number = _by_number(text, markets)
    if by_number is not None:
        return by_number
    index = _index(markets)
    parts = [p for p in _SEPARATORS.split(_REGION.sub(" , ", text)) if p and p.strip()]
    if len(parts) > 1:  # "wisma asri atau harapan jaya": each part on its own
        named: list[Market] = []
        for part in parts:
            words = _name_words(part, index)
            found = _candidates(words, index) if words else []
            if len(found) > 1:  # beside another name, "pondok gede" is the open market
                found = [m for m in found if m.is_open] or found
            named.extend(m for m in found if m not in named)
        if named:
            return _result(named, markets)
    whole = _name_words(text, index)
    found = _candidates(whole, index) if whole else []
    if len(found) != 1:  # "kranji lma": the word dropped as unknown was a typo of a name
        typed = [w for w in _words(text) if w not in _FILLERS]
        if 1 < len(typed) <= 4 and typed != whole:
            by_typo = _by_typo("".join(typed), index)
            if len(by_typo) == 1 and (not found or by_typo[0] in found):
                found = by_typo
    return _result(found, markets)
