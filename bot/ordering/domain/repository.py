"""The ordering app's orders, typed: `Orders` reads and writes `Order`s through the
storage's order repository (`bot.storage.base.OrderRepository`, which holds plain records
and knows nothing of statuses or of this type)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from bot.ordering.domain.order import Order

log = logging.getLogger(__name__)


class Orders:
    """Create, get, update (with the version read), query, and number orders."""

    def __init__(self, repository: Any) -> None:
        self.repository = repository
        # told of every order stored by `update`, in the same unit of work (the app's
        # reminders set their timers there); one that fails is logged, the change stands
        self.watchers: list[Callable[[Order], None]] = []

    def next_sequence(self, name: str) -> int:
        return self.repository.next_sequence(name)

    def create(self, order: Order) -> Order:
        """Store a new order; raises DuplicateOrder when its code exists."""
        record = order.to_record()
        record.pop("version", None)
        return Order.from_record(self.repository.create_order(record))

    def get(self, code: str) -> Order | None:
        record = self.repository.get_order(code) if code else None
        return Order.from_record(record) if record is not None else None

    def update(self, order: Order) -> Order:
        """Write what changed since ``order`` was read; raises VersionConflict when someone
        else changed it meanwhile."""
        stored = Order.from_record(
            self.repository.update_order(order.code, order.changes(), order.version))
        for watch in self.watchers:
            try:
                watch(stored)
            except Exception:
                log.exception("an order watcher failed on %s", stored.code)
        return stored

    def query(self, *, market: str | None = None, status: str | Iterable[str] | None = None,
              since: str | None = None, until: str | None = None,
              referral: str | None = None, user: str | None = None) -> list[Order]:
        """Orders matching every given filter, oldest first (``until`` exclusive)."""
        return [Order.from_record(r) for r in self.repository.query_orders(
            market=market, status=status, since=since, until=until, referral=referral,
            user=user)]
