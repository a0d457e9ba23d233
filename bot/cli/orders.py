"""``main.py orders list|export``: the orders, for the market office."""

from __future__ import annotations

import argparse
import csv
import difflib
import json
import sys
from datetime import date
from typing import Any

from bot.ordering.domain.lifecycle import STATUSES

EXPORT_FIELDS = (
    "code", "market", "status", "items", "address", "resident", "channel", "referral",
    "estimate", "total", "created_at", "updated_at",
)


def add_parser(sub: Any, name: str) -> None:
    parser = sub.add_parser(name, help="list or export orders")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, text in (("list", "one line per order"), ("export", "JSON or CSV")):
        p = actions.add_parser(action, help=text, description=f"Orders: {text}.")
        p.add_argument("--market", help="only this market id (e.g. kranji-baru)")
        p.add_argument("--status", help="only these statuses, comma-separated: "
                       f"{', '.join(STATUSES)}, or their words in the bot (lunas = paid)")
        p.add_argument("--since", type=_day, help="created on or after this date (YYYY-MM-DD)")
        p.add_argument("--until", type=_day, help="created before this date (YYYY-MM-DD)")
        if action == "export":
            p.add_argument("--format", choices=("json", "csv"), default="json")
        p.set_defaults(run=run)


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-11-27") from None


def status_words(i18n: Any) -> dict[str, str]:
    """Every word ``--status`` takes: the statuses, and what the bot calls them in each of
    its languages (``lunas`` -> paid, ``dibatalkan`` -> cancelled), lower-cased."""
    words = {status: status for status in STATUSES}
    for lang in i18n.languages if i18n is not None else ():
        for status in STATUSES:
            words.setdefault(i18n.t(lang, f"status.{status}").strip().lower(), status)
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
                             f"{', '.join(STATUSES)}")
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


def exported(order: dict[str, Any]) -> dict[str, Any]:
    from bot.ordering.understanding.address import Address

    record = {key: order.get(key) for key in EXPORT_FIELDS}
    if order.get("address") is not None:  # every field: street, rt, rw, kelurahan, ...
        record["address"] = Address.from_dict(order["address"]).to_dict()
    return record


def items_line(items: list[dict[str, Any]]) -> str:
    from bot.ordering.understanding.items import Item, describe

    return "; ".join(describe(Item.from_dict(i)) for i in items)


def write_csv(orders: list[dict[str, Any]], out: Any) -> None:
    from bot.ordering.understanding.address import EXPORT_COLUMNS, export_columns

    writer = csv.writer(out)
    writer.writerow(["code", "market", "status", "items", "address", "name", "phone",
                     "channel", "referral", "estimate", "total", "created_at",
                     *EXPORT_COLUMNS])
    for o in orders:
        resident = o.get("resident") or {}
        writer.writerow([
            o["code"], o["market"], o["status"], items_line(o.get("items") or []),
            (o.get("address") or {}).get("text", ""), resident.get("name", ""),
            resident.get("phone") or "", o.get("channel", ""), o.get("referral") or "",
            o.get("estimate") or "", o.get("total") or "", o.get("created_at", ""),
            *export_columns(o.get("address")),
        ])


def run(config: dict, args: argparse.Namespace) -> int:
    from bot.cli.common import open_orders

    filters = _filters(config, args)
    if filters is None:
        return 2
    store = open_orders(config, "orders")
    if store is None:
        return 1
    try:
        orders = store.query_orders(**filters)
    finally:
        store.close()
    if args.action == "list":
        for o in orders:
            name = (o.get("resident") or {}).get("name", "")
            items = items_line(o.get("items") or [])
            print(f"{o['code']}\t{o['status']}\t{o['created_at']}\t{name}\t{items}")
        chosen = f" ({', '.join(filters['status'])})" if filters["status"] else ""
        print(f"{len(orders)} order(s){chosen}", file=sys.stderr)
    elif args.format == "json":
        json.dump([exported(o) for o in orders], sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        write_csv(orders, sys.stdout)
    return 0
