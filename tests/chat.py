"""A bot to talk to in tests: push what a user says, read what the bot answers.

Runs the real app (flows, locales, markets, engine) on a real store; only the clock is
the test's, so idle timeouts can be tested without waiting.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import yaml

from bot.app import App
from bot.config import load_config
from bot.messages import Incoming, Location, Menu, Reply, user_key
from bot.storage.base import Store

ROOT = Path(__file__).resolve().parents[1]
_message_ids = itertools.count(1)  # unique across bots, so a restarted bot sees new ids


def test_config(**overrides: Any) -> dict[str, Any]:
    config = load_config(ROOT / "config.yaml", env={})
    config["storage"] = {"backend": "memory"}
    config.update(overrides)
    return config


test_config.__test__ = False  # a helper, not a test (pytest collects it where imported)


def write_config(tmp_path: Path, **sections: Any) -> Path:
    """A config file for a `main.py` subprocess: this repository's flows, locales and data,
    the TinyDB files under ``tmp_path/data``; ``sections`` replace top-level keys."""
    config: dict[str, Any] = {
        "flows": {"dir": str(ROOT / "flows"), "entry": "main"},
        "locales": str(ROOT / "locales"),
        "data": {
            "markets": str(ROOT / "data" / "markets.yaml"),
            "catalog": str(ROOT / "data" / "catalog.yaml"),
        },
        "storage": {"backend": "tinydb", "path": str(tmp_path / "data")},
    }
    config.update(sections)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


class Clock:
    def __init__(self, start: float = 1_764_200_000.0) -> None:  # 2025-11-27 06:33 WIB
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Console:
    """The console channel's adapter, keeping what the app sends it outside a message
    (``app.deliver``, jobs, timers, announcements)."""

    name = "console"

    def __init__(self) -> None:
        self.sent: list[Reply] = []

    async def send(self, reply: Reply) -> bool:
        self.sent.append(reply)
        return True

    def text(self, user: str) -> str:
        """What was sent to ``console:<user>``, one text a line."""
        return "\n".join(r.text for r in self.sent if r.to == f"console:{user}")


class ChatBot:
    """The whole bot behind a push/replies interface, on the channel ``console``."""

    def __init__(self, store: Store | None = None, config: dict | None = None,
                 clock: Clock | None = None) -> None:
        from bot.storage.memory import MemoryStore

        self.store = store if store is not None else MemoryStore()
        self.clock = clock or Clock()
        self.app = App(config or test_config(), store=self.store)
        self.app.engine.clock = self.clock
        self.replies: list[Reply] = []

    def push(self, user: str = "warga", text: str | None = None, *, choice: str | None = None,
             location: tuple[float, float] | None = None, **fields: Any) -> list[Reply]:
        msg = Incoming(
            channel="console",
            user=user,
            text=text,
            choice=choice,
            location=Location(*location) if location else None,
            message_id=f"m{next(_message_ids)}",
            **fields,
        )
        self.replies = asyncio.run(self.app.engine.handle(msg))
        return self.replies

    def tick(self) -> list[Reply]:
        """The server's periodic jobs, once, at the test's clock: what they send becomes
        the replies read by `to` and `text`."""
        console = Console()
        self.app.adapters["console"] = console
        try:
            asyncio.run(self.app.run_jobs(self.clock()))
        finally:
            self.app.adapters.pop("console", None)
        self.replies = console.sent
        return console.sent

    def say(self, text: str, user: str = "warga") -> list[Reply]:
        return self.push(user, text)

    def to(self, user: str = "warga") -> list[Reply]:
        key = user_key("console", user)
        return [r for r in self.replies if r.to == key]

    def text(self, user: str = "warga") -> str:
        return "\n".join(r.text for r in self.to(user))

    def options(self, user: str = "warga") -> list[str]:
        menus = [r for r in self.to(user) if isinstance(r, Menu)]
        return [o.id for o in menus[-1].options] if menus else []

    def session(self, user: str = "warga") -> dict[str, Any]:
        return self.store.get_session(user_key("console", user)) or {}

    def state(self, user: str = "warga") -> str:
        s = self.session(user)
        return f"{s.get('flow')}.{s.get('state')}"

    def orders(self, user: str | None = "warga") -> list[dict[str, Any]]:
        return self.store.query_orders(user=user_key("console", user) if user else None)


ADDRESS = "Jl. Melati No. 12, RT 03/RW 05, Jatibening, dekat masjid Al-Ikhlas"

# How to reach each state of the order flow, as what a resident types.
PATHS: dict[str, list[str]] = {
    "main.menu": ["halo"],
    "order.market": ["halo", "1"],
    "order.items": ["halo", "1", "kranji baru"],
    "order.address": ["halo", "1", "kranji baru", "bawang merah 1/4 kg, telur 1 kg", "selesai"],
    "order.name": ["halo", "1", "kranji baru", "telur 1 kg", "selesai", ADDRESS],
    "order.phone": ["halo", "1", "kranji baru", "telur 1 kg", "selesai", ADDRESS, "Bu Ani"],
    "order.confirm": ["halo", "1", "kranji baru", "telur 1 kg", "selesai", ADDRESS, "Bu Ani",
                      "0812-3456-7890"],
    "order.edit_menu": ["halo", "1", "kranji baru", "telur 1 kg", "selesai", ADDRESS, "Bu Ani",
                        "0812-3456-7890", "ubah"],
}


def drive(bot: ChatBot, state: str, user: str = "warga") -> None:
    for line in PATHS[state]:
        bot.say(line, user)
    assert bot.state(user) == state, f"expected {state}, at {bot.state(user)}: {bot.text(user)}"
