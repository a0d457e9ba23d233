"""What the pages read from the store, in as few reads as possible.

Today reads the day's orders with one ``query_orders`` (and the live ones left from the
days before with a second), never one read per order; everything else on the page is
computed from those orders in memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.office.permissions import Viewer
from bot.ordering.domain.order import Order
from bot.ordering.domain.repository import Orders
from bot.ordering.domain.statuses import STATUSES

CARRIED_DAYS = 2  # live orders from this many days before still show on Today
# rows listed per status (every order is counted): a list of 2,000 lines is read by nobody
# on a phone and costs every poll; choosing the status lists up to ROWS_FILTERED
ROWS_PER_STATUS = 60
ROWS_FILTERED = 600
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


def todays_records(orders: Orders, viewer: Viewer, day: date,
                   market: str = "") -> list[Line]:
    """The day's orders and the live ones carried over from the days before, as `Line`s:
    two queries (narrowed to ``market``, or to the viewer's one market, in the store) of
    only the fields a line shows, no read per order, no full `Order` built (2,000 orders a
    day)."""
    since, until = day_bounds(day)
    repository = orders.repository
    if not market and len(viewer.markets) == 1:
        market = viewer.markets[0].id
    where = market if market and viewer.sees_market(market) else None
    carried = repository.query_order_fields(
        LINE_FIELDS, status=STATUSES.live, until=since, market=where,
        since=(day - timedelta(days=CARRIED_DAYS)).isoformat())
    found = repository.query_order_fields(LINE_FIELDS, since=since, until=until, market=where)
    seen = viewer.market_ids
    return [Line.of(values) for values in (*carried, *found) if values[1] in seen]


# what a Line reads of an order: the store sends only these (PostgreSQL: not the records)
LINE_FIELDS = ("code", "market", "status", "created_at", "claimed_at", "coordinator",
               "resident.name", "address.kelurahan", "total")


@dataclass(slots=True)
class Line:
    """What Today shows of an order, read from its stored record: the few fields of the
    typed `Order` (bot/ordering/domain/order.py) a list line needs, without reading its
    items, history and thread (which is most of the cost of `Order.from_record`)."""

    code: str
    market: str
    status: str
    created_at: str
    claimed_at: str | None
    coordinator: str | None
    resident: str
    kelurahan: str
    total: int | None

    @classmethod
    def of(cls, values: tuple[Any, ...]) -> Line:
        """From the values at `LINE_FIELDS` (`Store.query_order_fields`)."""
        code, market, status, created, claimed, holder, resident, kelurahan, total = values
        return cls(
            code=str(code or ""), market=str(market or ""), status=str(status or "new"),
            created_at=str(created or ""), claimed_at=claimed or None,
            coordinator=holder or None, resident=str(resident or ""),
            kelurahan=str(kelurahan or ""),
            total=total if isinstance(total, int) and not isinstance(total, bool) else None)


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

    def keep(self, order: Line) -> bool:
        if self.market and order.market != self.market:
            return False
        if self.status == "exchange":
            if order.status not in EXCHANGE:
                return False
        elif self.status and order.status != self.status:
            return False
        if self.coordinator and (order.coordinator or "") != self.coordinator:
            return False
        return not (self.kelurahan and order.kelurahan != self.kelurahan)

    def params(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(slots=True)
class Row:
    order: Line
    time: str  # when it was ordered, HH:MM (the page writes it as its locale does)
    wait: str  # waiting to be claimed (new), else order -> claim, as words
    coordinator: str  # the name of whoever holds it
    total: str  # in Rupiah, or "—"


@dataclass
class Group:
    status: str
    rows: list[Row] = field(default_factory=list)
    more: int = 0  # rows of this status not listed (the status filter lists them)


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


def today(found: Iterable[Line], viewer: Viewer, day: date, now: datetime,
          filters: Filters, name_of: Callable[[str], str], money: Callable[[int], str],
          wait: Callable[[float | None], str]) -> Today:
    """The page's groups; amounts and durations are written once per distinct value."""
    groups = {s.name: Group(s.name) for s in STATUSES}
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    kelurahan: set[str] = set()
    moneys: dict[int, str] = {}
    waits: dict[int | None, str] = {}
    shown = 0
    for order in found:
        counts[order.status] += 1
        holder = order.coordinator
        if holder and holder not in names:
            names[holder] = name_of(holder)
        if order.kelurahan:
            kelurahan.add(order.kelurahan)
        if not filters.keep(order):
            continue
        shown += 1
        end = now if order.status == "new" else order.claimed_at
        minutes = minutes_between(order.created_at, end)
        whole = None if minutes is None else round(minutes)
        if whole not in waits:
            waits[whole] = wait(whole)
        total = order.total
        if total is not None and total not in moneys:
            moneys[total] = money(total)
        group = groups.get(order.status)
        if group is None:
            group = groups.setdefault(order.status, Group(order.status))
        group.rows.append(Row(order, order.created_at[11:16], waits[whole],
                              names.get(holder or "", "") or "—",
                              moneys[total] if total is not None else "—"))
    groups["new"].rows.sort(key=lambda r: r.order.created_at)  # the longest waiting first
    most = ROWS_FILTERED if filters.status else ROWS_PER_STATUS
    for group in groups.values():
        if group.status not in ("new",) or filters.status:
            group.rows.reverse()  # the latest first: what just moved
        if len(group.rows) > most:
            group.more = len(group.rows) - most
            del group.rows[most:]
    return Today(
        day=day, groups=[g for g in groups.values() if g.rows], counts=counts, shown=shown,
        markets=[(m.id, m.name) for m in viewer.markets],
        coordinators=sorted(names.items(), key=lambda kv: kv[1]),
        kelurahan=sorted(kelurahan),
    )
