"""Finished orders, one TinyDB file per month of ``created_at``: ``archive/orders-YYYY-MM.json``.

A round only appends to the journal; the month files that changed are rewritten at
compaction, so the cost of a write does not grow with the number of orders ever taken.
An in-memory index ``code -> month`` (built by reading each archive once at start) finds
an archived order; only a few months are kept loaded (plus those not yet written).

Moving an order *out* of a month (reopened, or ``created_at`` changed) drops it from that
month at once: compaction writes every changed file from one snapshot and keeps the
journal until all of them are on disk, so a crash between two file writes is repaired by
replaying the journal (and if files were edited by hand, on load the higher ``version``
of a duplicated order wins).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path

from bot.storage.base import Record
from bot.storage.docfile import DocFile
from bot.storage.query import month_in_range

PREFIX = "orders-"


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

    def path(self, month: str) -> Path:
        return self.folder / f"{PREFIX}{month}.json"

    def scan(self) -> Iterator[tuple[str, DocFile]]:
        """Every month on disk, read once (at start, to build the index)."""
        found = sorted(p.stem[len(PREFIX) :] for p in self.folder.glob(f"{PREFIX}*.json"))
        for month in found:
            self.months.add(month)
            yield month, self.file(month)
            self.evict()

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
            self._loaded[month] = doc_file
        self._loaded.move_to_end(month)
        return doc_file

    def get(self, code: str) -> Record | None:
        month = self.index.get(code)
        return None if month is None else self.file(month).data.get(code)

    def put(self, code: str, order: Record, month: str) -> None:
        doc_file = self.file(month)
        doc_file.data[code] = order
        doc_file.dirty = True
        self.index[code] = month
        self.months.add(month)

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
