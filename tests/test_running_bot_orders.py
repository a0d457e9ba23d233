"""The market office exports and reports while the bot runs: the folder is read without
its lock, without changing any file, and shows what the bot has written so far."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.storage.snapshot import read_orders
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import ROOT, ChatBot, drive, write_config


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def place_two(tmp_path: Path) -> tuple[ChatBot, list[str]]:
    bot = ChatBot(store=TinyDBStore(tmp_path / "data"))
    for _ in range(2):
        drive(bot, "order.confirm")
        bot.say("ya")
    return bot, [o["code"] for o in bot.orders()]


def test_orders_are_read_from_snapshot_and_journal_without_changes(tmp_path: Path) -> None:
    bot, codes = place_two(tmp_path)
    bot.store.compact()  # the first order is in the snapshot files ...
    drive(bot, "order.confirm")
    bot.say("ya")  # ... the third only in the journal
    codes.append(bot.orders()[-1]["code"])
    order = bot.store.get_order(codes[0])
    bot.store.update_order(codes[0], {"status": "cancelled"}, order["version"])  # archived
    bot.store.flush_sync()
    before = files_of(tmp_path / "data")
    seen = read_orders(tmp_path / "data")
    assert files_of(tmp_path / "data") == before
    assert sorted(o["code"] for o in seen.query_orders()) == sorted(codes)
    assert seen.get_order(codes[0])["status"] == "cancelled"
    assert seen.get_order(codes[0])["version"] == order["version"] + 1
    bot.store.close()


def test_export_while_the_bot_holds_the_folder(tmp_path: Path) -> None:
    bot, codes = place_two(tmp_path)  # this process holds the lock, as a running bot does
    config = write_config(tmp_path)
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--config", str(config), "orders", "export"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "a bot is running" in result.stderr
    assert sorted(o["code"] for o in json.loads(result.stdout)) == sorted(codes)
    bot.store.close()
