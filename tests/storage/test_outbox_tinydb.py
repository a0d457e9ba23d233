"""The TinyDB store's outbox, timers and units of work after a crash.

A crash is the folder copied while the store is open (`crash_image`, as in
test_journal.py): what a machine that stopped at that instant would leave.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.storage.base import Timer
from bot.storage.tinydb_store import TinyDBStore
from tests.storage.test_journal import crash_image

T0 = 1_800_000_000.0


def reply(to: str, text: str) -> dict:
    return {"type": "Text", "to": to, "text": text}


async def test_a_unit_lands_in_one_journal_line_whoever_flushes_meanwhile(
        data_dir: Path, tmp_path: Path) -> None:
    store = TinyDBStore(data_dir)
    go, done = asyncio.Event(), asyncio.Event()

    async def other_conversation() -> None:  # its own task, outside the unit
        await go.wait()
        store.put_session("telegram:2", {"flow": "x", "updated_at": T0})
        await store.flush()
        done.set()

    task = asyncio.create_task(other_conversation())
    try:
        async with store.unit("telegram:1"):
            store.create_order({"code": "PM-1", "status": "new", "market": "m",
                                "created_at": "2026-11-30T08:00:00+07:00"})
            go.set()  # the other conversation writes and flushes while this unit is half done
            await done.wait()
            half = crash_image(store, tmp_path / "half")
            store.put_session("telegram:1", {"flow": "order", "updated_at": T0})
            store.mark_message("telegram", "m1", T0)
            store.queue([reply("telegram:1", "diterima PM-1")], owner="w1", lease_until=T0)
            await store.flush()
        whole = crash_image(store, tmp_path / "whole")
    finally:
        await task
        store.close()
    with TinyDBStore(half) as after:  # the other conversation's write only
        assert after.get_session("telegram:2") is not None
        assert after.get_order("PM-1") is None and after.get_session("telegram:1") is None
        assert after.outbox_waiting()[0] == 0
    with TinyDBStore(whole) as after:  # all of the unit
        assert after.get_order("PM-1") is not None and after.seen_message("telegram", "m1")
        [queued] = after.claim_queued(owner="w2", now=T0 - 1, lease_until=T0 + 60)
        assert queued.reply["text"] == "diterima PM-1"  # no lease survives a restart


async def test_a_reply_marked_sent_is_not_sent_again_after_a_crash_before_the_next_write(
        data_dir: Path, tmp_path: Path) -> None:
    store = TinyDBStore(data_dir)
    try:
        async with store.unit("telegram:1"):
            sent, waiting = store.queue([reply("telegram:1", "a"), reply("telegram:1", "b")],
                                        owner="w1", lease_until=T0)
            await store.flush()
        store.mark_sent([sent])  # went out; no write round after it
        image = crash_image(store, tmp_path / "crash")
    finally:
        store.close()
    with TinyDBStore(image) as after:
        assert [q.id for q in after.claim_queued(owner="w2", now=T0, lease_until=T0 + 1)] \
            == [waiting]
    assert not (image / "outbox-sent.log").exists()  # folded into the files at open


async def test_timers_survive_a_crash_and_a_taken_timer_does_not_come_back(
        data_dir: Path, tmp_path: Path) -> None:
    store = TinyDBStore(data_dir)
    try:
        async with store.unit("timers"):
            store.set_timer(Timer("a", "ping", T0, {"n": 1}))
            store.set_timer(Timer("b", "ping", T0 + 10))
            await store.flush()
        set_image = crash_image(store, tmp_path / "set")
        async with store.unit("timers"):
            [taken] = store.take_due_timers(T0 + 1)
            await store.flush()
        taken_image = crash_image(store, tmp_path / "taken")
    finally:
        store.close()
    assert taken.name == "a"
    with TinyDBStore(set_image) as after:
        assert [t.name for t in after.take_due_timers(T0 + 100)] == ["a", "b"]
    with TinyDBStore(taken_image) as after:
        assert [(t.name, t.payload) for t in after.take_due_timers(T0 + 100)] == [("b", {})]


async def test_outbox_and_timers_are_in_the_files_after_a_clean_close(data_dir: Path) -> None:
    with TinyDBStore(data_dir) as store:
        async with store.unit("x"):
            store.queue([reply("whatsapp:62811", "hi")], owner="w1", lease_until=T0)
            store.set_timer(Timer("t", "ping", T0))
            await store.flush()
    assert not (data_dir / "journal.jsonl").exists()  # compacted into the files
    assert (data_dir / "outbox.json").exists() and (data_dir / "timers.json").exists()
    with TinyDBStore(data_dir) as store:
        assert store.outbox_waiting()[0] == 1
        assert [t.name for t in store.take_due_timers(T0)] == ["t"]


async def test_changes_made_in_a_task_after_its_unit_ended_are_still_written(
        data_dir: Path, tmp_path: Path) -> None:
    """A task started inside a unit keeps its context: its later writes must not go to
    the unit's buffer once the unit has ended (they would never be journaled)."""
    store = TinyDBStore(data_dir)
    try:
        later = asyncio.Event()

        async def background() -> None:
            await later.wait()
            store.put_session("telegram:9", {"flow": "late", "updated_at": T0})
            await store.flush()

        async with store.unit("telegram:1"):
            task = asyncio.create_task(background())
            await store.flush()
        later.set()
        await task
        image = crash_image(store, tmp_path / "crash")
    finally:
        store.close()
    with TinyDBStore(image) as after:
        assert after.get_session("telegram:9") == {"flow": "late", "updated_at": T0}
