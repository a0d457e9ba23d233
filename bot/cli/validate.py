"""``main.py validate``: check the config, flows, locales and data; ``file:line: message``
per problem, every problem at once."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(sub: Any, name: str) -> None:
    parser = sub.add_parser(
        name,
        help="check the config, flows, locales and data files",
        description="Check the config (unknown keys, bad values), the markets and catalog "
        "data, and the flows (all of flows/, or the FILES given) against the locales and "
        "the registered actions; exit 1 with a file:line: message line per problem.",
    )
    parser.add_argument("files", nargs="*", help="flow files (default: every flow)")
    parser.set_defaults(run=run)


def run(config: dict, args: argparse.Namespace) -> int:
    from bot.app import load

    files = [Path(f) for f in args.files] or None
    loaded = load(config, files)
    for error in loaded.errors:
        print(error)
    if loaded.errors:
        print(f"{len(loaded.errors)} problem(s) found")
        return 1
    for market in loaded.markets.unstaffed if loaded.markets else ():
        print(f"warning: {market.name} ({market.id}) is open but has no coordinators: "
              "residents are not offered it until markets.yaml names some")
    markets = f", {len(loaded.markets.markets)} markets" if loaded.markets else ""  # ordering
    print(f"ok: {len(loaded.flows)} flows, {len(loaded.i18n.catalogs) if loaded.i18n else 0} "
          f"languages{markets}")
    return 0
