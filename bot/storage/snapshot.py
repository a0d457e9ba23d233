"""The orders of a data folder that a running bot holds, read without its lock and
without changing any file: the TinyDB snapshot files (opened read-only), then the order
records of the journals over them (the higher version wins, as at a real start).

For `main.py orders` and `main.py report` while the bot runs: they see the orders as of
the bot's last write round. A torn or damaged journal line is skipped (every other line
is read); the bot itself sets damaged lines aside when it next starts.
"""

from __future__ import annotations

import logging
from pathlib import Path

from tinydb import TinyDB

from bot.storage.base import Record
from bot.storage.journal import Journal
from bot.storage.memory import MemoryStore

log = logging.getLogger(__name__)


def _version(order: Record) -> int:
    version = order.get("version", 0)
    return version if isinstance(version, int) else 0


def _snapshot_files(folder: Path) -> list[Path]:
    return [folder / "orders.json", *sorted((folder / "archive").glob("orders-*.json"))]


def _read_file(path: Path) -> list[Record]:
    """Every order document in one TinyDB file (opened read-only)."""
    if not path.exists():
        return []
    try:
        db = TinyDB(path, access_mode="r")
        try:
            return [dict(doc) for name in db.tables() for doc in db.table(name).all()]
        finally:
            db.close()
    except (ValueError, OSError) as exc:
        log.warning("%s could not be read (%s); its orders are left out", path, exc)
        return []


def read_orders(folder: str | Path) -> MemoryStore:
    """A memory store holding the folder's orders, newest version of each."""
    folder = Path(folder)
    orders: dict[str, Record] = {}

    def take(order: object) -> None:
        if not isinstance(order, dict) or not isinstance(order.get("code"), str):
            return
        known = orders.get(order["code"])
        if known is None or _version(order) >= _version(known):
            orders[order["code"]] = order

    for path in _snapshot_files(folder):
        for order in _read_file(path):
            take(order)
    for scan in Journal(folder).read():  # reads only; the old journal first
        for record in scan.records:
            changed = record.get("o")
            if isinstance(changed, dict):
                for placed in changed.values():
                    if isinstance(placed, list) and len(placed) == 2:
                        take(placed[1])
    return MemoryStore.holding(orders.values())
