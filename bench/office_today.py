"""Today with 2,000 orders of one day: how long the office takes to render it.

    python3 bench/office_today.py [--orders 2000] [--requests 40] [--profile] [--nice -10]
                                  [--backend tinydb|memory|postgres] [--dsn DSN]

Writes ``--orders`` realistic orders created today (WIB) across the staffed markets into a
fresh store (through the order repository and the lifecycle: `bench/office_data.
bulk_day`; about 40% paid or cancelled, so archived as TinyDB does with finished orders):
TinyDB files by default, the memory store, or PostgreSQL (``--dsn``, emptied first! or,
without it, a server of its own in a temporary folder, as the tests start one:
tests/pg.py). It closes the store and opens it again as a restarted server would, signs
in by a one-time link like a person (GET the link, POST its button), then times
``--requests`` GETs of each case (in turns: one of each, then again) through the whole
ASGI app of `main.py serve`
(`bot.server.build_server`, httpx's ASGITransport: routing, session cookie, queries,
templates; no sockets):

- ``/office/``            Today's full page, for the market office (every market),
- ``/office/today/rows``  the part htmx fetches every few seconds,
- the same filtered to one market and status, and for a head of one market.

Prints the wall median and p95 per case against the 200 ms target, the median CPU ms of
this process per request (the steadier figure on a shared machine), the page's size, and
the first full page after the store was opened. ``--nice -10`` (root) runs it in a niced
session of its own, as bench/e2e.py does. ``--profile [PATH]`` prints where the time of
the full page (or PATH) goes (cProfile, cumulative).
Not a test: the figures depend on what else the machine is doing.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script

import httpx  # noqa: E402

from bench.office_data import WIB, bulk_day, templates  # noqa: E402
from bot.app import App  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.office.links import issue_link, link_url  # noqa: E402
from bot.ordering.domain.statuses import STATUSES  # noqa: E402
from bot.server import build_server  # noqa: E402
from bot.storage.memory import MemoryStore  # noqa: E402
from bot.storage.tinydb_store import TinyDBStore  # noqa: E402
from tests import pg  # noqa: E402

TARGET_MS = 200.0
ADMIN = "console:kantor-pasar"
HEAD = "console:kepala-kranji"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def config() -> dict:
    cfg = load_config(ROOT / "config.yaml", env={})
    cfg["telegram"]["enabled"] = cfg["whatsapp"]["enabled"] = False
    cfg["admins"] = [ADMIN]
    return cfg


async def signed_in(app: App, user: str) -> httpx.AsyncClient:
    """A client with ``user``'s session, signed in through the link's page and button."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=build_server(app, [])),
                               base_url="http://127.0.0.1:8080", timeout=60)
    token = issue_link(app.store, user, time.time(), 10)
    path = link_url("", token)
    page = await client.get(path)
    found = CSRF.search(page.text)
    if page.status_code != 200 or not found:
        raise SystemExit(f"the sign-in page answered {page.status_code}: {page.text[:300]}")
    done = await client.post(path, data={"csrf": found.group(1)})
    if done.status_code != 303:
        raise SystemExit(f"signing in answered {done.status_code}: {done.text[:300]}")
    return client


async def get(client: httpx.AsyncClient, path: str) -> tuple[float, float, int]:
    """One GET of ``path``: wall ms, CPU ms of this process (the app runs in it), bytes."""
    started, used = time.perf_counter(), time.process_time()
    response = await client.get(path)
    took = (time.perf_counter() - started) * 1000, (time.process_time() - used) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
    return took[0], took[1], len(response.content)


async def timed(cases: list[tuple[str, httpx.AsyncClient, str]],
                requests: int) -> dict[str, tuple[list[float], list[float], int]]:
    """``requests`` GETs of every case, taken in turns (one of each, then again), so what
    else the machine or the store's background thread does falls on every case alike;
    after two warm-up rounds."""
    for _ in range(2):
        for _name, client, path in cases:
            await get(client, path)
    found: dict[str, tuple[list[float], list[float], int]] = {
        name: ([], [], 0) for name, _, _ in cases}
    for _ in range(requests):
        for name, client, path in cases:
            wall, cpu, size = await get(client, path)
            walls, cpus, _ = found[name]
            walls.append(wall)
            cpus.append(cpu)
            found[name] = (walls, cpus, size)
    return found


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def run(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="office-today-"))
    cfg = config()

    backend = "memory" if args.memory else args.backend
    dsn = args.dsn
    if backend == "postgres":
        if not dsn:
            server = pg.PgServer(pg.require(pg.bin_dir()))
            atexit.register(server.stop)
            dsn = server.create_database()
        pg.empty(dsn)

    def open_store() -> object:
        if backend == "memory":
            return MemoryStore(finished=STATUSES.finished)
        if backend == "postgres":
            from bot.storage.postgres import PostgresStore

            return PostgresStore(dsn, finished=STATUSES.finished)
        return TinyDBStore(work / "data", finished=STATUSES.finished)

    scratch = App(cfg, store=MemoryStore(finished=STATUSES.finished))
    like = await templates(scratch)  # items and addresses as the chat reads them
    scratch.close()
    app = App(cfg, store=open_store())
    started = time.perf_counter()
    day = datetime.now(WIB)
    bulk_day(app.store, list(app.markets.open), args.orders, day, like=like)
    await app.store.flush()
    print(f"{args.orders} orders of {day:%Y-%m-%d} written in "
          f"{time.perf_counter() - started:.1f} s ({backend})")
    if backend != "memory":  # as a restarted server finds them
        app.close()
        app = App(cfg, store=open_store())
    statuses: dict[str, int] = {}
    for order in app.store.query_orders(since=day.date().isoformat()):
        statuses[order["status"]] = statuses.get(order["status"], 0) + 1
    print("statuses:", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    office = await signed_in(app, ADMIN)
    head = await signed_in(app, HEAD)
    cases = [
        ("office  /office/", office, "/office/"),
        ("office  /office/today/rows", office, "/office/today/rows"),
        ("office  one market, waiting", office, "/office/today/rows?market=kranji-baru"
                                                "&status=new"),
        ("head    /office/ (own market)", head, "/office/"),
    ]
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'case':36} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'CPU ms':>7} {'KB':>6}  "
          f"vs {TARGET_MS:.0f} ms")
    first, first_cpu, _ = await get(office, "/office/")  # the first since the store opened
    print(f"{'first full page after opening':36} {first:10.1f} {'':8} {'':8} {first_cpu:7.1f}")
    worst = 0.0
    for name, (took, cpu, size) in (await timed(cases, args.requests)).items():
        median, high = statistics.median(took), p95(took)
        worst = max(worst, high)
        verdict = "ok" if high < TARGET_MS else "MISSES"
        print(f"{name:36} {median:10.1f} {high:8.1f} {max(took):8.1f} "
              f"{statistics.median(cpu):7.1f} {size / 1024:6.0f}  {verdict}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            await office.get(args.profile)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())
    await office.aclose()
    await head.aclose()
    app.close()
    print(f"\np95 of the slowest case: {worst:.1f} ms (target < {TARGET_MS:.0f} ms): "
          f"{'met' if worst < TARGET_MS else 'MISSED'}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--backend", choices=("tinydb", "memory", "postgres"),
                        default="tinydb")
    parser.add_argument("--memory", action="store_true", help="the same as --backend memory")
    parser.add_argument("--dsn", default="", help="with --backend postgres: the database "
                        "(EMPTIED first); without it, a temporary server of its own")
    parser.add_argument("--profile", nargs="?", const="/office/", default=None, metavar="PATH",
                        help="where the time of 10 GETs of PATH (default /office/) goes")
    parser.add_argument("--nice", type=int, default=0,
                        help="niceness of a session of its own for the run (e.g. -10, as "
                        "root: a busy shared machine disturbs the wall times less)")
    args = parser.parse_args()
    if args.nice and not os.environ.get("E2E_NICED"):
        from bench.e2e import niced_session  # re-runs this script in a niced session

        return niced_session(args.nice)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
