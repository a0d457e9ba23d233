"""A read-only look at a data folder: what is wrong, and what opening the store would
change, without changing any file (for ``main.py doctor``; safe while a bot runs).

It reads the snapshot files and journals as the store does at open and reports:
files the store would set aside (unreadable, or of the wrong layout), damaged journal
lines (which lines, what they held) and a torn last line, files set aside earlier, temp
files left by a crash, modes that let other users read the data, sequences below an
order code found, whether a bot holds the folder, and every order (newest version,
with the file it comes from) for the caller to check as the app would show it.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.storage.atomic import CORRUPT_MARK, TEMP_MARK
from bot.storage.base import Record
from bot.storage.docfile import scan_packed
from bot.storage.floor import Floor
from bot.storage.journal import Journal, Scan
from bot.storage.lockfile import LOCK_NAME
from bot.storage.modes import loose
from bot.storage.recovery import Held, read_held


def _version(order: Record) -> int:
    version = order.get("version", 0)
    return version if isinstance(version, int) and not isinstance(version, bool) else 0


@dataclass
class JournalDamage:
    path: Path
    lines: str  # "line 4" / "lines 4-5"
    size: int
    reason: str
    held: Held


@dataclass
class Inspection:
    folder: Path
    running: int | None = None  # pid of a bot holding the folder (0: pid unknown)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)  # would be set aside
    # session files whose layout holds but some values are damaged: (file, how many); the
    # store drops only those conversations when it reads them
    damaged_values: list[tuple[Path, int]] = field(default_factory=list)
    damaged: list[JournalDamage] = field(default_factory=list)
    torn: list[tuple[Path, int]] = field(default_factory=list)
    set_aside: list[Path] = field(default_factory=list)
    temps: list[Path] = field(default_factory=list)
    loose: list[Path] = field(default_factory=list)
    behind: dict[str, tuple[int, int]] = field(default_factory=dict)  # seq -> (has, least)
    orders: dict[str, tuple[Record, str]] = field(default_factory=dict)  # code -> (order, where)
    counts: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # docs, files, bytes

    def order(self, code: str) -> Record | None:
        found = self.orders.get(code)
        return None if found is None else found[0]


GROUPS = {  # label -> (file pattern under the folder, table, key field)
    "sessions": ("sessions-*.json", "sessions", None),
    "message ids": ("messages-*.json", "messages", None),
    "live orders": ("orders.json", "orders", "code"),
    "archived orders": ("archive/orders-*.json", "orders", "code"),
    "sequences": ("sequences.json", "sequences", None),
}


def inspect_folder(folder: str | Path) -> Inspection:
    """Everything above, reading only."""
    folder = Path(folder)
    found = Inspection(folder, running=_holder(folder))
    for directory in (folder, folder / "archive"):
        if directory.is_dir():
            found.temps += sorted(directory.glob(f".*{TEMP_MARK}*"))
            found.set_aside += sorted(directory.glob(f"*{CORRUPT_MARK}*"))
    found.loose = loose(folder)
    floor = Floor()
    for path in found.set_aside:
        floor.read_file(path)
    sequences: dict[str, Any] = {}
    for label, (pattern, table, key_field) in GROUPS.items():
        paths = sorted(p for p in folder.glob(pattern) if p.is_file())
        count = 0
        for path in paths:
            docs, why = read_documents(path, table, key_field)
            if docs is None and label == "sessions":
                values = _packed_values(path)
                if values is not None:
                    count += values[0]
                    if values[1]:
                        found.damaged_values.append((path, values[1]))
                    continue
            if docs is None:
                found.unreadable.append((path, why))
                continue
            count += len(docs)
            if key_field == "code":
                where = str(path.relative_to(folder))
                for doc in docs:
                    _take(found, doc, where)
            elif label == "sequences":
                sequences = {d["key"]: d["value"] for d in docs}
        found.counts[label] = (count, len(paths), sum(p.stat().st_size for p in paths))
    for scan in Journal(folder).read():
        _journal(found, scan, floor, sequences)
    floor.codes(found.orders)
    found.behind = {n: (_int(sequences.get(n)), v) for n, v in floor.below(sequences).items()}
    return found


def _packed_values(path: Path) -> tuple[int, int] | None:
    """(values, damaged values) of a session file in the store's packed layout whose whole
    text does not parse, or None if its layout is not that one (then it is unreadable)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    where = scan_packed(raw, "sessions")
    if where is None:
        return None
    damaged = 0
    for _, start, length in where.values():
        try:
            value = json.loads(raw[start:start + length].decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            value = None
        damaged += not isinstance(value, dict)
    return len(where), damaged


def read_documents(
    path: Path, table: str, key_field: str | None
) -> tuple[list[dict[str, Any]] | None, str]:
    """The documents of one snapshot file, or None and why the store would set it aside."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}"
    if not raw.strip():
        return [], ""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return None, f"not valid JSON: {exc}"
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        return None, "valid JSON but not a TinyDB database (an object of tables)"
    docs = list(data.get(table, {}).values())
    for doc in docs:  # values are not quoted: they hold personal data
        key = doc.get(key_field or "key") if isinstance(doc, dict) else None
        if not isinstance(key, str):
            field_name = key_field or "key"
            return None, f"unexpected document layout: a document without a text {field_name!r}"
        if key_field is None and "value" not in doc:
            return None, "unexpected document layout: a document without 'value'"
        if table == "sessions" and not isinstance(doc["value"], dict):
            return None, "unexpected document layout: a session that is not an object"
    return docs, ""


def _take(found: Inspection, order: object, where: str) -> None:
    if not isinstance(order, dict) or not isinstance(order.get("code"), str):
        return
    known = found.orders.get(order["code"])
    if known is None or _version(order) >= _version(known[0]):
        found.orders[order["code"]] = (order, where)


def _journal(found: Inspection, scan: Scan, floor: Floor, sequences: dict[str, Any]) -> None:
    name = scan.path.name
    for record, (start, _) in zip(scan.records, scan.spans, strict=True):
        changed = record.get("o")
        if isinstance(changed, dict):
            for placed in changed.values():
                if isinstance(placed, list) and len(placed) == 2:
                    _take(found, placed[1], f"{name} line {scan.line_of(start)}")
        steps = record.get("q")
        if isinstance(steps, dict):
            for seq, number in steps.items():
                if isinstance(number, int) and number > _int(sequences.get(seq)):
                    sequences[seq] = number
    for damage in scan.damaged:
        floor.read(damage.data)
        found.damaged.append(JournalDamage(scan.path, damage.lines, len(damage.data),
                                           damage.reason, read_held(damage.data)))
    if scan.torn:
        found.torn.append((scan.path, scan.torn))


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _holder(folder: Path) -> int | None:
    """The pid of the process holding the folder's lock, or None if none does (the lock
    file is opened read-only and never created; a free lock is let go at once)."""
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            return int(os.pread(fd, 32, 0).decode("ascii", "replace").strip() or 0)
        except (OSError, ValueError):
            return 0
    finally:
        os.close(fd)  # closing lets go of a lock taken here
    return None
