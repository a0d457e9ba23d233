"""Order code sequences: the last number given per name (a row lock serialises callers)."""

from __future__ import annotations

import psycopg


def next_number(conn: psycopg.Connection, name: str) -> int:
    row = conn.execute(
        "INSERT INTO sequences (name, value) VALUES (%s, 1) ON CONFLICT (name) "
        "DO UPDATE SET value = sequences.value + 1 RETURNING value", (name,)).fetchone()
    assert row is not None
    return int(row[0])


def raise_to(conn: psycopg.Connection, name: str, number: int) -> None:
    """Never give ``number`` or a lower one for ``name`` again."""
    conn.execute(
        "INSERT INTO sequences (name, value) VALUES (%s, %s) ON CONFLICT (name) "
        "DO UPDATE SET value = GREATEST(sequences.value, EXCLUDED.value)", (name, number))


def all_(conn: psycopg.Connection) -> dict[str, int]:
    return {name: int(value) for name, value in conn.execute(
        "SELECT name, value FROM sequences ORDER BY name")}
