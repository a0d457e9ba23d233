"""What the pages read from the store, in as few reads as possible.

Today reads the day's orders with one ``query_orders`` (and the live ones left from the
days before with a second), never one read per order; everything else on the page is
computed from those orders in memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.office.permissions import Viewer
from bot.ordering.domain.order import Order
from bot.ordering.domain.repository import Orders
from bot.ordering.domain.statuses import STATUSES

CARRIED_DAYS = 2  # live orders from this many days before still show on Today
EXCHANGE = ("exchange_requested", "exchange_done", "complaint")


def day_bounds(day: date) -> tuple[str, str]:
    return day.isoformat(), (day + timedelta(days=1)).isoformat()


def orders_between(orders: Orders, viewer: Viewer, first: date, last: date,
                   market: str | None = None) -> list[Order]:
    """Orders created from ``first`` to ``last`` (inclusive) in the viewer's markets (one
    query; narrowed to ``market`` when it is one of theirs)."""
    since, until = first.isoformat(), (last + timedelta(days=1)).isoformat()
    if market and viewer.sees_market(market):
        return orders.query(market=market, since=since, until=until)
    return [o for o in orders.query(since=since, until=until) if viewer.sees(o)]


def todays_orders(orders: Orders, viewer: Viewer, day: date) -> list[Order]:
    """The day's orders and the live ones carried over from the days before."""
    since, until = day_bounds(day)
    found = orders.query(since=since, until=until)
    carried = orders.query(status=STATUSES.live,
                           since=(day - timedelta(days=CARRIED_DAYS)).isoformat(), until=since)
    return [o for o in (*carried, *found) if viewer.sees(o)]


@dataclass(frozen=True)
class Filters:
    market: str = ""
    status: str = ""
    coordinator: str = ""
    kelurahan: str = ""

    @classmethod
    def read(cls, params: Any, viewer: Viewer) -> Filters:
        def pick(name: str) -> str:
            return str(params.get(name) or "").strip()[:80]

        market = pick("market")
        status = pick("status")
        return cls(market=market if viewer.sees_market(market) else "",
                   status=status if status in STATUSES or status == "exchange" else "",
                   coordinator=pick("coordinator"), kelurahan=pick("kelurahan"))

    def keep(self, order: Order) -> bool:
        if self.market and order.market != self.market:
            return False
        if self.status == "exchange":
            if order.status not in EXCHANGE:
                return False
        elif self.status and order.status != self.status:
            return False
        if self.coordinator and (order.coordinator or "") != self.coordinator:
            return False
        return not (self.kelurahan and order.address.kelurahan != self.kelurahan)

    def params(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class Row:
    order: Order
    waiting: float | None  # minutes: waiting to be claimed (new), else order -> claim
    coordinator: str  # the name of whoever holds it


@dataclass
class Group:
    status: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class Today:
    day: date
    groups: list[Group]
    counts: Counter[str]
    shown: int
    markets: list[tuple[str, str]]  # (id, name) for the filter
    coordinators: list[tuple[str, str]]  # (user, name) of those holding an order today
    kelurahan: list[str]


def minutes_between(start: str | None, end: str | datetime | None) -> float | None:
    try:
        begun = datetime.fromisoformat(start or "")
        ended = end if isinstance(end, datetime) else datetime.fromisoformat(end or "")
    except (TypeError, ValueError):
        return None
    if begun.tzinfo is None and ended.tzinfo is not None:
        ended = ended.replace(tzinfo=None)
    return max(0.0, (ended - begun).total_seconds() / 60)


def today(found: Iterable[Order], viewer: Viewer, day: date, now: datetime,
          filters: Filters, name_of: Any) -> Today:
    found = list(found)
    groups = {s.name: Group(s.name) for s in STATUSES}
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    kelurahan: set[str] = set()
    shown = 0
    for order in found:
        counts[order.status] += 1
        if order.coordinator and order.coordinator not in names:
            names[order.coordinator] = name_of(order.coordinator)
        if order.address.kelurahan:
            kelurahan.add(order.address.kelurahan)
        if not filters.keep(order):
            continue
        shown += 1
        if order.status == "new":
            waiting = minutes_between(order.created_at, now)
        else:
            waiting = minutes_between(order.created_at, order.claimed_at)
        group = groups.get(order.status)
        if group is None:
            group = groups.setdefault(order.status, Group(order.status))
        group.rows.append(Row(order, waiting, names.get(order.coordinator or "", "")))
    new = groups["new"]
    new.rows.sort(key=lambda r: r.order.created_at)  # the longest waiting first
    return Today(
        day=day, groups=[g for g in groups.values() if g.rows], counts=counts, shown=shown,
        markets=[(m.id, m.name) for m in viewer.markets],
        coordinators=sorted(names.items(), key=lambda kv: kv[1]),
        kelurahan=sorted(kelurahan),
    )
