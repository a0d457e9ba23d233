"""Group commit: many coroutines awaiting `flush()` share one write round.

A round snapshots every change made so far and writes it (in a worker thread, so the
event loop keeps running while the disk syncs). A caller that arrives while a round is in
progress waits for it, and if its changes were made too late for that round, for the next
one, which then carries the changes of everyone who waited meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class GroupCommit:
    def __init__(self, write_round: Callable[[], None]) -> None:
        """``write_round`` (blocking, thread-safe) writes every change up to `changed`
        it sees when it starts, then advances `durable` to that number."""
        self._write_round = write_round
        self.changed = 0  # bumped by the store on every change
        self.durable = 0  # highest change number known to be on disk
        self._round: asyncio.Future[None] | None = None

    def note_durable(self, seq: int) -> None:
        self.durable = max(self.durable, seq)

    async def flush(self) -> None:
        target = self.changed
        loop = asyncio.get_running_loop()
        while self.durable < target:
            current = self._round
            if current is not None and not current.done() and current.get_loop() is loop:
                await asyncio.shield(current)  # a failed round fails its waiters too
                continue
            self._round = fut = loop.create_future()
            try:
                await asyncio.sleep(0)  # the messages being handled now join this round
                await asyncio.to_thread(self._write_round)
            except asyncio.CancelledError:
                fut.set_result(None)  # waiters retry with a round of their own
                raise
            except BaseException as exc:
                fut.set_exception(exc)
                fut.exception()  # retrieved: no "never retrieved" warning without waiters
                raise
            else:
                fut.set_result(None)
            finally:
                if self._round is fut:
                    self._round = None
