"""``python3 main.py <command>``: one module per command, each with add_parser and run.

A module here named like the command defines ``add_parser(sub, name)`` and sets ``run``."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from bot.config import ConfigError, load_config

COMMAND_ORDER = ("chat", "serve", "orders", "report", "links", "validate", "graph", "doctor")


def command_modules() -> list[str]:
    """Every module of this package with an ``add_parser``: a new command is a new file."""
    found = [m.name for m in pkgutil.iter_modules(__path__) if m.name != "common"]
    return sorted(found, key=lambda n: (COMMAND_ORDER.index(n) if n in COMMAND_ORDER else 99, n))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Pasar Daring: order from Kota Bekasi's traditional markets by chat.",
    )
    parser.add_argument("--config", default=None, help="config file (default: config.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in command_modules():
        module = importlib.import_module(f"bot.cli.{name}")
        if hasattr(module, "add_parser"):
            module.add_parser(sub, name)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # transitions logs every state change at INFO: one line per message under `serve`
    logging.getLogger("transitions").setLevel(logging.WARNING)
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
