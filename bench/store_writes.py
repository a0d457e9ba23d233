"""How much does one durable order update cost as the archive grows?

    python3 bench/store_writes.py [--dir DIR]

Prints the time of ``update_order`` + ``flush_sync`` on the TinyDB store with 100, 10,000
and 100,000 archived orders (archives written directly through the store's DocFile), and
the time of one insert into plain TinyDB (default JSONStorage) at 1k and 10k documents,
which rewrites the whole file each time. Not a test: figures vary by disk.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tinydb import TinyDB

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script
from bot.storage.docfile import DocFile
from bot.storage.tinydb_store import TinyDBStore

MONTHS = [f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)]


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


def bench_store(root: Path, archived: int) -> dict[str, float]:
    folder = root / f"store-{archived}"
    build_archive(folder, archived)
    start = time.perf_counter()
    store = TinyDBStore(folder)
    opened = time.perf_counter() - start
    for i in range(50):  # live orders, created in the last archived month
        store.create_order(order(f"PM-{i}", f"{MONTHS[-1]}-28T08:00:00", status="new"))
    store.flush_sync()
    versions = {"PM-0": 1}

    def update() -> None:
        store.update_order("PM-0", {"note": "x"}, versions["PM-0"])
        versions["PM-0"] += 1
        store.flush_sync()

    per_update = timed(update, 30)
    assert store.last_round == ["orders.json"], store.last_round
    live = iter(range(1, 50))

    def finish() -> None:  # moves one order into its month file (n/24 orders there)
        store.update_order(f"PM-{next(live)}", {"status": "paid"}, 1)
        store.flush_sync()

    per_finish = timed(finish, 10)

    async def burst() -> None:
        async def confirm(i: int) -> None:
            store.create_order(order(f"B-{i}", "2026-11-05T09:00:00", status="new"))
            await store.flush()

        await asyncio.gather(*(confirm(i) for i in range(100)))

    rounds = store.stats["rounds"]
    asyncio.run(burst())
    burst_rounds = store.stats["rounds"] - rounds
    store.close()
    return {
        "open": opened,
        "update": per_update,
        "finish": per_finish,
        "burst_rounds": burst_rounds,
    }


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
        ms = 1000.0
        print("TinyDBStore: update one live order + flush (50 live orders)")
        results = {}
        for archived in (100, 10_000, 100_000):
            r = results[archived] = bench_store(root, archived)
            print(
                f"  {archived:>7,} archived: update+flush {r['update'] * ms:6.2f} ms | "
                f"finish an order (its month: {archived // 24:,} orders) "
                f"{r['finish'] * ms:6.2f} ms | open {r['open'] * ms:7.1f} ms | "
                f"100 concurrent confirms -> {r['burst_rounds']} write rounds"
            )
        ratio = results[100_000]["update"] / results[100]["update"]
        print(f"  update+flush at 100,000 vs 100 archived: x{ratio:.2f}")
        print("plain TinyDB (JSONStorage): one insert")
        plain = {n: bench_plain_tinydb(root, n, rep) for n, rep in ((1000, 20), (10_000, 5))}
        for n, t in plain.items():
            print(f"  {n:>7,} docs: {t * ms:7.2f} ms")
        print(f"  10k vs 1k docs: x{plain[10_000] / plain[1000]:.1f}")
        print(
            f"plain TinyDB insert at 10k docs vs TinyDBStore update at 100k archived: "
            f"x{plain[10_000] / results[100_000]['update']:.1f}"
        )


if __name__ == "__main__":
    main()
