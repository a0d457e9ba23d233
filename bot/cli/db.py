"""``main.py db upgrade|status|copy``: the PostgreSQL store's schema, and moving an embedded
store into it (``storage.backend: postgres``; see README, "Running on PostgreSQL")."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any, name: str) -> None:
    parser = sub.add_parser(name, help="PostgreSQL: create or upgrade the schema, copy data in",
                            description="The PostgreSQL store's schema and data. The database "
                            "is storage.dsn of the config unless --dsn is given.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="apply the migrations not yet applied",
                                 description="Apply every migration not yet applied (each "
                                 "once, in order). Safe to run again: it then does nothing.")
    status = actions.add_parser("status", help="which migrations are applied (exit 1: behind)")
    copy = actions.add_parser("copy", help="copy an embedded store (data/) into PostgreSQL",
                              description="Copy the sessions, orders (archives included), "
                              "sequences and message ids of a TinyDB data folder into an "
                              "empty, upgraded PostgreSQL database, then check counts and a "
                              "sample. Stop the bot first: the folder's lock is taken.")
    copy.add_argument("--from", dest="source", required=True, metavar="FOLDER",
                      help="the data folder (storage.path of the embedded store)")
    copy.add_argument("--to", dest="dsn", metavar="DSN",
                      help="the database (default: storage.dsn), like "
                      "postgresql://bot:secret@localhost/pasar")
    for p in (upgrade, status):
        p.add_argument("--dsn", help="the database (default: storage.dsn of the config)")
    for p in (upgrade, status, copy):
        p.set_defaults(run=run)


def _dsn(config: dict, args: argparse.Namespace) -> str:
    return str(getattr(args, "dsn", None) or (config.get("storage") or {}).get("dsn") or "")


def run(config: dict, args: argparse.Namespace) -> int:
    from bot.storage.base import StoreError
    from bot.storage.postgres.store import connect

    dsn = _dsn(config, args)
    if not dsn:
        print("db: no database given: set storage.dsn in config.yaml (or DATABASE_URL if it "
              "says ${DATABASE_URL}), or pass --dsn", file=sys.stderr)
        return 2
    try:
        with connect(dsn) as conn:
            return int({"upgrade": _upgrade, "status": _status, "copy": _copy}[args.action](
                config, args, conn))
    except StoreError as exc:
        print(f"db {args.action}: {exc}", file=sys.stderr)
        return 1


def _upgrade(config: dict, args: argparse.Namespace, conn: Any) -> int:
    from bot.storage.postgres import schema

    done = schema.upgrade(conn)
    for migration in done:
        print(f"applied {migration.label}")
    total = len(schema.applied(conn))
    print(f"schema up to date ({total} migration(s) applied"
          f"{', none new' if not done else ''})")
    return 0


def _status(config: dict, args: argparse.Namespace, conn: Any) -> int:
    from bot.storage.postgres import schema

    done = set(schema.applied(conn))
    missing = 0
    for migration in schema.available():
        state = "applied" if migration.version in done else "NOT APPLIED"
        missing += migration.version not in done
        print(f"{migration.label}: {state}")
    if missing:
        print(f"{missing} migration(s) to apply: python3 main.py db upgrade")
        return 1
    print("schema up to date")
    return 0


def _copy(config: dict, args: argparse.Namespace, conn: Any) -> int:
    from bot.config import resolve
    from bot.ordering.domain.statuses import STATUSES
    from bot.storage.lockfile import StoreLocked
    from bot.storage.postgres.copy import copy_store

    folder = resolve(config, args.source)
    if not Path(folder).is_dir():
        print(f"db copy: {folder} is not a data folder", file=sys.stderr)
        return 2
    try:
        report = copy_store(Path(folder), conn, finished=STATUSES.finished)
    except StoreLocked:
        print(f"db copy: a bot is running on {folder}: stop it first, so that nothing is "
              "written after the copy", file=sys.stderr)
        return 1
    for note in report.notes:
        print(f"note (the folder's own): {note}")
    for what, (before, after) in report.counts.items():
        print(f"{what}: {before} in {folder}, {after} in the database")
    print(f"{report.sampled} order(s) compared whole")
    for problem in report.problems:
        print(f"DIFFERENCE: {problem}", file=sys.stderr)
    if not report.ok:
        print("db copy: the copy does not match; keep running on the folder", file=sys.stderr)
        return 1
    print("copied and checked: set storage.backend: postgres and storage.dsn, then start "
          "the bot")
    return 0


def schema_problem(config: dict) -> str | None:
    """Why `serve` must not start on this database (None: it may, or not postgres): its
    schema is behind (naming the command to run), or it cannot be reached."""
    storage = config.get("storage") or {}
    if storage.get("backend") != "postgres":
        return None
    from bot.storage.base import StoreError
    from bot.storage.postgres import schema
    from bot.storage.postgres.store import connect

    dsn = str(storage.get("dsn") or "")
    if not dsn:
        return ("The bot cannot start: storage.backend is postgres but storage.dsn is empty: "
                "set it (dsn: ${DATABASE_URL}) and the variable to the database, like "
                "postgresql://pasar:password@localhost/pasar")
    try:
        with connect(dsn) as conn:
            missing = schema.pending(conn)
    except StoreError as exc:
        return f"The bot cannot start: {exc}"
    if not missing:
        return None
    return (f"The bot cannot start: the database schema is behind this version "
            f"({len(missing)} migration(s) not applied: "
            f"{', '.join(m.label for m in missing)}). Run: python3 main.py db upgrade")
