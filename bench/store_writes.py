"""What one durable write round costs: a journal append vs rewriting whole files.

    python3 bench/store_writes.py [--dir DIR]

For each kind of round, on the TinyDB store, it makes the change, then times (a) writing
the files that change made dirty the way the store did before it had a journal (each
file rewritten whole: temp file, fsync, rename, directory fsync) and (b) the round the
store does now (`flush_sync`: one journal line, one fdatasync). Before each repetition the
dirty files are written (without resetting the journal), so (a) is exactly that round's
files. Rounds: updating a live order and finishing one (its archive month holds
n / 24 orders) with 100, 10,000 and 100,000 archived orders; one message (session + message
id) at 1,000 and 10,000 active sessions. Then what a compaction costs, how many rounds
100 concurrent confirmations take, and one insert into plain TinyDB (default
JSONStorage), which rewrites its whole file. Not a test: figures vary by disk.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinydb import TinyDB

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script
from bot.storage.docfile import DocFile
from bot.storage.tinydb_store import TinyDBStore

MONTHS = [f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)]
MS = 1000.0


def order(code: str, created_at: str, status: str = "paid") -> dict:
    """About 500 bytes of JSON, like a real order."""
    return {
        "code": code,
        "market": "pasar-minggu",
        "status": status,
        "created_at": created_at,
        "user": "telegram:1234567890",
        "referral": "rw05-jatibening",
        "address": "Jl. Melati No. 3, RT 05/RW 02, Jatibening, Pondok Gede",
        "phone": "081234567890",
        "items": [
            {"name": name, "qty": qty, "price": price}
            for name, qty, price in [
                ("cabe rawit", "5rb", 5000),
                ("bawang merah", "1/4 kg", 9000),
                ("tomat", "1 kg", 12000),
                ("ayam potong", "1 ekor", 38000),
            ]
        ],
        "total": 64000,
        "version": 3,
    }


def build_archive(folder: Path, n: int) -> None:
    """Write n finished orders straight into the month files, as the store lays them out."""
    by_month: dict[str, dict[str, dict]] = {m: {} for m in MONTHS}
    for i in range(n):
        month = MONTHS[i % len(MONTHS)]
        by_month[month][f"OLD-{i}"] = order(f"OLD-{i}", f"{month}-10T10:00:00")
    (folder / "archive").mkdir(parents=True, exist_ok=True)
    for month, orders in by_month.items():
        if orders:
            path = folder / "archive" / f"orders-{month}.json"
            DocFile(path, "orders", key_field="code").write(orders)


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of fn()."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@dataclass
class Round:
    journal: float  # median seconds of the journal append (flush_sync)
    journal_bytes: int
    rewrite: float  # median seconds of rewriting the same round's dirty files whole
    rewrite_bytes: int
    files: int

    def line(self, label: str) -> str:
        return (f"  {label:<44} journal {self.journal * MS:6.2f} ms {kb(self.journal_bytes):>8} | "
                f"rewrite {self.rewrite * MS:7.2f} ms {kb(self.rewrite_bytes):>8} "
                f"({self.files} file{'s' if self.files > 1 else ''}) | "
                f"x{self.rewrite / self.journal:5.1f}")


def kb(size: float) -> str:
    return f"{size / 1024:,.1f} kB" if size >= 1024 else f"{size:,.0f} B"


def settle(store: TinyDBStore) -> None:
    """Write the dirty files (keeping the journal), so only the next change is dirty."""
    compactor = store._w.compactor
    with store._mem:
        jobs = compactor.capture()
    compactor.write(jobs)


def measure_round(store: TinyDBStore, change: Callable[[int], object], repeat: int) -> Round:
    journal, rewrite, journal_bytes, rewrite_bytes, files = [], [], [], [], 0
    store.flush_sync()
    for i in range(repeat):
        settle(store)
        change(i)
        with store._mem:
            jobs = store._w.compactor.capture()
        start = time.perf_counter()
        rewrite_bytes.append(sum(f.write(snapshot) for f, _, snapshot in jobs))
        rewrite.append(time.perf_counter() - start)
        files = len(jobs)
        before = store.stats["journal_bytes"]
        start = time.perf_counter()
        store.flush_sync()
        journal.append(time.perf_counter() - start)
        journal_bytes.append(store.stats["journal_bytes"] - before)
    med = statistics.median
    return Round(med(journal), int(med(journal_bytes)), med(rewrite), int(med(rewrite_bytes)),
                 files)


def bench_orders(root: Path, archived: int) -> dict[str, Any]:
    folder = root / f"store-{archived}"
    build_archive(folder, archived)
    start = time.perf_counter()
    store = TinyDBStore(folder)
    opened = time.perf_counter() - start
    for i in range(50):  # live orders, created in the last archived month
        store.create_order(order(f"PM-{i}", f"{MONTHS[-1]}-28T08:00:00", status="new"))
    versions = {"PM-0": 1}

    def update(_: int) -> None:
        store.update_order("PM-0", {"note": "x"}, versions["PM-0"])
        versions["PM-0"] += 1

    updated = measure_round(store, update, 30)
    finished = measure_round(
        store, lambda i: store.update_order(f"PM-{i + 1}", {"status": "paid"}, 1), 10
    )

    async def burst() -> None:
        async def confirm(i: int) -> None:
            store.create_order(order(f"B-{i}", "2026-11-05T09:00:00", status="new"))
            await store.flush()

        await asyncio.gather(*(confirm(i) for i in range(100)))

    rounds = store.stats["rounds"]
    asyncio.run(burst())
    burst_rounds = store.stats["rounds"] - rounds
    store.close()
    return {"open": opened, "update": updated, "finish": finished, "burst_rounds": burst_rounds}


def bench_sessions(root: Path, sessions: int) -> tuple[Round, float, int, int]:
    """One message's round at ``sessions`` active sessions; then one compaction after a
    message from every 10th of them (its time, the bytes it wrote, the journal it folded)."""
    store = TinyDBStore(root / f"sessions-{sessions}")
    for i in range(sessions):
        store.put_session(f"telegram:{i}", session(i))
    store.compact()

    def message(i: int) -> None:
        store.put_session(f"telegram:{i * 7919 % sessions}", session(i))
        store.mark_message("telegram", str(i), at=time.time())

    one = measure_round(store, message, 30)
    for i in range(0, sessions, 10):
        message(i)
        store.flush_sync()
    folded = store._w.journal.size
    written = store.stats["bytes"]
    start = time.perf_counter()
    store.compact()
    took = time.perf_counter() - start
    written = store.stats["bytes"] - written
    store.close()
    return one, took, written, folded


def session(i: int) -> dict:
    """About 2 kB of JSON, like a session mid-order."""
    items = ", ".join(["bawang merah 1/4 kg", "telur 1 kg", "cabe rawit 5rb"] * 6)
    slots = {"market": "pasar-baru", "items_text": items, "address": "Jl. Melati No. 3, "
             "RT 05/RW 02, Jatibening", "name": f"Bu Warga {i}", "phone": "081234567890",
             "summary": items + " -- " + items}
    return {"flow": "order", "state": "confirm", "slots": slots, "lang": "id",
            "updated_at": 1_700_000_000 + i, "started_at": 1_700_000_000}


def bench_plain_tinydb(root: Path, n: int, repeat: int) -> float:
    path = root / f"plain-{n}.json"
    with TinyDB(path) as db:
        db.insert_multiple(order(f"OLD-{i}", "2025-01-10T10:00:00") for i in range(n))
        count = iter(range(repeat))
        return timed(lambda: db.insert(order(f"NEW-{next(count)}", "2026-11-05")), repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="where to write (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        print("one write round: journal append (now) vs rewriting its dirty files whole "
              "(before the journal); medians")
        results = {}
        for archived in (100, 10_000, 100_000):
            r = results[archived] = bench_orders(root, archived)
            print(r["update"].line(f"update a live order, {archived:>7,} archived"))
            print(r["finish"].line(f"finish an order, month of {archived // 24:>6,} orders"))
        for sessions in (1_000, 10_000):
            one, took, written, folded = bench_sessions(root, sessions)
            print(one.line(f"one message, {sessions:>6,} active sessions"))
            print(f"  {'':<44} compaction after a message from every 10th session: "
                  f"{took * MS:.0f} ms, wrote {kb(written)} for {kb(folded)} of journal")
        growth = results[100_000]["update"].journal / results[100]["update"].journal
        print(f"  journal append at 100,000 vs 100 archived: x{growth:.2f}")
        for archived, r in results.items():
            print(f"  {archived:>7,} archived: open {r['open'] * MS:7.1f} ms | "
                  f"100 concurrent confirms -> {r['burst_rounds']} write rounds")
        print("plain TinyDB (JSONStorage): one insert")
        plain = {n: bench_plain_tinydb(root, n, rep) for n, rep in ((1000, 20), (10_000, 5))}
        for n, t in plain.items():
            print(f"  {n:>7,} docs: {t * MS:7.2f} ms")
        print(f"  10k vs 1k docs: x{plain[10_000] / plain[1000]:.1f}")
        print(f"plain TinyDB insert at 10k docs vs a journal append at 100k archived: "
              f"x{plain[10_000] / results[100_000]['update'].journal:.1f}")


if __name__ == "__main__":
    main()
