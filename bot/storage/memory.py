"""In-memory store: for tests and benchmarks; everything is lost when the process ends."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from bot.storage.base import (
    DuplicateOrder,
    OrderNotFound,
    Queued,
    Record,
    Store,
    Timer,
    VersionConflict,
)
from bot.storage.floor import numbered
from bot.storage.outbox import OutboxRows, TimerRows
from bot.storage.query import order_matches, order_sort_key, status_set

__all__ = ["MemoryStore", "order_matches", "status_set"]


def _clone(value: Any) -> Any:
    """A copy in JSON types (faster than deepcopy; refuses what JSON cannot hold, as the
    durable store does)."""
    return json.loads(json.dumps(value))


_PLAIN = (int, float, str, bool)  # a stamp kept beside the text (None is read from it)


class MemoryStore(Store):
    def __init__(self, finished: Iterable[str] = ()) -> None:
        """``finished``: accepted as the TinyDB store takes it (nothing is archived here)."""
        self.finished = frozenset(finished)
        # key -> (updated_at, the session as JSON): copied once on the way in (dumps) and
        # once on the way out (loads), not twice each way; the stamp for scan and expire
        # (None: not a plain value, read from the text)
        self._sessions: dict[str, tuple[Any, str]] = {}
        self._orders: dict[str, Record] = {}
        self._sequences: dict[str, int] = {}
        self._messages: dict[str, float] = {}
        self._outbox = OutboxRows({})
        self._timers = TimerRows({}, lambda name, row: json.dumps(row))  # JSON or refused

    @classmethod
    def holding(cls, orders: Iterable[Record]) -> MemoryStore:
        """A store with these orders as they are (versions kept): a read-only view."""
        store = cls()
        store._orders = {order["code"]: _clone(order) for order in orders}
        return store

    def get_session(self, key: str) -> Record | None:
        held = self._sessions.get(key)
        return json.loads(held[1]) if held is not None else None

    def put_session(self, key: str, session: Record) -> None:
        text = json.dumps(session)
        stamp = session.get("updated_at", 0) if isinstance(session, dict) else None
        self._sessions[key] = (stamp if type(stamp) in _PLAIN else None, text)

    def _updated_at(self, held: tuple[Any, str]) -> Any:
        stamp, text = held
        return json.loads(text).get("updated_at", 0) if stamp is None else stamp

    def delete_session(self, key: str) -> None:
        self._sessions.pop(key, None)

    def scan_sessions(self, since: float) -> Iterator[tuple[str, Record]]:
        found = [(k, h) for k, h in self._sessions.items() if self._updated_at(h) >= since]
        return iter([(k, json.loads(h[1])) for k, h in found])

    def expire_sessions(self, older_than: float) -> int:
        old = [k for k, h in self._sessions.items() if self._updated_at(h) < older_than]
        for key in old:
            del self._sessions[key]
        return len(old)

    def next_sequence(self, name: str) -> int:
        self._sequences[name] = self._sequences.get(name, 0) + 1
        return self._sequences[name]

    def create_order(self, order: Record) -> Record:
        code = order["code"]
        if code in self._orders:
            raise DuplicateOrder(code)
        stored = _clone(order)
        stored["version"] = 1
        self._orders[code] = stored
        numbered_code = numbered(code)  # its sequence never gives this number again
        if numbered_code is not None:
            name, number = numbered_code
            self._sequences[name] = max(self._sequences.get(name, 0), number)
        return _clone(stored)

    def get_order(self, code: str) -> Record | None:
        order = self._orders.get(code)
        return _clone(order) if order is not None else None

    def update_order(self, code: str, changes: Record, expected_version: int) -> Record:
        order = self._orders.get(code)
        if order is None:
            raise OrderNotFound(code)
        if order["version"] != expected_version:
            raise VersionConflict(code, expected_version, order["version"])
        updated = {**order, **_clone(changes), "version": expected_version + 1}
        updated["code"] = code
        self._orders[code] = updated
        return _clone(updated)

    def query_orders(
        self,
        *,
        market: str | None = None,
        status: str | Iterable[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        referral: str | None = None,
        user: str | None = None,
    ) -> list[Record]:
        statuses = status_set(status)
        held = self._orders.values()
        if user is not None:  # a resident's orders: the one cheap test first
            held = [o for o in held if o.get("user") == user]  # type: ignore[assignment]
        found = [
            _clone(o)
            for o in held
            if order_matches(
                o,
                market=market,
                statuses=statuses,
                since=since,
                until=until,
                referral=referral,
                user=user,
            )
        ]
        found.sort(key=order_sort_key)
        return found

    def seen_message(self, channel: str, message_id: str) -> bool:
        return f"{channel}:{message_id}" in self._messages

    def mark_message(self, channel: str, message_id: str, at: float) -> None:
        self._messages[f"{channel}:{message_id}"] = at

    def expire_messages(self, older_than: float) -> int:
        old = [k for k, at in self._messages.items() if at < older_than]
        for key in old:
            del self._messages[key]
        return len(old)

    # -- the outbox and timers (bot/storage/outbox.py) ---------------------------------
    def queue(self, replies: list[Record], *, owner: str, lease_until: float) -> list[int]:
        return self._outbox.queue(replies, owner, lease_until)

    def claim_queued(self, *, owner: str, now: float, lease_until: float,
                     limit: int = 100) -> list[Queued]:
        return self._outbox.claim(owner, now, lease_until, limit)

    def mark_sent(self, ids: Iterable[int]) -> None:
        self._outbox.mark_sent(ids)

    def retry_queued(self, item_id: int, *, at: float, error: str) -> None:
        self._outbox.retry(item_id, at, error)

    def outbox_waiting(self) -> tuple[int, float | None]:
        return self._outbox.waiting()

    def set_timer(self, timer: Timer) -> None:
        self._timers.set(timer)

    def cancel_timer(self, name: str) -> None:
        self._timers.cancel(name)

    def take_due_timers(self, now: float, limit: int = 100) -> list[Timer]:
        return self._timers.take_due(now, limit)
