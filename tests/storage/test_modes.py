"""The data folder holds names, phone numbers and addresses: only the bot's user may read
it (folder 0700, every file 0600, set-aside copies and archives too), whatever the umask,
and a folder found readable by others is made private when the store opens."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.storage.base import Record
from bot.storage.tinydb_store import TinyDBStore
from tests.storage.conftest import FINISHED

Maker = Callable[..., Record]


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common default: files 0644 and folders 0755 unless the code asks otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(folder: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in sorted(folder.rglob("*")):
        found[str(path.relative_to(folder))] = stat.S_IMODE(path.stat().st_mode)
    return found


def readable_by_others(folder: Path) -> dict[str, str]:
    return {name: oct(mode) for name, mode in modes(folder).items() if mode & 0o077}


def test_every_file_and_folder_of_the_store_is_private(
    open_umask: None, data_dir: Path, make_order: Maker, make_session: Maker
) -> None:
    with TinyDBStore(data_dir, finished=FINISHED) as store:
        store.create_order(make_order("PM-1"))
        store.create_order(make_order("PM-2"))
        store.update_order("PM-2", {"status": "paid"}, 1)  # to the month archive
        store.put_session("telegram:1", make_session(1.0))
        store.next_sequence("PM")
        store.flush_sync()
        assert {".lock", "journal.jsonl"} <= set(modes(data_dir))
        assert readable_by_others(data_dir) == {}  # while open: lock and journal
    (data_dir / "orders.json").write_text("{not json", encoding="utf-8")
    # sets the damaged file aside, writes the rest
    with TinyDBStore(data_dir, finished=FINISHED) as store:
        assert store.problems()
    assert list(data_dir.glob("orders.json.corrupt-*"))
    assert list((data_dir / "archive").glob("orders-*.json"))
    assert readable_by_others(data_dir) == {}
    assert modes(data_dir)["."] == 0o700 and modes(data_dir)["archive"] == 0o700


def test_a_folder_readable_by_others_is_made_private_at_open(
    open_umask: None, data_dir: Path, make_order: Maker, caplog: pytest.LogCaptureFixture
) -> None:
    with TinyDBStore(data_dir, finished=FINISHED) as store:
        store.create_order(make_order("PM-1"))
    (data_dir / "markets.yaml").write_text("markets: []\n", encoding="utf-8")  # the office's
    for path in [data_dir, *data_dir.rglob("*")]:  # as an older version left it
        path.chmod(0o755 if path.is_dir() else 0o644)
    with caplog.at_level(logging.WARNING), TinyDBStore(data_dir, finished=FINISHED):
        pass
    assert readable_by_others(data_dir) == {"markets.yaml": "0o644"}
    said = [r.getMessage() for r in caplog.records]
    (line,) = [text for text in said if "readable by other users" in text]
    assert "orders.json" in line
    caplog.clear()
    # said once, not every start
    with caplog.at_level(logging.WARNING), TinyDBStore(data_dir, finished=FINISHED):
        pass
    assert "readable by other users" not in caplog.text
