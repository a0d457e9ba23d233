"""A dead worker's unsent replies are sent by another worker at once (PostgreSQL outbox):
not when their lease runs out (two minutes), and never while their worker lives."""

from __future__ import annotations

import time

from bot.storage.postgres import PostgresStore

REPLY = {"to": "whatsapp:6281300000001", "kind": "text", "text": "Pesanan diterima"}


async def test_a_dead_workers_unsent_replies_are_claimed_at_once_not_after_their_lease(
        pg_dsn: str) -> None:
    now = time.time()
    dying = PostgresStore(pg_dsn, pool_size=2)
    other = PostgresStore(pg_dsn, pool_size=2)
    try:
        async with dying.unit("whatsapp:6281300000001"):
            [queued] = dying.queue([REPLY], owner="dying", lease_until=now + 120)
            await dying.flush()
        # its worker lives: the lease holds
        assert other.claim_queued(owner="other", now=now, lease_until=now + 120) == []
        dying.close()  # as a kill -9 ends its connections (and its presence lock)
        [claimed] = other.claim_queued(owner="other", now=now, lease_until=now + 120)
        assert claimed.id == queued and claimed.reply["text"] == "Pesanan diterima"
        assert other.claim_queued(owner="third", now=now, lease_until=now + 120) == []
        # a failed send keeps its retry time, whoever owned it
        other.retry_queued(claimed.id, at=now + 60, error="test")
        assert other.claim_queued(owner="third", now=now, lease_until=now + 120) == []
        assert [q.id for q in other.claim_queued(owner="third", now=now + 61,
                                                 lease_until=now + 180)] == [queued]
    finally:
        other.close()
