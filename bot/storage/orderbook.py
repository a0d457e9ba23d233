"""Where orders live on disk: ``orders.json`` while open, the month archive once finished.

Invariant (restored at load if files were edited by hand): an order is in ``orders.json``
exactly when its status is not one of the ``finished`` values the app gave the store,
otherwise in the archive month of its ``created_at``. Queries use it to skip the archive
(or the live file) by status. The store knows no status by name.

Not thread-safe on its own: the store calls it under its lock. Records held here are
never mutated in place; the store clones what goes in and what comes out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.storage.archive import Archive
from bot.storage.base import (
    DuplicateOrder,
    OrderNotFound,
    Record,
    VersionConflict,
)
from bot.storage.docfile import DocFile
from bot.storage.floor import Floor
from bot.storage.query import month_of, order_matches

LIVE = "live"  # location of an order that is not archived (months are YYYY-MM / undated)
_ODD = object()  # the index's bucket of live orders whose ``user`` is not a string


def _version(order: Record) -> int:
    version = order.get("version", 0)
    return version if isinstance(version, int) else 0


def place_of(order: Record, finished: frozenset[str]) -> str:
    return month_of(order) if order.get("status") in finished else LIVE


def _user_of(order: Record) -> object:
    """The index bucket of an order: its ``user`` when a string (the only values a
    ``user=`` query, a string, can equal), else one bucket that every such query reads."""
    user = order.get("user")
    return user if isinstance(user, str) else _ODD


class OrderBook:
    def __init__(self, folder: Path, on_problem: Callable[[str], None], cached: int,
                 finished: frozenset[str] = frozenset()) -> None:
        self.finished = finished  # the status values of orders that no longer change
        self.live = DocFile(
            folder / "orders.json", "orders", key_field="code", on_problem=on_problem
        )
        self.archive = Archive(folder / "archive", on_problem, cached)
        # live orders by ``user`` (codes, as a dict for order): a resident's orders are
        # found without reading every live order (`query` with ``user=``)
        self._by_user: dict[object, dict[str, None]] = {}

    def _index(self, code: str, order: Record) -> None:
        self._by_user.setdefault(_user_of(order), {})[code] = None

    def _unindex(self, code: str) -> None:
        old = self.live.data.get(code)
        if old is not None:
            bucket = self._by_user.get(_user_of(old))
            if bucket is not None:
                bucket.pop(code, None)
                if not bucket:
                    del self._by_user[_user_of(old)]

    def load(self) -> None:
        """Read orders.json and index the archive (from its codes files, see archive.py).

        Settles what a hand edit (or an older version of the store) can leave: the same
        order in two files (the higher version wins; the other copy is dropped from
        memory and from its file at the next compaction), or an order in the wrong file.
        """
        self.live.load()
        self._by_user = {}
        for code, order in self.live.data.items():
            self._index(code, order)
        where = {code: (LIVE, _version(o)) for code, o in self.live.data.items()}
        misplaced = [(c, LIVE) for c, o in self.live.data.items()
                     if place_of(o, self.finished) != LIVE]
        stale: list[tuple[str, str]] = []  # (code, where) of copies that lost
        index = self.archive.index
        months: dict[str, dict[str, int]] = {}  # month -> its codes and their versions
        for month, codes, doc_file in self.archive.scan():  # read: a month not as written
            months[month] = codes
            clash = not codes.keys().isdisjoint(where) or not codes.keys().isdisjoint(index)
            if doc_file is None and not clash:
                index.update(dict.fromkeys(codes, month))  # as the store wrote it: nothing
                continue  # to settle, no step per order
            for code, version in codes.items():
                previous = where.get(code)
                if previous is None and code in index:  # in a month indexed above
                    previous = (index[code], months[index[code]][code])
                if previous is not None and version <= previous[1]:
                    stale.append((code, month))
                    continue
                if previous is not None:
                    stale.append((code, previous[0]))
                where[code] = (month, version)
                self.archive.index[code] = month
                if doc_file is not None and place_of(doc_file.data[code], self.finished) != month:
                    misplaced.append((code, month))
        for code, loc in stale:
            self._drop(code, loc)
        for code, loc in misplaced:  # e.g. edited by hand
            if where[code][0] == loc:
                self._put(code, self._at(code, loc), loc)

    def replay(self, order: Record) -> None:
        """A journal record of ``order``: it wins unless the copy held is as new."""
        code = order["code"]
        loc = self._locate(code)
        if loc is not None and _version(self._at(code, loc)) >= _version(order):
            return
        self._put(code, order, loc)

    def _at(self, code: str, loc: str) -> Record:
        return self.live.data[code] if loc == LIVE else self.archive.file(loc).data[code]

    def _locate(self, code: str) -> str | None:
        if code in self.live.data:
            return LIVE
        month = self.archive.index.get(code)
        if month is not None and not self.archive.holds(code, month):
            return None  # the index was behind its month (now put right)
        return month

    def _drop(self, code: str, loc: str) -> None:
        if loc == LIVE:
            self._unindex(code)
            if self.live.data.pop(code, None) is not None:
                self.live.dirty = True
        else:
            self.archive.remove(code, loc)

    def _put(self, code: str, order: Record, old: str | None) -> None:
        new = place_of(order, self.finished)
        if old is not None and old != new:
            self._drop(code, old)
        if new == LIVE:
            self._unindex(code)
            self.live.data[code] = order
            self._index(code, order)
            self.live.dirty = True
        else:
            self.archive.put(code, order, new)

    def raise_floor(self, floor: Floor) -> None:
        """Count the code of every order held, live or archived, in ``floor`` (archived:
        each month's highest numbers, kept with its codes: no file read)."""
        floor.codes(self.live.data)
        for highest in self.archive.floors.values():
            for name, number in highest.items():
                floor.number(name, number)

    def get(self, code: str) -> Record | None:
        loc = self._locate(code)
        return None if loc is None else self._at(code, loc)

    def create(self, order: Record) -> Record:
        code = order["code"]
        if self._locate(code) is not None:
            raise DuplicateOrder(code)
        stored = {**order, "version": 1}
        self._put(code, stored, None)
        return stored

    def update(self, code: str, changes: Record, expected_version: int) -> Record:
        loc = self._locate(code)
        if loc is None:
            raise OrderNotFound(code)
        order = self._at(code, loc)
        if order["version"] != expected_version:
            raise VersionConflict(code, expected_version, order["version"])
        updated = {**order, **changes, "version": expected_version + 1, "code": code}
        self._put(code, updated, loc)
        return updated

    def query(self, statuses: frozenset[str] | None, **filters: Any) -> list[Record]:
        """Matching orders (not sorted, not copied), reading only the files that can match."""
        found = []
        if statuses is None or not statuses <= self.finished:
            found += [o for o in self._live(filters.get("user"))
                      if order_matches(o, statuses=statuses, **filters)]
        if statuses is None or statuses & self.finished:
            archived = self.archive.orders(filters["since"], filters["until"])
            found += [o for o in archived if order_matches(o, statuses=statuses, **filters)]
        return found

    def _live(self, user: str | None) -> list[Record]:
        """The live orders that can match ``user`` (all of them when None)."""
        if user is None:
            return list(self.live.data.values())
        data = self.live.data
        codes = [*self._by_user.get(user, ()), *self._by_user.get(_ODD, ())]
        return [data[code] for code in codes]

    def files(self) -> list[DocFile]:
        """The files compaction may have to write: loaded archive months, orders.json."""
        return [*self.archive.dirty_files(), self.live]
