"""`main.py doctor` on the PostgreSQL store: the connection, the schema, what waits in the
outbox and the inbox. Reads only (safe while the bot runs); never prints the password."""

from __future__ import annotations

import time
from typing import Any


def where(dsn: str) -> str:
    """``database pasar on db.example (port 5432)``: the DSN without its password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # a DSN psycopg cannot read: say so, never echo it
        return "the database of storage.dsn"
    host = parts.get("host") or "localhost"
    return f"database {parts.get('dbname') or parts.get('user') or '?'} on {host}" + (
        f" (port {parts['port']})" if parts.get("port") else "")


def check_postgres(storage: dict[str, Any], report: Any) -> None:
    from bot.storage.base import StoreError
    from bot.storage.postgres import outbox, schema
    from bot.storage.postgres.store import connect

    dsn = str(storage.get("dsn") or "")
    report.section("PostgreSQL")
    if not dsn:
        report.problem("storage.backend is postgres but storage.dsn is empty.",
                       "set storage.dsn (e.g. dsn: ${DATABASE_URL}) and the variable to "
                       "postgresql://user:password@host/database.")
        return
    try:
        conn = connect(dsn)
    except StoreError as exc:
        report.problem(f"cannot connect to {where(dsn)}: {exc}",
                       "check that the server runs, the DSN's host, user and password, "
                       "and pg_hba.conf.")
        return
    with conn:
        report.ok(f"storage: postgres, {where(dsn)}")
        missing = schema.pending(conn)
        if missing:
            report.problem(f"the schema is behind: {len(missing)} migration(s) not applied "
                           f"({', '.join(m.label for m in missing)}); the bot refuses to start.",
                           "run: python3 main.py db upgrade")
            return
        report.ok(f"schema up to date ({len(schema.applied(conn))} migration(s))")
        row = conn.execute("SELECT (SELECT count(*) FROM orders), "
                           "(SELECT count(*) FROM sessions)").fetchone()
        if row is not None:
            report.ok(f"{row[0]} order(s), {row[1]} conversation(s)")
        waiting, oldest = outbox.waiting(conn)
        if waiting and oldest is not None and time.time() - oldest > 600:
            report.note(f"{waiting} repl(ies) wait in the outbox, the oldest for "
                        f"{int((time.time() - oldest) // 60)} min: is a messenger unreachable "
                        "or no bot running? (they are sent once one is)")
        failing = conn.execute("SELECT count(*), max(error) FROM outbox WHERE sent_at IS NULL "
                               "AND attempts >= 5").fetchone()
        if failing and failing[0]:
            report.note(f"{failing[0]} repl(ies) failed 5 times or more (last reason: "
                        f"{failing[1]}); they are still retried.")
        left = conn.execute(
            "SELECT count(*) FROM inbox WHERE NOT EXISTS (SELECT 1 FROM pg_locks l WHERE "
            "l.locktype = 'advisory' AND l.granted AND l.classid::bigint = %s AND "
            "l.objid::bigint = inbox.owner AND l.objsubid = 2 AND l.database = (SELECT oid "
            "FROM pg_database WHERE datname = current_database()))",
            (_presence(),)).fetchone()
        if left and left[0]:
            report.note(f"{left[0]} webhook deliver(ies) left by a worker that stopped: the "
                        "running workers take them over within seconds (none runs now?).")


def _presence() -> int:
    from bot.storage.postgres.inbox import PRESENCE

    return PRESENCE
