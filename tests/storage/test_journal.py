"""The TinyDB store's journal: replay after a crash, torn and damaged lines.

A crash is simulated by copying the data folder while the store is open (`crash_image`):
the copy is what a machine that stopped at that instant would leave, because every file
of the store is either replaced atomically or only appended to.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.storage.base import Record
from bot.storage.journal import NAME, OLD_NAME, decode_line, encode_line, scan
from bot.storage.tinydb_store import TinyDBStore

Maker = Callable[..., Record]
REPO = Path(__file__).resolve().parents[2]


def crash_image(store: TinyDBStore, dest: Path) -> Path:
    """The store's folder as a crash right now would leave it (the store stays open)."""
    store._w.compactor.wait()  # a test that wants a compaction half done hooks into it
    shutil.copytree(store.path, dest, ignore=shutil.ignore_patterns(".lock"))
    return dest


def everything(store: TinyDBStore) -> dict:
    """All a store holds: through its API, and the sequence numbers (peeked at)."""
    keys = [f"telegram:{i}" for i in range(12)]
    return {
        "sessions": {k: store.get_session(k) for k in keys},
        "orders": store.query_orders(),
        "seen": [store.seen_message("telegram", str(i)) for i in range(12)],
        "sequences": dict(store._sequences.data),
    }


def busy_day(store: TinyDBStore, make_order: Maker, make_session: Maker, n: int = 0) -> None:
    """Every kind of change, flushed: sessions put/deleted/expired, orders created,
    finished (to the archive), reopened (back out), message ids marked and expired."""
    for i in range(12):
        store.put_session(f"telegram:{i}", make_session(float(n + i), slots={"n": n + i}))
        store.mark_message("telegram", str(i), at=float(n + i))
    store.delete_session("telegram:3")
    store.expire_sessions(older_than=n + 2)
    store.expire_messages(older_than=n + 1)
    for _ in range(3):
        code = f"PM-{store.next_sequence('PM')}"
        store.create_order(make_order(code, created_at="2026-10-03T10:00:00"))
        store.update_order(code, {"status": "paid", "total": 41000}, 1)
    store.update_order(code, {"status": "exchange"}, 2)  # reopened: leaves its month
    store.flush_sync()


def test_a_round_is_one_verifiable_line() -> None:
    line = encode_line(b'{"s":{"k":{"updated_at":1}}}')
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode_line(line[:-1]) == {"s": {"k": {"updated_at": 1}}}
    flipped = line[:-3] + bytes([line[-3] ^ 1]) + line[-2:]
    assert decode_line(flipped[:-1]) is None  # the checksum catches one changed bit
    assert decode_line(line[:-5]) is None  # and a cut line
    assert decode_line(b"not a journal line") is None


def test_replay_after_a_crash_without_close(
    tiny: TinyDBStore, tmp_path: Path, make_order: Maker, make_session: Maker
) -> None:
    busy_day(tiny, make_order, make_session)
    image = crash_image(tiny, tmp_path / "crashed")
    assert not list(image.glob("*.json")) and not list((image / "archive").iterdir())
    with TinyDBStore(image) as again:
        assert again.problems() == []
        after_crash = everything(again)
        busy_day(again, make_order, make_session, n=100)  # appends to the replayed journal
        second = crash_image(again, tmp_path / "crashed-again")
        expected = everything(again)
    assert after_crash == everything(tiny)
    with TinyDBStore(second) as third:
        assert everything(third) == expected and third.problems() == []


WRITE_THEN_WAIT = """
import sys
from bot.storage.tinydb_store import TinyDBStore
store = TinyDBStore(sys.argv[1])
for n in range(1, 41):
    store.create_order({"code": f"PM-{n}", "status": "paid" if n % 3 else "new",
                        "created_at": "2026-11-05", "pad": "x" * 300})
    store.put_session(f"telegram:{n % 7}", {"updated_at": n})
    store.flush_sync()
print("flushed", flush=True)
sys.stdin.read()  # killed here: never closed
"""


def test_killed_process_without_close_loses_nothing_flushed(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    child = subprocess.Popen(
        [sys.executable, "-c", WRITE_THEN_WAIT, str(data_dir)],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "flushed\n"
    finally:
        child.kill()
        child.communicate(timeout=60)
    assert not (data_dir / "orders.json").exists()  # everything is in the journal only
    with TinyDBStore(data_dir) as store:
        assert len(store.query_orders()) == 40
        assert len(store.query_orders(status="paid")) == 27
        assert store.get_session("telegram:5") == {"updated_at": 40}
        assert store.problems() == []


def append_raw(folder: Path, data: bytes) -> None:
    with (folder / NAME).open("ab") as journal:
        journal.write(data)


TORN = ["cut in the middle", "cut in its header", "cut just before its newline", "zeros"]


def torn_line(kind: str, order: Record) -> bytes:
    """What an append interrupted by a crash can leave at the end of the journal."""
    payload = json.dumps({"o": {order["code"]: ["live", {**order, "version": 1}]}})
    line = encode_line(payload.encode())
    if kind == "cut in the middle":
        return line[: len(line) // 2]
    if kind == "cut in its header":
        return line[:6]
    if kind == "cut just before its newline":
        return line[:-1]
    return b"\x00" * 300  # a file system that grew the file before the data arrived


@pytest.mark.parametrize("kind", TORN)
def test_torn_last_line_is_ignored_and_cut_off(
    tiny: TinyDBStore, tmp_path: Path, make_order: Maker, kind: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tiny.create_order(make_order("PM-1"))
    tiny.flush_sync()
    image = crash_image(tiny, tmp_path / "crashed")
    size = (image / NAME).stat().st_size
    append_raw(image, torn_line(kind, make_order("PM-9")))
    with caplog.at_level(logging.WARNING), TinyDBStore(image) as store:
        assert store.problems() == []
        assert [o["code"] for o in store.query_orders()] == ["PM-1"]
        assert (image / NAME).stat().st_size == size  # cut off before appending goes on
        store.create_order(make_order("PM-2"))
        store.flush_sync()
        again = crash_image(store, tmp_path / "crashed-again")
    assert "unfinished last line" in caplog.text
    with TinyDBStore(again) as store:  # the new line did not land after the torn one
        assert [o["code"] for o in store.query_orders()] == ["PM-1", "PM-2"]
        assert store.problems() == []


def flip(line: bytes, at: bytes) -> bytes:
    """``line`` with one bit changed in the first byte of ``at``."""
    pos = line.index(at)
    return line[:pos] + bytes([line[pos] ^ 0x04]) + line[pos + 1 :]


def rounds_of_orders(store: TinyDBStore, make_order: Maker, make_session: Maker) -> None:
    """Five write rounds, one journal line each, numbering orders as the app does."""
    for _ in range(3):
        store.create_order(make_order(f"PM-{store.next_sequence('PM')}"))
        store.flush_sync()
    store.update_order("PM-1", {"status": "claimed"}, 1)
    store.flush_sync()
    store.create_order(make_order(f"PM-{store.next_sequence('PM')}"))
    store.put_session("telegram:7", make_session(7.0))
    store.flush_sync()


def test_a_flipped_byte_costs_only_its_line_and_says_what_it_held(
    tiny: TinyDBStore, tmp_path: Path, make_order: Maker, make_session: Maker
) -> None:
    rounds_of_orders(tiny, make_order, make_session)
    image = crash_image(tiny, tmp_path / "crashed")
    lines = (image / NAME).read_bytes().splitlines(keepends=True)
    assert len(lines) == 5
    lines[1] = flip(lines[1], b"Melati")  # PM-2 created
    lines[3] = flip(lines[3], b"claimed")  # PM-1 claimed (version 2)
    (image / NAME).write_bytes(b"".join(lines))
    with TinyDBStore(image) as store:
        assert [o["code"] for o in store.query_orders()] == ["PM-1", "PM-3", "PM-4"]
        assert store.get_order("PM-1")["version"] == 1  # the update was on the damaged line
        assert store.get_session("telegram:7") is not None  # the line after it applied
        (problem,) = store.problems()
        assert "line 2 (" in problem and "line 4 (" in problem
        assert "orders PM-2 v1 (the store has nothing: the order is missing)" in problem
        assert "orders PM-1 v2 (the store has v1)" in problem
        assert "sequence steps PM=2" in problem
        assert store.next_sequence("PM") == 5  # PM-2 is never given again
    (aside,) = image.glob(f"{NAME}.corrupt-*")
    assert aside.read_bytes() == lines[1] + lines[3]  # the damaged lines, byte for byte
    assert aside.name in problem
    with TinyDBStore(image) as store:  # the valid lines are in the snapshot files now
        assert [o["code"] for o in store.query_orders()] == ["PM-1", "PM-3", "PM-4"]
        (problem,) = store.problems()
        assert aside.name in problem and "set aside earlier" in problem
        assert store.next_sequence("PM") == 6


def test_a_damaged_newline_costs_nothing(
    tiny: TinyDBStore, tmp_path: Path, make_order: Maker, make_session: Maker
) -> None:
    rounds_of_orders(tiny, make_order, make_session)
    image = crash_image(tiny, tmp_path / "crashed")
    data = bytearray((image / NAME).read_bytes())
    data[data.index(b"\n")] = ord("~")  # lines 1 and 2 run together: each still verifies
    (image / NAME).write_bytes(bytes(data))
    with TinyDBStore(image) as store:
        assert store.problems() == []
        assert [o["code"] for o in store.query_orders()] == ["PM-1", "PM-2", "PM-3", "PM-4"]


def test_a_whole_line_that_does_not_verify_at_the_end_is_set_aside_not_cut_off(
    tiny: TinyDBStore, tmp_path: Path, make_order: Maker, make_session: Maker
) -> None:
    """A crash cuts a line short; a whole line with a wrong checksum was written whole (and
    may have been confirmed): it is kept and reported like any other damaged line."""
    rounds_of_orders(tiny, make_order, make_session)
    image = crash_image(tiny, tmp_path / "crashed")
    lines = (image / NAME).read_bytes().splitlines(keepends=True)
    lines[-1] = flip(lines[-1], b"Melati")
    (image / NAME).write_bytes(b"".join(lines))
    with TinyDBStore(image) as store:
        (problem,) = store.problems()
        assert "line 5 (" in problem and "PM-4 v1 (the store has nothing" in problem
        assert store.next_sequence("PM") == 5  # the code it held is not given again
    (aside,) = image.glob(f"{NAME}.corrupt-*")
    assert aside.read_bytes() == lines[-1]


def test_a_garbage_old_journal_does_not_take_the_current_one_with_it(
    tiny: TinyDBStore, tmp_path: Path, make_order: Maker, make_session: Maker
) -> None:
    rounds_of_orders(tiny, make_order, make_session)
    image = crash_image(tiny, tmp_path / "crashed")
    garbage = bytes(range(256)) * 8
    (image / OLD_NAME).write_bytes(garbage)  # as if a compaction was interrupted
    with TinyDBStore(image) as store:
        assert [o["code"] for o in store.query_orders()] == ["PM-1", "PM-2", "PM-3", "PM-4"]
        assert store.get_order("PM-1")["status"] == "claimed"
        (problem,) = store.problems()
        assert OLD_NAME in problem and "nothing that can still be read" in problem
        assert store.next_sequence("PM") == 5
    (aside,) = image.glob(f"{OLD_NAME}.corrupt-*")
    assert aside.read_bytes() == garbage
    assert not (image / OLD_NAME).exists() and not (image / NAME).exists()  # folded in


def test_a_record_of_the_wrong_shape_counts_as_damaged(
    tiny: TinyDBStore, tmp_path: Path, make_order: Maker
) -> None:
    tiny.create_order(make_order("PM-1"))
    tiny.flush_sync()
    image = crash_image(tiny, tmp_path / "crashed")
    wrong = encode_line(b'{"s":{"telegram:1":"not a session"}}')
    append_raw(image, wrong)
    append_raw(image, encode_line(b'{"q":{"PM":5}}'))
    with TinyDBStore(image) as store:
        (problem,) = store.problems()
        assert "line 2 (" in problem and "is not a journal record" in problem
        assert "1 conversation(s)" in problem
        assert store.get_session("telegram:1") is None
        assert store.next_sequence("PM") == 6  # line 3 was applied
    (aside,) = image.glob(f"{NAME}.corrupt-*")
    assert aside.read_bytes() == wrong


def test_journal_file_holds_only_what_changed(tiny: TinyDBStore, make_session: Maker) -> None:
    for i in range(200):
        tiny.put_session(f"telegram:{i}", make_session(float(i)))
    tiny.flush_sync()
    before = tiny.stats["journal_bytes"]
    tiny.put_session("telegram:7", make_session(7.5))
    tiny.put_session("telegram:7", make_session(8.0))  # twice in one round: last value
    tiny.flush_sync()
    data = (tiny.path / NAME).read_bytes()
    assert tiny.stats["journal_bytes"] == len(data) and tiny.written[NAME] == 2
    last = scan(tiny.path / NAME, data).records[-1]
    assert last == {"s": {"telegram:7": make_session(8.0)}}
    assert len(data) - before < 200
