"""The outbox, durable timers and units of work: one contract for every backend.

Every change is made inside a unit of work and flushed, as the engine and the App do.
Times are plain numbers handed in (``now``, ``lease_until``): no test waits for a clock.
"""

from __future__ import annotations

import pytest

from bot.storage.base import Store, Timer

T0 = 1_800_000_000.0


def reply(to: str, text: str) -> dict:
    return {"type": "Text", "to": to, "text": text}


async def queue(store: Store, replies: list[dict], *, owner: str = "w1",
                lease_until: float = T0 + 60) -> list[int]:
    async with store.unit(replies[0]["to"]):
        ids = store.queue(replies, owner=owner, lease_until=lease_until)
        await store.flush()
    return ids


async def test_queued_replies_are_claimed_oldest_first_once_their_lease_ended(
        store: Store) -> None:
    first = await queue(store, [reply("telegram:1", "a"), reply("telegram:2", "b")])
    second = await queue(store, [reply("telegram:1", "c")])
    ids = first + second
    assert ids == sorted(ids) and len(set(ids)) == 3
    # the queuing worker holds them until its lease ends: nobody else may take them
    assert store.claim_queued(owner="w2", now=T0 + 30, lease_until=T0 + 90) == []
    claimed = store.claim_queued(owner="w2", now=T0 + 61, lease_until=T0 + 121)
    assert [q.id for q in claimed] == ids
    assert [(q.to, q.reply["text"], q.attempts) for q in claimed] == [
        ("telegram:1", "a", 0), ("telegram:2", "b", 0), ("telegram:1", "c", 0)]
    assert claimed[0].reply == reply("telegram:1", "a")


async def test_a_claimed_reply_is_not_claimed_again_while_its_lease_runs(store: Store) -> None:
    await queue(store, [reply("whatsapp:62811", "a")], lease_until=T0)
    assert len(store.claim_queued(owner="w1", now=T0 + 1, lease_until=T0 + 61)) == 1
    assert store.claim_queued(owner="w2", now=T0 + 2, lease_until=T0 + 62) == []
    # its claimer died: once the lease ended another worker takes it
    [again] = store.claim_queued(owner="w2", now=T0 + 62, lease_until=T0 + 122)
    assert again.reply["text"] == "a"


async def test_a_reply_marked_sent_is_never_claimed_again(store: Store) -> None:
    ids = await queue(store, [reply("telegram:1", "a"), reply("telegram:1", "b")],
                      lease_until=T0)
    async with store.unit("outbox"):
        store.mark_sent(ids[:1])
        await store.flush()
    claimed = store.claim_queued(owner="w1", now=T0 + 1, lease_until=T0 + 2)
    assert [q.id for q in claimed] == ids[1:]
    async with store.unit("outbox"):
        store.mark_sent(ids[1:])
        await store.flush()
    assert store.claim_queued(owner="w1", now=T0 + 1000, lease_until=T0 + 1001) == []
    assert store.outbox_waiting() == (0, None)


async def test_a_failed_send_is_claimed_again_from_its_retry_time_counting_attempts(
        store: Store) -> None:
    [number] = await queue(store, [reply("telegram:1", "a")], lease_until=T0)
    [claimed] = store.claim_queued(owner="w1", now=T0 + 1, lease_until=T0 + 61)
    async with store.unit("outbox"):
        store.retry_queued(claimed.id, at=T0 + 10, error="HTTP 429")
        await store.flush()
    assert store.claim_queued(owner="w2", now=T0 + 9, lease_until=T0 + 69) == []
    [again] = store.claim_queued(owner="w2", now=T0 + 10.5, lease_until=T0 + 70)
    assert (again.id, again.attempts) == (number, 1)
    async with store.unit("outbox"):
        store.retry_queued(again.id, at=T0 + 20, error="HTTP 500")
        await store.flush()
    [third] = store.claim_queued(owner="w1", now=T0 + 21, lease_until=T0 + 81)
    assert third.attempts == 2


async def test_claims_take_at_most_the_limit_oldest_first(store: Store) -> None:
    ids = await queue(store, [reply(f"telegram:{i}", str(i)) for i in range(7)],
                      lease_until=T0)
    got = store.claim_queued(owner="w1", now=T0 + 1, lease_until=T0 + 61, limit=3)
    assert [q.id for q in got] == ids[:3]
    rest = store.claim_queued(owner="w2", now=T0 + 1, lease_until=T0 + 61, limit=10)
    assert [q.id for q in rest] == ids[3:]


async def test_outbox_waiting_counts_unsent_replies(store: Store) -> None:
    assert store.outbox_waiting() == (0, None)
    ids = await queue(store, [reply("telegram:1", "a"), reply("telegram:2", "b")])
    count, oldest = store.outbox_waiting()
    assert count == 2 and oldest is not None and oldest > 0
    async with store.unit("outbox"):
        store.mark_sent(ids)
        await store.flush()
    assert store.outbox_waiting() == (0, None)


async def test_a_reply_without_a_recipient_is_refused(store: Store) -> None:
    with pytest.raises((ValueError, TypeError, KeyError)):
        async with store.unit("x"):
            store.queue([{"type": "Text", "text": "to nobody"}], owner="w1",
                        lease_until=T0)
            await store.flush()


async def test_due_timers_are_taken_once_soonest_first(store: Store) -> None:
    async with store.unit("timers"):
        store.set_timer(Timer("remind:1", "reminder", T0 + 30, {"to": "telegram:1"}))
        store.set_timer(Timer("remind:2", "reminder", T0 + 10, {"to": "telegram:2"}))
        store.set_timer(Timer("later", "recap", T0 + 3600))
        await store.flush()
    assert store.take_due_timers(T0) == []
    async with store.unit("timers"):
        taken = store.take_due_timers(T0 + 60)
        await store.flush()
    assert [(t.name, t.kind, t.due, t.payload) for t in taken] == [
        ("remind:2", "reminder", T0 + 10, {"to": "telegram:2"}),
        ("remind:1", "reminder", T0 + 30, {"to": "telegram:1"})]
    async with store.unit("timers"):
        assert store.take_due_timers(T0 + 60) == []  # fired once
        [later] = store.take_due_timers(T0 + 4000)
        await store.flush()
    assert later.name == "later" and later.payload == {}


async def test_setting_a_timer_again_replaces_it_and_cancel_drops_it(store: Store) -> None:
    async with store.unit("timers"):
        store.set_timer(Timer("remind:1", "reminder", T0 + 10, {"n": 1}))
        store.set_timer(Timer("remind:1", "reminder", T0 + 100, {"n": 2}))  # moved later
        store.set_timer(Timer("gone", "reminder", T0 + 10))
        store.cancel_timer("gone")
        store.cancel_timer("never set")
        await store.flush()
    async with store.unit("timers"):
        assert store.take_due_timers(T0 + 50) == []
        [moved] = store.take_due_timers(T0 + 100)
        await store.flush()
    assert moved.payload == {"n": 2}


async def test_take_due_timers_respects_the_limit(store: Store) -> None:
    async with store.unit("timers"):
        for i in range(5):
            store.set_timer(Timer(f"t{i}", "k", T0 + i))
        await store.flush()
    async with store.unit("timers"):
        first = store.take_due_timers(T0 + 10, limit=2)
        rest = store.take_due_timers(T0 + 10, limit=10)
        await store.flush()
    assert [t.name for t in first] == ["t0", "t1"]
    assert [t.name for t in rest] == ["t2", "t3", "t4"]


async def test_a_unit_makes_its_session_message_id_and_replies_durable_together(
        store: Store) -> None:
    async with store.unit("telegram:1"):
        store.put_session("telegram:1", {"flow": "order", "updated_at": T0})
        store.mark_message("telegram", "m1", T0)
        [number] = store.queue([reply("telegram:1", "ok")], owner="w1", lease_until=T0)
        await store.flush()
    assert store.get_session("telegram:1") == {"flow": "order", "updated_at": T0}
    assert store.seen_message("telegram", "m1")
    [queued] = store.claim_queued(owner="w2", now=T0 + 1, lease_until=T0 + 2)
    assert queued.id == number
