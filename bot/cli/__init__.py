"""``python3 main.py <command>``: one module per command, each with add_parser and run.

A module here named like the command defines ``add_parser(sub, name)`` and sets ``run``."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import signal
import sys

from bot import logs, privacy
from bot.config import ConfigError, load_config

COMMAND_ORDER = ("chat", "serve", "orders", "report", "links", "validate", "graph", "doctor")


def command_modules() -> list[str]:
    """Every module of this package with an ``add_parser``: a new command is a new file."""
    found = [m.name for m in pkgutil.iter_modules(__path__) if m.name != "common"]
    return sorted(found, key=lambda n: (COMMAND_ORDER.index(n) if n in COMMAND_ORDER else 99, n))


CHECKS_ITSELF = ("validate", "doctor")  # report config and data problems in their output


def _add_common(parser: argparse.ArgumentParser, top: bool) -> None:
    """--config and -v, before the command or after it (``serve --config prod.yaml``).

    Below the top level their default is SUPPRESS: a subcommand that was not given them
    leaves the value parsed before the command in place."""
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--config", default=default,
                        help="config file (default: config.yaml beside main.py)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        default=False if top else argparse.SUPPRESS, help="log more")


def _subcommands(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every parser below ``parser`` (commands, and actions like ``orders list``)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found += [child, *_subcommands(child)]
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Pasar Daring: order from Kota Bekasi's traditional markets by chat.",
    )
    _add_common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in command_modules():
        module = importlib.import_module(f"bot.cli.{name}")
        if hasattr(module, "add_parser"):
            module.add_parser(sub, name)
    for child in _subcommands(parser):
        _add_common(child, top=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. Output cut short by its reader (``| head``) ends quietly."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
    except BrokenPipeError:
        # the reader is gone: nothing more can be written; stop as `head` expects
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    return code


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.setup(args.verbose)
    try:
        config = load_config(args.config or _default_config())
    except ConfigError as exc:
        print(f"config: {exc}", file=sys.stderr)
        return 2
    privacy.install(config)  # no token, secret or phone number in any log line from here
    problems = start_problems(config)
    if args.command not in CHECKS_ITSELF:
        for problem in problems:
            print(problem, file=sys.stderr)
        if len(problems) > 1:
            print(f"{len(problems)} problems in the config and data: nothing was started",
                  file=sys.stderr)
        if problems:
            return 2
    return int(args.run(config, args) or 0)


def start_problems(config: dict) -> list[str]:
    """What stops every command at start: the config's problems and the markets file's
    (all of them, each with its line). Log times follow the markets' time zone."""
    from bot.app import config_errors
    from bot.config import resolve
    from bot.ordering.domain.markets import MarketDataError, load_markets
    from bot.plugin import ORDERING, app_name

    problems = [str(e) for e in config_errors(config)]
    data = config.get("data")
    ordering = app_name(config) == ORDERING  # another app has no markets file
    if ordering and isinstance(data, dict) and data.get("markets"):
        try:
            logs.set_timezone(load_markets(resolve(config, str(data["markets"]))).timezone)
        except MarketDataError as exc:
            problems += str(exc).splitlines()
    return problems


def _default_config() -> str | None:
    """config.yaml beside main.py, so the bot runs from any working directory."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "config.yaml"
    return str(path) if path.exists() else None
