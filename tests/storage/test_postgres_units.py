"""Units of work on the PostgreSQL store, across connections and processes: one key's
units run one at a time (whichever worker), different keys at once, and a worker killed
while it holds a key blocks it no longer than its connection lives."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bot.storage.base import StoreError
from bot.storage.postgres import PostgresStore, SchemaBehind

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def two(pg_dsn: str) -> Iterator[tuple[PostgresStore, PostgresStore]]:
    """Two stores on one database: two workers, each with its own pool."""
    a, b = PostgresStore(pg_dsn, pool_size=3), PostgresStore(pg_dsn, pool_size=3)
    yield a, b
    a.close()
    b.close()


async def test_units_on_one_key_run_one_at_a_time_across_workers(
        two: tuple[PostgresStore, PostgresStore]) -> None:
    a, b = two
    entered = asyncio.Event()
    release = asyncio.Event()
    seen_by_b: list[object] = []

    async def first() -> None:
        async with a.unit("wa:628111"):
            entered.set()
            a.put_session("wa:628111", {"state": "by a", "updated_at": 1})
            await release.wait()
            await a.flush()

    async def second() -> None:
        await entered.wait()
        async with b.unit("wa:628111"):
            seen_by_b.append((b.get_session("wa:628111") or {}).get("state"))

    task_a, task_b = asyncio.create_task(first()), asyncio.create_task(second())
    await entered.wait()
    await asyncio.sleep(0.3)
    assert not seen_by_b, "b entered the key while a held it"
    release.set()
    await asyncio.wait_for(asyncio.gather(task_a, task_b), 10)
    assert seen_by_b == ["by a"]  # b ran after a committed, and saw its write


async def test_units_on_different_keys_run_at_once(
        two: tuple[PostgresStore, PostgresStore]) -> None:
    a, b = two
    held = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with a.unit("tg:1"):
            held.set()
            await release.wait()

    task = asyncio.create_task(hold())
    await held.wait()
    async with asyncio.timeout(5):  # not blocked by tg:1
        async with b.unit("tg:2"):
            b.put_session("tg:2", {"updated_at": 2})
            await b.flush()
    release.set()
    await task
    assert a.get_session("tg:2") == {"updated_at": 2}


async def test_a_unit_keeps_only_what_it_flushed(pg_dsn: str) -> None:
    with PostgresStore(pg_dsn, pool_size=2) as store:
        async with store.unit("k"):
            store.put_session("k", {"n": 1, "updated_at": 1})
            await store.flush()
            store.put_session("k", {"n": 2, "updated_at": 2})  # never flushed
        assert store.get_session("k") == {"n": 1, "updated_at": 1}
        with pytest.raises(RuntimeError):
            async with store.unit("k"):
                store.create_order({"code": "PM-1", "created_at": "2026-11-30"})
                raise RuntimeError("an action failed")
        assert store.get_order("PM-1") is None


async def test_flush_raises_store_error_when_the_commit_fails(pg_dsn: str) -> None:
    """The engine withholds replies on StoreError: a commit that did not happen must say so."""
    with PostgresStore(pg_dsn, pool_size=2) as store:
        with pytest.raises(StoreError):
            async with store.unit("k"):
                store.put_session("k", {"updated_at": 1})
                pid = store.db.bound().conn.info.backend_pid  # type: ignore[union-attr]
                with psycopg.connect(pg_dsn, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                await store.flush()
        assert store.get_session("k") is None
        async with store.unit("k"):  # the broken connection was replaced
            store.put_session("k", {"updated_at": 2})
            await store.flush()
        assert store.get_session("k") == {"updated_at": 2}


HOLDER = textwrap.dedent("""
    import asyncio, sys
    from bot.storage.postgres import PostgresStore

    async def main():
        store = PostgresStore(sys.argv[1], pool_size=1)
        async with store.unit("wa:628222"):
            store.put_session("wa:628222", {"state": "never committed", "updated_at": 1})
            print("held", flush=True)
            await asyncio.sleep(3600)

    asyncio.run(main())
""")


async def test_a_killed_worker_releases_its_key_when_its_connection_dies(pg_dsn: str) -> None:
    worker = subprocess.Popen([sys.executable, "-c", HOLDER, pg_dsn], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        line = await asyncio.wait_for(asyncio.to_thread(worker.stdout.readline), 20)  # type: ignore[union-attr]
        assert line.strip() == "held"
        with PostgresStore(pg_dsn, pool_size=2) as store:
            with pytest.raises(TimeoutError):  # the live worker holds it
                async with asyncio.timeout(0.5), store.unit("wa:628222"):
                    pass
            os.kill(worker.pid, signal.SIGKILL)
            async with asyncio.timeout(10), store.unit("wa:628222"):
                assert store.get_session("wa:628222") is None  # its write died with it
    finally:
        worker.kill()
        worker.wait()


def test_a_schema_behind_is_refused_naming_the_command(pg_empty_dsn: str) -> None:
    with pytest.raises(SchemaBehind, match=r"python3 main\.py db upgrade"):
        PostgresStore(pg_empty_dsn)


async def test_a_unit_runs_after_the_server_dropped_the_pooled_connections(pg_dsn: str) -> None:
    """A restarted server (or a proxy's idle timeout) leaves dead connections in the pool:
    the next unit takes a fresh one instead of failing its message."""
    with PostgresStore(pg_dsn, pool_size=4) as store:
        async with store.unit("k"):  # the pool's connections, alive
            await store.flush()
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                          "datname = current_database() AND pid <> pg_backend_pid()")
        async with store.unit("k"):
            store.put_session("k", {"updated_at": 3})
            await store.flush()
        with psycopg.connect(pg_dsn) as check:
            row = check.execute("SELECT data FROM sessions WHERE key = 'k'").fetchone()
        assert row == ({"updated_at": 3},)


def test_calls_outside_units_carry_on_after_the_server_dropped_the_connection(
        pg_dsn: str) -> None:
    """The CLI's and the office's connection, ended by a server restart while idle, is
    replaced before the next call instead of failing it."""
    with PostgresStore(pg_dsn, pool_size=1) as store:
        store.put_session("k", {"updated_at": 1})
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                          "datname = current_database() AND pid <> pg_backend_pid()")
        time.sleep(0.2)  # the server's goodbye reaches the socket
        assert store.get_session("k") == {"updated_at": 1}


async def test_a_task_started_inside_a_unit_is_not_in_it(
        two: tuple[PostgresStore, PostgresStore]) -> None:
    """A task started in a unit (a background send) inherits its context but may outlive
    it: its own units must hold their keys on connections of their own. Before, its unit
    was taken "inside" the parent's, on the parent's connection, and lost its lock when
    the parent ended (the connection went back to the pool)."""
    store, other = two
    entered, release = asyncio.Event(), asyncio.Event()

    async def background() -> None:
        async with store.unit("outbox:wa:628333"):
            entered.set()
            await release.wait()

    async with store.unit("wa:628333"):
        task = asyncio.create_task(background())
        await entered.wait()
    with pytest.raises(TimeoutError):  # the background unit still holds its key
        async with asyncio.timeout(0.5), other.unit("outbox:wa:628333"):
            pass
    release.set()
    await task
