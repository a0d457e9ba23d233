"""`main.py whois` on the PostgreSQL store: the log pseudonym key is the database's (one
for every worker), read without creating it."""

from __future__ import annotations

import sys


def database_key(config: dict) -> bytes | None:
    """The key, None if the bot never ran on the database; exits 1 saying why if the
    database cannot be read."""
    import psycopg

    from bot.storage.base import StoreError
    from bot.storage.postgres.store import connect

    dsn = str((config.get("storage") or {}).get("dsn") or "")
    if not dsn:
        print("whois: storage.dsn is empty", file=sys.stderr)
        raise SystemExit(1)
    try:
        with connect(dsn) as conn:
            row = conn.execute("SELECT value FROM meta WHERE name = 'log-pseudonym-key'"
                               ).fetchone()
    except StoreError as exc:
        print(f"whois: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except psycopg.Error:  # no meta table: the schema is behind
        print("whois: the database schema is behind; run: python3 main.py db upgrade",
              file=sys.stderr)
        raise SystemExit(1) from None
    return bytes.fromhex(row[0]) if row else None
