"""Opening costs what is live, not history (issue 13 item 3): session values stay on disk
until asked for, archive months are read only when an order of theirs is needed, and the
indexes that make this possible are never trusted for another version of their file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.storage import atomic
from bot.storage.docfile import packed_file, shard_of
from bot.storage.tinydb_store import TinyDBStore
from tests.storage.conftest import FINISHED

Maker = Callable[..., dict[str, Any]]
KEYS = [f"telegram:{i}" for i in range(40)]


def shard_file(folder: Path, key: str) -> Path:
    return folder / f"sessions-{shard_of(key, 16):02d}.json"


def test_a_damaged_session_value_costs_only_that_conversation(
    data_dir: Path, make_session: Maker
) -> None:
    with TinyDBStore(data_dir, finished=FINISHED) as store:
        for i, key in enumerate(KEYS):
            store.put_session(key, make_session(float(1000 + i), slots={"name": f"Bu {i}"}))
    victim = KEYS[7]
    path = shard_file(data_dir, victim)
    neighbours = [k for k in KEYS if k != victim and shard_file(data_dir, k) == path]
    assert neighbours  # the damaged file holds other conversations too
    raw = path.read_bytes()
    start = raw.index(b'"Bu 7"')  # damaged in place, same length: a bad disk block
    path.write_bytes(raw[:start] + b"\x00\xff garbage" + raw[start + 12:])
    with TinyDBStore(data_dir, finished=FINISHED) as store:
        assert store.problems() == []  # opening read no value (before: the file set aside)
        for key in neighbours:
            assert store.get_session(key)["slots"]["name"] == f"Bu {KEYS.index(key)}"
        assert store.get_session(victim) is None  # that conversation starts over
        [problem] = store.problems()
        assert path.name in problem and victim not in problem  # no account in the report
        assert store.expire_sessions(1010.0) == 9  # by the stamps beside the keys
    with TinyDBStore(data_dir, finished=FINISHED) as store:  # rewritten without it
        assert store.problems() == []
        assert [k for k in KEYS if store.get_session(k) is not None] == KEYS[10:]


def test_a_session_index_is_used_only_for_the_file_version_it_was_written_for(
    data_dir: Path, make_session: Maker
) -> None:
    with TinyDBStore(data_dir, finished=FINISHED) as store:
        for i, key in enumerate(KEYS):
            store.put_session(key, make_session(float(i)))
    path = shard_file(data_dir, KEYS[0])
    assert path.with_suffix(".idx").exists()
    # another version of the file (restored from a backup, say): other keys, other offsets
    others = [k for k in (f"telegram:x{j}" for j in range(200))
              if shard_file(data_dir, k) == path][:2]
    mine = {k: (5.0, json.dumps(make_session(5.0, slots={"k": k}))) for k in others}
    atomic.atomic_write_bytes(path, packed_file("sessions", mine)[0])
    with TinyDBStore(data_dir, finished=FINISHED) as store:
        assert [store.get_session(k) for k in others] == [
            make_session(5.0, slots={"k": k}) for k in others]
        assert store.get_session(KEYS[0]) is None  # not in that version of the file
        assert store.problems() == []
        untouched = [k for k in KEYS if shard_file(data_dir, k) != path]
        assert [store.get_session(k) for k in untouched] == [
            make_session(float(KEYS.index(k))) for k in untouched]


def test_an_archived_order_is_found_by_reading_only_its_month(
    data_dir: Path, make_order: Maker
) -> None:
    with TinyDBStore(data_dir, finished=FINISHED) as store:
        for i in range(48):
            month = f"{2024 + i // 24}-{i % 12 + 1:02d}"
            store.create_order(make_order(f"OLD-{i:03d}", status="paid",
                                          created_at=f"{month}-10T10:00"))
    (data_dir / "sequences.json").unlink()  # lost: the floor comes from the codes files
    with TinyDBStore(data_dir, finished=FINISHED, archive_months_cached=3) as store:
        archive = store._orders.archive
        assert archive.loaded_months == []  # before: every month read at open
        assert store.get_order("OLD-030")["created_at"] == "2025-07-10T10:00"  # type: ignore
        assert archive.loaded_months == ["2025-07"]
        assert store.next_sequence("OLD") == 48  # above OLD-047, read from no month
        assert len(store.query_orders(since="2025-03-01", until="2025-03-31")) == 2
        assert archive.loaded_months == ["2025-07", "2025-03"]
        assert store.get_order("OLD-999") is None and len(archive.loaded_months) == 2


def test_a_month_edited_by_hand_is_read_again_not_its_stale_codes(
    data_dir: Path, make_order: Maker
) -> None:
    with TinyDBStore(data_dir, finished=FINISHED) as store:
        store.create_order(make_order("OLD-1", status="paid", created_at="2025-03-10T10:00"))
    month = data_dir / "archive" / "orders-2025-03.json"
    held = json.loads(month.read_text())
    extra = {**held["orders"]["1"], "code": "OLD-2", "version": 1}
    held["orders"]["2"] = extra
    month.write_text(json.dumps(held))  # in place: its codes file now names another version
    with TinyDBStore(data_dir, finished=FINISHED) as store:
        assert store.get_order("OLD-2") == extra
        assert store.next_sequence("OLD") == 3
