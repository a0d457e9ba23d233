"""Sending at a pace: a rate limiter for messages that go out to many people at once
(an announcement, the outbox sender draining a backlog).

``pace = Pace(20)``, then ``await pace.wait()`` before each send. Consecutive sends start
at least ``1 / per_second`` apart, counted from when each one was let go (a send that was
slow, or a pause, never lets the ones after it catch up in a burst), so no window of one
second holds more than ``per_second`` starts. Concurrent callers queue on the pace and are
let go one at a time, first come first served.

Share one `Pace` per platform account between everything that sends in bulk on it, so
together they stay within the platform's limit (Telegram: about 30 messages a second per
bot; WhatsApp: 80 a second per number by default, less for a new or low-quality number).
Replies to someone who just wrote do not go through it: they are one at a time per person.

The clock and the sleep are injected (tests count the waits without waiting).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


class Pace:
    """At most ``per_second`` starts a second, evenly spaced; 0 or less: no limit."""

    def __init__(self, per_second: float, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.per_second = float(per_second)
        self.interval = 1.0 / self.per_second if self.per_second > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")  # the earliest the next start may be let go
        self._lock: asyncio.Lock | None = None

    async def wait(self) -> None:
        """Return when the next send may start."""
        if self.interval <= 0:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            now = self._clock()
            while now < self._next:
                await self._sleep(self._next - now)
                now = self._clock()
            self._next = now + self.interval


def rate_of(value: Any, default: float) -> float:
    """A configured rate as a float (``default`` for a value that is not a number)."""
    try:
        rate = float(value)
    except (TypeError, ValueError):
        return default
    return rate if rate == rate else default  # NaN: the default
