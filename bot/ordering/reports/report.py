"""Figures for the market office and the heads of market units: per market and status,
totals in Rupiah, median time from order to delivery, exchanges, cancellations, orders per
referral tag. The same figures feed ``main.py report``, ``rekap`` in chat, the daily recap
and the chart (`bot.ordering.reports.chart`)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.i18n import I18n
from bot.ordering.domain.markets import Market
from bot.ordering.domain.order import Order
from bot.ordering.domain.orders import money, status_label
from bot.ordering.domain.repository import Orders
from bot.ordering.domain.statuses import STATUSES

NO_TAG = ""


@dataclass
class PersonFigures:
    """One coordinator's orders in a report: the head's recap has a line per coordinator."""

    name: str
    claimed: int = 0
    delivered: int = 0
    paid: int = 0
    outstanding: int = 0  # rupiah residents still owe on their orders
    waits: list[float] = field(default_factory=list)

    @property
    def median_wait(self) -> float | None:
        return statistics.median(self.waits) if self.waits else None


@dataclass
class Figures:
    """One market's figures (or all markets' together)."""

    market: str
    name: str
    statuses: Counter[str] = field(default_factory=Counter)
    value: int = 0  # sum of the final totals of orders not cancelled
    cash: int = 0  # cash received for paid orders
    waits: list[float] = field(default_factory=list)  # minutes from order to delivery
    exchanges: int = 0
    referrals: Counter[str] = field(default_factory=Counter)
    outstanding: int = 0  # what residents still owe on paid orders
    staff: dict[str, str] | None = None  # coordinators' names: a line per coordinator
    people: dict[str, PersonFigures] = field(default_factory=dict)

    @property
    def orders(self) -> int:
        return sum(self.statuses.values())

    @property
    def cancellations(self) -> int:
        return self.statuses["cancelled"]

    @property
    def median_wait(self) -> float | None:
        return statistics.median(self.waits) if self.waits else None

    def add(self, order: Order) -> None:
        self.statuses[order.status] += 1
        if order.status != "cancelled" and order.total is not None:
            self.value += order.total
        if order.status == "paid" and order.cash is not None:
            self.cash += order.cash
        wait = minutes_to_delivery(order)
        if wait is not None:
            self.waits.append(wait)
        if order.exchange:
            self.exchanges += 1
        self.referrals[order.referral or NO_TAG] += 1
        self.outstanding += order.payment.outstanding
        if self.staff is not None and order.coordinator:
            person = self.people.setdefault(order.coordinator, PersonFigures(
                self.staff.get(order.coordinator) or order.coordinator.partition(":")[2]))
            person.claimed += 1
            person.delivered += order.delivered_at is not None
            person.paid += order.status == "paid"
            person.outstanding += order.payment.outstanding
            if wait is not None:
                person.waits.append(wait)


@dataclass
class Report:
    first: date
    last: date  # inclusive
    markets: list[Figures]
    all: Figures


def minutes_to_delivery(order: Order) -> float | None:
    try:
        made = datetime.fromisoformat(order.created_at)
        done = datetime.fromisoformat(order.delivered_at or "")
    except (TypeError, ValueError):
        return None
    return (done - made).total_seconds() / 60


def build(orders: Iterable[Order], markets: Sequence[Market], first: date,
          last: date) -> Report:
    """Figures of ``orders`` for ``markets`` (each listed, even without orders)."""
    per = {m.id: Figures(m.id, m.name, staff=dict(m.names)) for m in markets}
    every = Figures("", "")
    for order in orders:
        figures = per.get(order.market)
        if figures is None:
            continue
        figures.add(order)
        every.add(order)
    return Report(first, last, list(per.values()), every)


def collect(orders: Orders, markets: Sequence[Market], first: date, last: date) -> Report:
    """The report of orders created from ``first`` to ``last`` (inclusive) in ``markets``."""
    since, until = first.isoformat(), (last + timedelta(days=1)).isoformat()
    found: list[Order] = []
    for market in markets:
        found += orders.query(market=market.id, since=since, until=until)
    return build(found, markets, first, last)


# -- as text ------------------------------------------------------------------------------
def duration(minutes: float | None, lang: str, i18n: I18n) -> str:
    if minutes is None:
        return "-"
    whole = round(minutes)
    if whole < 60:
        return i18n.t(lang, "report.minutes", minutes=whole)
    if whole % 60 == 0:
        return i18n.t(lang, "report.hours_only", hours=whole // 60)
    return i18n.t(lang, "report.hours", hours=whole // 60, minutes=whole % 60)


def period(report: Report, lang: str, i18n: I18n) -> str:
    from bot.i18n import long_date

    locale = i18n.locale(lang)
    if report.first == report.last:
        return long_date(report.first, locale)
    return f"{long_date(report.first, locale)} – {long_date(report.last, locale)}"


def statuses_line(figures: Figures, lang: str, i18n: I18n) -> str:
    return " · ".join(f"{status_label(i18n, lang, s)} {figures.statuses[s]}"
                      for s in STATUSES.names if figures.statuses[s])


def figures_lines(figures: Figures, lang: str, i18n: I18n) -> list[str]:
    lines = [i18n.t(lang, "report.market_line", name=figures.name, orders=figures.orders)]
    if figures.orders:
        lines.append("  " + statuses_line(figures, lang, i18n))
        lines.append("  " + i18n.t(
            lang, "report.money_line", value=money(figures.value, lang, i18n),
            cash=money(figures.cash, lang, i18n)))
        lines.append("  " + i18n.t(
            lang, "report.more_line", wait=duration(figures.median_wait, lang, i18n),
            exchanges=figures.exchanges, cancellations=figures.cancellations))
        if figures.outstanding:
            lines.append("  " + i18n.t(lang, "report.outstanding",
                                       amount=money(figures.outstanding, lang, i18n)))
        for person in sorted(figures.people.values(), key=lambda p: p.name):
            lines.append("  " + i18n.t(
                lang, "report.coordinator_line", name=person.name, claimed=person.claimed,
                delivered=person.delivered, paid=person.paid,
                outstanding=money(person.outstanding, lang, i18n),
                wait=duration(person.median_wait, lang, i18n)))
    return lines


def referral_line(figures: Figures, lang: str, i18n: I18n) -> str:
    parts = [f"{tag or i18n.t(lang, 'report.no_tag')} {count}"
             for tag, count in sorted(figures.referrals.items(), key=lambda x: (-x[1], x[0]))]
    return i18n.t(lang, "report.referrals", tags=" · ".join(parts) or "-")


def render(report: Report, lang: str, i18n: I18n, *, skip_empty: bool = False) -> str:
    """The report as text (chat and terminal)."""
    lines = [i18n.t(lang, "report.title", period=period(report, lang, i18n)), ""]
    shown = [f for f in report.markets if f.orders or not skip_empty]
    for figures in shown:
        lines += figures_lines(figures, lang, i18n)
    if len(report.markets) > 1:
        lines += ["", *figures_lines(_named(report.all, i18n.t(lang, "report.all_markets")),
                                     lang, i18n)]
    if report.all.orders:
        lines += ["", referral_line(report.all, lang, i18n)]
    elif skip_empty:
        lines.append(i18n.t(lang, "report.no_orders"))
    return "\n".join(lines)


def _named(figures: Figures, name: str) -> Figures:
    figures.name = name
    return figures


def recap_text(orders: Orders, markets: Sequence[Market], day: date, lang: str,
               i18n: I18n) -> str:
    """The day's recap of ``markets`` (a head's market, or all for the market office)."""
    if not markets:
        return i18n.t(lang, "report.no_markets")
    return render(collect(orders, markets, day, day), lang, i18n, skip_empty=len(markets) > 3)
