"""``python3 main.py <command>``: one module per command, each with add_parser and run."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from bot.config import ConfigError, load_config

# command name -> module under bot.cli (a new command is a module and one line here)
COMMANDS = {
    "chat": "chat",
    "validate": "validate",
    "graph": "graph",
    "orders": "orders",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Pasar Daring: order from Kota Bekasi's traditional markets by chat.",
    )
    parser.add_argument("--config", default=None, help="config file (default: config.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        importlib.import_module(f"bot.cli.{module}").add_parser(sub, name)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load_config(args.config or _default_config())
    except ConfigError as exc:
        print(f"config: {exc}", file=sys.stderr)
        return 2
    return int(args.run(config, args) or 0)


def _default_config() -> str | None:
    """config.yaml beside main.py, so the bot runs from any working directory."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "config.yaml"
    return str(path) if path.exists() else None
