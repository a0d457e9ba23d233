"""One lock per conversation key: a user's messages are handled one at a time, in order,
while different users run in parallel. Locks are dropped when nobody holds or waits."""

from __future__ import annotations

import asyncio


class KeyLocks:
    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def hold(self, key: str) -> _Hold:
        """``async with locks.hold(key):`` the conversation's turn (waits for it)."""
        return _Hold(self._locks, key)

    def __len__(self) -> int:
        return len(self._locks)


class _Hold:
    """`KeyLocks.hold` as a plain async context manager (an async generator one cost a
    few microseconds more per message): counted in while held or waited for."""

    __slots__ = ("_key", "_locks")

    def __init__(self, locks: dict[str, tuple[asyncio.Lock, int]], key: str) -> None:
        self._locks, self._key = locks, key

    async def __aenter__(self) -> None:
        lock, users = self._locks.get(self._key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[self._key] = (lock, users + 1)
        try:
            await lock.acquire()
        except BaseException:  # cancelled while waiting: no longer a user
            self._leave()
            raise

    async def __aexit__(self, *exc: object) -> None:
        try:
            self._locks[self._key][0].release()
        finally:
            self._leave()

    def _leave(self) -> None:
        lock, users = self._locks[self._key]
        if users <= 1:
            del self._locks[self._key]
        else:
            self._locks[self._key] = (lock, users - 1)
