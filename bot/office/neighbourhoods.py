"""Orders per referral tag (the RT/RW links, `bot.ordering.chat.links`) and per kelurahan
(the address as read), per day or per week: one query for the range."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from bot.ordering.domain.order import Order

PER_DAY_UP_TO = 31  # longer ranges are counted per week
TOP = 6  # lines in the chart


@dataclass
class Table:
    columns: list[str]  # "27/11" per day, or the week's Monday
    rows: list[tuple[str, list[int], int]]  # name, count per column, total

    def top(self, count: int = TOP) -> dict[str, list[int]]:
        return {name: values for name, values, _ in self.rows[:count]}


def _buckets(first: date, last: date) -> tuple[list[date], bool]:
    days = (last - first).days + 1
    if days <= PER_DAY_UP_TO:
        return [first + timedelta(days=n) for n in range(days)], True
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks, False


def count(orders: Iterable[Order], first: date, last: date, key: str,
          none_label: str) -> Table:
    """``key``: ``referral`` or ``kelurahan``."""
    starts, daily = _buckets(first, last)
    index = {d: n for n, d in enumerate(starts)}
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(starts))
    totals: Counter[str] = Counter()
    for order in orders:
        try:
            day = date.fromisoformat(order.created_at[:10])
        except ValueError:
            continue
        bucket = day if daily else day - timedelta(days=day.weekday())
        if bucket not in index:
            continue
        value = order.referral if key == "referral" else order.address.kelurahan
        name = value or none_label
        counts[name][index[bucket]] += 1
        totals[name] += 1
    rows = [(name, counts[name], total) for name, total in
            sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Table([d.strftime("%d/%m") for d in starts], rows)
