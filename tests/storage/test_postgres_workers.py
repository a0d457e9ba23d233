"""Two workers on one PostgreSQL database, in one process (each its own App and pool):
every message delivered to both at once is handled once, and a due timer or a queued
reply is taken by one of them only."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from bot.messages import Incoming
from bot.ordering.domain.statuses import STATUSES
from bot.storage.base import Timer
from bot.storage.postgres import PostgresStore
from tests.chat import ChatBot
from tests.coordinator.test_flows import ORDER

T0 = 1_800_000_000.0


@pytest.fixture
def workers(pg_dsn: str) -> Iterator[tuple[ChatBot, ChatBot]]:
    bots = tuple(ChatBot(store=PostgresStore(pg_dsn, finished=STATUSES.finished, pool_size=3))
                 for _ in range(2))
    yield bots  # type: ignore[misc]
    for bot in bots:
        bot.store.close()


def test_every_message_delivered_to_two_workers_at_once_is_handled_once(
        workers: tuple[ChatBot, ChatBot]) -> None:
    a, b = workers

    async def both(text: str, number: int) -> tuple[list, list]:
        msg = Incoming(channel="console", user="warga", text=text, message_id=f"dup-{number}")
        first, second = await asyncio.gather(a.app.engine.handle(msg),
                                             b.app.engine.handle(msg))
        return list(first), list(second)

    for number, line in enumerate(ORDER):
        first, second = asyncio.run(both(line, number))
        assert bool(first) != bool(second), f"{line!r}: answered by both or neither"
    orders = a.orders()
    assert len(orders) == 1 and orders == b.orders()  # placed exactly once
    assert a.session() == b.session()


async def test_a_due_timer_is_taken_by_one_worker_and_back_if_its_unit_fails(
        pg_dsn: str) -> None:
    with PostgresStore(pg_dsn, pool_size=2) as a, PostgresStore(pg_dsn, pool_size=2) as b:
        async with a.unit("set"):
            a.set_timer(Timer("recap:kranji-baru", "recap", T0))
            await a.flush()
        with pytest.raises(RuntimeError):
            async with a.unit("timers"):
                assert [t.name for t in a.take_due_timers(T0)] == ["recap:kranji-baru"]
                async with b.unit("timers-b"):  # the row is a's until a's unit ends
                    assert b.take_due_timers(T0) == []
                raise RuntimeError("the handler failed")
        async with b.unit("timers"):  # a's unit rolled back: the timer is due again
            assert [t.name for t in b.take_due_timers(T0)] == ["recap:kranji-baru"]
            await b.flush()
        async with a.unit("timers"):
            assert a.take_due_timers(T0 + 1) == []  # fired once


def test_queued_replies_claimed_by_two_workers_at_once_go_to_one_each(pg_dsn: str) -> None:
    with PostgresStore(pg_dsn, pool_size=2) as a, PostgresStore(pg_dsn, pool_size=2) as b:
        a.queue([{"type": "Text", "to": f"wa:628{i}", "text": str(i)} for i in range(300)],
                owner="w0", lease_until=T0)
        got: dict[str, list[int]] = {"a": [], "b": []}
        start = threading.Barrier(2)

        def claim(name: str, store: PostgresStore) -> None:
            start.wait()
            while batch := store.claim_queued(owner=name, now=T0 + 1, lease_until=T0 + 60,
                                              limit=7):
                got[name] += [q.id for q in batch]

        threads = [threading.Thread(target=claim, args=(n, s)) for n, s in
                   (("a", a), ("b", b))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not set(got["a"]) & set(got["b"])
        assert len(got["a"]) + len(got["b"]) == 300


def test_every_worker_names_a_user_alike_in_its_log(workers: tuple[ChatBot, ChatBot]) -> None:
    """One pseudonym key per database (made once), used by every worker's App."""
    from bot import privacy

    a, b = workers
    assert a.store.pseudonym_key() == b.store.pseudonym_key()  # type: ignore[attr-defined]
    assert privacy._key == a.store.pseudonym_key()  # type: ignore[attr-defined]
