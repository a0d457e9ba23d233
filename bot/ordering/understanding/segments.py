"""One comma-separated part of a shopping-list line, read into segments: "ayam 1 ekor potong 12".

A segment is an item's name, amount and note as written; a part usually holds one, more when
a list lost its commas ("tomat 1 kg wortel 1 kg") or joins items with "dan". Words after a
note marker, cutting instructions ("potong 12") and (parenthesised text) become the note.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.ordering.understanding.amounts import read_amount, read_quantity, word_number
from bot.ordering.understanding.tokens import Tok, tokenize, word
from bot.ordering.understanding.units import PACKS, SIZE_UNITS, unit_of
from bot.ordering.understanding.vocabulary import (
    CHATTER,
    CLOSING,
    CUT_JOIN,
    CUT_WORDS,
    EACH,
    EACH_DOUBLED,
    IN_NAMES,
    JOINERS,
    LEAD_FILLERS,
    NOTE_MARKERS,
    TRAIL_FILLERS,
    phrases_in,
)

_FILLERS = LEAD_FILLERS | TRAIL_FILLERS
OPENERS = _FILLERS - IN_NAMES | {"mas"}  # words before an item: "mbak nitip ...", "mas, ..."


def by_first_word(phrases: frozenset[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Phrases as word tuples grouped by their first word, longest first."""
    grouped: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases_in(phrases):
        grouped.setdefault(phrase[0], []).append(phrase)
    return {first: tuple(group) for first, group in grouped.items()}


_CLOSING = by_first_word(CLOSING)
_CHATTER = by_first_word(CHATTER)


def _phrase_at(words: list[str], i: int, phrases: dict[str, tuple[tuple[str, ...], ...]]) -> int:
    for phrase in phrases.get(words[i], ()):
        if tuple(words[i : i + len(phrase)]) == phrase:
            return len(phrase)
    return 0


def talk(toks: list[Tok]) -> tuple[bool, bool]:
    """(the tokens order nothing, they close the list): "makasih ya bu", "udah itu aja"."""
    if toks and (toks[0].is_num or (toks[0].text not in _FILLERS and toks[0].text not in
                                    _CLOSING and toks[0].text not in _CHATTER)):
        return False, False  # the usual part: it starts with a name
    words = [t.text for t in toks]
    i, closes = 0, False
    while i < len(words):
        if toks[i].is_num:
            return False, False
        n = _phrase_at(words, i, _CLOSING)
        if n:
            closes, i = True, i + n
            continue
        n = _phrase_at(words, i, _CHATTER) or (1 if words[i] in _FILLERS else 0)
        if not n:
            return False, False
        i += n
    return True, closes


def each_at(toks: list[Tok], i: int) -> int:
    """How many tokens a "masing-masing" at ``i`` takes ("masing masing", "@"), or 0."""
    w = word(toks, i)
    if w in EACH:
        return 1
    if w in EACH_DOUBLED and word(toks, i + 1) in {"2", w}:
        return 2
    return 0


def _read_cut(toks: list[Tok], i: int) -> int | None:
    """ "potong 12", "dibelah jadi 2": a cutting instruction, not a quantity."""
    if word(toks, i) not in CUT_WORDS:
        return None
    j = i + 1
    if word(toks, j) in CUT_JOIN:
        j += 1
    if j < len(toks) and toks[j].is_num:
        j += 1
    else:
        found = word_number(toks, j)
        if found is None:
            return None
        j = found[1]
    after = unit_of(word(toks, j))
    if after is not None and after != "potong":
        return None  # "ayam potong 1 ekor": a broiler chicken
    return j + 1 if after == "potong" or word(toks, j) == "bagian" else j


@dataclass
class Segment:
    """An item as read from one part, before it is added to the list."""

    name: str = ""
    quantity: Decimal | None = None
    unit: str | None = None
    budget: int | None = None
    note: str = ""
    each: bool = False  # "masing-masing": the amount is for every item before it
    in_note: bool = False

    @property
    def has_amount(self) -> bool:
        return self.quantity is not None or self.budget is not None


def _span(text: str, toks: list[Tok], indexes: list[int]) -> str:
    """The raw text of the given tokens, runs of neighbouring tokens kept with their punctuation."""
    pieces: list[str] = []
    run: list[int] = []
    for index in [*indexes, -2]:
        if run and index != run[-1] + 1:
            pieces.append(text[toks[run[0]].start : toks[run[-1]].end])
            run = []
        run.append(index)
    return " ".join(" ".join(p.split()) for p in pieces)


def _trim(toks: list[Tok], indexes: list[int], keep: frozenset[str] = frozenset()) -> list[int]:
    fillers = TRAIL_FILLERS - keep
    end = len(indexes)
    while end and toks[indexes[end - 1]].text in fillers:
        end -= 1
    return indexes[:end]


class _Part:
    """The tokens of one comma-separated part, with look-ahead caches for "dan"."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self._amounts: dict[int, bool] = {}

    def piece_has_amount(self, i: int) -> bool:
        """Whether the tokens from ``i`` up to the next "dan" hold an amount."""
        if i not in self._amounts:
            j, found = i, False
            while j < len(self.toks) and self.toks[j].text not in JOINERS and not found:
                found = read_amount(self.toks, j, first=(j == i)) is not None
                j += 1
            self._amounts[i] = found
        return self._amounts[i]


def _joins_note(part: _Part, seg: Segment, i: int) -> bool | None:
    """At a "dan": True if what follows continues the note, False if it is a new item,
    None if nothing follows."""
    toks = part.toks
    r = i + 1
    while r < len(toks) and toks[r].text in LEAD_FILLERS - JOINERS:
        r += 1
    if r >= len(toks) or toks[r].text in JOINERS:
        return None
    if toks[r].text in NOTE_MARKERS or _read_cut(toks, r) is not None:
        return True
    return seg.in_note and not part.piece_has_amount(r)


def _parse_from(part: _Part, start: int) -> tuple[Segment | None, int]:
    """One item starting at token ``start``; returns it and where the next one starts.

    The next one starts early when a list lost its commas ("tomat 1 kg wortel 1 kg") or
    at a "dan" between items.
    """
    text, toks = part.text, part.toks
    while start < len(toks) and toks[start].text in OPENERS:
        start += 1
    seg = Segment()
    before: list[int] = []
    after: list[int] = []
    note: list[int] = []
    size = ""
    loose: int | None = None  # where plain words after the amount began (maybe a new item)
    stop = len(toks)
    found = False
    i = start
    while i < len(toks):
        if toks[i].text in JOINERS:
            joins = _joins_note(part, seg, i)
            if joins:
                note.append(i)
                seg.in_note, loose = True, None
            elif joins is False and (before or after or found or note):
                stop = i
                break
            i += 1
            continue
        cut = _read_cut(toks, i)
        if cut is not None and (before or found or i == start):
            note.extend(range(i, cut))
            seg.in_note, loose, i = True, None, cut
            continue
        each = each_at(toks, i)  # "masing-masing", "sama2", "tiap-tiap", "@"
        if each:
            seg.each = True
            i += each
            continue
        amount = read_amount(toks, i, first=(i == start))
        if amount is not None:
            measured = amount.budget is None and amount.unit is not None
            if found and (
                (loose is not None and (measured or amount.budget is not None))
                or (after and measured and not seg.in_note)
            ):
                stop = loose if loose is not None else i  # "tomat 1 kg wortel 1 kg"
                break
            if amount.budget is not None and seg.budget is None:
                seg.budget = amount.budget
            elif amount.quantity is not None and seg.quantity is None:
                nxt = read_quantity(toks, amount.end, False) if amount.end < len(toks) else None
                packed = (
                    nxt is not None
                    and nxt.unit in PACKS
                    and not text[toks[amount.end - 1].end : toks[amount.end].start].strip()
                )
                if before and amount.unit in SIZE_UNITS and packed:
                    size = text[toks[i].start : toks[amount.end - 1].end]  # "aqua 600ml 1 dus"
                    amount = nxt
                seg.quantity, seg.unit = amount.quantity, amount.unit
            else:
                note.extend(range(i, amount.end))
            found = True
            i = amount.end
            continue
        w = toks[i].text
        # "beras 1 karung": right after a bare number, a unit we do not know
        unknown_unit = before and toks[i - 1].is_num and seg.quantity is not None and not seg.unit
        marker = w in NOTE_MARKERS and (before or after or found or i == start)
        if marker or (unknown_unit and not seg.in_note):
            seg.in_note, loose = True, None
            note.append(i)
        elif seg.in_note:
            note.append(i)
        elif not found or not before:
            (after if found else before).append(i)
        else:
            seg.in_note, loose = True, i
            note.append(i)
        i += 1
    note = [k for k in note if k < stop]
    name_idx = _trim(toks, before or after, keep=IN_NAMES)
    seg.name = " ".join([toks[k].text for k in name_idx] + [size]).strip()
    seg.note = _span(text, toks, _trim(toks, note)) if note else ""
    if not seg.name and not seg.note and not seg.has_amount:
        return None, stop
    return seg, stop


def parse_part(raw: str) -> list[Segment]:
    """The items of one comma-separated part of a line (usually one)."""
    return read_part(raw)[0]


def read_part(raw: str) -> tuple[list[Segment], bool]:
    """The items of one part, and whether the part closes the list ("udah itu aja")."""
    text, parens = (raw, []) if "(" not in raw and ")" not in raw else _take_parens(raw)
    part = _Part(text)
    toks = part.toks
    if not parens:
        quiet, closes = talk(toks)
        if quiet:
            return [], closes
    segments: list[Segment] = []
    i, cut_from = 0, -1
    while i < len(toks) or (parens and not segments and i == 0):
        seg, nxt = _parse_from(part, i)
        nxt = max(nxt, i + 1)
        cut_at = toks[nxt].start if nxt < len(toks) else len(text) + 1
        mine = [n for pos, n in parens if cut_from <= pos < cut_at]
        cut_from = cut_at
        if mine:
            seg = seg or Segment()
            seg.note = "; ".join(n for n in [seg.note, *mine] if n)
        if seg is not None:
            segments.append(seg)
        i = nxt
    return segments, False


def _take_parens(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Text without its (parenthesised notes), and each note with where it stood."""
    kept: list[str] = []
    notes: list[tuple[int, str]] = []
    inner: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            if depth == 0:
                inner = []
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                notes.append((len(kept), " ".join("".join(inner).split())))
                kept.append(" ")
        elif depth:
            inner.append(ch if ch not in "()" else " ")
        else:
            kept.append(" " if ch == ")" else ch)
    if depth:  # unclosed: the rest is a note
        notes.append((len(kept), " ".join("".join(inner).split())))
    return "".join(kept), [(pos, n) for pos, n in notes if n]
