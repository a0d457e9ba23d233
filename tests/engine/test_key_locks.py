"""`KeyLocks`: one conversation's messages one at a time and in order, others alongside;
a lock is dropped when nobody holds or waits, also when a waiter is cancelled or the
holder raises."""

from __future__ import annotations

import asyncio

import pytest

from bot.engine.locks import KeyLocks


def test_one_key_in_order_others_alongside() -> None:
    async def run() -> list[str]:
        locks, seen = KeyLocks(), []

        async def turn(key: str, name: str, pause: float) -> None:
            async with locks.hold(key):
                seen.append(f"{name}+")
                await asyncio.sleep(pause)
                seen.append(f"{name}-")

        await asyncio.gather(turn("a", "a1", 0.02), turn("a", "a2", 0), turn("b", "b1", 0))
        assert len(locks) == 0
        return seen

    seen = asyncio.run(run())
    assert seen.index("a1-") < seen.index("a2+")  # a2 waited for a1
    assert seen.index("b1-") < seen.index("a1-")  # b did not wait for a


def test_cancelled_waiter_and_failing_holder_leave_no_lock() -> None:
    async def run() -> None:
        locks = KeyLocks()
        held = asyncio.Event()

        async def holder() -> None:
            async with locks.hold("a"):
                held.set()
                await asyncio.sleep(0.02)
                raise ValueError("boom")

        first = asyncio.create_task(holder())
        await held.wait()
        waiter = asyncio.create_task(locks.hold("a").__aenter__())
        await asyncio.sleep(0)
        assert len(locks) == 1
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        with pytest.raises(ValueError):
            await first
        assert len(locks) == 0
        async with locks.hold("a"):  # free again
            assert len(locks) == 1
        assert len(locks) == 0

    asyncio.run(run())
