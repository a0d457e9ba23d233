"""How long the bot takes to give its first reply on a big data folder, and its memory.

    python3 bench/open_time.py [--before DIR] [--cases 10000:100,100000:100000] [--dir DIR]

For each case (sessions : archived orders) a data folder is built once, in bulk, through
the store's own file classes (as `bench/engine.py` does): the session shard files
(``sessions-00.json`` ...) and the archive months (``archive/orders-YYYY-MM.json``, 24
months before this one). Sessions are real ones, taken from one conversation in memory:
nine in ten are idle after a finished order, one in ten is mid-order at the summary (the
biggest a session gets); then the store of this checkout opens and closes it once, as a
bot that ran leaves it. Then ``python3 main.py chat --json`` runs as a real process on a
fresh copy of the folder (hard links: the store replaces files, never writes in them);
the time is from starting the process to the first line of its reply to a new user's
``halo``. Memory is the process's peak RSS when that reply came (``VmHWM`` from
``/proc``), and over the whole run, close included (``VmHWM`` read every 5 ms until it
exits; not ``ru_maxrss``, which a child inherits from the bench at fork).

``--before DIR`` also runs an older checkout (``git worktree add /tmp/old <commit>``) on
copies of the same folders, one after the other, and prints the ratios. Not a test: the
figures depend on the disk, the page cache and what else the machine runs; the load
average is printed with them.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script
sys.path.insert(0, str(ROOT / "bench"))

import engine  # noqa: E402

from bot.storage.docfile import DocFile, pack, shard_of  # noqa: E402

SHARDS = 16  # TinyDBStore's default session_shards
CASES = [(10_000, 100), (100_000, 100_000)]


def sample_sessions() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(idle after an order, mid-order at the summary, an order) from one conversation."""
    from bot.app import App
    from bot.messages import Incoming
    from bot.storage.memory import MemoryStore

    app = App(engine.config(), store=MemoryStore())
    import asyncio

    async def talk() -> None:
        for i, text in enumerate(engine.conversation(app, 0)):
            await app.engine.handle(Incoming(channel="console", user="sample", text=text,
                                             message_id=str(i)))
            if i in (7, 8):
                seen.append(app.store.get_session("console:sample") or {})

    seen: list[dict[str, Any]] = []
    asyncio.run(talk())
    [order] = app.store.query_orders()
    return seen[1], seen[0], order


def build(folder: Path, sessions: int, archived: int) -> dict[str, int]:
    """A data folder with ``sessions`` sessions and ``archived`` archived orders."""
    idle, busy, order = sample_sessions()
    folder.mkdir(parents=True)
    now = time.time()
    shards: list[dict[str, Any]] = [{} for _ in range(SHARDS)]
    for i in range(sessions):
        session = dict(busy if i % 10 == 0 else idle)
        session["updated_at"] = now - i % 86_400  # all within the last day: none expires
        key = f"telegram:{100_000_000 + i}"
        shards[shard_of(key, SHARDS)][key] = pack(session, _stamp)
    for n, held in enumerate(shards):
        DocFile(folder / f"sessions-{n:02d}.json", "sessions", packed=_stamp).write(held)
    del shards
    engine.write_archive(folder, engine.archived_orders(order, archived))
    gc.collect()
    prime = ("import sys; from bot.storage.tinydb_store import TinyDBStore as S; "
             "S(sys.argv[1], finished=('paid', 'cancelled')).close()")
    # opened and closed once by this checkout's store, as a running bot leaves it (the
    # indexes it keeps beside its files written); an older store ignores them
    subprocess.run([sys.executable, "-c", prime, str(folder)], cwd=ROOT, check=True,
                   stderr=subprocess.DEVNULL)
    return {"idle": len(json.dumps(idle)), "busy": len(json.dumps(busy))}


def _stamp(session: Any) -> float:
    return float(session.get("updated_at", 0))


def write_config(checkout: Path, data: Path, path: Path) -> None:
    """A config for ``checkout`` (its flows, locales and market data) on ``data``."""
    text = (
        f"flows:\n  dir: {checkout / 'flows'}\n"
        f"locales: {checkout / 'locales'}\n"
        f"data:\n  markets: {checkout / 'data' / 'markets.yaml'}\n"
        f"  catalog: {checkout / 'data' / 'catalog.yaml'}\n"
        f"storage:\n  backend: tinydb\n  path: {data}\n"
    )
    path.write_text(text)


def hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def first_reply(checkout: Path, built: Path, work: Path) -> tuple[float, int, int, str]:
    """(seconds to the first reply, VmHWM kB then, VmHWM kB at the end, reply)."""
    data = work / "data"
    if data.exists():
        shutil.rmtree(data)
    shutil.copytree(built, data, copy_function=os.link)  # the store never writes in place
    config = work / "config.yaml"
    write_config(checkout, data, config)
    line = json.dumps({"user": "wargabaru", "text": "halo"}) + "\n"
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(checkout / "main.py"), "--config", str(config), "chat", "--json"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        cwd=checkout,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line)
    proc.stdin.flush()
    reply = proc.stdout.readline()
    seconds = time.perf_counter() - start
    at_reply = hwm_kb(proc.pid)
    peak = at_reply
    proc.stdin.close()
    while proc.poll() is None:
        try:
            peak = max(peak, hwm_kb(proc.pid))
        except (OSError, ValueError):  # exiting
            break
        time.sleep(0.005)
    proc.stdout.read()
    proc.wait()
    if not reply.startswith('{"replies"'):
        raise RuntimeError(f"{checkout}: no reply, got {reply[:200]!r}")
    return seconds, at_reply, peak, reply


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="an older checkout to compare with")
    parser.add_argument("--cases", default=",".join(f"{s}:{a}" for s, a in CASES),
                        help="sessions:archived,... (default %(default)s)")
    parser.add_argument("--dir", type=Path, help="where to build (default: a temp dir)")
    parser.add_argument("--runs", type=int, default=1, help="runs per case (best kept)")
    args = parser.parse_args()
    cases = [tuple(int(n) for n in c.split(":")) for c in args.cases.split(",")]
    checkouts = [("after", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores)")
    print(f"{'case':<34} {'code':<7} {'first reply s':>13} {'RSS MB at reply':>15} "
          f"{'peak RSS MB':>11}")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for sessions, archived in cases:
            built = Path(tmp) / f"built-{sessions}-{archived}"
            sizes = build(built, sessions, archived)
            disk = sum(p.stat().st_size for p in built.rglob("*") if p.is_file())
            label = f"{sessions:,} sessions, {archived:,} archived"
            results = {}
            for name, checkout in checkouts:
                best = min((first_reply(checkout, built, Path(tmp))
                            for _ in range(args.runs)), key=lambda r: r[0])
                results[name] = best
                print(f"{label:<34} {name:<7} {best[0]:>13.2f} {best[1] / 1024:>15.0f} "
                      f"{best[2] / 1024:>11.0f}", flush=True)
            if "before" in results:
                a, b = results["after"], results["before"]
                print(f"{'':<34} {'ratio':<7} {a[0] / b[0]:>13.3f} {a[1] / b[1]:>15.3f} "
                      f"{a[2] / b[2]:>11.3f}  (after / before)")
            print(f"{'':<34} (folder {disk / 1e6:,.0f} MB; session JSON {sizes['idle']:,} B "
                  f"idle, {sizes['busy']:,} B mid-order)")
            shutil.rmtree(built)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
