"""What changed since the last write round: the payload of one journal line.

Every value is the *full* new value of its key (never a diff), so replaying a record
twice, or over snapshot files that already hold it, changes nothing:

    {"q": {name: number},                    sequences (replay keeps the higher number)
     "o": {code: [where, order]},            orders: the whole record incl. its version,
                                             where = "live" or the archive month (replay:
                                             the higher version wins)
     "s": {key: session or null},            sessions put / deleted (expired)
     "m": {key: at or null},                 message ids marked / expired
     "x": {id: row or null},                 outbox rows queued (or retried) / sent
     "t": {name: timer or null}}             timers set / taken or cancelled

Sessions and orders are kept here as the JSON text the store made anyway while copying
them in (`TinyDBStore.put_session`), so a round does not encode them a second time;
outbox rows and timers as the text `bot.storage.outbox` made when they changed.

A unit of work (`TinyDBStore.unit`) gathers its changes in a `Pending` of its own and
hands them to the writer's in one piece (`absorb`), so they land in one journal line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.storage.base import Record
from bot.storage.docfile import DocFile, ShardSet, pack
from bot.storage.orderbook import OrderBook
from bot.storage.outbox import valid_row, valid_timer


@dataclass
class Pending:
    sequences: dict[str, int] = field(default_factory=dict)
    orders: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (where, JSON)
    sessions: dict[str, str | None] = field(default_factory=dict)  # key -> JSON or deleted
    messages: dict[str, float | None] = field(default_factory=dict)
    outbox: dict[str, str | None] = field(default_factory=dict)  # id -> row JSON or sent
    timers: dict[str, str | None] = field(default_factory=dict)  # name -> JSON or gone

    def __bool__(self) -> bool:
        return bool(self.sequences or self.orders or self.sessions or self.messages
                    or self.outbox or self.timers)

    def take(self) -> Pending:
        """Everything recorded so far; this buffer starts empty again."""
        taken = Pending(self.sequences, self.orders, self.sessions, self.messages,
                        self.outbox, self.timers)
        self.sequences, self.orders, self.sessions, self.messages = {}, {}, {}, {}
        self.outbox, self.timers = {}, {}
        return taken

    def absorb(self, newer: Pending) -> None:
        """Take over ``newer``'s changes (a unit's, made after this buffer's): its values
        win, except an order's lower version or a lower sequence step."""
        for name, number in newer.sequences.items():
            self.sequences[name] = max(number, self.sequences.get(name, 0))
        for code, placed in newer.orders.items():
            mine = self.orders.get(code)
            if mine is None or _version(placed[1]) >= _version(mine[1]):
                self.orders[code] = placed
        self.sessions.update(newer.sessions)
        self.messages.update(newer.messages)
        self.outbox.update(newer.outbox)
        self.timers.update(newer.timers)
        newer.take()

    def merge_back(self, older: Pending) -> None:
        """A round that failed gives its changes back; newer values of a key win."""
        for mine, theirs in (
            (self.sequences, older.sequences),
            (self.orders, older.orders),
            (self.sessions, older.sessions),
            (self.messages, older.messages),
            (self.outbox, older.outbox),
            (self.timers, older.timers),
        ):
            for key, value in theirs.items():
                mine.setdefault(key, value)  # type: ignore[arg-type]

    def payload(self) -> bytes:
        """The record as one line of JSON (no raw newline: JSON escapes them)."""
        parts = []
        if self.sequences:
            parts.append('"q":' + json.dumps(self.sequences))
        if self.orders:
            items = (f'{json.dumps(c)}:[{json.dumps(w)},{t}]' for c, (w, t) in self.orders.items())
            parts.append('"o":{' + ",".join(items) + "}")
        if self.sessions:
            sessions = self.sessions.items()
            items = (f"{json.dumps(k)}:{'null' if t is None else t}" for k, t in sessions)
            parts.append('"s":{' + ",".join(items) + "}")
        if self.messages:
            parts.append('"m":' + json.dumps(self.messages))
        for name, texts in (("x", self.outbox), ("t", self.timers)):
            if texts:
                items = (f"{json.dumps(k)}:{'null' if t is None else t}" for k, t in texts.items())
                parts.append(f'"{name}":{{' + ",".join(items) + "}")
        return ("{" + ",".join(parts) + "}").encode("utf-8")


@dataclass
class Targets:
    """Where a replayed record goes: the store's in-memory files."""

    sequences: DocFile
    orders: OrderBook
    sessions: ShardSet
    messages: ShardSet
    outbox: DocFile
    timers: DocFile


def replay(record: dict[str, Any], into: Targets) -> None:
    """Apply one journal record (raises TypeError/ValueError/KeyError if malformed)."""
    sequences = into.sequences
    for name, number in _mapping(record, "q").items():
        if not isinstance(number, int):
            raise TypeError(f"sequence {name!r}: {number!r} is not a number")
        if number > int(sequences.data.get(name, 0)):
            sequences.data[name] = number
            sequences.dirty = True
    for code, (_where, order) in _mapping(record, "o").items():
        if not isinstance(order, dict) or order.get("code") != code:
            raise ValueError(f"order {code!r} is not an order record")
        into.orders.replay(order)  # placed where `place_of` says (it wrote `where`)
    _replay_keys(_mapping(record, "s"), into.sessions, lambda v: isinstance(v, dict))
    _replay_keys(_mapping(record, "m"), into.messages, lambda v: isinstance(v, int | float))
    _replay_plain(_mapping(record, "x"), into.outbox, valid_row)
    _replay_plain(_mapping(record, "t"), into.timers, valid_timer)


def _held(shards: ShardSet, value: Any) -> Any:
    return value if shards.packed is None else pack(value, shards.packed)


def _mapping(record: dict[str, Any], name: str) -> dict[str, Any]:
    value = record.get(name, {})
    if not isinstance(value, dict):
        raise TypeError(f"{name!r} is not an object")
    return value


def _replay_keys(values: dict[str, Any], shards: ShardSet, valid: Callable[[Any], bool]) -> None:
    for key, value in values.items():
        doc_file = shards.for_key(key)
        if value is None:
            if doc_file.data.pop(key, None) is not None:
                doc_file.dirty = True
        elif valid(value):
            doc_file.data[key] = _held(shards, value)
            doc_file.dirty = True
        else:
            raise TypeError(f"{shards.prefix} {key!r}: unexpected value {value!r}")


def _replay_plain(values: dict[str, Any], doc_file: DocFile,
                  valid: Callable[[Any], bool]) -> None:
    for key, value in values.items():
        if value is None:
            if doc_file.data.pop(key, None) is not None:
                doc_file.dirty = True
        elif valid(value):
            doc_file.data[key] = value
            doc_file.dirty = True
        else:
            raise TypeError(f"{doc_file.table} {key!r}: not a {doc_file.table} record")


def _version(text: str) -> int:
    try:
        version = json.loads(text).get("version", 0)
    except (ValueError, AttributeError):
        return 0
    return version if isinstance(version, int) else 0


def order_json(order: Record) -> tuple[str, Record]:
    """The JSON text of ``order`` and a copy of it made from that text."""
    text = json.dumps(order)
    return text, json.loads(text)
