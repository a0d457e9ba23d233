"""One TinyDB file held in memory as ``{key: value}``, written whole when it changed.

Each file is a normal TinyDB database (one table), so it can be inspected with plain
TinyDB: ``TinyDB("orders.json").table("orders").search(Query().market == "x")``.
Documents are the records themselves when they carry their own key (orders: ``code``),
otherwise ``{"key": ..., "value": ...}``.

Values held here are never mutated in place (the store replaces them), so a snapshot is a
shallow copy of the dict and can be serialized in a worker thread while the store goes on.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from bot.storage.atomic import AtomicJSONStorage


class DocFile:
    def __init__(
        self,
        path: Path,
        table: str,
        *,
        key_field: str | None = None,
        on_problem: Callable[[str], None] | None = None,
        label: str | None = None,
    ) -> None:
        self.path = path
        self.label = label or path.name
        self.table = table
        self.key_field = key_field
        self.db = TinyDB(path, storage=AtomicJSONStorage, on_problem=on_problem)
        self.data: dict[str, Any] = {}
        self.dirty = False

    @property
    def storage(self) -> AtomicJSONStorage:
        return self.db.storage  # type: ignore[return-value]

    def load(self) -> None:
        """Read the file through TinyDB; a file of the wrong shape is set aside."""
        try:
            docs = self.db.table(self.table, cache_size=0).all()
            self.data = dict(self._decode(doc) for doc in docs)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self.storage.set_aside(f"unexpected document layout: {exc!r}")
            self.data = {}
        self.dirty = False

    def _decode(self, doc: dict[str, Any]) -> tuple[str, Any]:
        if self.key_field is not None:
            key = doc[self.key_field]
            value: Any = dict(doc)
        else:
            key, value = doc["key"], doc["value"]
        if not isinstance(key, str):
            raise TypeError(f"key {key!r} is not a string")
        return key, value

    def snapshot(self) -> dict[str, Any]:
        return dict(self.data)

    def write(self, snapshot: dict[str, Any]) -> int:
        """Write ``snapshot`` atomically (call from any thread); returns bytes written."""
        if self.key_field is not None:
            docs = snapshot.values()
        else:
            docs = ({"key": k, "value": v} for k, v in snapshot.items())
        table = {str(i): doc for i, doc in enumerate(docs, 1)}
        self.storage.write({self.table: table})
        return self.storage.last_size


def shard_of(key: str, shards: int) -> int:
    """Stable across processes and Python versions (unlike ``hash()``)."""
    return zlib.crc32(key.encode("utf-8")) % shards


class ShardSet:
    """``<prefix>-00.json`` ... spread by `shard_of`; re-spreads if the count changed."""

    def __init__(
        self,
        folder: Path,
        prefix: str,
        shards: int,
        on_problem: Callable[[str], None],
        newer: Callable[[Any, Any], bool],
    ) -> None:
        if shards < 1:
            raise ValueError("shards must be at least 1")
        self.folder, self.prefix, self.on_problem, self.newer = folder, prefix, on_problem, newer
        self.files = [self._file(i) for i in range(shards)]
        self.retired: list[DocFile] = []

    def _file(self, index: int) -> DocFile:
        path = self.folder / f"{self.prefix}-{index:02d}.json"
        return DocFile(path, self.prefix, on_problem=self.on_problem)

    def for_key(self, key: str) -> DocFile:
        return self.files[shard_of(key, len(self.files))]

    def load(self) -> list[tuple[DocFile, str]]:
        """Load every shard file; returns misplaced (file, key) pairs already copied to
        their right shard, for the caller to remove once the copies are durable."""
        found: dict[int, DocFile] = {}
        for path in sorted(self.folder.glob(f"{self.prefix}-*.json")):
            index = path.stem[len(self.prefix) + 1 :]
            if index.isdigit() and index == f"{int(index):02d}":  # as `_file` names them
                n = int(index)
                found[n] = self.files[n] if n < len(self.files) else self._file(n)
        misplaced: list[tuple[DocFile, str]] = []
        for n, doc_file in sorted(found.items()):
            doc_file.load()
            if n >= len(self.files):
                self.retired.append(doc_file)
        for _, doc_file in sorted(found.items()):
            for key, value in doc_file.data.items():
                home = self.for_key(key)
                if home is doc_file:
                    continue
                misplaced.append((doc_file, key))
                if key not in home.data or self.newer(value, home.data[key]):
                    home.data[key] = value
                    home.dirty = True
        return misplaced

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.files)
