"""Finished orders, one TinyDB file per month of ``created_at``: ``archive/orders-YYYY-MM.json``.

A round only appends to the journal; the month files that changed are rewritten at
compaction, so the cost of a write does not grow with the number of orders ever taken.
An in-memory index ``code -> month`` finds an archived order; only a few months are kept
loaded (plus those not yet written), and a month is read only when an order of it is
asked for, changed, or a query's dates can match it.

The index is built at start without reading the months: beside each month file its codes
and their versions are kept in ``archive/codes-YYYY-MM.json``, written after each write
of the month with the month file's inode, size and modification time. A month whose file does
not match its codes file (edited by hand, written by an older version, a crash between
the two writes) is read whole once, as before, and its codes file written anew; and a
month read for any reason puts its index right from what it holds.

Moving an order *out* of a month (reopened, or ``created_at`` changed) drops it from that
month at once: compaction writes every changed file from one snapshot and keeps the
journal until all of them are on disk, so a crash between two file writes is repaired by
replaying the journal (and if files were edited by hand, on load the higher ``version``
of a duplicated order wins).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from bot.storage import atomic
from bot.storage.base import Record
from bot.storage.docfile import DocFile, stat_key
from bot.storage.floor import numbered
from bot.storage.query import month_in_range

log = logging.getLogger(__name__)

PREFIX = "orders-"
CODES = "codes-"  # the codes file of a month: not ``orders-*.json`` (that is a month)


def _stat_key(path: Path) -> list[int] | None:
    try:
        return stat_key(path.stat())
    except OSError:
        return None


def _floor(codes: Iterable[str]) -> dict[str, int]:
    """The highest number of each sequence among ``codes`` (see `floor.numbered`)."""
    best: dict[str, int] = {}
    for code in codes:
        found = numbered(code)
        if found is not None and found[1] > best.get(found[0], 0):
            best[found[0]] = found[1]
    return best


def _version(order: Any) -> int:
    version = order.get("version", 0) if isinstance(order, dict) else 0
    return version if isinstance(version, int) and not isinstance(version, bool) else 0


class Archive:
    def __init__(
        self, folder: Path, on_problem: Callable[[str], None], cached_months: int = 3
    ) -> None:
        self.folder = folder
        self.on_problem = on_problem
        self.cached_months = max(1, cached_months)
        self.index: dict[str, str] = {}
        self.months: set[str] = set()
        self._loaded: OrderedDict[str, DocFile] = OrderedDict()
        self._unread: dict[str, int] = {}  # months indexed from their codes file, not read
        # yet -> how many codes the file listed
        # month -> the highest number of each sequence among its codes (see floor.py):
        # kept with the codes, so no step per archived order at start
        self.floors: dict[str, dict[str, int]] = {}

    def path(self, month: str) -> Path:
        return self.folder / f"{PREFIX}{month}.json"

    def codes_path(self, month: str) -> Path:
        return self.folder / f"{CODES}{month}.json"

    def scan(self) -> Iterator[tuple[str, dict[str, int], DocFile | None]]:
        """Every month on disk (at start, to build the index): its codes and their
        versions, from its codes file, or from the month itself (then also yielded, read)
        if the codes file is missing or does not match it."""
        found = sorted(p.stem[len(PREFIX) :] for p in self.folder.glob(f"{PREFIX}*.json"))
        for month in found:
            self.months.add(month)
            codes = self._read_codes(month)
            if codes is not None:
                self._unread[month] = len(codes)
                yield month, codes, None
                continue
            doc_file = self.file(month)
            self.raise_floor(month, doc_file.data)
            yield month, {c: _version(o) for c, o in doc_file.data.items()}, doc_file
            if not doc_file.dirty:
                self._write_codes(month, doc_file.data)
            self.evict()

    def _read_codes(self, month: str) -> dict[str, int] | None:
        """The month's codes file, if it describes the month file as it is now."""
        path = self.codes_path(month)
        try:
            held = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.warning("%s could not be read; reading its month instead", path.name)
            return None
        if not isinstance(held, dict) or held.get("file") != _stat_key(self.path(month)):
            return None  # written for another version of the month file
        codes, floor = held.get("codes"), held.get("floor")
        if not isinstance(codes, dict) or not isinstance(floor, dict):
            return None
        self.floors[month] = floor
        return codes

    def _write_codes(self, month: str, orders: dict[str, Any], *, sync_dir: bool = False) -> None:
        """Write the month's codes file for the month file as it is on disk now (which
        holds ``orders``). A failure only costs reading the month at the next start."""
        stat = _stat_key(self.path(month))
        if stat is None:
            return
        text = json.dumps({"file": stat, "codes": {c: _version(o) for c, o in orders.items()},
                           "floor": _floor(orders)}, separators=(",", ":"))
        try:
            atomic.atomic_write_bytes(self.codes_path(month), text.encode("utf-8"),
                                      sync_dir=sync_dir)
        except OSError as exc:
            log.warning("could not write %s (%s)", self.codes_path(month).name, exc)

    def file(self, month: str) -> DocFile:
        """The month's file, loaded (and marked most recently used)."""
        doc_file = self._loaded.get(month)
        if doc_file is None:
            doc_file = DocFile(
                self.path(month),
                "orders",
                key_field="code",
                on_problem=self.on_problem,
                label=f"archive/{PREFIX}{month}.json",
            )
            doc_file.load()
            doc_file.after_write = lambda orders: self._write_codes(month, orders)
            self._loaded[month] = doc_file
            listed = self._unread.pop(month, None)
            if listed is not None and not (
                len(doc_file.data) == listed
                and all(self.index.get(code) == month for code in doc_file.data)
            ):  # not as its codes file said (checked once, in the month's own size)
                self._reconcile(month, doc_file)
        self._loaded.move_to_end(month)
        return doc_file

    def _reconcile(self, month: str, doc_file: DocFile) -> None:
        """Put the index right for a month just read: what it holds is the truth (its
        codes file was stale, e.g. a crash between writing the month and its codes)."""
        listed = [c for c, m in self.index.items() if m == month and c not in doc_file.data]
        for code in listed:
            del self.index[code]
        for code in doc_file.data:
            self.index.setdefault(code, month)
        self.raise_floor(month, doc_file.data)
        if listed:
            log.warning("archive %s held %d order(s) fewer than its codes file said",
                        month, len(listed))

    def raise_floor(self, month: str, codes: Iterable[str]) -> None:
        """Count ``codes`` (now in ``month``) in the month's floor."""
        floor = self.floors.setdefault(month, {})
        for name, number in _floor(codes).items():
            if number > floor.get(name, 0):
                floor[name] = number

    def holds(self, code: str, month: str) -> bool:
        """Whether ``month`` holds ``code`` (reading the month)."""
        return code in self.file(month).data

    def get(self, code: str) -> Record | None:
        month = self.index.get(code)
        return None if month is None else self.file(month).data.get(code)

    def put(self, code: str, order: Record, month: str) -> None:
        doc_file = self.file(month)
        doc_file.data[code] = order
        doc_file.dirty = True
        self.index[code] = month
        self.months.add(month)
        self.raise_floor(month, (code,))

    def remove(self, code: str, month: str) -> None:
        """Drop the copy of ``code`` held in ``month`` (the order lives elsewhere now)."""
        doc_file = self.file(month)
        if doc_file.data.pop(code, None) is not None:
            doc_file.dirty = True
        if self.index.get(code) == month:
            del self.index[code]

    def orders(self, since: str | None, until: str | None) -> Iterator[Record]:
        """Archived orders of the months that could match ``since``/``until``."""
        for month in sorted(m for m in self.months if month_in_range(m, since, until)):
            data = self.file(month).data
            yield from (o for code, o in data.items() if self.index.get(code) == month)
            self.evict()

    def dirty_files(self) -> list[DocFile]:
        return [f for _, f in sorted(self._loaded.items()) if f.dirty]

    def evict(self) -> None:
        """Forget the least recently used months beyond the cache size (clean ones only)."""
        spare = [m for m, f in self._loaded.items() if not f.dirty]
        for month in spare[: max(0, len(self._loaded) - self.cached_months)]:
            del self._loaded[month]

    @property
    def loaded_months(self) -> list[str]:
        return list(self._loaded)
