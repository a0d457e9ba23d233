"""Sessions: one JSONB record per conversation key, with a version counting its writes."""

from __future__ import annotations

import json
from typing import Any

import psycopg

from bot.storage.base import Record
from bot.storage.postgres.connection import Executes


def get(conn: psycopg.Connection, key: str) -> Record | None:
    row = conn.execute("SELECT data FROM sessions WHERE key = %s", (key,)).fetchone()
    if row is None or not isinstance(row[0], dict):
        return None
    return row[0]


GET_TEXT = "SELECT data::text FROM sessions WHERE key = %s"


def get_text(conn: psycopg.Connection, key: str) -> str | None:
    """The session as JSON text (a unit keeps it so: `decode` gives each reader a copy)."""
    return text_of(conn.execute(GET_TEXT, (key,)).fetchall())


def text_of(rows: list[Any]) -> str | None:
    """`GET_TEXT`'s answer."""
    return str(rows[0][0]) if rows else None


def decode(text: str | None) -> Record | None:
    data = None if text is None else json.loads(text)
    return data if isinstance(data, dict) else None


def encode(session: Record) -> str:
    return json.dumps(session, separators=(",", ":"))


def put(conn: Executes, key: str, session: Record, text: str | None = None) -> None:
    """``text``: the session's JSON (`encode`) if the caller has it already."""
    updated = session.get("updated_at", 0)
    if not isinstance(updated, int | float) or isinstance(updated, bool):
        updated = 0
    conn.execute(  # the JSON text now: a write may be sent later (Deferred), after the
        # caller changed its dict
        "INSERT INTO sessions (key, data, updated_at) VALUES (%s, %s::jsonb, %s) "
        "ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, "
        "updated_at = EXCLUDED.updated_at, version = sessions.version + 1",
        (key, encode(session) if text is None else text, float(updated)))


def scan(conn: psycopg.Connection, since: float) -> list[tuple[str, Record]]:
    """Every session updated at or after ``since`` (its index), key and record."""
    rows = conn.execute("SELECT key, data FROM sessions WHERE updated_at >= %s",
                        (float(since),)).fetchall()
    return [(key, data) for key, data in rows if isinstance(data, dict)]


def delete(conn: Executes, key: str) -> None:
    conn.execute("DELETE FROM sessions WHERE key = %s", (key,))


def expire(conn: psycopg.Connection, older_than: float) -> int:
    return conn.execute("DELETE FROM sessions WHERE updated_at < %s",
                        (float(older_than),)).rowcount


def count(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM sessions").fetchone()
    return int(row[0]) if row else 0
