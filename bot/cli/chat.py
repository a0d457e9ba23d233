"""``main.py chat``: chat with the bot in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any


def add_parser(sub: Any, name: str) -> None:
    parser = sub.add_parser(
        name,
        help="chat with the bot in the terminal",
        description="Chat with the bot in the terminal. One line is one message; menus "
        "are numbered lists. Type /lokasi LAT,LON to send a location, /user NAME to "
        "speak as someone else.",
    )
    parser.add_argument("--user", default="warga", help="who you are (default: warga)")
    parser.add_argument(
        "--json",
        action="store_true",
        help='machine interface: each stdin line is text or {"user","text"|"choice"|'
        '"location"}; each gets one JSON line {"replies": [...]} or {"error": ...}',
    )
    parser.set_defaults(run=run)


def run(config: dict, args: argparse.Namespace) -> int:
    from bot import logs
    from bot.adapters.console import ConsoleAdapter
    from bot.cli.common import open_app
    from bot.config import resolve

    # the terminal is the conversation: log lines go to a file, and one note at the end
    folder = resolve(config, config["storage"].get("path", "data/"))
    try:
        log_file, warnings = logs.log_to_file(folder)
    except OSError as exc:
        print(f"(cannot write the log under {folder}: {exc.strerror}; log lines will "
              "show here)", file=sys.stderr)
        log_file, warnings = None, logs.WarningCounter()
    app = open_app(config)
    if app is None:
        return 1
    console = ConsoleAdapter(app, user=args.user, json_mode=args.json)
    app.attach(console)
    try:
        asyncio.run(console.run())
    except KeyboardInterrupt:
        print(file=sys.stderr)
    finally:
        app.close()
        if warnings.count:
            print(f"({warnings.count} warning(s) during the chat, see {log_file})",
                  file=sys.stderr)
    return 0
