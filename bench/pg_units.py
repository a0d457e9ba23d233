"""Units of work on the PostgreSQL store (issue 14 item 2): what a conversation's lock
costs, and why a lock rather than a version-checked write retried on conflict.

Each unit does what the engine does for one message: read the session, write it back
with a counter + 1, record the message id, queue one reply, commit (``flush``); in part 2
it also burns 2 ms of CPU between the read and the write, as handling a message does.

1. distinct keys, one process, 1 and 16 units at once: units/s, p50/p99 (ms)
2. one key, two processes (two workers) each running 300 units as fast as they can:
   - ``lock``: our unit (session advisory lock on the key, held to the end)
   - ``version``: no lock; the session row is written only if its version is still the
     one read (``UPDATE ... WHERE version = v``), else the whole unit is rolled back and
     run again (the engine would handle the message again)
   Both must end with counter = 600 (no lost update); shown: units/s, how many runs were
   wasted on conflicts, and how often a worker's units overtook each other (arrival order).

Starts its own PostgreSQL server (tests/pg.py; fsync off: the figures are the lock's and
the round trips', not the disk's).   python3 bench/pg_units.py
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.storage.postgres import PostgresStore  # noqa: E402
from bot.storage.postgres.connection import _current  # noqa: E402

WORK_MS = 2.0  # handling a message in our code (flows, actions): ~2 ms of CPU each


def handle() -> None:
    """Stand-in for the engine's work on a message, redone by every retried run."""
    end = time.perf_counter() + WORK_MS / 1000
    while time.perf_counter() < end:
        pass


async def one_unit(store: PostgresStore, key: str, n: int, work: bool = False) -> None:
    async with store.unit(key):
        session = store.get_session(key) or {"count": 0, "seen": []}
        if work:
            handle()
        session["count"] += 1
        session["seen"] = [*session["seen"][-50:], n]
        session["updated_at"] = time.time()
        store.put_session(key, session)
        store.mark_message("bench", f"{key}:{n}:{time.time_ns()}", time.time())
        store.queue([{"type": "Text", "to": key, "text": "ok"}], owner="bench",
                    lease_until=time.time() + 60)
        await store.flush()


async def distinct_keys(dsn: str, total: int,
                        at_once: int) -> tuple[float, float, float, float]:
    store = PostgresStore(dsn, pool_size=max(2, at_once))
    times: list[float] = []
    sem = asyncio.Semaphore(at_once)

    async def run(i: int) -> None:
        async with sem:
            t = time.perf_counter()
            await one_unit(store, f"wa:62{i:010d}", i)
            times.append(time.perf_counter() - t)

    t0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(run(i) for i in range(total)))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    store.close()
    times.sort()
    return (total / elapsed, statistics.median(times) * 1000,
            times[int(len(times) * .99)] * 1000, cpu / total * 1000)


# -- the worker processes of part 2 ------------------------------------------------------
async def worker(dsn: str, mode: str, name: str, count: int) -> None:
    store = PostgresStore(dsn, pool_size=2)
    store.db._open_pool()  # the version mode takes pooled connections itself
    wasted = 0
    for n in range(count):
        if mode == "lock":
            await one_unit(store, "wa:shared", n, work=True)
            continue
        while True:  # optimistic: version-checked write, retried on conflict
            conn = store.db.pool.getconn()
            try:
                row = conn.execute("SELECT data, version FROM sessions WHERE key = %s",
                                   ("wa:shared",)).fetchone()
                session, version = row if row else ({"count": 0, "seen": []}, 0)
                handle()
                session["count"] += 1
                session["seen"] = [*session["seen"][-50:], f"{name}{n}"]
                from psycopg.types.json import Jsonb

                if version == 0:
                    done = conn.execute(
                        "INSERT INTO sessions (key, data, updated_at) VALUES (%s, %s, 0) "
                        "ON CONFLICT DO NOTHING", ("wa:shared", Jsonb(session))).rowcount
                else:
                    done = conn.execute(
                        "UPDATE sessions SET data = %s, version = version + 1 WHERE key = %s "
                        "AND version = %s", (Jsonb(session), "wa:shared", version)).rowcount
                conn.execute("INSERT INTO outbox (\"to\", reply, owner, lease_until) VALUES "
                             "('wa:shared', '{}', 'bench', 0)")
                if done:
                    conn.commit()
                    break
                conn.rollback()
                wasted += 1
            finally:
                store.db.pool.putconn(conn)
    store.close()
    print(json.dumps({"wasted": wasted}), flush=True)


def one_key(dsn: str, mode: str, count: int) -> tuple[float, int, int]:
    from tests.pg import empty

    empty(dsn)
    cmd = [sys.executable, __file__, "--worker", dsn, mode]
    t0 = time.perf_counter()
    procs = [subprocess.Popen([*cmd, name, str(count)], stdout=subprocess.PIPE, text=True)
             for name in ("a", "b")]
    outs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    elapsed = time.perf_counter() - t0
    with PostgresStore(dsn) as store:
        session = store.get_session("wa:shared") or {}
    assert session.get("count") == 2 * count, f"lost updates: {session.get('count')}"
    return 2 * count / elapsed, sum(o["wasted"] for o in outs), session["count"]


def main() -> None:
    from tests import pg

    server = pg.server()
    try:
        dsn = server.create_database()
        print("1. distinct keys, one process (each unit: read, write, message id, queue, "
              "commit)")
        for at_once in (1, 16):
            rate, p50, p99, cpu = asyncio.run(distinct_keys(dsn, 2000, at_once))
            print(f"   {at_once:>2} at once: {rate:7.0f} units/s  p50 {p50:5.2f} ms  "
                  f"p99 {p99:5.2f} ms  our CPU {cpu:.2f} ms/unit")
        print(f"2. one key, two worker processes x 300 units, each handling {WORK_MS} ms of CPU")
        results = {}
        for mode in ("lock", "version"):
            rate, wasted, final = one_key(dsn, mode, 300)
            results[mode] = rate
            print(f"   {mode:<8} {rate:7.0f} units/s  counter {final} (no lost update)  "
                  f"runs wasted on conflicts: {wasted}")
        print(f"   lock / version throughput: {results['lock'] / results['version']:.2f}x")
    finally:
        pg.stop_server()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        assert _current.get() is None
        asyncio.run(worker(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
    else:
        main()
