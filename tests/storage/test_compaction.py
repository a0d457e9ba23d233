"""Compaction of the TinyDB store's journal into its snapshot files, and crashes during it.

Crash points inside a compaction are simulated by hooking its steps (each file write, the
removal of the old journal, the reset at the end) and taking a `crash_image` of the
folder there: every image must open to the state of the last flush.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.storage import atomic, compaction, docfile, journal
from bot.storage.base import Record, StoreError
from bot.storage.journal import NAME, OLD_NAME, Journal
from bot.storage.memory import MemoryStore
from bot.storage.tinydb_store import TinyDBStore
from tests.storage.test_journal import busy_day, crash_image, everything
from tests.storage.test_tinydb_store import OPS, apply, order_codes, state

Maker = Callable[..., Record]


@pytest.fixture
def images(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[str, Path]]:
    """Crash images of the ``data`` folder taken inside compactions: after each file
    write, and before the old journal is removed (background) or both are (``reset``)."""
    taken: list[tuple[str, Path]] = []
    numbers = itertools.count()

    def image(label: str, folder: Path) -> None:
        if folder.name == "data":  # not the images, when they are opened in turn
            taken.append((label, copy_folder(folder, tmp_path / f"image-{next(numbers)}")))

    real_write = docfile.DocFile.write

    def write(self: docfile.DocFile, snapshot: dict, *, sync_dir: bool = True) -> int:
        size = real_write(self, snapshot, sync_dir=sync_dir)
        parent = self.path.parent
        image(f"after writing {self.label}", parent.parent if parent.name == "archive" else parent)
        return size

    def hooked(name: str) -> Callable[[Journal], None]:
        real = getattr(Journal, name)

        def step(self: Journal) -> None:
            image(f"before {name}", self.folder)
            real(self)

        return step

    monkeypatch.setattr(docfile.DocFile, "write", write)
    monkeypatch.setattr(Journal, "remove_old", hooked("remove_old"))
    monkeypatch.setattr(Journal, "reset", hooked("reset"))
    return taken


def copy_folder(folder: Path, dest: Path) -> Path:
    """`crash_image` without waiting for a compaction (for one held or hooked mid-way)."""
    shutil.copytree(folder, dest, ignore=shutil.ignore_patterns(".lock"))
    return dest


def test_compaction_then_reopen_equals_the_state(
    data_dir: Path, tmp_path: Path, make_order: Maker, make_session: Maker
) -> None:
    with TinyDBStore(data_dir, journal_limit=2_000) as store:
        for n in range(0, 80, 20):
            busy_day(store, make_order, make_session, n)
        store._w.compactor.wait()
        assert store.stats["compactions"] >= 1  # in the background, past 2,000 bytes
        assert store.stats["writes"] > 0 and (data_dir / "orders.json").exists()
        busy_day(store, make_order, make_session, 100)  # writes after a compaction
        image = crash_image(store, tmp_path / "crashed")
        expected = everything(store)
    assert not (data_dir / NAME).exists() and not (data_dir / OLD_NAME).exists()
    with TinyDBStore(data_dir) as reopened:
        assert everything(reopened) == expected
    with TinyDBStore(image) as crashed:
        assert everything(crashed) == expected and crashed.problems() == []


@pytest.mark.parametrize("background", [True, False], ids=["background", "compact()"])
def test_crash_anywhere_inside_a_compaction(
    data_dir: Path, make_order: Maker, make_session: Maker,
    images: list[tuple[str, Path]], background: bool,
) -> None:
    store = TinyDBStore(data_dir, journal_limit=10**9)
    busy_day(store, make_order, make_session)
    store.compact()  # the files hold a first state (a reopened order lives in orders.json)
    images.clear()
    busy_day(store, make_order, make_session, 50)  # every file changes; orders move
    store.update_order("PM-6", {"status": "cancelled"}, 3)  # back into its month
    if background:
        store._w.compactor.threshold = 1
        store.flush_sync()  # this round notices the journal's size and starts compaction
        store._w.compactor.wait()
        assert store._w.compactor.last  # it ran and wrote files
    else:
        store.compact()
    taken = list(images)
    labels = [label for label, _ in taken]
    assert labels[-1] == ("before remove_old" if background else "before reset")
    assert "after writing orders.json" in labels and len(labels) >= 8
    expected = everything(store)
    store.close()
    for label, image in taken:
        with TinyDBStore(image) as crashed:
            assert everything(crashed) == expected, label
            assert crashed.problems() == [], label
        assert not (image / OLD_NAME).exists(), label  # an interrupted compaction finished


def test_appends_go_on_while_a_compaction_writes(
    tiny: TinyDBStore, tmp_path: Path, make_order: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = threading.Event(), threading.Event()
    real_write = docfile.DocFile.write

    def held(self: docfile.DocFile, snapshot: dict, *, sync_dir: bool = True) -> int:
        started.set()
        assert release.wait(timeout=60)
        return real_write(self, snapshot, sync_dir=sync_dir)

    monkeypatch.setattr(docfile.DocFile, "write", held)
    tiny.create_order(make_order("PM-1"))
    tiny.flush_sync()
    tiny._w.compactor.threshold = 1
    tiny.flush_sync()  # a round (even an empty one) finds the journal past the threshold
    assert started.wait(timeout=60)  # the compaction thread is inside a file write
    for n in range(2, 12):  # rounds complete meanwhile, in the new journal
        tiny.create_order(make_order(f"PM-{n}"))
        tiny.flush_sync()
    assert (tiny.path / OLD_NAME).exists() and (tiny.path / NAME).exists()
    image = copy_folder(tiny.path, tmp_path / "mid-compaction")
    release.set()
    tiny._w.compactor.wait()
    assert not (tiny.path / OLD_NAME).exists()
    with TinyDBStore(image) as crashed:
        assert len(crashed.query_orders()) == 11


def test_a_failed_compaction_keeps_the_journal_and_is_retried(
    tiny: TinyDBStore, tmp_path: Path, make_order: Maker, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def disk_full(self: docfile.DocFile, snapshot: dict, *, sync_dir: bool = True) -> int:
        raise OSError(28, "No space left on device")

    tiny.create_order(make_order("PM-1"))
    tiny.flush_sync()
    tiny._w.compactor.threshold = 1
    with monkeypatch.context() as patch:
        patch.setattr(docfile.DocFile, "write", disk_full)
        tiny.create_order(make_order("PM-2"))
        tiny.flush_sync()  # durable in the journal: the round itself succeeds
        tiny._w.compactor.wait()
    assert "compaction failed" in caplog.text and tiny.stats["compactions"] == 0
    assert (tiny.path / OLD_NAME).exists() and not (tiny.path / "orders.json").exists()
    with TinyDBStore(crash_image(tiny, tmp_path / "crashed")) as crashed:
        assert [o["code"] for o in crashed.query_orders()] == ["PM-1", "PM-2"]
    tiny.create_order(make_order("PM-3"))
    tiny.flush_sync()  # retried once the new journal is past the threshold (1 byte here)
    tiny._w.compactor.threshold = 1
    tiny.flush_sync()
    tiny._w.compactor.wait()
    assert tiny.stats["compactions"] == 1 and not (tiny.path / OLD_NAME).exists()
    assert order_codes(tiny.path / "orders.json") == {"PM-1", "PM-2", "PM-3"}


def test_each_directory_is_synced_at_most_once_per_round(
    tiny: TinyDBStore, make_order: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real = atomic.fsync_dir

    def counted(directory: Path) -> None:
        synced.append(directory.name)
        real(directory)

    for module in (atomic, journal, compaction):
        monkeypatch.setattr(module, "fsync_dir", counted)
    tiny.create_order(make_order("PM-1", status="paid"))
    tiny.flush_sync()
    assert synced == ["data"]  # the journal was created
    for n in range(2, 6):
        tiny.create_order(make_order(f"PM-{n}"))
        tiny.flush_sync()
    assert synced == ["data"]  # appends sync the journal file only
    synced.clear()
    tiny.compact()  # orders.json, sequences.json (the codes raised sequence PM) and the
    assert sorted(synced) == ["archive", "data"]  # month of PM-1: one sync for each folder
    assert tiny.stats["writes"] == 3


OPS_WITH_CRASHES = st.one_of(
    OPS, st.tuples(st.just("crash")), st.tuples(st.just("flush")), st.tuples(st.just("compact"))
)


@settings(max_examples=40, deadline=None)
@given(st.lists(OPS_WITH_CRASHES, max_size=40), st.sampled_from([300, 3_000, 10**9]))
def test_same_results_as_the_memory_store_across_crashes(ops: list[tuple], limit: int) -> None:
    memory = MemoryStore()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        crashes = 0
        tiny = TinyDBStore(folder, session_shards=3, message_shards=2, journal_limit=limit)
        try:
            for op in ops:
                if op[0] == "crash":  # what was flushed survives; the rest may not
                    tiny.flush_sync()
                    crashes += 1
                    folder = crash_image(tiny, Path(tmp) / f"crash-{crashes}")
                    tiny.close()
                    tiny = TinyDBStore(folder, session_shards=3, message_shards=2,
                                       journal_limit=limit)
                elif op[0] == "flush":
                    tiny.flush_sync()
                elif op[0] == "compact":
                    tiny.compact()
                elif op[0] == "reopen":
                    tiny.close()
                    tiny = TinyDBStore(folder, session_shards=3, message_shards=2,
                                       journal_limit=limit)
                else:
                    assert apply(tiny, op) == apply(memory, op), op
            tiny.flush_sync()
            image = crash_image(tiny, Path(tmp) / "last")
            tiny.close()
            tiny = TinyDBStore(image, session_shards=2, message_shards=3)
            assert state(tiny) == state(memory)
            assert tiny.problems() == []
        finally:
            tiny.close()


def test_close_that_cannot_write_raises_a_store_error_and_keeps_the_journal(
    data_dir: Path, make_order: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(self: docfile.DocFile, snapshot: dict, *, sync_dir: bool = True) -> int:
        raise OSError(28, "No space left on device")

    store = TinyDBStore(data_dir)
    store.create_order(make_order("PM-1"))
    with monkeypatch.context() as patch:
        patch.setattr(docfile.DocFile, "write", disk_full)
        with pytest.raises(StoreError, match="No space left"):
            store.close()
    assert (data_dir / NAME).exists()
    with TinyDBStore(data_dir) as again:  # the lock was released; the journal replayed
        assert [o["code"] for o in again.query_orders()] == ["PM-1"]
