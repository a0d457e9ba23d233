#!/usr/bin/env python3
"""Several workers on one PostgreSQL database: every order once, in order, notices once.

    python3 bench/workers_soak.py [--workers 2,4] [--residents 200] [--kills 24] [--seed N]

For each number of workers, a fresh database on a PostgreSQL server of its own (started
here, as tests/pg.py does) and the WhatsApp webhook served by the workers, replies going
to the fake Graph API of tests/whatsapp/fake_graph.py. Coordinators of three markets write
once; then RESIDENTS residents (40 at a time) each type a whole order: every message
posted, signed, to a random worker and delivered a second time to another random worker
at the same moment (Meta redelivers), the next message once both got 200, without waiting
for the bot's answers (tests/workers/cluster.py).

Two runs per number of workers: N separate `serve` processes on N ports, as behind a
reverse proxy, with each message sent to a random one; then ``serve --workers N`` (one
port, `bot.workers`) while a worker is killed with SIGKILL KILLS times at random moments
(the supervisor starts it again; deliveries that got no answer are posted again).

Checked, and printed: messages answered 200 that were never handled; orders per resident
(exactly 1), each with its item lines in the order they were sent; confirmations per
resident (1) and notices per order per coordinator (1), counted at the fake. Exits 1 if
anything failed. The suite runs a small version (tests/workers/test_workers.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.storage.postgres import PostgresStore  # noqa: E402
from tests.pg import PgServer, bin_dir  # noqa: E402
from tests.webhooks.support import served_graph  # noqa: E402
from tests.workers.cluster import Cluster, check, residents, run_orders  # noqa: E402


async def kill_loop(cluster: Cluster, kills: int, rng: random.Random,
                    done: asyncio.Event, between: tuple[float, float]) -> None:
    for _ in range(kills):
        await asyncio.sleep(rng.uniform(*between))
        if done.is_set():
            return
        await cluster.kill_one(rng)


async def one_run(server: PgServer, folder: Path, workers: int, count: int, kills: int,
                  seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    dsn = server.create_database()
    graphs = served_graph()
    graph, graph_url = next(graphs)
    cluster = Cluster(folder, dsn, graph_url, workers, supervised=kills > 0)
    people = residents(count, rng)
    started = time.perf_counter()
    try:
        await cluster.start()
        start_s = time.perf_counter() - started
        done = asyncio.Event()
        # spread over the run (about a minute on 2 cores): 0.3-3 s apart
        killer = asyncio.create_task(kill_loop(cluster, kills, rng, done, (0.3, 3.0)))
        began = time.perf_counter()
        try:
            failed = await run_orders(cluster, graph, people, rng)
        finally:
            done.set()
            await killer
        seconds = time.perf_counter() - began
        await asyncio.sleep(1.0)  # a notice or confirmation sent twice would come now
        codes = await cluster.stop()
        with PostgresStore(dsn, pool_size=2) as store:
            figures = check(store, graph, people)
        figures.update({"workers": workers, "kills": cluster.kills, "start s": start_s,
                        "seconds": seconds, "exit codes": codes,
                        "posts without 200 (posted again)": failed})
        if any(code != 0 for code in codes):
            figures["problems"].append(f"serve exit codes {codes} (0 expected)")
        figures["worker warnings"] = warnings(folder)
        return figures
    finally:
        for process in cluster.processes:
            process.send(9)
        next(graphs, None)


def warnings(folder: Path) -> dict[str, int]:
    """The workers' WARNING and ERROR lines and retried sends, by what they say (numbers
    left out)."""
    import re
    from collections import Counter

    found: Counter[str] = Counter()
    for log in folder.glob("w*.log"):
        for line in log.read_text(errors="replace").splitlines():
            _, _, rest = line.partition(" WARNING ")
            if not rest:
                _, _, rest = line.partition(" ERROR ")
            if not rest and ", retry " in line:  # a send retried (a timeout: maybe twice)
                _, _, rest = line.partition(" INFO ")
            if rest:
                found[re.sub(r"\d+(\.\d+)?", "N", rest)[:110]] += 1
    return dict(found.most_common(8))


def show(title: str, figures: dict[str, Any]) -> None:
    print(f"\n{title}")
    for key, value in figures.items():
        if key in ("problems", "worker warnings"):
            continue
        print(f"  {key:<40} {value if not isinstance(value, float) else round(value, 2)}")
    problems = figures["problems"]
    print(f"  {'problems':<40} {len(problems)}")
    for problem in problems[:20]:
        print(f"    - {problem}")
    for line, count in figures.get("worker warnings", {}).items():
        print(f"  worker log x{count}: {line}")


async def main_async(args: argparse.Namespace) -> int:
    binaries = bin_dir()
    if binaries is None:
        print("no PostgreSQL binaries (initdb, pg_ctl): nothing to run", file=sys.stderr)
        return 2
    server = PgServer(binaries)
    failed = 0
    try:
        for workers in [int(w) for w in args.workers.split(",")]:
            for kills in ([0, args.kills] if args.kills else [0]):
                with tempfile.TemporaryDirectory(prefix="workers-soak-") as tmp:
                    figures = await one_run(server, Path(tmp), workers, args.residents, kills,
                                            args.seed + workers + kills)
                layout = (f"serve --workers {workers}, {kills} kill -9" if kills
                          else f"{workers} serve processes on {workers} ports")
                show(f"{layout}: {args.residents} residents, every message twice", figures)
                failed += bool(figures["problems"])
    finally:
        server.stop()
    print("\nall checks passed" if not failed else f"\n{failed} run(s) with problems")
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--workers", default="2,4")
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--kills", type=int, default=24)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("PASAR_SOAK_SEED",
                                                                       "1")))
    sys.exit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
