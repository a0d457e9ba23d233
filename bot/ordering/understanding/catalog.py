"""Common market items with estimated prices, as the market office keeps them in data/catalog.yaml.

The catalog helps, it never decides: an item it does not know is still ordered, only
without an estimate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.engine.matching import normalize
from bot.ordering.understanding.items import UNITS, Item

# How many of the smallest unit of each kind one unit is.
_WEIGHT = {"g": 1, "ons": 100, "pon": 500, "kg": 1000}
_VOLUME = {"ml": 1, "l": 1000}


_CONFIDENT_LENGTH = 5  # a typo one letter off is taken as meant from this length on


class CatalogError(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    name: str
    unit: str
    price: int  # estimated rupiah for one `unit`
    synonyms: tuple[str, ...] = ()
    short: tuple[str, ...] = ()  # short forms and typos written as the name: "bayem" -> bayam
    category: str = ""
    other_prices: tuple[tuple[str, int], ...] = ()  # (("butir", 2000), ...)

    @property
    def prices(self) -> dict[str, int]:
        return {self.unit: self.price, **dict(self.other_prices)}


def _unique_best(found: list[tuple[str, int, Any]], index: dict[str, Entry]) -> str | None:
    """The one item the closest matches name, or None (none, or a tie between items)."""
    if not found:
        return None
    best = min(distance for _, distance, _ in found)
    entries = {index[choice].name for choice, distance, _ in found if distance == best}
    return entries.pop() if len(entries) == 1 else None


def convert(quantity: Decimal, unit: str, to: str) -> Decimal | None:
    """``quantity`` of ``unit`` in ``to`` units (2 ons -> 0.2 kg); None if they do not convert."""
    if unit == to:
        return quantity
    for table in (_WEIGHT, _VOLUME):
        if unit in table and to in table:
            return quantity * table[unit] / table[to]
    return None


@dataclass(frozen=True)
class Catalog:
    entries: tuple[Entry, ...]
    prices_as_of: str = ""
    _index: dict[str, Entry] = field(default_factory=dict, init=False, repr=False, compare=False)
    _short: dict[str, Entry] = field(default_factory=dict, init=False, repr=False, compare=False)
    _spelling: dict[str, str] = field(default_factory=dict, init=False, repr=False,
                                      compare=False)  # fmt: skip
    _keys: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for entry in self.entries:
            for name in (entry.name, *entry.synonyms):
                self._index.setdefault(normalize(name), entry)
                self._spelling.setdefault(normalize(name), name)
            for form in entry.short:
                self._short.setdefault(normalize(form), entry)
        object.__setattr__(self, "_keys", tuple(self._index))

    def resolve(self, name: str) -> tuple[str, str | None]:
        """The name to keep for what a resident wrote, and a suggestion when unsure.

        A known name or synonym stays as written ("telor"); a short form becomes the item's
        name ("bayem" -> "bayam"); a clear typo (one letter off a longer name, and close to
        one item only) becomes the name it is off ("kngkung" -> "kangkung"); anything else
        stays, with `suggest`'s suggestion when there is one.
        """
        key = normalize(name)
        if key in self._index:
            return name, None
        entry = self._short.get(key)
        if entry is not None:
            return entry.name, None
        if len(key) < 4:
            return name, None
        allowed = 1 if len(key) <= 5 else 2 if len(key) <= 10 else 3
        found = process.extract(key, self._keys, scorer=OSA.distance, score_cutoff=allowed,
                                limit=10)  # fmt: skip
        close = sorted(choice for choice, distance, _ in found if distance == 1)
        entries = {self._index[choice].name for choice in close}
        if len(key) >= _CONFIDENT_LENGTH and len(entries) == 1:
            meant = entries.pop()  # its own name if that is one of the close ones
            if normalize(meant) not in close:
                meant = self._spelling[close[0]]
            return meant, None
        return name, _unique_best(found, self._index)

    def lookup(self, name: str) -> Entry | None:
        """The entry called ``name`` or one of its synonyms (case and punctuation ignored)."""
        return self._index.get(normalize(name))

    def suggest(self, name: str) -> str | None:
        """The catalog name ``name`` is clearly a misspelling of ("bwang merah" -> "bawang merah").

        None when the name is known, too short, or not close to exactly one item.
        """
        key = normalize(name)
        if len(key) < 4 or key in self._index:
            return None
        allowed = 1 if len(key) <= 5 else 2 if len(key) <= 10 else 3
        found = process.extract(key, self._keys, scorer=OSA.distance, score_cutoff=allowed,
                                limit=10)  # fmt: skip
        return _unique_best(found, self._index)

    def estimate(self, item: Item) -> int | None:
        """Estimated rupiah for one item: its budget, else quantity x reference price.

        No quantity means one of the unit said (or of the usual unit). None when the item is
        unknown or its unit does not convert to a unit the catalog has a price for.
        """
        if item.budget is not None:
            return item.budget
        entry = self.lookup(item.name)
        if entry is None:
            return None
        quantity = Decimal(1) if item.quantity is None else item.quantity
        unit = item.unit or entry.unit
        prices = entry.prices
        order = sorted(prices, key=lambda u: u != unit)  # the same unit first, then conversions
        for priced_unit in order:
            amount = convert(quantity, unit, priced_unit)
            if amount is not None:
                total = amount * prices[priced_unit]
                return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return None

    def estimate_total(self, items: Iterable[Item]) -> tuple[int, int]:
        """(sum of the estimates we have, number of items without an estimate)."""
        total = unknown = 0
        for item in items:
            value = self.estimate(item)
            if value is None:
                unknown += 1
            else:
                total += value
        return total, unknown


def _entry(raw: Any, where: str) -> Entry:
    if not isinstance(raw, dict) or not raw.get("name"):
        raise CatalogError(f"{where}: each item needs a name")
    name = str(raw["name"]).strip().lower()
    where = f"{where} ({name})"
    unit = raw.get("unit")
    if unit not in UNITS:
        raise CatalogError(f"{where}: unit must be one of {', '.join(UNITS)}; got {unit!r}")
    other = raw.get("other_prices") or {}
    if not isinstance(other, dict):
        raise CatalogError(f"{where}: other_prices must look like {{butir: 2000}}")
    prices = {unit: raw.get("price"), **other}
    for priced_unit, price in prices.items():
        if priced_unit not in UNITS:
            raise CatalogError(f"{where}: unknown unit {priced_unit!r} in other_prices")
        if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
            raise CatalogError(
                f"{where}: price for {priced_unit} must be whole rupiah (40000), got {price!r}"
            )
    synonyms = raw.get("synonyms") or []
    if not isinstance(synonyms, list):
        raise CatalogError(f"{where}: synonyms must be a list: [cabe, cabai]")
    short = raw.get("short") or []
    if not isinstance(short, list):
        raise CatalogError(f"{where}: short must be a list: [bayem]")
    return Entry(
        name=name,
        unit=unit,
        price=raw["price"],
        synonyms=tuple(str(s).strip().lower() for s in synonyms),
        short=tuple(str(s).strip().lower() for s in short),
        category=str(raw.get("category") or ""),
        other_prices=tuple((u, p) for u, p in other.items()),
    )


def load_catalog(path: str | Path) -> Catalog:
    """Read and check data/catalog.yaml; raises CatalogError naming what is wrong."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path}: cannot read: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise CatalogError(f"{path}: needs a list of items")
    entries = []
    owner: dict[str, str] = {}
    for index, item in enumerate(raw["items"]):
        entry = _entry(item, f"{path}: items[{index}]")
        for name in (entry.name, *entry.synonyms, *entry.short):
            key = normalize(name)
            if key in owner:
                raise CatalogError(
                    f"{path}: items[{index}]: {name!r} is already used by {owner[key]!r}"
                )
            owner[key] = entry.name
        entries.append(entry)
    return Catalog(tuple(entries), str(raw.get("prices_as_of") or ""))
