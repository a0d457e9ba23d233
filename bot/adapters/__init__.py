"""Messenger adapters, plugged in by name.

A new messenger is one module here plus a config section: add its name to `ADAPTERS`.
Modules are imported only when enabled, so a deployment without Telegram never imports
python-telegram-bot.
"""

from __future__ import annotations

import importlib
from typing import Any

ADAPTERS: dict[str, str] = {
    "console": "bot.adapters.console:ConsoleAdapter",
    "telegram": "bot.adapters.telegram:TelegramAdapter",
    "whatsapp": "bot.adapters.whatsapp:WhatsAppAdapter",
}


def adapter_class(name: str) -> Any:
    try:
        target = ADAPTERS[name]
    except KeyError:
        known = ", ".join(sorted(ADAPTERS))
        raise ValueError(f"unknown messenger {name!r} (known: {known})") from None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def enabled_adapters(config: dict[str, Any]) -> list[str]:
    """Messengers whose config section says ``enabled: true``."""
    return [n for n in ADAPTERS if isinstance(config.get(n), dict) and config[n].get("enabled")]
