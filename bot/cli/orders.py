"""``main.py orders list|export``: the orders, for the market office."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.ordering.domain.order import Order
from bot.ordering.domain.statuses import STATUSES


def add_parser(sub: Any, name: str) -> None:
    parser = sub.add_parser(name, help="list or export orders")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, text in (("list", "one line per order"), ("export", "JSON or CSV")):
        p = actions.add_parser(action, help=text, description=f"Orders: {text}.")
        p.add_argument("--market", help="only this market id (e.g. kranji-baru)")
        p.add_argument("--status", help="only these statuses, comma-separated: "
                       f"{', '.join(STATUSES.names)}, or their words in the bot (lunas = paid)")
        p.add_argument("--since", type=_day, help="created on or after this date (YYYY-MM-DD)")
        p.add_argument("--until", type=_day,
                       help="created on or before this date, inclusive (YYYY-MM-DD)")
        if action == "export":
            p.add_argument("--format", choices=("json", "csv", "xlsx"), default="json",
                           help="json (every field), csv (';', UTF-8 with BOM) or xlsx "
                           "(typed cells: the one to open in a spreadsheet; needs --output)")
            p.add_argument("--output", metavar="FILE", help="write here instead of stdout")
        p.set_defaults(run=run)


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-11-27") from None


def status_words(i18n: Any) -> dict[str, str]:
    """Every word ``--status`` takes: the statuses, and what the bot calls them in each of
    its languages (``lunas`` -> paid, ``dibatalkan`` -> cancelled), lower-cased."""
    words = {status.name: status.name for status in STATUSES}
    for lang in i18n.languages if i18n is not None else ():
        for status in STATUSES:
            words.setdefault(i18n.t(lang, status.message_id).strip().lower(), status.name)
    return words


def chosen_statuses(text: str, words: dict[str, str]) -> list[str]:
    """The statuses of a ``--status`` value; ValueError names the valid ones."""
    chosen = []
    for part in (p.strip() for p in text.split(",")):
        status = words.get(part.lower().replace("-", "_")) or words.get(part.lower())
        if status is None:
            close = difflib.get_close_matches(part.lower(), list(words), n=1)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"--status {part!r} is not a status{guess}; use one of: "
                             f"{', '.join(STATUSES.names)}")
        chosen.append(status)
    return list(dict.fromkeys(chosen))


def _filters(config: dict, args: argparse.Namespace) -> dict[str, Any] | None:
    """The query's filters, or None after saying on stderr which value is unknown."""
    from bot.config import resolve
    from bot.i18n import I18n
    from bot.ordering.domain.markets import load_markets

    filters: dict[str, Any] = {"market": args.market, "status": None, "since": args.since,
                               "until": args.until}
    if args.market:
        markets = load_markets(resolve(config, config["data"]["markets"]))
        if markets.get(args.market) is None:
            known = ", ".join(m.id for m in markets.markets)
            print(f"orders: --market {args.market!r} is not a market id; use one of: {known}",
                  file=sys.stderr)
            return None
    if args.status:
        try:
            i18n = I18n.load(resolve(config, config["locales"]), config.get("language", "id"))
        except ValueError:
            i18n = None
        try:
            filters["status"] = chosen_statuses(args.status, status_words(i18n))
        except ValueError as exc:
            print(f"orders: {exc}", file=sys.stderr)
            return None
    return filters


def _names(config: dict) -> Any:
    """A coordinator's name as the market office gave it (their user key if unknown)."""
    from bot.config import resolve
    from bot.ordering.domain.markets import MarketDataError, load_markets
    from bot.ordering.domain.roles import Roles

    try:
        return Roles(load_markets(resolve(config, config["data"]["markets"]))).display_name
    except (MarketDataError, OSError, KeyError):
        return lambda user: user


def items_line(order: Order) -> str:
    from bot.ordering.reports.views import item_text

    return "; ".join(item_text(item) for item in order.items)


def run(config: dict, args: argparse.Namespace) -> int:
    from bot.cli.common import open_orders
    from bot.ordering.domain.repository import Orders

    filters = _filters(config, args)
    if filters is None:
        return 2
    if filters["until"]:  # inclusive, as report --to: every order of that day
        filters["until"] = (date.fromisoformat(filters["until"]) + timedelta(days=1)).isoformat()
    store = open_orders(config, "orders")
    if store is None:
        return 1
    try:
        orders = Orders(store).query(**filters)
    finally:
        store.close()
    if args.action == "list":
        for o in orders:
            print(f"{o.code}\t{o.status}\t{o.created_at}\t{o.resident.name}\t{items_line(o)}")
        chosen = f" ({', '.join(filters['status'])})" if filters["status"] else ""
        print(f"{len(orders)} order(s){chosen}", file=sys.stderr)
    else:
        return _export(config, args, orders)
    return 0


def _export(config: dict, args: argparse.Namespace, orders: list[Order]) -> int:
    from bot.ordering.reports import export

    name_of = _names(config)
    if args.format == "xlsx":
        if not args.output:
            print("orders: --format xlsx writes a file: add --output FILE.xlsx", file=sys.stderr)
            return 2
        try:
            export.write_xlsx(orders, Path(args.output), name_of)
        except ImportError:
            print("orders: --format xlsx needs openpyxl (pip install -r requirements.txt)",
                  file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"orders: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return 1
        print(f"{len(orders)} order(s) written to {args.output}", file=sys.stderr)
        return 0
    if not args.output:
        if hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(encoding="utf-8", newline="")  # the CSV's BOM says UTF-8
        _write_text(args.format, orders, sys.stdout, name_of)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            _write_text(args.format, orders, out, name_of)
    except OSError as exc:
        print(f"orders: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


def _write_text(fmt: str, orders: list[Order], out: Any, name_of: Any) -> None:
    from bot.ordering.reports import export

    if fmt == "json":
        json.dump([export.as_json(o, name_of) for o in orders], out, ensure_ascii=False,
                  indent=2)
        out.write("\n")
    else:
        export.write_csv(orders, out, name_of)
