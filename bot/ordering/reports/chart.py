"""The report as a picture (matplotlib, Agg): orders per market by status, the value
bought per market in Rupiah, the median time from order to delivery, orders per RT/RW
referral link; the day's totals in the subtitle. Words come from the locale catalogs."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from bot.i18n import I18n
from bot.ordering.domain.orders import money, status_label
from bot.ordering.domain.statuses import STATUSES
from bot.ordering.reports.report import Figures, Report, duration, period

# one colour per status, in the order an order lives (the status table's)
COLOURS = {s.name: s.colour for s in STATUSES}
LIGHT = {s.name for s in STATUSES if s.dark_text}  # statuses whose bars take dark text
MAX_BARS = 14


def _short(name: str) -> str:
    return name.removeprefix("Pasar ").strip() or name


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, color="#666666",
            transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _rows(ax: Axes, count: int, least: int) -> None:
    """The first row on top, and room for ``least`` rows so a lone bar is not a slab."""
    ax.set_ylim(max(count, least) - 0.5, -0.5)


def _tidy(ax: Axes, title: str) -> None:
    ax.set_title(title, loc="left", fontsize=13, fontweight="bold", pad=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=11)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)


def _statuses(ax: Axes, markets: list[Figures], lang: str, i18n: I18n) -> None:
    _tidy(ax, i18n.t(lang, "report.chart_statuses"))
    if not markets:
        _empty(ax, i18n.t(lang, "report.no_orders"))
        return
    names = [_short(f.name) for f in markets]
    left = [0] * len(markets)
    shown = 0
    for status in STATUSES.names:
        counts = [f.statuses[status] for f in markets]
        if not any(counts):
            continue
        shown += 1
        bars = ax.barh(names, counts, left=left, color=COLOURS[status], edgecolor="white",
                       label=status_label(i18n, lang, status), height=0.6)
        ax.bar_label(bars, labels=[str(c) if c else "" for c in counts], label_type="center",
                     fontsize=11, color="#1a1a1a" if status in LIGHT else "white")
        left = [a + b for a, b in zip(left, counts, strict=True)]
    for y, total in enumerate(left):
        ax.text(total + max(left) * 0.015, y, str(total), va="center", fontsize=12,
                fontweight="bold")
    ax.set_xlim(0, max(left) * 1.12)
    _rows(ax, len(markets), 5)
    ax.xaxis.get_major_locator().set_params(integer=True)
    box = ax.get_position()
    ax.legend(loc="lower center", bbox_to_anchor=((box.x0 + box.x1) / 2, 0.01),
              bbox_transform=ax.figure.transFigure, ncol=min(shown, 3), fontsize=11,
              frameon=False)


def _bars(ax: Axes, title: str, rows: list[tuple[str, float, str]], colour: str,
          empty: str) -> None:
    """Horizontal bars with a written value at the end of each."""
    _tidy(ax, title)
    if not rows:
        _empty(ax, empty)
        return
    names = [r[0] for r in rows]
    values = [r[1] for r in rows]
    ax.barh(names, values, color=colour, height=0.6)
    top = max(values) or 1
    for y, (_, value, text) in enumerate(rows):
        ax.text(value + top * 0.015, y, text, va="center", fontsize=11)
    ax.set_xlim(0, top * 1.35)
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)
    _rows(ax, len(rows), 3)


def draw(report: Report, path: str | Path, lang: str, i18n: I18n) -> Path:
    """Write the chart to ``path`` (PNG; SVG for a path ending .svg) and return it. The
    picture grows taller with the number of rows, so every label keeps a readable size."""
    path = Path(path)
    busy = sorted((f for f in report.markets if f.orders), key=lambda f: -f.orders)[:MAX_BARS]
    every = report.all
    empty = i18n.t(lang, "report.no_orders")
    valued = [(_short(f.name), f.value, money(f.value, lang, i18n)) for f in busy if f.value]
    waits = [(_short(f.name), f.median_wait, duration(f.median_wait, lang, i18n))
             for f in busy if f.median_wait is not None]
    tags = sorted(every.referrals.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
    rows = [(tag or i18n.t(lang, "report.no_tag"), count, str(count)) for tag, count in tags]
    slots = [max(len(r), 3) for r in (valued, waits, rows)]
    height = max(8.5, 3.2 + 0.36 * (sum(slots) + 5))  # inches: ~0.36 per bar, room for titles
    fig = plt.figure(figsize=(14, height), dpi=110)
    area = height - 1.2 - 1.45  # inches between the titles and the legend
    grid = fig.add_gridspec(3, 2, width_ratios=(1.25, 1), height_ratios=slots,
                            hspace=2.4 / (area - 1.6), wspace=0.28, left=0.1, right=0.97,
                            top=1 - 1.2 / height, bottom=1.45 / height)  # 0.8" between panels
    fig.suptitle(i18n.t(lang, "report.chart_title", period=period(report, lang, i18n)),
                 x=0.02, y=1 - 0.2 / height, ha="left", va="top", fontsize=17,
                 fontweight="bold")
    fig.text(0.02, 1 - 0.72 / height, i18n.t(
        lang, "report.chart_summary", orders=every.orders,
        value=money(every.value, lang, i18n), cash=money(every.cash, lang, i18n),
        wait=duration(every.median_wait, lang, i18n), exchanges=every.exchanges,
        cancellations=every.cancellations), fontsize=12, color="#333333")
    _statuses(fig.add_subplot(grid[:, 0]), busy, lang, i18n)
    _bars(fig.add_subplot(grid[0, 1]), i18n.t(lang, "report.chart_value"), valued,
          "#1B7F3B", empty)
    _bars(fig.add_subplot(grid[1, 1]), i18n.t(lang, "report.chart_wait"), waits,
          "#0072B2", i18n.t(lang, "report.chart_no_deliveries"))
    _bars(fig.add_subplot(grid[2, 1]), i18n.t(lang, "report.chart_referrals"), rows,
          "#CC79A7", empty)
    fig.savefig(path, format=path.suffix.lstrip(".").lower() or "png")  # .svg: the office
    plt.close(fig)
    return path
