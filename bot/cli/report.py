"""``main.py report``: the market office's figures, as text and optionally a PNG chart."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from typing import Any


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-11-27") from None


def add_parser(sub: Any, name: str) -> None:
    parser = sub.add_parser(
        name,
        help="orders per market and status, totals, delivery times, referral links",
        description="Figures for the market office: orders per market and status, totals "
        "in Rupiah, median time from order to delivery, exchanges, cancellations and "
        "orders per referral tag. Without dates: today (in the markets' time zone).",
    )
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--date", type=_day, help="one day (YYYY-MM-DD)")
    when.add_argument("--from", dest="first", type=_day, help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="last", type=_day, help="last day, inclusive (YYYY-MM-DD)")
    parser.add_argument("--market", help="only this market id (e.g. kranji-baru)")
    parser.add_argument("--chart", metavar="FILE.png", help="also draw the figures as a PNG")
    parser.add_argument("--lang", help="language of the report (default: the bot's)")
    parser.set_defaults(run=run)


def run(config: dict, args: argparse.Namespace) -> int:
    from bot.cli.common import open_orders
    from bot.config import resolve
    from bot.i18n import I18n
    from bot.ordering.domain.markets import MarketDataError, load_markets
    from bot.ordering.domain.repository import Orders
    from bot.ordering.reports.report import collect, render

    try:
        markets = load_markets(resolve(config, config["data"]["markets"]))
        i18n = I18n.load(resolve(config, config["locales"]), config.get("language", "id"))
    except (MarketDataError, ValueError) as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    today = datetime.now(markets.timezone).date()
    if args.last and not args.first:
        print("report: --to needs --from", file=sys.stderr)
        return 2
    first = args.date or args.first or today
    last = args.date or args.last or (first if args.first else today)
    if last < first:
        print("report: --to is before --from", file=sys.stderr)
        return 2
    chosen = markets.markets
    if args.market:
        market = markets.get(args.market)
        if market is None:
            known = ", ".join(m.id for m in markets.markets)
            print(f"report: no market {args.market!r} (known: {known})", file=sys.stderr)
            return 2
        chosen = (market,)
    store = open_orders(config, "report")
    if store is None:
        return 1
    try:
        report = collect(Orders(store), chosen, first, last)
    finally:
        store.close()
    lang = i18n.resolve(args.lang)
    text = render(report, lang, i18n, skip_empty=len(chosen) > 1)
    print(text.replace("*", ""))  # chat emphasis means nothing in a terminal
    if args.chart:
        from bot.ordering.reports.chart import draw

        print(f"chart: {draw(report, args.chart, lang, i18n)}", file=sys.stderr)
    return 0
