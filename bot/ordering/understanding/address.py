"""Reading an address in Kota Bekasi as residents write it, into a typed `Address`.

"Jl. Kemuning Raya 21 RT 004/RW 005 Jaka Setia" gives the street, RT 004, RW 005 and the
kelurahan Jakasetia (kecamatan Bekasi Selatan filled in from data/wilayah.yaml), no "Kel."
needed. RT/RW are found in all their forms ("RT 004/RW 005", "rt4 rw5", "RT.04/05",
"004/005", "rt/rw 03/07"), a landmark after "dekat", "depan", "samping", "sebelah",
"patokan"... An address is enough for a courier with the street and house number (or
block), the RT/RW, and a kelurahan or a landmark; with a location pin, the pin finds the
street and a house number or landmark is enough. A place outside Kota Bekasi (Tambun,
Jakarta Timur...) is accepted and marked, so the coordinator is warned.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from bot.engine.context import Context
from bot.engine.inputs.address import AddressReading
from bot.engine.inputs.phone import display_phone, normalize_phone
from bot.engine.matching import normalize
from bot.ordering.understanding.wilayah import Wilayah, default_wilayah

STREET_PART = "order.address_street"
RTRW_PART = "order.address_rtrw"
AREA_PART = "order.address_area"

_STREET = re.compile(
    r"\b(jl|jln|jalan|gg|gang|blok|blk|perum|perumahan|perumnas|komplek|kompleks|komp|"
    r"cluster|kav|kavling|apartemen|apt|tower|ruko|griya|villa|taman|pondok|kp|kampung|"
    r"dusun|asrama|wisma)\b",
    re.IGNORECASE,
)
_HOUSE = re.compile(r"\b(no|nomor|nmr|no\.)\s*\.?\s*\d|\b[a-z]{0,2}\s?-?\d{1,4}[a-z]?\b", re.I)
_N = r"0*(\d{1,3})"  # a number as written, leading zeros or not
_SEP = r"\s*[.:]?\s*"
_RT_RW_FORMS = (
    # "rt/rw 03/07", "RT/RW: 3/7"
    re.compile(rf"\brt\s*/\s*rw{_SEP}{_N}\s*/\s*{_N}\b", re.I),
    # "RT 004/RW 005", "rt4 rw5", "RT.005/RW.003", "RT003 RW011", "Rt.5/Rw.12", "rt 3, rw 5"
    re.compile(rf"\brt{_SEP}{_N}\s*[/,.\-]?\s*rw{_SEP}{_N}\b", re.I),
    # "RT.04/05", "rt 08/10", "rt6/4"
    re.compile(rf"\brt{_SEP}{_N}\s*/\s*{_N}\b", re.I),
    # "RW 05 RT 03" (the other way round)
    re.compile(rf"\brw{_SEP}(?P<rw>\d{{1,3}})\s*[/,.\-]?\s*rt{_SEP}(?P<rt>\d{{1,3}})\b", re.I),
)
_RT_ALONE = re.compile(rf"\brt{_SEP}{_N}\b", re.I)
_RW_ALONE = re.compile(rf"\brw{_SEP}{_N}\b", re.I)
_BARE_PAIR = re.compile(r"(?<![\w/.])(\d{1,3})\s*/\s*(\d{1,3})(?![\w/])")
_LANDMARK_WORDS = (r"patokan|dekat|dkt|deket|depan|dpn|samping|smping|sebelah|sblh|belakang|"
                   r"blkg|seberang|sebrang|sebrg|pas|persis|ujung|pojok|masuk")
_LANDMARK = re.compile(rf"\b(?:{_LANDMARK_WORDS})\b[^,;\n]*", re.IGNORECASE)
# "Jl. Ujung Harapan" is a street, not a landmark at its end
_STREET_BEFORE = re.compile(r"\b(?:jl|jln|jalan|gg|gang)\.?\s*$", re.IGNORECASE)
LANDMARK_START = re.compile(rf"\s*(?:{_LANDMARK_WORDS})\b", re.IGNORECASE)  # "dekat masjid"
_MARKERS = frozenset({"kel", "kelurahan", "kel.", "desa", "ds", "kec", "kecamatan", "kota",
                      "kab", "kabupaten"})
_NAMED_AREA = re.compile(
    r"\b(kel|kelurahan|desa|kec|kecamatan)\b\.?\s*([a-z][a-z ]{2,30}?)(?=[,;\n]|\bkec\b|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Address:
    """An order's delivery address: the resident's words and what was read from them."""

    text: str
    street: str = ""
    rt: str | None = None  # "004": three digits as on a KTP
    rw: str | None = None
    kelurahan: str = ""  # official name (data/wilayah.yaml)
    kecamatan: str = ""
    kelurahan_code: str = ""  # kode wilayah, 32.75.xx.xxxx
    landmark: str = ""
    location: dict[str, float] | None = None  # {"latitude": .., "longitude": ..}
    kawasan: str = ""  # an estate or neighbourhood named ("Harapan Indah")
    outside: str = ""  # a place outside Kota Bekasi the address names ("Tambun")
    area_written: str = ""  # a kelurahan named after "Kel." that is not in the data

    def to_dict(self) -> dict[str, Any]:
        """As `dataclasses.asdict` (a copy of every field, in order), without its generic
        walk when the values are plain ones and the pin a flat dict (always, as read):
        ~10x faster."""
        out = {name: getattr(self, name) for name in _ADDRESS_FIELDS}
        location = out["location"]
        if all(type(v) in _PLAIN for k, v in out.items() if k != "location") and (
                location is None or (type(location) is dict
                                     and all(type(v) in _PLAIN for v in location.values())
                                     and all(type(k) is str for k in location))):
            if location is not None:
                out["location"] = dict(location)
            return out
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | str | None) -> Address:
        """An address as stored with an order (older orders hold only text and pin)."""
        if isinstance(data, str):
            return cls(text=data)
        data = data if isinstance(data, dict) else {}
        known = {f: data[f] for f in cls.__dataclass_fields__ if f in data}
        known.setdefault("text", "")
        return cls(**known)


_ADDRESS_FIELDS = tuple(f.name for f in fields(Address))
_PLAIN = frozenset({str, int, float, bool, type(None)})  # asdict hands these on as they are


@dataclass(frozen=True)
class Reading:
    """An address as read, with the message ids of what is still missing."""

    address: Address
    missing: tuple[str, ...] = ()
    signals: int = 0  # how many address parts were found (0: probably not an address)


def _pad(number: str | None) -> str | None:
    return None if number is None else f"{int(number):03d}"


def _rt_rw(text: str) -> tuple[str | None, str | None, str]:
    """RT and RW (zero-padded) and the text without them."""
    for form in _RT_RW_FORMS:
        m = form.search(text)
        if m:
            if "rt" in form.groupindex:
                rt, rw = m.group("rt"), m.group("rw")
            else:
                rt, rw = m.group(1), m.group(2)
            return _pad(rt), _pad(rw), text[: m.start()] + " , " + text[m.end() :]
    rt_m, rw_m = _RT_ALONE.search(text), _RW_ALONE.search(text)
    if rt_m or rw_m:
        rt = _pad(rt_m.group(1)) if rt_m else None
        rw = _pad(rw_m.group(1)) if rw_m else None
        for m in sorted((x for x in (rt_m, rw_m) if x), key=lambda x: -x.start()):
            text = text[: m.start()] + " , " + text[m.end() :]
        return rt, rw, text
    bare = _BARE_PAIR.search(text)
    if bare and _bare_is_rt_rw(text, bare):
        rest = text[: bare.start()] + " , " + text[bare.end() :]
        return _pad(bare.group(1)), _pad(bare.group(2)), rest
    return None, None, text


_UNIT_AFTER = re.compile(r"\s*(kg|kilo|gr|gram|g|ons|ltr|liter|l|ekor|ikat|biji|buah|bks|"
                         r"bungkus|butir|sisir|papan|pon|porsi|pack|pak)\b", re.I)


def _bare_is_rt_rw(text: str, bare: re.Match[str]) -> bool:
    """"004/005" is RT/RW; "1/2 kg" is half a kilo, "no 12/3" a house number."""
    if re.search(r"\b(no|nomor|nmr|blok|blk)\s*\.?\s*$", text[: bare.start()], re.I):
        return False
    if _UNIT_AFTER.match(text, bare.end()):
        return False
    return max(len(bare.group(1)), len(bare.group(2))) >= 2 or bool(_STREET.search(text))


def _clean(text: str) -> str:
    text = re.sub(r"\s*,\s*(,\s*)+", ", ", text)
    text = re.sub(r"\s+", " ", text)
    return text.strip(" ,;.-")


def read_address(text: str, has_pin: bool = False, wilayah: Wilayah | None = None) -> Reading:
    """What ``text`` says about where to deliver, and what a courier would still lack."""
    wilayah = wilayah or default_wilayah()
    text = " ".join(text.split())
    rt, rw, rest = _rt_rw(text)
    landmark_m = next((m for m in _LANDMARK.finditer(rest)
                       if not _STREET_BEFORE.search(rest, 0, m.start())), None)
    landmark = landmark_m.group(0).strip(" ,.") if landmark_m else ""
    if landmark_m:
        rest = rest[: landmark_m.start()] + " , " + rest[landmark_m.end() :]
    words, starts = _tokens(rest)
    places = wilayah.find(words)
    outside = next((p for p in places if p.kind == "outside"), None)
    kels = [p for p in places if p.kind == "kelurahan"]
    if outside is not None:
        kels = [p for p in kels if p.exact]  # a typo-match beside Tambun is not in Bekasi
    kecs = [p for p in places if p.kind == "kecamatan"]
    kawasan = next((p.name for p in places if p.kind == "kawasan"), "")
    kel = _chosen(kels, words)
    kecamatan = kel.kecamatan.name if kel and kel.kecamatan else (kecs[-1].name if kecs else "")
    if kel is not None or (kecs and outside is None):
        outside = None if kel is not None and kel.exact else outside
    named = _NAMED_AREA.search(rest)
    area_written = ""
    if kel is None and named and named.group(1).lower().startswith(("kel", "desa")):
        area_written = " ".join(named.group(2).split())
    street = _street(rest, places, words, starts)
    address = Address(
        text=text,
        street=street,
        rt=rt,
        rw=rw,
        kelurahan=kel.name if kel else "",
        kecamatan=kecamatan,
        kelurahan_code=kel.kelurahan.code if kel and kel.kelurahan else "",
        landmark=landmark,
        kawasan=kawasan,
        # a kelurahan written after "Kel." that Kota Bekasi does not have is elsewhere
        outside=outside.name if outside else area_written.title(),
        area_written=area_written,
    )
    has_street = bool(_STREET.search(rest) and _HOUSE.search(rest))  # RT/RW is no house number
    written_rt = re.search(r"\b(rt|rw)\b", text, re.I)
    signals = sum(bool(x) for x in (has_street, written_rt or (rt and rw), kel, landmark,
                                     outside, kecs, kawasan))
    return Reading(address, tuple(_missing(address, has_street, has_pin)), signals)


def _chosen(kels: list[Any], words: list[str]) -> Any:
    """The kelurahan meant: one written after "Kel."; else the last named (the street, as
    in "Jl. Jatiwaringin Raya", comes first)."""
    if not kels:
        return None
    for place in kels:
        if place.start > 0 and words[place.start - 1] in ("kel", "kelurahan", "desa"):
            return place
    chosen = [p for p in kels if p.exact] or kels
    # "Jatimekar, Jatiasih": the second is the kecamatan, named like one of its kelurahan
    specific = [p for p in chosen if p.kelurahan.name != p.kelurahan.kecamatan.name]
    if specific and len(specific) < len(chosen):
        same = {p.kelurahan.kecamatan.name for p in specific}
        chosen = [p for p in chosen if p in specific or p.kelurahan.kecamatan.name not in same]
    return chosen[-1]


_TOKEN = re.compile(r"\w+")


def _tokens(text: str) -> tuple[list[str], list[int]]:
    """The words of ``text`` as `normalize` gives them, and where each starts in it."""
    words, starts = [], []
    for m in _TOKEN.finditer(text):
        word = m.group().lower()
        if not word.isascii():
            word = normalize(word).replace(" ", "")
        if word:
            words.append(word)
            starts.append(m.start())
    return words, starts


def _street(rest: str, places: list[Any], words: list[str], starts: list[int]) -> str:
    """The street part: the text before the first place named after the house number (or
    after a comma or "Kel."), as the resident wrote it ("Jl. Kemuning Raya 21")."""
    cut = len(rest)
    digits = [any(c.isdigit() for c in w) for w in words]
    for place in sorted(places, key=lambda p: p.start):
        if place.start == 0:
            continue
        first = place.start
        while first > 0 and words[first - 1] in _MARKERS:
            first -= 1  # "kel. jakasetia": the marker goes too
        after_comma = "," in rest[starts[first - 1] : starts[first]] if first > 0 else True
        if any(digits[:first]) or after_comma or first < place.start:
            cut = starts[first]
            break
    return _clean(rest[:cut])


def _missing(address: Address, has_street: bool, has_pin: bool) -> list[str]:
    if has_pin:
        enough = has_street or address.landmark or address.street or address.kelurahan
        return [] if enough and len(address.text) >= 4 else [STREET_PART]
    missing = []
    if not has_street:
        missing.append(STREET_PART)
    if address.rt is None or address.rw is None:
        missing.append(RTRW_PART)
    if not (address.kelurahan or address.landmark or address.outside or address.kawasan
            or address.area_written):
        missing.append(AREA_PART)
    return missing


EXPORT_COLUMNS = ("street", "rt", "rw", "kelurahan", "kecamatan", "landmark", "latitude",
                  "longitude", "outside")


def export_columns(stored: Any) -> list[str]:
    """An order's address as the export's columns (``EXPORT_COLUMNS``), "" when unknown."""
    address = Address.from_dict(stored)
    pin = address.location or {}
    values = {**address.to_dict(), "latitude": pin.get("latitude"),
              "longitude": pin.get("longitude")}
    return ["" if values.get(c) is None else str(values[c]) for c in EXPORT_COLUMNS]


NOT_AN_ADDRESS = "order.address_looks_like_items"
GOT_PHONE = "order.address_got_phone"


def looks_like_items(ctx: Context, text: str) -> bool:
    """A shopping line typed at the address step ("bawang merah 1/4 kg, telur 1 kg"): every
    part parses as an item with an amount, and the catalog knows at least one of them."""
    from bot.ordering.understanding.items import parse_items

    catalog = getattr(ctx.services, "catalog", None)
    try:
        items = parse_items(text)
    except Exception:  # the list parser must never break the address step
        return False
    if not items or not all(i.quantity is not None or i.budget is not None for i in items):
        return False
    if catalog is None:
        return False
    return any(catalog.lookup(i.name) is not None or catalog.suggest(i.name) for i in items)


def address_reader(ctx: Context, text: str, has_pin: bool) -> AddressReading:
    """The address input's reader (bot/engine/inputs/address.py): the structured address,
    what is missing, and a shopping line recognised as one instead of filed as an address."""
    wilayah = getattr(ctx.services, "wilayah", None) or default_wilayah()
    phone = normalize_phone(text) if len(text) <= 24 else None
    if phone is not None:  # a phone number sent where the address is asked: keep it
        ctx.slots["phone"] = phone
        return AddressReading({"text": text}, problem=GOT_PHONE,
                              params={"phone": display_phone(phone)})
    reading = read_address(text, has_pin, wilayah)
    if reading.signals == 0 and looks_like_items(ctx, text):
        return AddressReading({"text": text}, problem=NOT_AN_ADDRESS)
    value = reading.address.to_dict()
    value.pop("location", None)
    return AddressReading(value, reading.missing, found=reading.signals > 0)


def place_line(ctx: Context, stored: Any) -> str:
    """What the bot understood of where the address is, for the resident to check on the
    summary ("(Kel. Jakasetia, Kec. Bekasi Selatan)"); empty when no kelurahan was read."""
    address = Address.from_dict(stored)
    if address.kelurahan:
        return " " + ctx.t("order.address_place", kelurahan=address.kelurahan,
                           kecamatan=address.kecamatan)
    if address.outside:
        return " " + ctx.t("order.address_place_outside", place=address.outside)
    return ""


def check_address(text: str, has_pin: bool) -> list[str]:
    """The message ids of what the address still lacks (empty: good enough)."""
    return list(read_address(text, has_pin).missing)
