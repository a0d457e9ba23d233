"""Shared by the CLI commands: open the app, or explain why it cannot start."""

from __future__ import annotations

import sys

from bot.app import App
from bot.engine.loader import FlowLoadError
from bot.storage.base import Store, StoreError


def open_app(config: dict) -> App | None:
    try:
        return App(config)
    except FlowLoadError as exc:
        print("The bot cannot start: its flows, locales or data have problems:", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return None
    except StoreError as exc:
        print(f"The bot cannot start: {exc}", file=sys.stderr)
        return None


def open_orders(config: dict, command: str) -> Store | None:
    """The store, for commands that only read orders (`orders`, `report`).

    While a bot holds the data folder, its files are read without the lock and without
    changing them (as of the bot's last write round), and stderr says so.
    """
    from bot.app import open_store
    from bot.config import resolve
    from bot.storage.lockfile import StoreLocked
    from bot.storage.snapshot import read_orders

    try:
        return open_store(config)
    except StoreLocked:
        folder = resolve(config, config["storage"].get("path", "data/"))
        print(f"{command}: a bot is running on {folder}; reading its orders as of its last "
              "write, without changing any file", file=sys.stderr)
        return read_orders(folder)
    except StoreError as exc:
        print(f"{command}: cannot open the orders: {exc}", file=sys.stderr)
        return None
