"""Outbox rows marked sent outside a unit of work (the App's sender, after each reply went
out), written by a thread of its own on a connection of its own: the event loop does not
wait for the round trip and the WAL sync, and the marks that arrive while one is written
go together in the next statement (one ``UPDATE ... = ANY``), as the file inbox groups
its done lines.

The mark is written as soon as the thread gets it (a wake-up, no timer), so a worker killed
just after a send leaves that reply unmarked for about as long as before (it is then sent
again by another worker, the known window of any outbox without an idempotency key at
the platform). This process reads its own marks: `settle` waits until every mark handed
over before it is written, and the store calls it before it reads the outbox (a claim,
the waiting count) and at flush and close.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable

import psycopg

from bot.storage.postgres import outbox
from bot.storage.postgres.connection import keepalives

log = logging.getLogger(__name__)

TRIES = 3  # rounds a mark is tried in before it is given up (the row is sent again later)


class Marks:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._cond = threading.Condition()
        self._pending: list[int] = []
        self._failed: dict[int, int] = {}  # id -> failed rounds
        self._asked = 0  # marks handed over so far (a counter of calls)
        self._written = 0  # of them, those whose round ended
        self._stop = False
        self._conn: psycopg.Connection | None = None
        self._thread: threading.Thread | None = None

    def add(self, ids: Iterable[int]) -> None:
        wanted = [int(i) for i in ids]
        if not wanted:
            return
        with self._cond:
            if self._stop:
                raise RuntimeError("closed")
            self._pending.extend(wanted)
            self._asked += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pg-marks",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def busy(self) -> bool:
        """Whether marks handed over are not written yet."""
        with self._cond:
            return self._written < self._asked

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until the marks handed over so far are written (or given up)."""
        with self._cond:
            target = self._asked
            self._cond.wait_for(lambda: self._written >= target or self._thread is None,
                                timeout)

    def close(self) -> None:
        self.settle()
        with self._cond:
            self._stop = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._stop)
                if not self._pending and self._stop:
                    return
                ids, self._pending = self._pending, []
                target = self._asked
            self._write(ids)
            with self._cond:
                self._written = max(self._written, target)
                self._cond.notify_all()

    def _write(self, ids: list[int]) -> None:
        try:
            if self._conn is None or self._conn.closed or self._conn.broken:
                self._conn = psycopg.connect(self.dsn, autocommit=True, **keepalives(self.dsn))
            outbox.mark_sent(self._conn, ids)
            for i in ids:
                self._failed.pop(i, None)
        except psycopg.Error as exc:
            again = []
            for i in ids:
                self._failed[i] = self._failed.get(i, 0) + 1
                if self._failed[i] < TRIES:
                    again.append(i)
                else:
                    del self._failed[i]
            log.warning("outbox: %d sent mark(s) not written (%s)%s", len(ids),
                        type(exc).__name__, "; tried again" if again else
                        "; those replies may be sent again")
            if again:
                time.sleep(0.2)  # a connection being replaced, a server restarting
                with self._cond:
                    self._pending[:0] = again
