"""Processed platform message ids (webhook retries deliver duplicates)."""

from __future__ import annotations

import psycopg

from bot.storage.postgres.connection import Executes

SEEN = "SELECT 1 FROM messages WHERE channel = %s AND message_id = %s"


def seen(conn: psycopg.Connection, channel: str, message_id: str) -> bool:
    return conn.execute(SEEN, (channel, message_id)).fetchone() is not None


def mark(conn: Executes, channel: str, message_id: str, at: float) -> None:
    conn.execute("INSERT INTO messages (channel, message_id, at) VALUES (%s, %s, %s) "
                 "ON CONFLICT (channel, message_id) DO UPDATE SET at = EXCLUDED.at",
                 (channel, message_id, float(at)))


def expire(conn: psycopg.Connection, older_than: float) -> int:
    return conn.execute("DELETE FROM messages WHERE at < %s", (float(older_than),)).rowcount
