"""The recap page's figures: the report's (`bot.ordering.reports.report`: orders by status,
value, cash, outstanding, median order -> delivery, exchanges, cancellations, a line per
coordinator), and beside them what the chat's recap does not show: the median time from
order to claim, refunds, and per coordinator their value, cash, exchanges and
cancellations. The SVG chart is the report's own (`chart.draw`)."""

from __future__ import annotations

import statistics
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import matplotlib

from bot.i18n import I18n
from bot.office.queries import minutes_between
from bot.ordering.domain.markets import Market
from bot.ordering.domain.order import Order
from bot.ordering.reports import chart
from bot.ordering.reports.report import Report, build

_DRAWING = threading.Lock()  # pyplot keeps global state: one chart at a time


@dataclass
class Extra:
    """What the report lacks, for a market or a coordinator."""

    claim_waits: list[float] = field(default_factory=list)
    delivery_waits: list[float] = field(default_factory=list)
    refunds: int = 0
    refunded: int = 0  # rupiah
    orders: int = 0
    value: int = 0
    cash: int = 0
    outstanding: int = 0
    exchanges: int = 0
    cancellations: int = 0

    @property
    def median_claim(self) -> float | None:
        return statistics.median(self.claim_waits) if self.claim_waits else None

    @property
    def median_delivery(self) -> float | None:
        return statistics.median(self.delivery_waits) if self.delivery_waits else None

    def add(self, order: Order) -> None:
        self.orders += 1
        claim = minutes_between(order.created_at, order.claimed_at)
        if claim is not None:
            self.claim_waits.append(claim)
        delivery = minutes_between(order.created_at, order.delivered_at)
        if delivery is not None:
            self.delivery_waits.append(delivery)
        if order.status == "cancelled":
            self.cancellations += 1
        elif order.total is not None:
            self.value += order.total
        if order.status == "paid" and order.cash is not None:
            self.cash += order.cash
        self.outstanding += order.payment.outstanding
        exchange = order.exchange
        if exchange is not None:
            self.exchanges += 1
            if exchange.refund:
                self.refunds += 1
                self.refunded += exchange.refund


@dataclass
class Recap:
    report: Report
    markets: dict[str, Extra]  # market id -> extras
    people: dict[str, dict[str, Extra]]  # market id -> coordinator -> extras
    all: Extra


def collect(orders: Iterable[Order], markets: Sequence[Market], first: date,
            last: date) -> Recap:
    found = list(orders)
    report = build(found, markets, first, last)
    per = {m.id: Extra() for m in markets}
    people: dict[str, dict[str, Extra]] = {m.id: {} for m in markets}
    every = Extra()
    for order in found:
        extra = per.get(order.market)
        if extra is None:
            continue
        extra.add(order)
        every.add(order)
        if order.coordinator:
            people[order.market].setdefault(order.coordinator, Extra()).add(order)
    return Recap(report, per, people, every)


def svg(report: Report, lang: str, i18n: I18n) -> str:
    """The report's chart as SVG markup for the page (text kept as text)."""
    with _DRAWING, tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "recap.svg"
        with matplotlib.rc_context({"svg.fonttype": "none"}):
            chart.draw(report, path, lang, i18n)
        markup = path.read_text(encoding="utf-8")
    start = markup.find("<svg")
    return markup[start:] if start >= 0 else ""
