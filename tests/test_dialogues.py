"""Dialogue tests: YAML transcripts in tests/dialogues/, read like a chat.

Each file has ``steps``; a step is what a user does and what must follow:

    - send: "halo"                 # or choose: <option id>, location: [lat, lon]
      user: warga                  # who sends (default warga)
      says: ["Selamat datang"]     # every text must appear in the replies to the sender
      not_says: ["Maaf"]
      options: [order, status, help]      # exactly the options of the last menu
      options_include: [kranji-baru]
      state: order.items           # the sender's session afterwards
      slots: {market: kranji-baru} # a subset of the sender's slots
      to: {koord-kranji-1: ["KRB-"]}      # replies to other users
    - restart: true                # reopen the app on the same data files
    - wait_hours: 7                # let the clock run
    - tick: true                   # the server's periodic jobs run once (timers, recap);
                                   # what they send is checked with `to:` (and `says:`)
    - orders: 1                    # how many orders the sender has
      order: {market: kranji-baru, status: new, "resident.name": Bu Ani}
      order_of: warga              # whose latest order `order` reads (default: the sender,
                                   # or warga for staff, who place none)

A top-level ``config:`` overrides config sections for the whole story (and its restarts).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.storage.base import Store
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import ChatBot, test_config

DIALOGUES = sorted((Path(__file__).parent / "dialogues").glob("*.yaml"))


def dig(record: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(record, list):
            record = record[int(part)]
        else:
            record = record.get(part) if isinstance(record, dict) else None
    return record


def check_step(bot: ChatBot, step: dict[str, Any], user: str, where: str) -> None:
    text = bot.text(user)
    for wanted in step.get("says", []):
        assert wanted in text, f"{where}: {wanted!r} not in reply:\n{text}"
    for unwanted in step.get("not_says", []):
        assert unwanted not in text, f"{where}: {unwanted!r} in reply:\n{text}"
    if "options" in step:
        assert bot.options(user) == step["options"], f"{where}: options {bot.options(user)}"
    for option in step.get("options_include", []):
        assert option in bot.options(user), f"{where}: {option!r} not in {bot.options(user)}"
    if "state" in step:
        assert bot.state(user) == step["state"], f"{where}: state {bot.state(user)}\n{text}"
    slots = bot.session(user).get("slots", {})
    for key, value in (step.get("slots") or {}).items():
        assert dig(slots, key) == value, f"{where}: slot {key} = {dig(slots, key)!r}"
    for other, texts in (step.get("to") or {}).items():
        got = bot.text(other)
        for wanted in texts:
            assert wanted in got, f"{where}: {wanted!r} not sent to {other}:\n{got}"
    if "orders" in step:
        assert len(bot.orders(user)) == step["orders"], f"{where}: {bot.orders(user)}"
    if "order" in step:  # the sender's latest order (staff have none: the resident's)
        owner = step.get("order_of") or (user if bot.orders(user) else "warga")
        order = bot.orders(owner)[-1]
        for key, value in step["order"].items():
            assert dig(order, key) == value, f"{where}: order {key} = {dig(order, key)!r}"


def run_dialogue(path: Path, open_store: Callable[[], Store], backend: str = "") -> None:
    """Play the transcript on a store from ``open_store``; a ``restart`` closes it and opens
    another on the same data (``backend`` names it in failures)."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    config = test_config(**(spec.get("config") or {}))
    bot = ChatBot(store=open_store(), config=config)
    try:
        for number, step in enumerate(spec["steps"], 1):
            where = f"{path.name} step {number}{f' ({backend})' if backend else ''}"
            user = str(step.get("user", "warga"))
            if step.get("restart"):
                bot.store.close()
                bot = ChatBot(store=open_store(), config=config, clock=bot.clock)
            if "wait_hours" in step:
                bot.clock.advance(float(step["wait_hours"]) * 3600)
            if step.get("tick"):
                bot.tick()
            if "send" in step:
                bot.push(user, str(step["send"]))
            elif "choose" in step:
                bot.push(user, choice=str(step["choose"]))
            elif "location" in step:
                bot.push(user, location=tuple(step["location"]))
            check_step(bot, step, user, where)
    finally:
        bot.store.close()


@pytest.mark.parametrize("path", DIALOGUES, ids=[p.stem for p in DIALOGUES])
def test_dialogue(path: Path, tmp_path: Path) -> None:
    run_dialogue(path, lambda: TinyDBStore(tmp_path / "data"))


def test_there_are_dialogues() -> None:
    assert len(DIALOGUES) >= 5
