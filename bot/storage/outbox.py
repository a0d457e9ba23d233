"""The outbox and the timers of the embedded stores, held in memory.

`OutboxRows` keeps the replies waiting to be sent: ``{id (as text): row}`` where a row is
``{"to": key, "reply": record, "queued_at": epoch s, "attempts": n, "error": str,
"retry_at": epoch s}``. Leases (who is sending a row until when) are kept beside the
rows, in memory only: an embedded store serves one process, so after a restart every
lease belongs to a dead process and every row may be claimed at once. `TimerRows` keeps
the timers: ``{name: {"kind": ..., "due": epoch s, "payload": {...}}}``.

Both work on a dict they are given (a `DocFile`'s data for the TinyDB store, a plain dict
for the memory store) and report each changed key, with its new value or None when it was
removed, to ``changed`` (the TinyDB store journals it). Ids grow in the order rows are
queued; after a restart they go on above the highest row held.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.storage.base import Queued, Record, Timer

Changed = Callable[[str, Any], None]


def _nothing(key: str, value: Any) -> None:
    return None


def valid_row(value: Any) -> bool:
    return (isinstance(value, dict) and isinstance(value.get("to"), str)
            and isinstance(value.get("reply"), dict))


def valid_timer(value: Any) -> bool:
    return (isinstance(value, dict) and isinstance(value.get("kind"), str)
            and isinstance(value.get("due"), int | float) and not isinstance(value["due"], bool)
            and isinstance(value.get("payload", {}), dict))


class OutboxRows:
    def __init__(self, rows: dict[str, Any], changed: Changed = _nothing) -> None:
        self.rows = rows
        self.changed = changed
        self.leases: dict[int, tuple[str, float]] = {}  # id -> (owner, until)
        self.next_id = 1
        self.reopen()

    def reopen(self) -> None:
        """After the rows were (re)loaded: ids go on above the highest; no leases."""
        self.leases.clear()
        highest = max((int(k) for k in self.rows if k.isdecimal()), default=0)
        self.next_id = max(self.next_id, highest + 1)

    def queue(self, replies: list[Record], owner: str, lease_until: float) -> list[int]:
        ids = []
        now = time.time()
        for reply in replies:
            to = reply.get("to") if isinstance(reply, dict) else None
            if not isinstance(to, str) or not to:
                raise ValueError("a queued reply needs its recipient (`to`)")
            number = self.next_id
            self.next_id += 1
            row = {"to": to, "reply": reply, "queued_at": now, "attempts": 0}
            self.changed(str(number), row)  # first: a value JSON cannot hold stops here
            self.rows[str(number)] = row
            self.leases[number] = (owner, lease_until)
            ids.append(number)
        return ids

    def claim(self, owner: str, now: float, lease_until: float, limit: int) -> list[Queued]:
        found: list[Queued] = []
        for key in sorted(self.rows, key=_number):  # oldest first
            if len(found) >= limit:
                break
            number = _number(key)
            row = self.rows[key]
            lease = self.leases.get(number)
            if lease is not None and lease[1] > now:
                continue
            if float(row.get("retry_at") or 0) > now:
                continue
            self.leases[number] = (owner, lease_until)
            found.append(Queued(number, row["to"], row["reply"], int(row.get("attempts") or 0)))
        return found

    def mark_sent(self, ids: Iterable[int]) -> list[int]:
        """Drop these rows; returns the ids that were held."""
        gone = []
        for number in ids:
            self.leases.pop(number, None)
            if self.rows.pop(str(number), None) is not None:
                self.changed(str(number), None)
                gone.append(number)
        return gone

    def retry(self, number: int, at: float, error: str) -> None:
        row = self.rows.get(str(number))
        self.leases.pop(number, None)
        if row is None:
            return
        row = {**row, "attempts": int(row.get("attempts") or 0) + 1, "retry_at": at,
               "error": str(error)[:200]}
        self.changed(str(number), row)
        self.rows[str(number)] = row

    def waiting(self) -> tuple[int, float | None]:
        """How many rows wait, and when the oldest was queued."""
        oldest = min((float(r.get("queued_at") or 0) for r in self.rows.values()), default=None)
        return len(self.rows), oldest


def _number(key: str) -> int:
    return int(key) if key.isdecimal() else 0


class TimerRows:
    def __init__(self, rows: dict[str, Any], changed: Changed = _nothing) -> None:
        self.rows = rows
        self.changed = changed

    def set(self, timer: Timer) -> None:
        if not isinstance(timer.name, str) or not timer.name:
            raise ValueError("a timer needs a name")
        row = {"kind": timer.kind, "due": float(timer.due), "payload": dict(timer.payload)}
        if not valid_timer(row):
            raise ValueError(f"timer {timer.name!r}: not a timer")
        self.changed(timer.name, row)
        self.rows[timer.name] = row

    def cancel(self, name: str) -> None:
        if self.rows.pop(name, None) is not None:
            self.changed(name, None)

    def take_due(self, now: float, limit: int) -> list[Timer]:
        due = [(float(row["due"]), name) for name, row in self.rows.items()
               if float(row["due"]) <= now]
        taken = []
        for _, name in heapq.nsmallest(limit, due):
            row = self.rows.pop(name)
            self.changed(name, None)
            payload = dict(row.get("payload") or {})
            taken.append(Timer(name, row["kind"], float(row["due"]), payload))
        return taken
