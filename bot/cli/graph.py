"""``main.py graph FLOW``: a flow as a Mermaid state diagram."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(sub: Any, name: str) -> None:
    parser = sub.add_parser(
        name,
        help="print a flow as a Mermaid state diagram",
        description="Print a flow as a Mermaid state diagram (paste it into Markdown "
        "inside a ```mermaid block).",
    )
    parser.add_argument("flow", help="flow name, e.g. order")
    parser.set_defaults(run=run)


def run(config: dict, args: argparse.Namespace) -> int:
    from bot.app import flow_files
    from bot.engine.loader import read_flow_files
    from bot.engine.machines import to_mermaid

    flows, errors = read_flow_files(flow_files(config))
    if args.flow not in flows:
        known = ", ".join(sorted(flows)) or "none"
        print(f"no flow {args.flow!r} (flows: {known})", file=sys.stderr)
        return 1
    for error in errors:
        print(error, file=sys.stderr)
    print(to_mermaid(flows[args.flow]))
    return 0
