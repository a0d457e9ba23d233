"""Shared by the CLI commands: open the app, or explain why it cannot start."""

from __future__ import annotations

import sys

from bot.app import App
from bot.engine.loader import FlowLoadError
from bot.storage.base import StoreError


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
