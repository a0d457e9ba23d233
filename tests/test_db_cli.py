"""``main.py db``: the PostgreSQL schema applied once per migration and checked by
``serve``; an embedded store copied in whole (archives included), after which ``orders
export``, ``report`` and ``doctor`` say the same on either backend."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.cli import main
from bot.ordering.domain.statuses import STATUSES
from bot.privacy import folder_key
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import write_config


def pg_config(tmp_path: Path, dsn: str) -> str:
    folder = tmp_path / "pg"
    folder.mkdir(exist_ok=True)
    return str(write_config(folder, storage={"backend": "postgres", "dsn": dsn}))


def test_db_upgrade_applies_each_migration_once_and_status_tells(
        tmp_path: Path, pg_empty_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    config = pg_config(tmp_path, pg_empty_dsn)
    assert main(["db", "status", "--config", config]) == 1
    assert "0001_initial.sql: NOT APPLIED" in capsys.readouterr().out
    assert main(["db", "upgrade", "--config", config]) == 0
    assert "applied 0001_initial.sql" in capsys.readouterr().out
    assert main(["db", "upgrade", "--config", config]) == 0  # again: nothing to do
    assert "none new" in capsys.readouterr().out
    assert main(["db", "status", "--config", config]) == 0
    with psycopg.connect(pg_empty_dsn) as conn:
        assert conn.execute("SELECT version FROM schema_migrations").fetchall() == [(1,), (2,)]


def test_serve_refuses_a_schema_behind_and_names_the_command(
        tmp_path: Path, pg_empty_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    config = pg_config(tmp_path, pg_empty_dsn)
    assert main(["serve", "--config", config]) == 1
    err = capsys.readouterr().err
    assert "schema is behind" in err and "python3 main.py db upgrade" in err
    assert "Traceback" not in err


def test_serve_refuses_an_empty_dsn_saying_what_to_set(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty DSN would make libpq try its defaults (a local socket, the OS user)."""
    assert main(["serve", "--config", pg_config(tmp_path, "")]) == 1
    assert "storage.dsn is empty" in capsys.readouterr().err


def order(code: str, month: int, day: int, status: str, n: int) -> dict[str, Any]:
    at = f"2026-{month:02d}-{day:02d}T0{n % 10}:00:00+07:00"
    return {
        "code": code, "market": random.choice(["kranji-baru", "bantar-gebang"]),
        "status": status, "user": f"whatsapp:62812{n:07d}", "channel": "whatsapp",
        "items": [{"name": "bawang merah", "quantity": "0.25", "unit": "kg", "budget": None,
                   "note": ""}, {"name": "cabe rawit ½", "quantity": None, "unit": None,
                                 "budget": 5000, "note": "yang merah"}],
        "address": {"text": f"Jl. Melati {n}; RT 004/RW 005", "rt": "004", "rw": "005"},
        "resident": {"name": f"Bu Ani {n}", "phone": f"+62812{n:07d}"},
        "referral": random.choice([None, "rw05-jatibening"]), "estimate": 40000 + n,
        "created_at": at, "updated_at": at,
        "history": [{"at": at, "by": f"whatsapp:62812{n:07d}", "from": None, "to": "new"}],
    }


def fill_embedded(folder: Path, count: int, seed: int = 7) -> None:
    """``count`` orders over four months (most finished: in the month archives), sessions
    and sequences, written through the store's own API."""
    random.seed(seed)
    statuses = ["new", "claimed", "paid", "paid", "cancelled"]
    with TinyDBStore(folder, finished=STATUSES.finished) as store:
        for n in range(count):
            month, day = 8 + n % 4, 1 + n % 28
            name = f"KRB-{month:02d}{day:02d}"
            store.create_order(order(f"{name}-{store.next_sequence(name):03d}", month, day,
                                     random.choice(statuses), n))
            if n % 3 == 0:
                store.put_session(f"whatsapp:62812{n:07d}", {
                    "flow": "order", "state": "items", "updated_at": 1_790_000_000.0 + n,
                    "slots": {"items": ["bawang ¼ kg"], "n": n}})
        store.mark_message("whatsapp", "wamid.1", 1_790_000_000.0)
        inbox = store.inbox("whatsapp")  # answered 200, not handled when the bot stopped
        inbox.add(b'{"entry": "left"}')
        asyncio.run(inbox.sync())


def test_db_copy_moves_everything_and_the_backends_then_agree(
        tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    fill_embedded(data, 120)
    folder_key(data)  # the log pseudonyms of the folder
    embedded = str(write_config(tmp_path))
    config = pg_config(tmp_path, pg_dsn)
    assert main(["db", "copy", "--from", str(data), "--config", config]) == 0
    out = capsys.readouterr().out
    assert "orders: 120 in" in out and ", 120 in the database" in out
    assert "sessions: 40 in" in out and "copied and checked" in out

    exports = []
    for cfg in (embedded, config):
        assert main(["orders", "export", "--format", "json", "--config", cfg]) == 0
        exports.append(json.loads(capsys.readouterr().out))
    assert len(exports[0]) == 120 and exports[0] == exports[1]
    reports = []
    for cfg in (embedded, config):
        assert main(["report", "--from", "2026-08-01", "--to", "2026-11-30", "--config",
                     cfg]) == 0
        reports.append(capsys.readouterr().out)
    assert reports[0] == reports[1] and "Kranji Baru: " in reports[0]

    with TinyDBStore(data, finished=STATUSES.finished) as store:
        assert store.next_sequence("KRB-0801") == 6  # the copy did not change the folder
    from bot.storage.postgres import PostgresStore

    with PostgresStore(pg_dsn) as copied:
        assert copied.next_sequence("KRB-0801") == 6  # sequences came along
        assert copied.seen_message("whatsapp", "wamid.1")
        [left] = copied.inbox("whatsapp").pending()  # the first worker to start takes it
        assert left.body == b'{"entry": "left"}'

    assert main(["db", "copy", "--from", str(data), "--config", config]) == 1
    assert "already holds orders" in capsys.readouterr().err  # never copied twice

    names = []  # a user's name in the logs stays the same after the move
    for cfg in (embedded, config):
        assert main(["whois", "whatsapp:628120000003", "--config", cfg]) == 0
        names.append(capsys.readouterr().out.split()[0])
    assert names[0] == names[1] and names[0].startswith("u-")

    assert main(["doctor", "--config", config]) in (0, 1)
    doctor = capsys.readouterr().out
    assert "schema up to date" in doctor and "120 order(s), 40 conversation(s)" in doctor


def test_db_copy_refuses_a_folder_a_bot_is_running_on(
        tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    with TinyDBStore(data):  # the running bot holds the folder
        assert main(["db", "copy", "--from", str(data), "--config",
                     pg_config(tmp_path, pg_dsn)]) == 1
    assert "a bot is running on" in capsys.readouterr().err
