"""Durable timers: one row per name, taken when due with ``FOR UPDATE SKIP LOCKED`` inside
the taker's unit of work (gone when it commits, back if it rolls back): fired once across
every worker. A table rather than a job library (procrastinate): the timers are a few rows
written in the same transaction as the conversation that set them, which a library with
its own connection and schema could not join."""

from __future__ import annotations

import json

import psycopg
from psycopg.types.json import Jsonb

from bot.storage.base import Timer
from bot.storage.postgres.connection import Executes


def set_(conn: Executes, timer: Timer) -> None:
    conn.execute(
        "INSERT INTO timers (name, kind, due, payload) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, due = EXCLUDED.due, "
        "payload = EXCLUDED.payload",
        (timer.name, timer.kind, float(timer.due), Jsonb(json.loads(json.dumps(timer.payload)))))


def cancel(conn: Executes, name: str) -> None:
    conn.execute("DELETE FROM timers WHERE name = %s", (name,))


def take_due(conn: psycopg.Connection, now: float, limit: int) -> list[Timer]:
    rows = conn.execute(
        "DELETE FROM timers WHERE name IN ("
        " SELECT name FROM timers WHERE due <= %s ORDER BY due, name LIMIT %s"
        " FOR UPDATE SKIP LOCKED) RETURNING name, kind, due, payload",
        (float(now), int(limit))).fetchall()
    found = [Timer(name, kind, float(due), payload) for name, kind, due, payload in rows]
    return sorted(found, key=lambda t: (t.due, t.name))
