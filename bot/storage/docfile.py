"""One TinyDB file held in memory as ``{key: value}``, written whole when it changed.

Each file is a normal TinyDB database (one table), so it can be inspected with plain
TinyDB: ``TinyDB("orders.json").table("orders").search(Query().market == "x")``.
Documents are the records themselves when they carry their own key (orders: ``code``),
otherwise ``{"key": ..., "value": ...}``. A *packed* file (sessions) holds each value in
memory as ``(stamp, JSON text)`` once changed, and as ``(stamp, offset, length)`` in
the version of its file last read or written (`generation`) while that holds it: a read
decodes the text (the cheapest private copy), a write encodes once (the journal takes
that text), the file is written from the texts without encoding them again, and
``stamp`` (e.g. ``updated_at``) serves expiry.

A packed file is written one document per line, the stamp beside the key
(``"7":{"key":...,"at":...,"value":{...}}``; still a plain TinyDB file), so opening it
reads no value: each line gives its key, stamp and where its value is (`scan_packed`),
and an index beside it (``sessions-03.idx``, written after the file, valid only for that
version of it: `read_index`) gives the same without reading the file at all.
The values stay on disk and are read by offset through a handle open on that version of
the file (`Generation`), which stays valid after a compaction replaced the path; once a
new version is written the values it holds are pointed at it instead. A file of another
layout (written by hand, by plain TinyDB or by an older version) is parsed whole, as
before, and rewritten in this layout at the next compaction.

Values held here are never mutated in place (the store replaces them), so a snapshot is a
shallow copy of the dict and can be serialized in a worker thread while the store goes on.
``dirty`` means "the file on disk is behind memory": setting it counts a change, and a
file stays dirty (so an archive month is not evicted and re-read stale) until a write of
a snapshot taken after its last change has finished (`capture` / `written`).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from bot.storage import atomic
from bot.storage.atomic import AtomicJSONStorage

log = logging.getLogger(__name__)

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
        self._fresh: tuple[dict[str, Any], dict[str, tuple[int, int]], Generation] | None = None
        self.generation: Generation | None = None  # packed: the version values are read from
        self.shards = 0  # packed, in a ShardSet: how many shards it was spread over
        self.homed = False  # every key known to belong here (its index says so)
        self.after_write: Callable[[dict[str, Any]], None] | None = None

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
        """Read the file through TinyDB; a file of the wrong shape is set aside. A packed
        file in its own layout is only scanned (values stay on disk, see above)."""
        if self.packed is not None and self._load_packed():
            return
        try:
            docs = self.db.table(self.table, cache_size=0).all()
            self.data = dict(self._decode(doc) for doc in docs)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self.storage.set_aside(f"unexpected document layout: {layout_error(exc)}")
            self.data = {}
        self.dirty = False
        if self.packed is not None and self.data:
            self.dirty = True  # another layout: rewritten in the scannable one

    @property
    def index_path(self) -> Path:
        """Where a packed file's index is kept (``sessions-03.idx``, see `PackedIndex`)."""
        return self.path.with_suffix(".idx")

    def _load_packed(self) -> bool:
        """Index a packed file written in its own layout; False if it is not one."""
        try:
            generation = Generation(self.path)
        except OSError:
            return False  # missing; or unreadable: the TinyDB read reports it
        index, shards = read_index(self.index_path, generation.stat_key())
        if index is None:
            index = scan_packed(generation.read_all(), self.table)
            if index is None:
                return False
            shards = 0  # not known: the keys are checked (then `keep_index`)
        self.data = index  # type: ignore[assignment]
        self.generation = generation
        self.homed = bool(self.shards) and shards == self.shards
        self.dirty = False
        return True

    def keep_index(self) -> None:
        """Write the index of a packed file just scanned, every key of it at home."""
        if self.generation is not None and not self.dirty:
            write_index(self.index_path, self.generation.stat_key(), self.data, self.shards)
            self.homed = True

    def text(self, held: tuple[Any, ...]) -> str:
        """The JSON text of a packed value (read from its file if it is still there)."""
        if len(held) == 2:
            return str(held[1])
        if self.generation is None:
            raise ValueError(f"{self.label}: a value read from no file")
        return self.generation.read(held[1], held[2]).decode("ascii")

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
        """A snapshot captured at ``changes`` is on disk (and its directory synced); the
        packed values it holds that did not change since are read from it from now on."""
        self._on_disk = max(self._on_disk, changes)
        fresh, self._fresh = self._fresh, None
        if fresh is None:
            return
        snapshot, places, generation = fresh
        data = self.data
        for key, held in snapshot.items():
            if data.get(key) is held:  # not changed since: now read from the new version
                data[key] = (held[0], *places[key])
        self.generation = generation  # no value refers to the old one any more

    def write(self, snapshot: dict[str, Any], *, sync_dir: bool = True) -> int:
        """Write ``snapshot`` atomically (call from any thread); returns bytes written."""
        if self.packed is not None:  # ASCII JSON already: only put together
            data, places = packed_file(self.table, snapshot, self.generation)
            size = atomic.atomic_write_bytes(self.path, data, sync_dir=sync_dir)
            generation = Generation(self.path)
            index = {k: (snapshot[k][0], *places[k]) for k in snapshot}
            write_index(self.index_path, generation.stat_key(), index, self.shards)
            self._fresh = (snapshot, places, generation)
            return size
        size = self._write_docs(snapshot, sync_dir)
        if self.after_write is not None:
            self.after_write(snapshot)
        return size

    def _write_docs(self, snapshot: dict[str, Any], sync_dir: bool) -> int:
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
    return as_stamp(stamp(value)), json.dumps(value)


def as_stamp(value: Any) -> float:
    """A stamp as a packed file writes it: a finite number, else 0 (expires first)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    number = float(value)
    return number if math.isfinite(number) else 0.0


class Generation:
    """A read-only handle on one version of a packed file: its values are read by offset,
    whatever has replaced the path since. Closed when nothing refers to it any more."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDONLY)

    def read(self, start: int, length: int) -> bytes:
        data = os.pread(self.fd, length, start)
        if len(data) != length:
            raise ValueError(f"{self.path.name}: a value ends past the end of the file")
        return data

    def read_all(self) -> bytes:
        return self.read(0, os.fstat(self.fd).st_size)

    def stat_key(self) -> list[int]:
        return stat_key(os.fstat(self.fd))

    def __del__(self) -> None:
        fd, self.fd = getattr(self, "fd", -1), -1
        if fd >= 0:
            os.close(fd)


def stat_key(info: os.stat_result) -> list[int]:
    """What tells one version of a file from another: its inode (a store's write is a
    new file renamed over the old one), size and modification time."""
    return [info.st_ino, info.st_size, info.st_mtime_ns]


Index = dict[str, tuple[float, int, int]]  # key -> (stamp, offset, length) of its value


def read_index(path: Path, file: list[int]) -> tuple[Index | None, int]:
    """The index of a packed file (``<name>.idx``: its keys, stamps and where each value
    is) and the shard count it was written under, if it was written for the version
    ``file`` (`stat_key`) of that file; None if missing, damaged or written for another
    version (a crash between the two writes, a file edited or copied in): the file is
    then scanned instead (`scan_packed`). Built without a Python step per key."""
    try:
        held = json.loads(path.read_bytes())
        if not isinstance(held, dict) or held.get("file") != file:
            return None, 0
        keys, stamps, starts, lengths = held["keys"], held["at"], held["start"], held["length"]
        if not len(keys) == len(stamps) == len(starts) == len(lengths):
            return None, 0
        index = dict(zip(keys, zip(stamps, starts, lengths, strict=True), strict=True))
        shards = held.get("shards", 0)
        return index, shards if isinstance(shards, int) else 0
    except FileNotFoundError:
        return None, 0
    except (OSError, ValueError, TypeError, KeyError):  # TypeError: a key not a string
        log.warning("%s could not be read; scanning its file instead", path.name)
        return None, 0


def write_index(path: Path, file: list[int], index: Index, shards: int = 0) -> None:
    """Keep ``index`` beside its file; a failure only costs a scan at the next start."""
    text = json.dumps({"file": file, "shards": shards, "keys": list(index),
                       "at": [v[0] for v in index.values()],
                       "start": [v[1] for v in index.values()],
                       "length": [v[2] for v in index.values()]}, separators=(",", ":"))
    try:
        atomic.atomic_write_bytes(path, text.encode("ascii"), sync_dir=False)
    except OSError as exc:
        log.warning("could not write %s (%s)", path.name, exc)


def packed_file(
    table: str, snapshot: dict[str, tuple[Any, ...]], generation: Generation | None = None
) -> tuple[bytes, dict[str, tuple[int, int]]]:
    """A TinyDB file of ``{"key": ..., "at": stamp, "value": ...}`` documents, one a line,
    from packed values (those still on disk read from ``generation``); and where each
    value is in it (key -> (offset, length))."""
    head = ("{" + json.dumps(table) + ":{").encode("ascii")
    parts = [head]
    places: dict[str, tuple[int, int]] = {}
    position = len(head)
    whole = memoryview(b"")  # the older version, read once (not once per value); its
    # values are joined from views of it, not copied one by one
    for i, (key, held) in enumerate(snapshot.items(), 1):
        if len(held) == 2:
            value = held[1].encode("ascii")
        else:
            if not whole:
                if generation is None:
                    raise ValueError("a value read from no file")
                whole = memoryview(generation.read_all())
            _, start, length = held
            value = whole[start : start + length]
        line = f'\n"{i}":{{"key":{json.dumps(key)},"at":{held[0]!r},"value":'.encode("ascii")
        if i > 1:
            parts.append(b",")
            position += 1
        parts += [line, value, b"}"]
        places[key] = (position + len(line), len(value))
        position += len(line) + len(value) + 1
    parts.append(b"\n}}")
    return b"".join(parts), places


_PACKED_LINE = re.compile(
    rb'\n"\d+":\{"key":("(?:[^"\\\n]|\\.)*"),"at":(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?),"value":\{'
)


def scan_packed(data: bytes, table: str) -> dict[str, tuple[float, int, int]] | None:
    """key -> (stamp, offset, length) of each value in a packed file written by
    `packed_file`, reading only the start of each line; None if ``data`` is not laid out
    that way (then it is read as any TinyDB file). A value is checked when it is read,
    not here: one damaged value costs only that conversation.

    JSON text holds no raw newline, so each newline starts a document line (or the
    closing ``}}``): the counts of newlines, of line starts and of line ends must agree.
    """
    head = ("{" + json.dumps(table) + ":{").encode("ascii")
    if not data.startswith(head) or not data.endswith(b"\n}}"):
        return None
    lines = [(m.start(), m.end(), m.group(1), m.group(2))
             for m in _PACKED_LINE.finditer(data, len(head))]
    count = len(lines)
    if data.count(b"\n") != count + 1 or (count and lines[0][0] != len(head)):
        return None
    if count and (data.count(b"}},\n") != count - 1 or not data.endswith(b"}}\n}}")):
        return None
    found: dict[str, tuple[float, int, int]] = {}
    if not count:
        return found
    ends = [start - 2 for start, _, _, _ in lines[1:]] + [len(data) - 4]  # the doc's "}"
    try:
        for (_, value, raw_key, stamp), value_end in zip(lines, ends, strict=True):
            key = raw_key[1:-1].decode("ascii") if b"\\" not in raw_key else json.loads(raw_key)
            found[key] = (float(stamp), value - 1, value_end - value + 1)
    except ValueError:  # a key that is not a JSON string (UnicodeDecodeError too)
        return None
    return found


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
        self.count = shards
        self.files = [self._file(i) for i in range(shards)]
        self.retired: list[DocFile] = []

    def _file(self, index: int) -> DocFile:
        path = self.folder / f"{self.prefix}-{index:02d}.json"
        doc_file = DocFile(path, self.prefix, on_problem=self.on_problem, packed=self.packed)
        doc_file.shards = self.count
        return doc_file

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
        shards = len(self.files)
        for n, doc_file in sorted(found.items()):
            if doc_file.homed and n < shards:
                continue  # its index was written under this shard count
            strays = [k for k in doc_file.data if zlib.crc32(k.encode("utf-8")) % shards != n]
            if not strays and n < shards and self.packed is not None:
                doc_file.keep_index()
            for key in strays:  # as `shard_of`, inline: every key of every shard
                value = doc_file.data[key]
                if self.packed is not None and len(value) != 2:  # off its file: in memory
                    value = (value[0], doc_file.text(value))
                home = self.for_key(key)
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
