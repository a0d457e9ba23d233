"""One TinyDB file held in memory as ``{key: value}``, written whole when it changed.

Each file is a normal TinyDB database (one table), so it can be inspected with plain
TinyDB: ``TinyDB("orders.json").table("orders").search(Query().market == "x")``.
Documents are the records themselves when they carry their own key (orders: ``code``),
otherwise ``{"key": ..., "value": ...}``. A *packed* file (sessions) holds each value in
memory as ``(stamp, JSON text)``: a read decodes the text (the cheapest private copy), a
write encodes once (the journal takes that text), the file is written from the texts
without encoding them again, and ``stamp`` (e.g. ``updated_at``) serves expiry.

Values held here are never mutated in place (the store replaces them), so a snapshot is a
shallow copy of the dict and can be serialized in a worker thread while the store goes on.
``dirty`` means "the file on disk is behind memory": setting it counts a change, and a
file stays dirty (so an archive month is not evicted and re-read stale) until a write of
a snapshot taken after its last change has finished (`capture` / `written`).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from bot.storage import atomic
from bot.storage.atomic import AtomicJSONStorage

CHUNK = 128  # documents encoded per call: a writer thread lets go of the GIL in between


class DocFile:
    def __init__(
        self,
        path: Path,
        table: str,
        *,
        key_field: str | None = None,
        on_problem: Callable[[str], None] | None = None,
        label: str | None = None,
        packed: Callable[[Any], float] | None = None,
    ) -> None:
        """``packed(value)``: the stamp of a value held packed (see above)."""
        self.path = path
        self.label = label or path.name
        self.table = table
        self.key_field = key_field
        self.packed = packed
        self.db = TinyDB(path, storage=AtomicJSONStorage, on_problem=on_problem)
        self.data: dict[str, Any] = {}
        self._changes = 0  # changes counted by `dirty = True`
        self._on_disk = 0  # the change count the file on disk holds

    @property
    def dirty(self) -> bool:
        return self._changes != self._on_disk

    @dirty.setter
    def dirty(self, value: bool) -> None:
        if value:
            self._changes += 1
        else:
            self._on_disk = self._changes

    @property
    def storage(self) -> AtomicJSONStorage:
        return self.db.storage  # type: ignore[return-value]

    def load(self) -> None:
        """Read the file through TinyDB; a file of the wrong shape is set aside."""
        try:
            docs = self.db.table(self.table, cache_size=0).all()
            self.data = dict(self._decode(doc) for doc in docs)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self.storage.set_aside(f"unexpected document layout: {layout_error(exc)}")
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
        if self.packed is not None:
            return key, pack(value, self.packed)
        return key, value

    def snapshot(self) -> dict[str, Any]:
        return dict(self.data)

    def capture(self) -> tuple[int, dict[str, Any]]:
        """The change count and a snapshot of now (under the store's lock)."""
        return self._changes, dict(self.data)

    def written(self, changes: int) -> None:
        """A snapshot captured at ``changes`` is on disk (and its directory synced)."""
        self._on_disk = max(self._on_disk, changes)

    def write(self, snapshot: dict[str, Any], *, sync_dir: bool = True) -> int:
        """Write ``snapshot`` atomically (call from any thread); returns bytes written."""
        if self.packed is not None:  # ASCII JSON already: only put together
            data = packed_table(self.table, snapshot).encode("ascii")
            return atomic.atomic_write_bytes(self.path, data, sync_dir=sync_dir)
        if self.key_field is not None:
            docs = list(snapshot.values())
        else:
            docs = [{"key": k, "value": v} for k, v in snapshot.items()]
        try:
            data = encode_table(self.table, docs, ascii_only=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: only escapes can carry it
            data = encode_table(self.table, docs, ascii_only=True).encode("ascii")
        return atomic.atomic_write_bytes(self.path, data, sync_dir=sync_dir)


def layout_error(exc: Exception) -> str:
    """Why a document has the wrong layout, without quoting its values (personal data)."""
    if isinstance(exc, KeyError) and exc.args:
        return f"a document without {str(exc.args[0])[:20]!r}"
    return type(exc).__name__


def pack(value: Any, stamp: Callable[[Any], float]) -> tuple[float, str]:
    """A value as a packed file holds it (raises TypeError if JSON cannot hold it)."""
    return stamp(value), json.dumps(value)


def packed_table(table: str, snapshot: dict[str, tuple[float, str]]) -> str:
    """A TinyDB file of ``{"key": ..., "value": ...}`` documents from packed values."""
    docs = (
        f'"{i}":{{"key":{json.dumps(k)},"value":{held[1]}}}'
        for i, (k, held) in enumerate(snapshot.items(), 1)
    )
    return "{" + json.dumps(table) + ":{" + ",".join(docs) + "}}"


def encode_table(table: str, docs: list[Any], *, ascii_only: bool) -> str:
    """A TinyDB file of one table holding ``docs`` (ids 1, 2, ...), encoded in chunks."""
    parts = []
    for start in range(0, len(docs), CHUNK):
        chunk = {str(i): d for i, d in enumerate(docs[start : start + CHUNK], start + 1)}
        parts.append(json.dumps(chunk, ensure_ascii=ascii_only, separators=(",", ":"))[1:-1])
    return "{" + json.dumps(table) + ":{" + ",".join(parts) + "}}"


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
        packed: Callable[[Any], float] | None = None,
    ) -> None:
        if shards < 1:
            raise ValueError("shards must be at least 1")
        self.folder, self.prefix, self.on_problem, self.newer = folder, prefix, on_problem, newer
        self.packed = packed
        self.files = [self._file(i) for i in range(shards)]
        self.retired: list[DocFile] = []

    def _file(self, index: int) -> DocFile:
        path = self.folder / f"{self.prefix}-{index:02d}.json"
        return DocFile(path, self.prefix, on_problem=self.on_problem, packed=self.packed)

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

    def expire(self, stamp: Callable[[Any], float], older_than: float) -> list[str]:
        """Drop the keys whose ``stamp(value)`` is before ``older_than``; returns them."""
        dropped = []
        for doc_file in self.files:
            old = [k for k, v in doc_file.data.items() if stamp(v) < older_than]
            for key in old:
                del doc_file.data[key]
            if old:
                doc_file.dirty = True
                dropped += old
        return dropped

    def __iter__(self) -> Iterator[DocFile]:
        return iter(self.files)
