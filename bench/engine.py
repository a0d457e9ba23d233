"""Residents completing whole orders through the engine: messages per second and latency.

    python3 bench/engine.py [--residents N] [--concurrent C] [--dir DIR] [--quick]
    python3 bench/engine.py --before DIR [--rounds R] [--residents N]

``--before DIR`` compares the engine's cost per message (CPU time, memory store, 20
residents at once) of the code in DIR (a `git worktree` of an older commit) with this
tree's, in one run: each side in its own process, alternated ``--rounds`` times, the best
of each kept; the ratio after / before is printed (target: at most x1.2).

Every resident sends the 9 messages of a whole order (halo, menu, market, shopping list,
selesai, address, name, phone, ya) to ``app.engine.handle``, each after the previous answer,
as a person would; ``--concurrent`` residents chat at once on one event loop (one core;
the store writes its files in one worker thread, so group commit can carry many
conversations per write). Latency is measured per message from the call to the returned
replies, so it includes waiting for the durable write.

Cases: the durable TinyDB store with 100 / 10,000 / 100,000 archived orders (paid or
cancelled, created in the 24 months before this one; written in bulk through the store's
own DocFile) and 10 / 1,000 / 10,000 active sessions (mid-order, put through the store API
and flushed before the run); each also on the memory store with the same data. Not a
test: the figures depend on the disk and on what else the machine is doing.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gc
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]


def _root() -> Path:
    """The tree whose code runs: this one, or ``--root DIR`` (for ``--before``)."""
    if "--root" in sys.argv[:-1]:
        return Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
    return HERE


ROOT = _root()
sys.path.insert(0, str(ROOT))  # run as a plain script

from bot.app import App  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.messages import Incoming  # noqa: E402

try:  # --before runs this file on checkouts from before the order domain's tables too
    from bot.ordering.domain.statuses import STATUSES
except ModuleNotFoundError:  # there the stores knew the finished statuses themselves
    STATUSES = None
from bot.storage.base import Store  # noqa: E402
from bot.storage.docfile import DocFile  # noqa: E402
from bot.storage.memory import MemoryStore  # noqa: E402
from bot.storage.tinydb_store import TinyDBStore  # noqa: E402

ADDRESS = "Jl. Melati No. {n}, RT 03/RW 05, Jatibening, dekat masjid Al-Ikhlas"
ITEMS = [
    "bawang merah 1/4 kg, telur 1 kg, cabe rawit 5rb",
    "ayam 1 ekor potong 12, tomat 1/2 kg",
    "beras 5 kg, minyak goreng 1 liter, tahu 10 biji, tempe 2 papan",
    "kangkung 2 ikat, ikan kembung 1 kg",
]
MESSAGES_PER_ORDER = 9
TARGET_MSGS = 2_000
TARGET_GROWTH = 1.2
TARGET_P99_MS = 20.0


def config() -> dict[str, Any]:
    cfg = load_config(ROOT / "config.yaml", env={})
    cfg["telegram"]["enabled"] = cfg["whatsapp"]["enabled"] = False
    return cfg


def conversation(app: App, n: int) -> list[str]:
    """The 9 messages of resident ``n`` (a different market and list for each)."""
    markets = app.markets.open
    market = markets[n % len(markets)]
    return ["halo", "1", market.name, ITEMS[n % len(ITEMS)], "selesai",
            ADDRESS.format(n=n % 200 + 1), f"Bu Warga {n}", f"0812-{n % 10000:04d}-{n % 7:04d}",
            "ya"]


@dataclass
class Result:
    messages: int
    seconds: float
    cpu: float
    latencies: list[float]
    rounds: int | None = None

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def converse(app: App, residents: range, concurrent: int, prefix: str) -> Result:
    """Residents in ``residents`` each complete an order, ``concurrent`` at a time."""
    latencies: list[float] = []
    queue = list(reversed(residents))
    placed = 0

    async def resident_loop() -> None:
        nonlocal placed
        while queue:
            n = queue.pop()
            for i, text in enumerate(conversation(app, n)):
                msg = Incoming(channel="console", user=f"{prefix}{n}", text=text,
                               message_id=f"{prefix}{n}.{i}")
                start = time.perf_counter()
                replies = await app.engine.handle(msg)
                latencies.append(time.perf_counter() - start)
                sent(app, replies)
                if not replies:
                    raise RuntimeError(f"no reply to {text!r}")
            if "diterima" not in replies[0].text:
                raise RuntimeError(f"resident {n}: no confirmation: {replies[0].text[:200]}")
            placed += 1

    rounds = getattr(app.store, "stats", {}).get("rounds")
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(resident_loop() for _ in range(concurrent)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if rounds is not None:
        rounds = app.store.stats["rounds"] - rounds  # type: ignore[attr-defined]
    assert placed == len(residents)
    return Result(len(latencies), wall, cpu, latencies, rounds)


async def paced(app: App, residents: int, rate: float, think: float, prefix: str) -> Result:
    """Open loop: messages arrive at about ``rate`` per second whatever the bot's speed.

    Residents start one after another (``MESSAGES_PER_ORDER / rate`` apart) and wait
    ``think`` seconds (+-50 %) after each answer before their next message, as people do.
    Latency is then what a resident waits at that load, not a queue the bench made.
    """
    import random

    latencies: list[float] = []
    rng = random.Random(7)
    gap = MESSAGES_PER_ORDER / rate

    async def resident(n: int) -> None:
        await asyncio.sleep(n * gap)
        for i, text in enumerate(conversation(app, n)):
            if i:
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            msg = Incoming(channel="console", user=f"{prefix}{n}", text=text,
                           message_id=f"{prefix}{n}.{i}")
            start = time.perf_counter()
            replies = await app.engine.handle(msg)
            if not replies:
                raise RuntimeError(f"no reply to {text!r}")
            latencies.append(time.perf_counter() - start)
            sent(app, replies)

    rounds = getattr(app.store, "stats", {}).get("rounds")
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(resident(n) for n in range(residents)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if rounds is not None:
        rounds = app.store.stats["rounds"] - rounds  # type: ignore[attr-defined]
    return Result(len(latencies), wall, cpu, latencies, rounds)


def run_paced(folder: Path, archives: Archives, rate: float, residents: int,
              session: dict[str, Any]) -> Result:
    """A paced run on the durable store at 100 archived orders and 1,000 sessions."""
    store = open_case("tinydb", folder, archives, 100, 1_000, session)
    app = App(config(), store=store)
    try:
        asyncio.run(converse(app, range(20), 20, "warm"))
        gc.collect()
        return asyncio.run(paced(app, residents, rate, THINK_SECONDS, "p"))
    finally:
        store.close()
        shutil.rmtree(folder)


# -- data made before a run -----------------------------------------------------------------
def sample_records(app_config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A real session mid-order and a real placed order, from one conversation in memory."""
    app = App(app_config, store=MemoryStore())

    async def talk() -> None:
        for i, text in enumerate(conversation(app, 0)):
            await app.engine.handle(Incoming(channel="console", user="sample", text=text,
                                             message_id=str(i)))
            if i == 7:  # at the summary, waiting for "ya": the biggest session
                samples.append(app.store.get_session("console:sample") or {})

    samples: list[dict[str, Any]] = []
    asyncio.run(talk())
    [order] = app.store.query_orders()
    return samples[0], order


def past_months(count: int) -> list[str]:
    first = datetime.now().replace(day=1)
    months = []
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(first.strftime("%Y-%m"))
    return months


def archived_orders(template: dict[str, Any], count: int) -> dict[str, dict[str, dict]]:
    """``count`` finished orders by month, each a full record (about 1 kB of JSON)."""
    months = past_months(24)
    by_month: dict[str, dict[str, dict]] = {m: {} for m in months}
    statuses = ["paid"] * 9 + ["cancelled"]
    for i in range(count):
        month = months[i % len(months)]
        day = 1 + i % 28
        code = f"ARC-{month[2:4]}{month[5:]}{day:02d}-{i:06d}"
        when = f"{month}-{day:02d}T08:{i % 60:02d}:00+07:00"
        status = statuses[i % 10]
        order = dict(template, code=code, status=status, created_at=when, updated_at=when,
                     user=f"console:old{i % 5000}", total=61_000 + i % 9 * 1000, version=6)
        order["history"] = [{"at": when, "by": order["user"], "from": old, "to": new}
                            for old, new in (("new", "claimed"), ("claimed", "shopping"),
                                             ("shopping", "on_the_way"), ("on_the_way", status))]
        by_month[month][code] = order
    return by_month


def write_archive(folder: Path, by_month: dict[str, dict[str, dict]]) -> None:
    (folder / "archive").mkdir(parents=True, exist_ok=True)
    for month, orders in by_month.items():
        if orders:
            DocFile(folder / "archive" / f"orders-{month}.json", "orders", key_field="code",
                    label=month).write(orders)


def sent(app: App, replies: Any) -> None:
    """The bench is the messenger: the replies it got are sent (marked so in the outbox,
    as the App's sender does; a checkout from before the outbox has none)."""
    mark = getattr(app, "sent", None)
    if mark is not None:
        mark(replies)


def put_sessions(store: Store, template: dict[str, Any], count: int) -> None:
    now = time.time()
    for i in range(count):
        session = copy.deepcopy(template)
        session["updated_at"] = now - i % 3600
        session["slots"]["name"] = f"Bu Aktif {i}"
        store.put_session(f"console:active{i}", session)


class Archives:
    """Archive folders made once per size under ``root`` and copied into each case."""

    def __init__(self, root: Path, order: dict[str, Any]) -> None:
        self.root, self.order = root, order

    def folder(self, archived: int) -> Path:
        path = self.root / f"archive-{archived}"
        if not path.exists():
            write_archive(path, archived_orders(self.order, archived))
            gc.collect()
        return path / "archive"

    def orders(self, archived: int) -> dict[str, dict[str, dict]]:
        return archived_orders(self.order, archived)


def open_case(kind: str, folder: Path, archives: Archives, archived: int, sessions: int,
              session: dict[str, Any]) -> Store:
    """A store holding ``archived`` finished orders and ``sessions`` active sessions.

    The bench keeps no reference to the orders it made: a run must not pay for the
    bench's own objects (the garbage collector walks every live container)."""
    if kind == "memory":
        store: Store = MemoryStore(**_finished())
        for orders in archives.orders(archived).values():  # bulk: no files to write
            store._orders.update(orders)  # type: ignore[attr-defined]
    else:
        shutil.copytree(archives.folder(archived), folder / "archive")
        store = TinyDBStore(folder, **_finished())  # as the app opens it
    put_sessions(store, session, sessions)
    if isinstance(store, TinyDBStore):
        store.flush_sync()
    return store


def run_case(kind: str, folder: Path, archives: Archives, archived: int, sessions: int,
             residents: int, concurrent: int, session: dict[str, Any]) -> Result:
    """One measured run (after a short warm-up) on a new store."""
    store = open_case(kind, folder, archives, archived, sessions, session)
    app = App(config(), store=store)
    try:
        asyncio.run(converse(app, range(20), 20, "warm"))
        gc.collect()
        return asyncio.run(converse(app, range(residents), concurrent, "r"))
    finally:
        store.close()
        if kind == "tinydb":
            shutil.rmtree(folder)


# -- output ---------------------------------------------------------------------------------
HEADER = (f"{'case':<40} {'msgs':>6} {'durable':>8} {'p50 ms':>7} {'p99 ms':>7} {'cores':>5} "
          f"{'rounds':>6} | {'memory':>8} {'p99 ms':>7} | dur/mem")


def row(label: str, durable: Result, memory: Result | None) -> str:
    ms = 1000.0
    text = (f"{label:<40} {durable.messages:>6,} {durable.per_second:>8,.0f} "
            f"{durable.percentile(0.5) * ms:>7.2f} {durable.percentile(0.99) * ms:>7.2f} "
            f"{durable.cpu / durable.seconds:>5.2f} {durable.rounds or 0:>6}")
    if memory is not None:
        text += (f" | {memory.per_second:>8,.0f} {memory.percentile(0.99) * ms:>7.2f} | "
                 f"{durable.seconds / memory.seconds:>6.2f}x")
    return text


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


# (archived orders, other active sessions, residents: None = --residents)
CASES: list[tuple[int, int, int | None]] = [
    (100, 10, None),
    (100, 1_000, None),
    (10_000, 1_000, None),
    (100_000, 1_000, None),
    (100, 10_000, 60),  # each write round rewrites ~37 MB of sessions here: fewer residents
]
GROWTH = [(100, 1_000), (100_000, 1_000)]  # run twice, best of two kept (shared machine)
SWEEP = [(10, 20), (300, 300)]  # (residents at once, residents) at 1k sessions
PACED = [1_000, 2_000]  # messages/s arriving, at 1k sessions
PACED_SECONDS = 4.0  # residents keep starting this long, so the rate is held, not a burst
THINK_SECONDS = 0.1  # between an answer and the next message (people take longer: the
# short pause only lets the bench reach the rate with fewer residents in memory)


def _finished() -> dict[str, Any]:
    """The store's ``finished=`` argument, as the app gives it (none on older checkouts)."""
    return {} if STATUSES is None else {"finished": STATUSES.finished}


def engine_cost(residents: int) -> float:
    """CPU seconds per message of whole orders on the memory store (the engine's cost)."""
    app = App(config(), store=MemoryStore())
    asyncio.run(converse(app, range(20), 20, "warm"))
    gc.collect()
    result = asyncio.run(converse(app, range(residents), 20, "r"))
    return result.cpu / result.messages


def compare(before: Path, rounds: int, residents: int) -> None:
    """This tree's cost per message against ``before``'s, alternated in fresh processes."""
    costs: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(rounds):
        for label, root in (("before", before), ("after", HERE)):
            done = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--root", str(root),
                 "--engine-only", "--residents", str(residents)],
                capture_output=True, text=True, check=False)
            if done.returncode:
                raise SystemExit(f"{label} ({root}) failed:\n{done.stderr[-2000:]}")
            costs[label].append(float(done.stdout.split()[-1]))
    print(f"engine cost per message, {residents} residents x {MESSAGES_PER_ORDER} messages, "
          f"memory store, CPU time, {rounds} alternated rounds (us: best, all):")
    for label, values in costs.items():
        shown = ", ".join(f"{v * 1e6:.0f}" for v in values)
        print(f"  {label:<6} {min(values) * 1e6:8.0f}   ({shown})")
    ratio = min(costs["after"]) / min(costs["before"])
    print(f"  after / before: x{ratio:.3f}; target <= x1.2: {verdict(ratio <= 1.2)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=200, help="orders per run")
    parser.add_argument("--concurrent", type=int, default=100, help="residents at once")
    parser.add_argument("--dir", type=Path, help="where to write (default: a temp dir)")
    parser.add_argument("--quick", action="store_true", help="skip 100k archived, 10k sessions")
    parser.add_argument("--before", type=Path, help="compare the engine's cost per message "
                        "with the code in this folder (a git worktree of an older commit)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations for --before")
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)  # read before imports
    parser.add_argument("--engine-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # not one warning per order placed
    if args.engine_only:
        print(f"{engine_cost(args.residents):.9f}")
        return
    if args.before is not None:
        compare(args.before.resolve(), args.rounds, args.residents)
        return
    session, order = sample_records(config())
    cases = [c for c in CASES if not args.quick or (c[0] < 100_000 and c[1] < 10_000)]
    print(f"Each resident sends the {MESSAGES_PER_ORDER} messages of a whole order, each after "
          f"the previous answer; {args.concurrent} residents chat at once on one event loop "
          f"({args.residents} residents per run unless msgs says otherwise).")
    print(HEADER)
    results: dict[tuple[int, int], tuple[Result, Result]] = {}
    paced_results: dict[float, Result] = {}
    started = time.perf_counter()
    print(machine_speed("at start"))
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        archives = Archives(Path(tmp), order)

        def durable(archived: int, sessions: int, residents: int, concurrent: int) -> Result:
            return run_case("tinydb", Path(tmp) / "case", archives, archived, sessions,
                            residents, concurrent, session)

        for archived, sessions, residents in cases:
            count = residents or args.residents
            disk = durable(archived, sessions, count, args.concurrent)
            memory = run_case("memory", Path(tmp) / "case", archives, archived, sessions, count,
                              args.concurrent, session)
            results[(archived, sessions)] = (disk, memory)
            print(row(f"{archived:>7,} archived, {sessions:>6,} sessions", disk, memory))
        for archived, sessions in GROWTH:
            if (archived, sessions) in results:
                again = durable(archived, sessions, args.residents, args.concurrent)
                print(row(f"{archived:>7,} archived, {sessions:>6,} sessions, again", again,
                          None))
                first, memory = results[(archived, sessions)]
                results[(archived, sessions)] = (max(first, again, key=_speed), memory)
        print("\nresidents at once (durable, 100 archived, 1,000 sessions):")
        for concurrent, residents in SWEEP:
            print(row(f"{concurrent:>7} residents at once",
                      durable(100, 1_000, residents, concurrent), None))
        print(f"\nmessages arriving at a fixed rate (durable, 100 archived, 1,000 sessions, "
              f"{THINK_SECONDS} s think time):")
        for rate in PACED:
            residents = int(rate / MESSAGES_PER_ORDER * PACED_SECONDS)
            result = run_paced(Path(tmp) / "case", archives, rate, residents, session)
            paced_results[rate] = result
            print(row(f"{rate:>7,} msgs/s arriving ({residents} residents)", result, None))
    summarize(results, args.concurrent, paced_results)
    print(machine_speed("at end"))
    print(f"(whole run {time.perf_counter() - started:.0f} s)")


def machine_speed(when: str) -> str:
    """How quiet and how fast the machine is now: the load average, and the CPU time of a
    fixed pure-Python loop (a shared VM's speed moved 4x in one afternoon; at 1,000 msgs/s the
    loop is 60-100% busy, so the p99 moves with it far more than the mean does)."""
    cpu = time.process_time()
    total = 0
    for i in range(3_000_000):
        total += i
    loop_ms = (time.process_time() - cpu) * 1e3
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return (f"machine {when}: load average {load}; a 3M-step Python loop took {loop_ms:.0f} "
            "ms of CPU (seen on this 2-core VM: 114 on a fast moment, ~460 on a slow one)")


def _speed(result: Result) -> float:
    return result.per_second


def summarize(results: dict[tuple[int, int], tuple[Result, Result]], concurrent: int,
              paced_results: dict[float, Result]) -> None:
    base, base_memory = results[(100, 1_000)]
    print()
    print("msgs = messages measured; durable = messages/s on the TinyDB store (for the fixed "
          "rate rows: over the whole run, ramp-up and ramp-down included); cores = CPU "
          "time / wall time (event loop + the store's writer thread); rounds = file-write "
          "rounds (group commit: messages per round = msgs / rounds)")
    print(f"targets, at 1,000 active sessions and {concurrent} residents at once (best of the "
          "two runs):")
    big = results.get((100_000, 1_000))
    if big is not None:
        growth = base.per_second / big[0].per_second
        p50 = big[0].percentile(0.5) / base.percentile(0.5)
        print(f"  cost per message at 100k vs 100 archived orders: x{growth:.2f} "
              f"(p50 latency x{p50:.2f}); target <= x{TARGET_GROWTH}: "
              f"{verdict(growth <= TARGET_GROWTH)}")
    p99 = base.percentile(0.99) * 1000
    print(f"  p99 per message with {concurrent} residents always waiting (closed loop: "
          f"p50 ~ residents / throughput): {p99:.1f} ms")
    for rate, result in sorted(paced_results.items()):
        paced_p99 = result.percentile(0.99) * 1000
        print(f"  p99 per message at {rate:,.0f} msgs/s arriving: {paced_p99:.1f} ms; target < "
              f"{TARGET_P99_MS:.0f} ms: {verdict(paced_p99 < TARGET_P99_MS)}")
    print(f"  durable messages/s: {base.per_second:,.0f} ({base.messages / base.cpu:,.0f} per "
          f"CPU-second); target >= {TARGET_MSGS:,}/s per core: "
          f"{verdict(base.per_second >= TARGET_MSGS)}")
    ratios = [d.seconds / m.seconds for d, m in results.values()]
    print(f"  durable / memory, same conversations: x{base.seconds / base_memory.seconds:.2f} "
          f"(all cases x{min(ratios):.2f} .. x{max(ratios):.2f})")


if __name__ == "__main__":
    main()
