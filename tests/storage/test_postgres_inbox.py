"""The webhook inbox as a table: what was synced and not done comes back to the next
worker that starts, in arrival order, but never while the worker that took it lives."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from bot.storage.postgres import PostgresStore

ROOT = Path(__file__).resolve().parents[2]

ADDER = textwrap.dedent("""
    import asyncio, sys
    from bot.storage.postgres import PostgresStore

    async def main():
        inbox = PostgresStore(sys.argv[1], pool_size=1).inbox("whatsapp")
        numbers = [inbox.add(body) for body in (b'{"a":1}', b"\\xff\\xfe not utf-8", b'{"c":3}')]
        await inbox.sync()
        inbox.done(numbers[0])
        print(*numbers, flush=True)
        await asyncio.sleep(3600)  # handling them... until killed

    asyncio.run(main())
""")


async def test_a_live_workers_deliveries_stay_its_own_and_a_killed_ones_come_back(
        pg_dsn: str) -> None:
    worker = subprocess.Popen([sys.executable, "-c", ADDER, pg_dsn], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        line = await asyncio.wait_for(asyncio.to_thread(worker.stdout.readline), 20)  # type: ignore[union-attr]
        numbers = [int(n) for n in line.split()]
        with PostgresStore(pg_dsn, pool_size=1) as other:  # a second worker starts
            assert other.inbox("whatsapp").pending() == []  # the first is still at it
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        with PostgresStore(pg_dsn, pool_size=1) as third:
            inbox = third.inbox("whatsapp")
            assert [(d.number, d.body) for d in inbox.pending()] == [
                (numbers[1], b"\xff\xfe not utf-8"), (numbers[2], b'{"c":3}')]
            assert third.inbox("telegram").pending() == []  # per channel
            later = inbox.add(b"{}")
            assert later > numbers[2]  # numbers keep growing across workers and restarts
            await inbox.sync()
            inbox.done(numbers[1])
            inbox.done(numbers[2])
            assert inbox.waiting() == 1
        with PostgresStore(pg_dsn, pool_size=1) as fourth:  # the third stopped cleanly
            assert [d.number for d in fourth.inbox("whatsapp").pending()] == [later]
    finally:
        worker.kill()
        worker.wait()


async def test_done_before_sync_never_reaches_the_table(pg_dsn: str) -> None:
    with PostgresStore(pg_dsn, pool_size=1) as store:
        inbox = store.inbox("telegram")
        inbox.done(inbox.add(b"handled at once"))
        kept = inbox.add(b"kept")
        await inbox.sync()
    with PostgresStore(pg_dsn, pool_size=1) as store:
        assert [d.body for d in store.inbox("telegram").pending()] == [b"kept"]
        assert store.inbox("telegram").pending()[0].number == kept


async def test_a_worker_keeps_its_deliveries_when_the_server_drops_its_connections(
        pg_dsn: str) -> None:
    """A server restart ends every connection, the presence lock's too: the worker takes
    that lock again (same owner) within seconds, so no other worker takes its deliveries."""
    import time

    import psycopg

    with PostgresStore(pg_dsn, pool_size=1) as worker:
        inbox = worker.inbox("whatsapp")
        inbox.add(b'{"in": "hand"}')
        await inbox.sync()
        held = ("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objsubid = 2 AND objid::bigint = %s AND database = (SELECT oid FROM "
                "pg_database WHERE datname = current_database())")
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            [(before,)] = admin.execute(held, (inbox._owner,)).fetchall()
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                          "datname = current_database() AND pid <> pg_backend_pid()")
            # taken again on a new connection (the old backend may still show it for a
            # moment after pg_terminate_backend, which only signals it)
            deadline = time.monotonic() + 10
            while [row[0] for row in admin.execute(held, (inbox._owner,))] in ([], [before]):
                assert time.monotonic() < deadline, "the presence lock was not taken again"
                await asyncio.sleep(0.1)
        with PostgresStore(pg_dsn, pool_size=1) as other:
            assert other.inbox("whatsapp").pending() == []
        later = inbox.add(b'{"after": "restart"}')  # its own connections come back too
        await inbox.sync()
        inbox.done(later)
        with psycopg.connect(pg_dsn) as check:
            assert check.execute("SELECT count(*) FROM inbox").fetchone() == (1,)
