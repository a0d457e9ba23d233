"""The PostgreSQL outbox: a reply held by a live worker is never claimed by another, however
long that worker's backlog outlasts the lease (it would be sent twice); its own sender does
not line it up twice either. A reply given back (a failed send, a channel not run there) is
anyone's once its time came."""

from __future__ import annotations

import asyncio
import time

from bot.delivery import Outgoing, Sender
from bot.engine.unsent import records
from bot.messages import Text
from bot.storage.postgres import PostgresStore

TO = "whatsapp:6281300000002"
REPLY = Text(to=TO, text="Pesanan diterima")


async def queue_one(store: PostgresStore, owner: str, now: float) -> int:
    async with store.unit(TO):
        [queued] = store.queue(records([REPLY]), owner=owner, lease_until=now + 120)
        await store.flush()
    return queued


async def test_a_live_workers_reply_is_not_claimed_by_another_after_its_lease(
        pg_dsn: str) -> None:
    now = time.time()
    busy = PostgresStore(pg_dsn, pool_size=2)
    other = PostgresStore(pg_dsn, pool_size=2)
    try:
        queued = await queue_one(busy, "busy", now)
        # ten minutes on, its worker still alive (a long backlog): not another's to send
        assert other.claim_queued(owner="other", now=now + 600, lease_until=now + 720) == []
        # its own worker's, again (its sender skips what its lines still hold)
        assert [q.id for q in busy.claim_queued(owner="busy", now=now + 600,
                                                lease_until=now + 720)] == [queued]
        # a failed send is given back: anyone's from its retry time, not before
        busy.retry_queued(queued, at=now + 700, error="test")
        assert other.claim_queued(owner="other", now=now + 650, lease_until=now + 770) == []
        assert [q.id for q in other.claim_queued(owner="other", now=now + 701,
                                                 lease_until=now + 821)] == [queued]
        assert busy.claim_queued(owner="busy", now=now + 900, lease_until=now + 1020) == []
        # given back by a process that does not run its channel: anyone's from then
        other.release_queued([queued], at=now + 901)
        assert [q.id for q in busy.claim_queued(owner="busy", now=now + 901,
                                                lease_until=now + 1021)] == [queued]
    finally:
        busy.close()
        other.close()


async def test_a_reply_claimed_again_while_in_its_line_is_sent_once(pg_dsn: str) -> None:
    """The sender's lease ends while the reply still waits in its line (a slow platform):
    the background claim gets the row back, and the reply still goes out once."""
    now = time.time()
    sent: list[str] = []
    gate = asyncio.Event()

    async def send(reply: Text) -> bool:
        await gate.wait()  # a platform that answers slowly
        sent.append(reply.text)
        return True

    with PostgresStore(pg_dsn, pool_size=2) as store:
        sender = Sender(store, send, clock=lambda: now, owner="busy")  # type: ignore[arg-type]
        queued = await queue_one(store, sender.owner, now)
        sender.post([Outgoing(queued, REPLY)])
        await asyncio.sleep(0)
        assert sender.claim(now=now + 600) == 1  # its lease ended: the row comes back...
        gate.set()
        await sender.drain_all()
        assert sent == ["Pesanan diterima"]  # ...and is not sent a second time
        assert store.claim_queued(owner="busy", now=now + 9999, lease_until=now + 99999) == []
