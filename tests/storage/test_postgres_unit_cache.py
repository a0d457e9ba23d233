"""What a PostgreSQL unit of work keeps to save round trips (its sessions and message ids,
read once per unit) never outlives the unit: the next unit reads what another worker
committed meanwhile, a unit sees its own writes, and what it did not commit is gone with
it. A unit whose statement failed does not report a flush as durable."""

from __future__ import annotations

import psycopg
import pytest

from bot.storage.base import StoreError
from bot.storage.postgres import PostgresStore

KEY = "whatsapp:628111"


async def test_the_next_unit_reads_what_another_worker_committed(pg_dsn: str) -> None:
    """The classic "state that one worker never re-reads": worker a read the session and
    the message id in a unit; worker b then changed both; a's next unit sees b's."""
    with PostgresStore(pg_dsn, pool_size=2) as a, PostgresStore(pg_dsn, pool_size=2) as b:
        async with a.unit(KEY):
            assert not a.seen_message("whatsapp", "wamid.1")
            assert a.get_session(KEY) is None
            a.put_session(KEY, {"state": "by a", "updated_at": 1})
            await a.flush()
        async with b.unit(KEY):
            assert b.get_session(KEY) == {"state": "by a", "updated_at": 1}
            b.put_session(KEY, {"state": "by b", "updated_at": 2})
            b.mark_message("whatsapp", "wamid.1", 2.0)
            await b.flush()
        async with a.unit(KEY):
            assert a.seen_message("whatsapp", "wamid.1")
            assert a.get_session(KEY) == {"state": "by b", "updated_at": 2}
        b.delete_session(KEY)
        async with a.unit(KEY):
            assert a.get_session(KEY) is None


async def test_a_unit_sees_its_own_writes_as_copies(pg_dsn: str) -> None:
    with PostgresStore(pg_dsn, pool_size=2) as store:
        store.put_session(KEY, {"state": "before", "updated_at": 1})
        async with store.unit(KEY):
            assert not store.seen_message("whatsapp", "wamid.2")
            read = store.get_session(KEY)
            assert read == {"state": "before", "updated_at": 1}
            read["state"] = "changed by the caller"  # a copy: the unit keeps its own
            assert store.get_session(KEY) == {"state": "before", "updated_at": 1}
            store.put_session(KEY, {"state": "after", "slots": {"a": [1, "é"]}})
            assert store.get_session(KEY) == {"state": "after", "slots": {"a": [1, "é"]}}
            store.mark_message("whatsapp", "wamid.2", 3.0)
            assert store.seen_message("whatsapp", "wamid.2")
            store.put_session("thread.waiting:" + KEY, {"codes": ["A1"]})
            store.delete_session("thread.waiting:" + KEY)
            assert store.get_session("thread.waiting:" + KEY) is None
            await store.flush()
        assert store.get_session(KEY) == {"state": "after", "slots": {"a": [1, "é"]}}
        assert store.get_session("thread.waiting:" + KEY) is None
        assert store.seen_message("whatsapp", "wamid.2")


async def test_what_a_unit_did_not_commit_is_not_kept(pg_dsn: str) -> None:
    with PostgresStore(pg_dsn, pool_size=1) as store:
        store.put_session(KEY, {"state": "committed", "updated_at": 1})
        async with store.unit(KEY):
            assert not store.seen_message("whatsapp", "wamid.3")
            store.put_session(KEY, {"state": "never flushed", "updated_at": 2})
            store.mark_message("whatsapp", "wamid.3", 2.0)
        async with store.unit(KEY):  # the same pooled connection, a new unit
            assert store.get_session(KEY) == {"state": "committed", "updated_at": 1}
            assert not store.seen_message("whatsapp", "wamid.3")


async def test_a_unit_whose_statement_failed_does_not_flush(pg_dsn: str) -> None:
    """A failed statement aborts the transaction; the server answers a COMMIT after it
    with a rollback, not an error: the flush must say it failed (the engine then
    withholds replies that would confirm what was lost)."""
    with PostgresStore(pg_dsn, pool_size=1) as store:
        async with store.unit(KEY):
            store.put_session(KEY, {"state": "lost", "updated_at": 1})
            with pytest.raises(StoreError), store.db.conn() as conn:
                conn.execute("SELECT 1 / 0")
            with pytest.raises(StoreError):
                await store.flush()
        assert store.get_session(KEY) is None


async def test_sent_marks_outside_units_are_read_back_and_kept(
        pg_dsn: str) -> None:
    store = PostgresStore(pg_dsn, pool_size=1)
    async with store.unit("outbox:test"):
        ids = store.queue([{"to": KEY, "text": f"reply {n}"} for n in range(3)],
                          owner="me", lease_until=0.0)
        await store.flush()
    store.mark_sent(ids[:2])  # as the App's sender does, outside any unit
    assert store.outbox_waiting()[0] == 1  # its own marks, read back at once
    assert [q.id for q in store.claim_queued(owner="me", now=1.0, lease_until=2.0)] == ids[2:]
    store.mark_sent(ids[2:])
    store.close()
    with psycopg.connect(pg_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()
    assert row == (0,)
