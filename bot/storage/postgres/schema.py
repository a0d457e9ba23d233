"""The PostgreSQL store's schema: numbered plain SQL files in ``migrations/``
(``0001_initial.sql``, ``0002_...``), each applied once, in order, in a transaction of its
own, and recorded in ``schema_migrations``. `upgrade` is what ``main.py db upgrade`` runs;
`pending` is what ``serve`` checks before it starts (it refuses a schema that is behind)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
UPGRADE_LOCK = 0x7061_7361_7264_0001  # one `db upgrade` at a time on a database

TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def label(self) -> str:
        return self.path.name


def available(folder: Path = MIGRATIONS) -> list[Migration]:
    """The migration files shipped, in order (a file not named ``NNNN_name.sql`` is an
    error: it would silently never be applied)."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.fullmatch(path.name)
        if match is None:
            raise ValueError(f"{path}: a migration is named like 0002_what_it_does.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"{folder}: two migrations share a number")
    return found


def applied(conn: psycopg.Connection) -> list[int]:
    """The versions recorded as applied (none on an empty database)."""
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return []
    return [row[0] for row in conn.execute(
        "SELECT version FROM schema_migrations ORDER BY version")]


def pending(conn: psycopg.Connection, folder: Path = MIGRATIONS) -> list[Migration]:
    done = set(applied(conn))
    return [m for m in available(folder) if m.version not in done]


def upgrade(conn: psycopg.Connection, folder: Path = MIGRATIONS) -> list[Migration]:
    """Apply every migration not yet applied, each in its own transaction; returns them.
    ``conn`` must be in autocommit mode. Two upgrades at once: the second waits, then
    finds nothing to do."""
    if not conn.autocommit:
        raise ValueError("upgrade needs an autocommit connection")
    conn.execute("SELECT pg_advisory_lock(%s)", (UPGRADE_LOCK,))
    try:
        conn.execute(TABLE)
        done = []
        for migration in pending(conn, folder):
            with conn.transaction():
                conn.execute(migration.path.read_text(encoding="utf-8"))  # type: ignore[arg-type]
                conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                             (migration.version, migration.name))
            done.append(migration)
        return done
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (UPGRADE_LOCK,))
