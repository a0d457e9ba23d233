"""`db copy`: an embedded (TinyDB) store's sessions, orders (archives included), sequences
and processed message ids into an empty PostgreSQL database, in one transaction, then
checked: the counts on both sides, every sequence, and a sample of orders compared whole.

The folder is opened as the bot opens it (taking its lock: a bot running on it makes the
copy refuse), so the journal is replayed and damaged files are reported, not copied
silently wrong."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bot.privacy import read_key
from bot.storage.base import Record, StoreError
from bot.storage.floor import numbered
from bot.storage.postgres import orders, schema, sequences
from bot.storage.tinydb_store import TinyDBStore

SAMPLE = 200  # orders compared whole after the copy


@dataclass
class CopyReport:
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # what -> (from, to)
    sampled: int = 0
    problems: list[str] = field(default_factory=list)  # differences found by the check
    notes: list[str] = field(default_factory=list)  # the source store's own problems

    @property
    def ok(self) -> bool:
        return not self.problems


def _sessions(store: TinyDBStore) -> Iterator[tuple[str, Record]]:
    for doc_file in store._sessions:  # the store's shards, as `get_session` reads them
        for key in list(doc_file.data):
            session = store.get_session(key)
            if session is not None:
                yield key, session


def _messages(store: TinyDBStore) -> Iterator[tuple[str, str, float]]:
    for doc_file in store._messages:
        for key, at in doc_file.data.items():
            channel, _, message_id = key.partition(":")
            if message_id and isinstance(at, int | float):
                yield channel, message_id, float(at)


def _updated(session: Record) -> float:
    value = session.get("updated_at", 0)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def copy_store(folder: Path, conn: psycopg.Connection, *, finished: frozenset[str],
               sample: int = SAMPLE, seed: int | None = None) -> CopyReport:
    """Copy ``folder``'s store into the database of ``conn`` (autocommit; its schema up to
    date and holding no session or order), then check it."""
    missing = schema.pending(conn)
    if missing:
        raise StoreError(f"the database schema is behind ({len(missing)} migration(s)); "
                         "run: python3 main.py db upgrade --dsn <the same DSN>")
    held = conn.execute("SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM "
                        "sessions)").fetchone()
    if held and held[0]:
        raise StoreError("the database already holds orders or sessions: copy into an "
                         "empty database (created and upgraded for this)")
    report = CopyReport()
    with TinyDBStore(folder, finished=finished) as store:
        report.notes = store.problems()
        all_orders = store.query_orders()  # live and every archive month
        all_sequences = dict(store._sequences.data)
        with conn.transaction(), conn.cursor() as cur:
            with cur.copy("COPY sessions (key, data, updated_at) FROM STDIN") as copy:
                n_sessions = 0
                for key, session in _sessions(store):
                    copy.write_row((key, Jsonb(session), _updated(session)))
                    n_sessions += 1
            with cur.copy("COPY messages (channel, message_id, at) FROM STDIN") as copy:
                n_messages = 0
                for row in _messages(store):
                    copy.write_row(row)
                    n_messages += 1
            orders.copy_in(conn, all_orders)
            floor = {name: int(value) for name, value in all_sequences.items()}
            for order in all_orders:  # as create_order does: no code given twice
                found = numbered(order["code"])
                if found is not None and found[1] > floor.get(found[0], 0):
                    floor[found[0]] = found[1]
            for name, value in floor.items():
                sequences.raise_to(conn, name, value)
            report.counts["webhook deliveries"] = _copy_inboxes(store, folder, conn)
            key = read_key(folder)  # the same pseudonyms in the logs after the move
            if key is not None:
                conn.execute("INSERT INTO meta (name, value) VALUES ('log-pseudonym-key', %s)",
                             (key.hex(),))
        _check(store, conn, report, all_orders, all_sequences, n_sessions, n_messages,
               sample, seed)
    return report


def _copy_inboxes(store: TinyDBStore, folder: Path, conn: psycopg.Connection
                  ) -> tuple[int, int]:
    """Webhook deliveries answered and not yet handled (``inbox-<channel>.jsonl``), as rows
    of owner 0: no worker holds that presence lock, so the first one to start takes them."""
    copied = 0
    for path in sorted(folder.glob("inbox-*.jsonl")):
        channel = path.name[len("inbox-"):-len(".jsonl")]
        inbox = store.inbox(channel)
        for delivery in inbox.pending():
            conn.execute("INSERT INTO inbox (number, channel, body, owner) "
                         "VALUES (%s, %s, %s, 0)", (delivery.number, channel, delivery.body))
            copied += 1
    return copied, _count(conn, "inbox")


def _count(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _check(store: TinyDBStore, conn: psycopg.Connection, report: CopyReport,
           all_orders: list[Record], all_sequences: dict[str, Any], n_sessions: int,
           n_messages: int, sample: int, seed: int | None) -> None:
    report.counts = {
        **report.counts,
        "sessions": (n_sessions, _count(conn, "sessions")),
        "orders": (len(all_orders), _count(conn, "orders")),
        "sequences": (len(all_sequences), _count(conn, "sequences")),
        "message ids": (n_messages, _count(conn, "messages")),
    }
    for what, (before, after) in report.counts.items():
        if what == "sequences" and after >= before:
            continue  # order codes may add sequences the file lacked
        if before != after:
            report.problems.append(f"{what}: {before} in the folder, {after} in the database")
    copied = sequences.all_(conn)
    for name, value in all_sequences.items():
        if copied.get(name, 0) < int(value):
            report.problems.append(f"sequence {name}: {value} in the folder, "
                                   f"{copied.get(name)} in the database")
    chosen = random.Random(seed).sample(all_orders, min(sample, len(all_orders)))
    for order in chosen:  # as the folder's store read them (query_orders returns copies)
        there = orders.get(conn, order["code"])
        if there is None or not _same(there, order):
            report.problems.append(f"order {order['code']} differs after the copy")
    report.sampled = len(chosen)
    keys = [k for k, _ in _sessions(store)]
    for key in random.Random(seed).sample(keys, min(sample, len(keys))):
        row = conn.execute("SELECT data FROM sessions WHERE key = %s", (key,)).fetchone()
        if row is None or not _same(row[0], store.get_session(key)):
            report.problems.append("a session differs after the copy")
