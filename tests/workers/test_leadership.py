"""Telegram long polling by exactly one worker at a time (issue 14, item 5): leadership by a
PostgreSQL session advisory lock (bot/leader.py), taken over when the leader dies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import psycopg

from bot.leader import LOCK_CLASS, AdvisoryLeadership, AlwaysLeader
from tests.chat import write_config
from tests.telegram.fakeapi import TOKEN, FakeBotAPI, serve
from tests.telegram.residents import Resident
from tests.webhooks.support import ServeProcess, free_port

LEADS = "this worker leads"
FOLLOWS = "another worker polls"


async def test_one_process_leads_and_another_takes_over_when_its_session_ends(
        pg_dsn: str) -> None:
    first = AdvisoryLeadership(pg_dsn, "telegram polling 1")
    second = AdvisoryLeadership(pg_dsn, "telegram polling 1")
    other_bot = AdvisoryLeadership(pg_dsn, "telegram polling 2")
    try:
        assert await first.check() is True
        assert await second.check() is False
        assert await first.check() is True  # confirmed, still held
        assert await other_bot.check() is True  # another name: a lock of its own
        with psycopg.connect(pg_dsn, autocommit=True) as admin:  # the leader's end
            admin.execute("SELECT pg_terminate_backend(%s)",
                          (first._conn.info.backend_pid,))
        # the follower tries again (every second in the adapter) until the session is gone
        await until_true(second.check, "the follower to take the lead")
        assert await first.check() is False  # it sees its lock gone, and does not lead
        assert await first.check() is False  # (reconnected: held by the second now)
        await second.release()
        assert await first.check() is True
    finally:
        for lead in (first, second, other_bot):
            await lead.release()


async def until_true(check: Callable[[], Awaitable[bool]], what: str,
                     timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        await asyncio.sleep(0.05)


async def test_the_embedded_store_always_leads() -> None:
    lead = AlwaysLeader()
    assert lead.always and await lead.check() is True


async def until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        await asyncio.sleep(0.05)


async def test_telegram_polling_moves_to_another_worker_within_10_s_of_killing_the_leader(
        tmp_path: Path, pg_dsn: str) -> None:
    async with serve(FakeBotAPI()) as fake:
        workers = []
        for n in range(2):
            port = free_port()
            (tmp_path / f"w{n}").mkdir()
            config = write_config(tmp_path / f"w{n}", server={"host": "127.0.0.1",
                                                              "port": port},
                                  storage={"backend": "postgres", "dsn": pg_dsn},
                                  telegram={"enabled": True, "token": TOKEN,
                                            "base_url": fake.base_url, "mode": "polling",
                                            "poll_timeout": 1, "retry_backoff": 0.05})
            workers.append(ServeProcess(config, port, tmp_path / f"w{n}.log"))
        await asyncio.gather(*(w.start() for w in workers))
        try:
            await until(lambda: sum(LEADS in w.stderr() for w in workers) == 1
                        and sum(FOLLOWS in w.stderr() for w in workers) == 1,
                        "one worker leading and one following")
            [leader] = [w for w in workers if LEADS in w.stderr()]
            [follower] = [w for w in workers if w is not leader]
            ani = Resident(fake, 601, "Ani")
            await ani.say("halo", expect="Apa yang ingin Anda lakukan?")

            leader.kill9()
            assert await leader.wait() < 0
            budi = Resident(fake, 602, "Budi")
            # wait_reply gives up after 10 s (fakeapi.WAIT): the follower took over by then
            await budi.say("halo", expect="Apa yang ingin Anda lakukan?")
            assert LEADS in follower.stderr()
            with psycopg.connect(pg_dsn, autocommit=True) as admin:
                holders = admin.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND classid = %s::oid AND objsubid = 2", (LOCK_CLASS,)).fetchone()
            assert holders == (1,)
        finally:
            fake.closing = True
            await fake.notify()
            codes = await asyncio.gather(*(w.stop() for w in workers))
    assert codes[workers.index(follower)] == 0
