"""Orders: the record as JSONB, the columns `query_orders` filters on beside it, and every
write in ``order_events`` (the whole record at version 1, then each version's changes).

No statement here fails on an expected outcome (a duplicate code, a stale version): a
failed statement would abort the unit's whole transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bot.storage.base import DuplicateOrder, OrderNotFound, Record, VersionConflict
from bot.storage.floor import numbered
from bot.storage.postgres import sequences

COLUMNS = ("status", "market", "user", "referral")  # text columns read from the record


def _clone(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _columns(order: Record) -> tuple[str | None, ...]:
    return tuple(_text(order.get(name)) for name in COLUMNS)


def _created(order: Record) -> str:
    created = order.get("created_at", "")
    return created if isinstance(created, str) else ""


INSERT = ('INSERT INTO orders (code, record, version, status, market, "user", referral, '
          "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)")


def create(conn: psycopg.Connection, order: Record) -> Record:
    stored = _clone({**order, "version": 1})
    code = stored["code"]
    row = conn.execute(INSERT + " ON CONFLICT (code) DO NOTHING RETURNING version",
                       (code, Jsonb(stored), 1, *_columns(stored), _created(stored))).fetchone()
    if row is None:
        raise DuplicateOrder(code)
    conn.execute("INSERT INTO order_events (code, version, changes) VALUES (%s, 1, %s)",
                 (code, Jsonb(stored)))
    found = numbered(code)  # its sequence never gives this number again
    if found is not None:
        sequences.raise_to(conn, *found)
    return stored


def get(conn: psycopg.Connection, code: str) -> Record | None:
    row = conn.execute("SELECT record FROM orders WHERE code = %s", (code,)).fetchone()
    return None if row is None else row[0]


def update(conn: psycopg.Connection, code: str, changes: Record, expected: int) -> Record:
    changes = {k: v for k, v in _clone(changes).items() if k not in ("code", "version")}
    sets = ["record = record || %s || jsonb_build_object('version', version + 1, 'code', code)",
            "version = version + 1"]
    params: list[Any] = [Jsonb(changes)]
    for name in COLUMNS:
        if name in changes:
            sets.append(f'"{name}" = %s')
            params.append(_text(changes[name]))
    if "created_at" in changes:
        sets.append("created_at = %s")
        params.append(_created(changes))
    row = conn.execute(
        f"UPDATE orders SET {', '.join(sets)} WHERE code = %s AND version = %s "
        "RETURNING record", (*params, code, expected)).fetchone()
    if row is None:
        held = conn.execute("SELECT version FROM orders WHERE code = %s", (code,)).fetchone()
        if held is None:
            raise OrderNotFound(code)
        raise VersionConflict(code, expected, int(held[0]))
    conn.execute("INSERT INTO order_events (code, version, changes) VALUES (%s, %s, %s)",
                 (code, expected + 1, Jsonb(changes)))
    return row[0]


def query(conn: psycopg.Connection, *, market: str | None, statuses: frozenset[str] | None,
          since: str | None, until: str | None, referral: str | None,
          user: str | None) -> list[Record]:
    if statuses is not None and not statuses:
        return []
    where, params = _where(market, statuses, since, until, referral, user)
    return [row[0] for row in conn.execute("SELECT record FROM orders" + where
                                           + " ORDER BY created_at, code", params)]


def query_fields(conn: psycopg.Connection, fields: Sequence[str], *, market: str | None,
                 statuses: frozenset[str] | None, since: str | None,
                 until: str | None) -> list[tuple[Any, ...]]:
    """The values at ``fields`` (dotted paths) of the orders `query` would give, in its
    order: the server picks them out (one small JSON array a row, not the whole record)."""
    if statuses is not None and not statuses:
        return []
    where, params = _where(market, statuses, since, until, None, None)
    paths = [field.split(".") for field in fields]
    picked = ", ".join("record #> %s::text[]" for _ in paths) or "NULL"
    rows = conn.execute(f"SELECT jsonb_build_array({picked}) FROM orders{where} "
                        "ORDER BY created_at, code", [*paths, *params])
    return [tuple(row[0]) if fields else () for row in rows]


def _where(market: str | None, statuses: frozenset[str] | None, since: str | None,
           until: str | None, referral: str | None, user: str | None) -> tuple[str, list[Any]]:
    """`query`'s WHERE clause (with its leading space, or empty) and its parameters."""
    where: list[str] = []
    params: list[Any] = []
    if statuses is not None:
        where.append("status = ANY(%s)")
        params.append(sorted(statuses))
    for column, value in (("market", market), ("referral", referral), ('"user"', user)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if since is not None:
        where.append("created_at >= %s")
        params.append(since)
    if until is not None:
        where.append("created_at < %s")
        params.append(until)
    return (" WHERE " + " AND ".join(where) if where else ""), params


def count(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM orders").fetchone()
    return int(row[0]) if row else 0


def copy_in(conn: psycopg.Connection, orders: Iterable[Record]) -> int:
    """Add orders as they are (versions kept), in one COPY: for `db copy`. Their history
    starts with the record as copied."""
    n = 0
    with conn.cursor() as cur:
        with cur.copy('COPY orders (code, record, version, status, market, "user", referral, '
                      "created_at) FROM STDIN") as copy:
            events = []
            for order in orders:
                version = order.get("version")
                version = version if isinstance(version, int) and version > 0 else 1
                record = {**order, "version": version}
                copy.write_row((order["code"], Jsonb(record), version, *_columns(record),
                                _created(record)))
                events.append((order["code"], version, record))
                n += 1
        with cur.copy("COPY order_events (code, version, changes) FROM STDIN") as copy:
            for code, version, record in events:
                copy.write_row((code, version, Jsonb(record)))
    return n
