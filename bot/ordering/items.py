"""Reading a resident's shopping list: "bawang merah 1/4 kg, cabe rawit 5rb, ayam 1 ekor potong 12".

`parse_items` turns free text into `Item`s (name, quantity, unit, budget, note). It never
raises: whatever it cannot read stays in an item's name or note, so nothing the resident
wrote is refused. Units are kept as the resident said them; converting is for price estimates.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

UNITS = (
    "kg", "g", "ons", "pon", "l", "ml", "ikat", "biji", "butir", "buah", "bungkus", "ekor",
    "sisir", "papan", "botol", "dus", "kaleng", "sachet", "potong", "lembar",
)  # fmt: skip

_UNIT_SYNONYMS = {
    "kg": "kilo kilos kilogram kgs kgr klo",
    "g": "gr gram grm grs grams gm",
    "ons": "on",
    "pon": "pound pond",
    "l": "liter litre ltr lt lter",
    "ml": "mililiter mili",
    "ikat": "iket ikt ikatan",
    "biji": "bj bji bij pcs pc",
    "butir": "btr btir btur",
    "buah": "bh bua buwah",
    "bungkus": "bks bgks bngks bkus bngkus bungkusan pak pack pck pax",
    "ekor": "ekr",
    "sisir": "ssr",
    "papan": "tray",
    "botol": "btl btol",
    "dus": "dos kardus krdus karton box boks kotak",
    "kaleng": "klg kalg",
    "sachet": "saset sachets sct scht sacet",
    "potong": "ptg ptng",
    "lembar": "lbr lmbr helai",
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


UNIT_ALIASES: dict[str, str] = {u: u for u in UNITS} | {
    alias: unit for unit, words in _UNIT_SYNONYMS.items() for alias in words.split()
}
# "seikat", "sekilo", "se-kilo": one of that unit. Only whole words, so "sel" is not a litre.
_SE_UNITS = _words(
    "kilo kg ons pon liter ikat iket biji butir buah bungkus ekor sisir papan botol dus kardus "
    "kotak kaleng sachet saset potong lembar helai"
)
_SE_FORMS = {f"se{w}": UNIT_ALIASES[w] for w in _SE_UNITS} | {"skilo": "kg"}

_ONES = {
    "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5,
    "enam": 6, "tujuh": 7, "delapan": 8, "sembilan": 9,
}  # fmt: skip
_TENS = {"sepuluh": 10, "sebelas": 11, "seratus": 100, "selusin": 12}
_HALF = {"setengah", "stengah", "stgh", "setgh", "stngh"}
_QUARTER = {"seperempat", "seprapat", "seperapat", "seprempat", "sperempat", "seperampat"}

_THOUSAND_SUFFIX = {
    "rb", "ribu", "rbu", "rebu", "k", "rban", "rbn", "ribuan", "rebuan", "rb-an", "ribu-an",
}  # fmt: skip
_ONE_SUFFIX = {"rupiah", "perak", "rp"}
_RP_PREFIX = {"rp", "idr"}
_BUDGET_WORDS = {"seribu": 1000, "seceng": 1000, "goceng": 5000, "ceban": 10000,
                 "noban": 20000, "goban": 50000}  # fmt: skip
_BUDGET_LEAD = {"harga", "seharga", "budget", "bujet", "senilai", "sebesar", "modal"}

NOTE_MARKERS = _words(
    "yang yg jangan jgn tidak tdk gak ga gk nggak ngga enggak tanpa pakai pake minta mohon "
    "tolong dipotong dipotongin dibersihkan dibersihin bersihkan bersihin buang dibuang "
    "dikupas dikupasin dipilih pilih pilihkan pilihin agak utk untuk buat kalau kalo klo "
    "sudah udah harus usahakan diusahakan asal dicuci digiling diiris dibelah dicincang "
    "ukuran size isi merk merek"
)
_CUT_WORDS = {"potong", "dipotong", "belah", "dibelah", "iris", "diiris", "bagi", "dibagi"}
_CUT_JOIN = {"jadi", "jd", "mjd", "menjadi"}
_EACH = {"masing-masing", "masing", "msg2", "@"}
_LEAD_FILLERS = _words(
    "saya aku sy mau pesan pesen order beli belikan beliin tolong minta sama sm ama dan plus "
    "terus trus lalu tambah tambahan nambah & +"
)
_TRAIL_FILLERS = _words(
    "ya yah yaa ye aja saja aj bu pak kak mas mbak mba bang dong deh nih sih juga jg ok dan & +"
)
_IN_NAMES = frozenset({"mas"})  # "ikan mas" is a fish, "makasih mas" is thanks
_CHATTER = frozenset(
    {
        "makasih", "makasih banyak", "terima kasih", "terima kasih banyak", "terimakasih",
        "trima kasih", "trimakasih", "thanks", "thank you", "thx", "tks", "trims", "itu aja",
        "itu saja", "itu dulu", "segitu", "segitu aja", "sekian", "udah", "sudah",
        "udah itu", "sudah itu", "dll", "dsb", "lain lain", "lain-lain", "halo", "hallo",
        "hai", "hi", "pagi", "selamat pagi", "siang", "selamat siang", "assalamualaikum",
        "permisi", "belanja", "belanjaan", "daftar belanja", "daftar belanjaan",
        "list belanja", "list belanjaan", "pesanan", "pesanan saya", "mohon dibantu", "oke",
    }
)  # fmt: skip

_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)*(?:/[0-9]+)?|[^\W\d_]+(?:-[^\W\d_]+)*|[@&+]")
_THOUSANDS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")
_THOUSANDS_DECIMAL = re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+),([0-9]+)")
_EN_THOUSANDS = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")
_PLAIN = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_BULLET = re.compile(r"^\s*(?:[^\w\s(@]+|[0-9]{1,2}\s*[.)](?![0-9]))\s*")
_HEADER = re.compile(r"^([^0-9:]{1,40}):(?:\s+|$)(.*)$")
_RUPIAH_TAIL = re.compile(r"(?<=[0-9]),-+|(?<=[0-9]{3}),00(?![0-9])")
_MAX_DIGITS = 12
_FRACTIONS = {"½": " 1/2", "¼": " 1/4", "¾": " 3/4"}


@dataclass(frozen=True)
class Item:
    """One line of a shopping list."""

    name: str
    quantity: Decimal | None = None
    unit: str | None = None
    budget: int | None = None  # whole rupiah: "cabe rawit 5rb" -> 5000
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        q = None if self.quantity is None else format_decimal(self.quantity)
        return {"name": self.name, "quantity": q, "unit": self.unit,
                "budget": self.budget, "note": self.note}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Item:
        q = d.get("quantity")
        budget = d.get("budget")
        return cls(
            name=str(d.get("name") or ""),
            quantity=None if q is None else Decimal(str(q)),
            unit=d.get("unit") or None,
            budget=None if budget is None else int(budget),
            note=str(d.get("note") or ""),
        )

    @property
    def has_amount(self) -> bool:
        return self.quantity is not None or self.budget is not None


def format_decimal(value: Decimal) -> str:
    """Plain decimal text: 1.5, 10, 0.25 (no exponent, no trailing zeros)."""
    return format(value.normalize(), "f")


def format_rupiah(amount: int) -> str:
    """Rp5.000 (dot thousands, no decimals)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def format_quantity(value: Decimal) -> str:
    """1/2, 1/4, 3/4 for parts of one; otherwise a decimal comma: "1,5", "2"."""
    common = {Decimal("0.5"): "1/2", Decimal("0.25"): "1/4", Decimal("0.75"): "3/4"}
    if value in common:
        return common[value]
    return format_decimal(value).replace(".", ",")


def describe(item: Item) -> str:
    """For humans: "bawang merah 1/4 kg", "cabe rawit Rp5.000", "ayam 1 ekor (potong 12)"."""
    parts = [item.name] if item.name else []
    if item.quantity is not None:
        parts.append(format_quantity(item.quantity) + (f" {item.unit}" if item.unit else ""))
    elif item.unit:
        parts.append(item.unit)
    if item.budget is not None:
        parts.append(format_rupiah(item.budget))
    text = " ".join(parts)
    if item.note:
        text = f"{text} ({item.note})" if text else item.note
    return text


# --- tokens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int
    end: int
    value: Decimal | None = None  # set for numbers that parsed
    fraction: bool = False

    @property
    def is_num(self) -> bool:
        return self.value is not None


def _number(text: str) -> tuple[Decimal | None, bool]:
    if sum(c.isdigit() for c in text) > _MAX_DIGITS:
        return None, False
    if "/" in text:
        top, _, bottom = text.partition("/")
        if not top.isdigit() or int(bottom) == 0:
            return None, False
        value = Decimal(int(top)) / Decimal(int(bottom))
        if value.as_tuple().exponent < -3:  # 1/3 and friends: keep it short
            value = value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
        return value, True
    if _THOUSANDS.fullmatch(text):
        return Decimal(text.replace(".", "")), False
    m = _THOUSANDS_DECIMAL.fullmatch(text)
    if m:
        return Decimal(m.group(1).replace(".", "") + "." + m.group(2)), False
    if _PLAIN.fullmatch(text):
        return Decimal(text.replace(",", ".")), False
    return None, False


def _tokenize(text: str) -> list[_Tok]:
    toks = []
    for m in _TOKEN.finditer(text):
        word = m.group()
        value, fraction = _number(word) if word[0].isdigit() else (None, False)
        toks.append(_Tok(word, m.start(), m.end(), value, fraction))
    return toks


def _unit(word: str) -> str | None:
    unit = UNIT_ALIASES.get(word)
    if unit is None and len(word) > 3 and word.endswith("an"):  # "kiloan", "kg-an", "ikatan"
        unit = UNIT_ALIASES.get(word[:-2].rstrip("-"))
    return unit


# --- amounts: quantities and budgets ------------------------------------------------------


@dataclass(frozen=True)
class _Amount:
    end: int
    quantity: Decimal | None = None
    unit: str | None = None
    budget: int | None = None


def _word(toks: list[_Tok], i: int) -> str:
    return toks[i].text if 0 <= i < len(toks) else ""


def _word_number(toks: list[_Tok], i: int) -> tuple[Decimal, int] | None:
    """satu..sembilan, dua belas, dua puluh lima, seratus, setengah, seperempat, selusin."""
    w = _word(toks, i)
    if w in _HALF:
        return Decimal("0.5"), i + 1
    if w in _QUARTER:
        return Decimal("0.25"), i + 1
    if w in _TENS:
        return Decimal(_TENS[w]), i + 1
    if w not in _ONES:
        return None
    value, j = _ONES[w], i + 1
    nxt = _word(toks, j)
    if nxt == "perempat":
        return Decimal(value) / 4, j + 1
    if nxt == "belas":
        value, j = value + 10, j + 1
    elif nxt == "puluh":
        value, j = value * 10, j + 1
        if _word(toks, j) in _ONES:
            value, j = value + _ONES[_word(toks, j)], j + 1
    elif nxt == "ratus":
        value, j = value * 100, j + 1
    return Decimal(value), j


def _money(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _read_budget(toks: list[_Tok], i: int) -> _Amount | None:
    w = _word(toks, i)
    if w in _BUDGET_WORDS:
        return _Amount(i + 1, budget=_BUDGET_WORDS[w])
    if w in _RP_PREFIX and i + 1 < len(toks) and toks[i + 1].is_num:
        raw, value, j = toks[i + 1].text, toks[i + 1].value, i + 2
        assert value is not None
        if _word(toks, j) in _THOUSAND_SUFFIX:
            value, j = value * 1000, j + 1
        elif _EN_THOUSANDS.fullmatch(raw):  # "Rp 5,000"
            value = Decimal(raw.replace(",", ""))
        if _word(toks, j) in {"an", "perak", "rupiah"}:
            j += 1
        return _Amount(j, budget=_money(value))
    if i < len(toks) and toks[i].is_num and not toks[i].fraction:
        value, j = toks[i].value, i + 1
    else:
        found = _word_number(toks, i)
        if found is None or _word(toks, found[1]) not in {"ribu", "ribuan", "rb", "rupiah"}:
            return None
        value, j = found
    assert value is not None
    suffix = _word(toks, j)
    if suffix in _THOUSAND_SUFFIX:
        value = value * 1000
    elif suffix not in _ONE_SUFFIX:
        return None
    j += 1
    while _word(toks, j) in {"an", "perak"}:
        j += 1
    return _Amount(j, budget=_money(value))


def _finish_quantity(toks: list[_Tok], j: int, value: Decimal) -> _Amount:
    """After a number: "setengah", "x", a unit, "an", and "kilo setengah"."""
    if _word(toks, j) in _HALF and value == value.to_integral_value():
        value, j = value + Decimal("0.5"), j + 1
    if _word(toks, j) == "x":
        j += 1
    if _word(toks, j) == "lusin":
        value, j = value * 12, j + 1
    unit = _unit(_word(toks, j))
    if unit is not None:
        j += 1
        if _word(toks, j) == "an":
            j += 1
        if _word(toks, j) in _HALF and value == value.to_integral_value():
            value, j = value + Decimal("0.5"), j + 1
    return _Amount(j, quantity=value, unit=unit)


def _read_quantity(toks: list[_Tok], i: int, first: bool) -> _Amount | None:
    tok = toks[i]
    if tok.is_num:
        value, j = tok.value, i + 1
        assert value is not None
        nxt = toks[j] if j < len(toks) else None
        mixed = nxt is not None and nxt.fraction and nxt.value is not None and nxt.value < 1
        if mixed and not tok.fraction:  # "2 1/2"
            assert nxt is not None and nxt.value is not None
            value, j = value + nxt.value, j + 1
        return _finish_quantity(toks, j, value)
    w = tok.text
    if w == "x" and i + 1 < len(toks) and toks[i + 1].is_num:
        return _read_quantity(toks, i + 1, first)
    se = w.replace("-", "") if w.startswith("se-") else w
    if se in _SE_FORMS:
        return _finish_quantity_after_unit(toks, i + 1, _SE_FORMS[se])
    if w == "se" and _word(toks, i + 1) in _SE_UNITS:
        return _finish_quantity_after_unit(toks, i + 2, UNIT_ALIASES[_word(toks, i + 1)])
    found = _word_number(toks, i)
    if found is None:
        return None
    value, j = found
    nxt = _word(toks, j)
    if nxt in _HALF and value == value.to_integral_value():
        nxt = _word(toks, j + 1)
    fits = (first or j >= len(toks) or _unit(nxt) is not None or nxt in NOTE_MARKERS
            or nxt in _EACH or nxt in _HALF or nxt == "lusin")  # fmt: skip
    return _finish_quantity(toks, j, value) if fits else None


def _finish_quantity_after_unit(toks: list[_Tok], j: int, unit: str) -> _Amount:
    value = Decimal(1)
    if _word(toks, j) in _HALF:  # "sekilo setengah"
        value, j = Decimal("1.5"), j + 1
    return _Amount(j, quantity=value, unit=unit)


def _read_amount(toks: list[_Tok], i: int, first: bool) -> _Amount | None:
    if _word(toks, i) in _BUDGET_LEAD:
        lead = _read_budget(toks, i + 1)
        if lead is not None:
            return lead
    return _read_budget(toks, i) or _read_quantity(toks, i, first)


def _read_cut(toks: list[_Tok], i: int) -> int | None:
    """ "potong 12", "dibelah jadi 2": a cutting instruction, not a quantity."""
    if _word(toks, i) not in _CUT_WORDS:
        return None
    j = i + 1
    if _word(toks, j) in _CUT_JOIN:
        j += 1
    if j < len(toks) and toks[j].is_num:
        j += 1
    else:
        found = _word_number(toks, j)
        if found is None:
            return None
        j = found[1]
    after = _unit(_word(toks, j))
    if after is not None and after != "potong":
        return None  # "ayam potong 1 ekor": a broiler chicken
    return j + 1 if after == "potong" or _word(toks, j) == "bagian" else j


# --- one segment ("ayam 1 ekor potong 12") -----------------------------------------------


@dataclass
class _Segment:
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


def _span(text: str, toks: list[_Tok], indexes: list[int]) -> str:
    """The raw text of the given tokens, runs of neighbouring tokens kept with their punctuation."""
    pieces: list[str] = []
    run: list[int] = []
    for index in [*indexes, -2]:
        if run and index != run[-1] + 1:
            pieces.append(text[toks[run[0]].start : toks[run[-1]].end])
            run = []
        run.append(index)
    return " ".join(" ".join(p.split()) for p in pieces)


def _trim(toks: list[_Tok], indexes: list[int], keep: frozenset[str] = frozenset()) -> list[int]:
    fillers = _TRAIL_FILLERS - keep
    end = len(indexes)
    while end and toks[indexes[end - 1]].text in fillers:
        end -= 1
    return indexes[:end]


_SIZE_UNITS = {"g", "kg", "ml", "l", "ons"}
_PACKS = {"bungkus", "botol", "dus", "kaleng", "sachet"}  # "aqua 600ml 1 dus"
_JOINERS = {"dan", "&", "+"}


class _Part:
    """The tokens of one comma-separated part, with look-ahead caches for "dan"."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self._amounts: dict[int, bool] = {}

    def piece_has_amount(self, i: int) -> bool:
        """Whether the tokens from ``i`` up to the next "dan" hold an amount."""
        if i not in self._amounts:
            j, found = i, False
            while j < len(self.toks) and self.toks[j].text not in _JOINERS and not found:
                found = _read_amount(self.toks, j, first=(j == i)) is not None
                j += 1
            self._amounts[i] = found
        return self._amounts[i]


def _joins_note(part: _Part, seg: _Segment, i: int) -> bool | None:
    """At a "dan": True if what follows continues the note, False if it is a new item,
    None if nothing follows."""
    toks = part.toks
    r = i + 1
    while r < len(toks) and toks[r].text in _LEAD_FILLERS - _JOINERS:
        r += 1
    if r >= len(toks) or toks[r].text in _JOINERS:
        return None
    if toks[r].text in NOTE_MARKERS or _read_cut(toks, r) is not None:
        return True
    return seg.in_note and not part.piece_has_amount(r)


def _parse_from(part: _Part, start: int) -> tuple[_Segment | None, int]:
    """One item starting at token ``start``; returns it and where the next one starts.

    The next one starts early when a list lost its commas ("tomat 1 kg wortel 1 kg") or
    at a "dan" between items.
    """
    text, toks = part.text, part.toks
    while start < len(toks) and toks[start].text in _LEAD_FILLERS:
        start += 1
    seg = _Segment()
    before: list[int] = []
    after: list[int] = []
    note: list[int] = []
    size = ""
    loose: int | None = None  # where plain words after the amount began (maybe a new item)
    stop = len(toks)
    found = False
    i = start
    while i < len(toks):
        if toks[i].text in _JOINERS:
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
        if toks[i].text in _EACH:  # "masing-masing", "masing2", "@"
            seg.each = True
            i += 1 + (_word(toks, i + 1) in {"2", "masing"})
            continue
        amount = _read_amount(toks, i, first=(i == start))
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
                nxt = _read_quantity(toks, amount.end, False) if amount.end < len(toks) else None
                packed = (
                    nxt is not None
                    and nxt.unit in _PACKS
                    and not text[toks[amount.end - 1].end : toks[amount.end].start].strip()
                )
                if before and amount.unit in _SIZE_UNITS and packed:
                    size = text[toks[i].start : toks[amount.end - 1].end]  # "aqua 600ml 1 dus"
                    amount = nxt
                seg.quantity, seg.unit = amount.quantity, amount.unit
            else:
                note.extend(range(i, amount.end))
            found = True
            i = amount.end
            continue
        word = toks[i].text
        # "beras 1 karung": right after a bare number, a unit we do not know
        unknown_unit = before and toks[i - 1].is_num and seg.quantity is not None and not seg.unit
        marker = word in NOTE_MARKERS and (before or after or found or i == start)
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
    name_idx = _trim(toks, before or after, keep=_IN_NAMES)
    seg.name = " ".join([toks[k].text for k in name_idx] + [size]).strip()
    seg.note = _span(text, toks, _trim(toks, note)) if note else ""
    if not seg.name and not seg.note and not seg.has_amount:
        return None, stop
    return seg, stop


def _parse_part(raw: str) -> list[_Segment]:
    """The items of one comma-separated part of a line (usually one)."""
    text, parens = _take_parens(raw)
    part = _Part(text)
    toks = part.toks
    words = [toks[k].text for k in _trim(toks, list(range(len(toks))))]
    while words and words[0] in _LEAD_FILLERS:
        words.pop(0)
    if not parens and (not words or " ".join(words) in _CHATTER):
        return []
    segments: list[_Segment] = []
    i, cut_from = 0, -1
    while i < len(toks) or (parens and not segments and i == 0):
        seg, nxt = _parse_from(part, i)
        nxt = max(nxt, i + 1)
        cut_at = toks[nxt].start if nxt < len(toks) else len(text) + 1
        mine = [n for pos, n in parens if cut_from <= pos < cut_at]
        cut_from = cut_at
        if mine:
            seg = seg or _Segment()
            seg.note = "; ".join(n for n in [seg.note, *mine] if n)
        if seg is not None:
            segments.append(seg)
        i = nxt
    return segments


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


# --- lines and lists ----------------------------------------------------------------------


def _split_commas(line: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(line):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in ",;|":
            between_digits = (
                ch == "," and 0 < i < len(line) - 1
                and line[i - 1] in "0123456789" and line[i + 1] in "0123456789"
            )  # fmt: skip
            if not between_digits:
                parts.append(line[start:i])
                start = i + 1
    parts.append(line[start:])
    return parts


def _clean_line(line: str) -> str:
    line = _RUPIAH_TAIL.sub("", line)
    for _ in range(3):
        stripped = _BULLET.sub("", line, count=1)
        if stripped == line:
            break
        line = stripped
    m = _HEADER.match(line)
    if m:
        head, rest = m.group(1), m.group(2)
        if not rest.strip():
            return ""
        toks = _tokenize(rest)
        starts_with_amount = bool(toks) and _read_amount(toks, 0, first=True) is not None
        line = f"{head} {rest}" if starts_with_amount else rest
    return line


def _prepare(text: str) -> str:
    for char, repl in _FRACTIONS.items():
        text = text.replace(char, repl)
    text = unicodedata.normalize("NFKC", text).replace("\u2044", "/")
    return text.lower()


def parse_items(text: str) -> list[Item]:
    """Every item in a shopping list, in order. Never raises; empty list when nothing is there."""
    if not isinstance(text, str):
        return []
    items: list[Item] = []
    for raw_line in _prepare(text).splitlines():
        line = _clean_line(raw_line)
        line_start = len(items)
        for part in _split_commas(line):
            for seg in _parse_part(part):
                _add(items, line_start, seg)
    return items


def _add(items: list[Item], line_start: int, seg: _Segment) -> None:
    amount = {"quantity": seg.quantity, "unit": seg.unit, "budget": seg.budget}
    if seg.each and seg.has_amount:
        k = len(items)
        while k > line_start and not items[k - 1].has_amount:
            k -= 1
        for j in range(k, len(items)):
            items[j] = replace(items[j], **amount)
    if seg.name:
        items.append(Item(seg.name, seg.quantity, seg.unit, seg.budget, seg.note))
    elif seg.has_amount and not seg.each and items and not items[-1].has_amount:
        items[-1] = replace(items[-1], **amount, note=_join(items[-1].note, seg.note))  # "\n1/4 kg"
    elif seg.note and len(items) > line_start:
        items[-1] = replace(items[-1], note=_join(items[-1].note, seg.note))  # ", dibersihkan"
    elif seg.note:  # a line that is only a remark: keep it rather than lose it
        items.append(Item(seg.note, **({} if seg.each else amount)))


def _join(a: str, b: str) -> str:
    return "; ".join(x for x in (a, b) if x)
