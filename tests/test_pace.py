"""bot/pace.py: sends let go at most ``per_second`` a second, never in a catch-up burst."""

from __future__ import annotations

import asyncio
import itertools

from bot.pace import Pace


class FakeTime:
    """A clock that moves only when someone sleeps (or when told to)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


def starts_per_window(times: list[float], window: float = 1.0) -> int:
    return max(sum(1 for u in times if t <= u < t + window) for t in times)


async def test_concurrent_senders_are_spaced_evenly() -> None:
    fake = FakeTime()
    pace = Pace(10, clock=fake.clock, sleep=fake.sleep)
    starts: list[float] = []

    async def send() -> None:
        await pace.wait()
        starts.append(fake.now)

    await asyncio.gather(*(send() for _ in range(35)))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 35
    assert min(gaps) >= 0.1 - 1e-9
    assert starts_per_window(starts) <= 10


async def test_a_slow_send_does_not_let_the_next_ones_burst() -> None:
    fake = FakeTime()
    pace = Pace(5, clock=fake.clock, sleep=fake.sleep)
    starts: list[float] = []
    for number in range(6):
        await pace.wait()
        starts.append(fake.now)
        if number == 1:
            fake.now += 3.0  # one send took three seconds
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.2 - 1e-9


async def test_no_rate_means_no_waiting() -> None:
    fake = FakeTime()
    pace = Pace(0, clock=fake.clock, sleep=fake.sleep)
    for _ in range(100):
        await pace.wait()
    assert fake.now == 1000.0
