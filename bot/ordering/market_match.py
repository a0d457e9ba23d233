"""Which market a resident means: "3", "kranji", "psr baru", "pd gede", "jatiasi".

The menu lists the open markets in file order, so a number is the N-th open market. Names
match whole, without "Pasar", by abbreviation, by their first words or a contiguous part
("baru bekasi"), and with small typos (rapidfuzz). A market that is not open yet gives
`Unavailable`; a name that fits several markets gives `Ambiguous` so the engine can ask.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from bot.ordering.markets import Market, Markets

NOT_OPEN = "order.market_not_open"

_ABBREVIATIONS = {
    "psr": "pasar", "ps": "pasar", "pd": "pondok", "pdk": "pondok", "pndk": "pondok",
    "hrpn": "harapan", "hrp": "harapan", "tlk": "teluk", "bks": "bekasi", "bksi": "bekasi",
    "bj": "bekasi junction", "jt": "jati", "krnji": "kranji", "rwl": "rawalumbu",
}  # fmt: skip
# Names residents also write as two words.
_SPLITS = {
    "pondokgede": "pondok gede", "rawalumbu": "rawa lumbu", "bantargebang": "bantar gebang",
    "jatiasih": "jati asih", "telukbuyung": "teluk buyung",
}  # fmt: skip
_FILLERS = frozenset(
    {
        "saya", "aku", "sy", "mau", "ke", "di", "dari", "yang", "yg", "pilih", "ya", "aja",
        "saja", "dong", "deh", "bu", "pak", "kak", "mas", "belanja", "pesan", "order", "beli",
        "itu", "dekat", "deket", "rumah",
    }
)  # fmt: skip
_MAX_CANDIDATES = 4  # more than this is too vague to ask about: show the menu again
_FUZZY_CUTOFF = 80


@dataclass(frozen=True)
class _Index:
    exact: dict[str, Market]  # compact alias (no spaces) -> market
    phrases: tuple[tuple[Market, tuple[str, ...]], ...]  # word sequences naming a market
    fuzzy: tuple[str, ...]  # compact names for typo matching
    fuzzy_markets: tuple[Market, ...]  # the market of each of those


def _variants(name: str) -> set[str]:
    base = normalize(name)
    split = " ".join(_SPLITS.get(w, w) for w in base.split())
    return {base, split}


def _build(markets: Markets) -> _Index:
    exact: dict[str, Market] = {}
    phrases = []
    fuzzy: dict[str, Market] = {}
    for market in markets.markets:
        names = _variants(market.name) | _variants(market.short_name) | _variants(market.id)
        for name in names:
            exact.setdefault(name.replace(" ", ""), market)
            phrases.append((market, tuple(name.split())))
        exact.setdefault(market.code.lower(), market)
        for name in (market.name, market.short_name):
            fuzzy.setdefault(normalize(name).replace(" ", ""), market)
    return _Index(exact, tuple(phrases), tuple(fuzzy), tuple(fuzzy.values()))


_CACHE: dict[int, tuple[Markets, _Index]] = {}


def _index(markets: Markets) -> _Index:
    hit = _CACHE.get(id(markets))
    if hit is None or hit[0] is not markets:
        if len(_CACHE) > 8:
            _CACHE.clear()
        hit = _CACHE[id(markets)] = (markets, _build(markets))
    return hit[1]


def _fit(typed: str, word: str) -> int:
    """2: the same word; 1: its beginning ("kran") or a small typo ("jatiasi"); 0: no."""
    if typed == word:
        return 2
    if len(typed) >= 3 and word.startswith(typed):
        return 1
    if len(typed) >= 5 and fuzz.ratio(typed, word) >= _FUZZY_CUTOFF:
        return 1
    return 0


def _phrase_fit(words: list[str], phrase: tuple[str, ...]) -> int:
    """How well ``words`` fit a contiguous run of ``phrase`` (0 when they do not)."""
    best = 0
    for start in range(len(phrase) - len(words) + 1):
        fits = [_fit(w, phrase[start + k]) for k, w in enumerate(words)]
        best = max(best, min(fits))
    return best


def _result(found: list[Market], markets: Markets) -> ChoiceMatch:
    chosen = [m for m in markets.markets if m in found]  # file order, no repeats
    if not chosen or len(chosen) > _MAX_CANDIDATES:
        return NoMatch()
    if len(chosen) > 1:
        return Ambiguous(tuple(m.option() for m in chosen))
    market = chosen[0]
    if market.is_open:
        return Matched(market.id)
    return Unavailable(NOT_OPEN, {"market": market.name})


def _by_phrase(words: list[str], index: _Index) -> list[Market]:
    scores: dict[str, tuple[int, Market]] = {}
    for market, phrase in index.phrases:
        score = _phrase_fit(words, phrase)
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


def match_market(text: str, markets: Markets) -> ChoiceMatch:
    """The market ``text`` names, among the open ones shown as a numbered menu."""
    if not text or not text.strip():
        return NoMatch()
    by_number = match_number(text, [m.option() for m in markets.open])
    if by_number is not None:
        return Matched(by_number.id)
    index = _index(markets)
    words = [e for w in normalize(text).split() for e in _ABBREVIATIONS.get(w, w).split()]
    words = [w for w in words if w not in _FILLERS]
    if not words:
        return NoMatch()
    core = [w for w in words if w != "pasar"]
    for attempt in (words, core):
        market = index.exact.get("".join(attempt))
        if market is not None:
            return _result([market], markets)
    if not core:
        return NoMatch()  # only "pasar": which one?
    found = _by_phrase(words, index) or _by_phrase(core, index)
    if found:
        return _result(found, markets)
    return _result(_by_typo("".join(words), index) or _by_typo("".join(core), index), markets)
