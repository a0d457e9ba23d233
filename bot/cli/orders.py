"""``main.py orders list|export``: the orders, for the market office."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

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
        p.add_argument("--status", help="only this status (new, claimed, ..., paid)")
        p.add_argument("--since", help="created on or after this date (YYYY-MM-DD)")
        p.add_argument("--until", help="created before this date (YYYY-MM-DD)")
        if action == "export":
            p.add_argument("--format", choices=("json", "csv"), default="json")
        p.set_defaults(run=run)


def exported(order: dict[str, Any]) -> dict[str, Any]:
    return {key: order.get(key) for key in EXPORT_FIELDS}


def items_line(items: list[dict[str, Any]]) -> str:
    from bot.ordering.items import Item, describe

    return "; ".join(describe(Item.from_dict(i)) for i in items)


def write_csv(orders: list[dict[str, Any]], out: Any) -> None:
    writer = csv.writer(out)
    writer.writerow(["code", "market", "status", "items", "address", "name", "phone",
                     "channel", "referral", "estimate", "total", "created_at"])
    for o in orders:
        resident = o.get("resident") or {}
        writer.writerow([
            o["code"], o["market"], o["status"], items_line(o.get("items") or []),
            (o.get("address") or {}).get("text", ""), resident.get("name", ""),
            resident.get("phone") or "", o.get("channel", ""), o.get("referral") or "",
            o.get("estimate") or "", o.get("total") or "", o.get("created_at", ""),
        ])


def run(config: dict, args: argparse.Namespace) -> int:
    from bot.cli.common import open_orders

    store = open_orders(config, "orders")
    if store is None:
        return 1
    try:
        orders = store.query_orders(
            market=args.market, status=args.status, since=args.since, until=args.until
        )
    finally:
        store.close()
    if args.action == "list":
        for o in orders:
            name = (o.get("resident") or {}).get("name", "")
            items = items_line(o.get("items") or [])
            print(f"{o['code']}\t{o['status']}\t{o['created_at']}\t{name}\t{items}")
        print(f"{len(orders)} order(s)", file=sys.stderr)
    elif args.format == "json":
        json.dump([exported(o) for o in orders], sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        write_csv(orders, sys.stdout)
    return 0
