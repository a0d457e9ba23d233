"""No order code is given twice: sequences are rebuilt from the orders when
``sequences.json`` is lost, and never go below a code found in a file set aside."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from bot.storage.base import Record
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import ChatBot
from tests.coordinator.test_flows import ORDER

Maker = Callable[..., Record]


def test_a_lost_sequences_file_is_rebuilt_from_the_orders(
    data_dir: Path, make_order: Maker
) -> None:
    with TinyDBStore(data_dir) as store:
        for _ in range(3):
            store.create_order(make_order(f"KRB-1127-{store.next_sequence('KRB-1127'):03d}"))
        store.update_order("KRB-1127-003", {"status": "paid"}, 1)  # to the archive
        store.create_order(make_order(f"BTR-1127-{store.next_sequence('BTR-1127'):03d}"))
    (data_dir / "sequences.json").unlink()
    with TinyDBStore(data_dir) as store:
        assert store.problems() == []
        assert store.next_sequence("KRB-1127") == 4  # above the archived KRB-1127-003
        assert store.next_sequence("BTR-1127") == 2
    with TinyDBStore(data_dir) as store:  # the rebuilt numbers were saved
        assert json.loads((data_dir / "sequences.json").read_text())
        assert store.next_sequence("KRB-1127") == 5


def test_codes_in_files_set_aside_are_never_given_again(
    data_dir: Path, make_order: Maker
) -> None:
    with TinyDBStore(data_dir) as store:
        store.create_order(make_order(f"KRB-1127-{store.next_sequence('KRB-1127'):03d}"))
    # an orders file that could not be read, holding an order given out before
    aside = data_dir / "archive" / "orders-2026-11.json.corrupt-20261127-090000"
    aside.write_bytes(b'{"orders": {"1": {"code": "KRB-1127-041", "status": "pa\x00\x00')
    with TinyDBStore(data_dir) as store:
        assert any(aside.name in p for p in store.problems())
        assert store.next_sequence("KRB-1127") == 42


def test_orders_are_saved_after_the_sequences_file_was_lost(tmp_path: Path) -> None:
    """Before: the counter restarted at 1 and the first orders after the restart failed
    with "cannot be saved" (every code tried was taken)."""
    bot = ChatBot(store=TinyDBStore(tmp_path / "data"))
    for _ in range(6):
        for line in ORDER:
            bot.say(line)
    codes = [o["code"] for o in bot.orders()]
    bot.store.close()
    (tmp_path / "data" / "sequences.json").unlink()
    bot = ChatBot(store=TinyDBStore(tmp_path / "data"))
    for line in ORDER:
        bot.say(line)
    placed = bot.orders()[-1]["code"]
    assert placed not in codes and placed.endswith("-007"), bot.text()
    assert f"*{placed}* diterima" in bot.text()
    bot.store.close()
