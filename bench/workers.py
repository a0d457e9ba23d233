#!/usr/bin/env python3
"""Messages/s and p99 on the WhatsApp webhook path: the embedded store in one process, and
PostgreSQL with 1, 2 and 4 workers (`serve --workers N`), in one run, with ratios.

    python3 bench/workers.py [--residents 200] [--concurrent 50] [--seconds 10]
                             [--cases tinydb,pg1,pg2,pg4] [--driver fast|e2e]

The residents and their measure are bench/e2e.py's (``drive``: closed-loop residents,
each sending its next message once the reply it waits for reached the fake Graph API; 3 s
warm-up, then the measured window): 7 messages per order, typed and pressed, signed
payloads posted to ``/webhooks/whatsapp``. CPU is the bot's whole process tree (the
supervisor and its workers).

The driver (residents posting, the fake Graph API) runs in this process and needs CPU
too: with bench/e2e.py's httpx client and Starlette fake it costs more per message than
the bot does, and on a 2-core machine it would be the limit of every multi-worker row.
``--driver fast`` (the default) keeps e2e's residents and measure but posts with a
minimal HTTP/1.1 client on asyncio streams and answers Graph calls with a minimal
asyncio server (`FastClient`, `FastGraph`); ``driver`` is the cores it used.

PostgreSQL runs as tests/pg.py starts it (a server of its own in a temp folder), with
``fsync`` and ``full_page_writes`` turned back on: every message is committed durably,
as the embedded store syncs its journal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import e2e  # noqa: E402  (bench/e2e.py: residents, traffic, the measure)
import yaml  # noqa: E402

from tests.pg import PgServer, bin_dir  # noqa: E402

CASES = {"tinydb": ("tinydb", 1), "pg1": ("postgres", 1), "pg2": ("postgres", 2),
         "pg4": ("postgres", 4)}
PG_MS: dict[str, float] = {}  # case -> the PostgreSQL server's CPU ms per message
STATEMENTS: dict[str, float] = {}  # case -> SQL statements the server ran per message


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and its live children (the supervisor's workers)."""
    total = 0.0
    with contextlib.suppress(FileNotFoundError):
        total = ORIGINAL_CPU(pid)
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for child in children:
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                total += ORIGINAL_CPU(int(child))
    return total


ORIGINAL_CPU = e2e.cpu_seconds
e2e.cpu_seconds = tree_cpu_seconds  # drive() measures the whole tree


# -- a cheap driver -------------------------------------------------------------------------
class Answer:
    def __init__(self, status: int) -> None:
        self.status_code = status

    def raise_for_status(self) -> None:
        if self.status_code != 200:
            raise RuntimeError(f"webhook answered {self.status_code}")


class FastClient:
    """``post(path, content=, headers=)`` over a pool of keep-alive HTTP/1.1 connections
    on asyncio streams (what e2e.WhatsAppResident calls on its client)."""

    def __init__(self, port: int, size: int) -> None:
        self.port = port
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue())
        self.size = size
        self.made = 0

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.idle.empty() and self.made < self.size:
            self.made += 1
            try:
                return await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                self.made -= 1
                raise
        return await self.idle.get()

    async def post(self, path: str, content: bytes, headers: dict[str, str]) -> Answer:
        reader, writer = await self._connection()
        try:
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            writer.write(f"POST {path} HTTP/1.1\r\nHost: bench\r\n{head}Content-Length: "
                         f"{len(content)}\r\n\r\n".encode() + content)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
        except BaseException:
            writer.close()
            self.made -= 1
            raise
        self.idle.put_nowait((reader, writer))
        return Answer(int(status_line.split()[1]))

    async def aclose(self) -> None:
        while not self.idle.empty():
            _, writer = self.idle.get_nowait()
            writer.close()


class FastGraph:
    """The Graph API's messages endpoint on asyncio streams: reads each posted body,
    hands it to the resident waiting (as e2e.FakeGraph does), answers a wamid."""

    def __init__(self, traffic: e2e.Traffic) -> None:
        self.traffic = traffic
        self.count = 0

    async def serve_one(self, reader: asyncio.StreamReader,
                        writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                if not await reader.readline():
                    break
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = json.loads(await reader.readexactly(length))
                self.count += 1
                self.traffic.calls["messages"] += 1
                to = str(body.get("to"))
                text, labels, ids = e2e.wa_content(body)
                self.traffic.reply(to, text, labels, ids)
                answer = json.dumps({"messaging_product": "whatsapp",
                                     "contacts": [{"input": to, "wa_id": to}],
                                     "messages": [{"id": f"wamid.B{self.count:08d}"}]}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             b"content-length: " + str(len(answer)).encode() + b"\r\n\r\n"
                             + answer)
        writer.close()


@contextlib.asynccontextmanager
async def fast_graph(traffic: e2e.Traffic) -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = await asyncio.start_server(FastGraph(traffic).serve_one, sock=sock)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.close()


# -- one case -------------------------------------------------------------------------------
def config_for(folder: Path, port: int, graph_url: str, backend: str, dsn: str) -> Path:
    path = e2e.our_config(folder, port, None, {
        "access_token": e2e.WA_TOKEN, "phone_number_id": e2e.WA_PHONE_ID,
        "app_secret": e2e.WA_SECRET, "verify_token": e2e.WA_VERIFY,
        "api_base_url": f"{graph_url}/v21.0"})
    if backend == "postgres":
        config = yaml.safe_load(path.read_text())
        config["storage"] = {"backend": "postgres", "dsn": dsn}
        path.write_text(yaml.safe_dump(config))
    return path


async def wait_serving(port: int, process: Any, log: Path, workers: int) -> None:
    deadline = time.monotonic() + e2e.STARTUP
    while True:
        text = log.read_text(errors="replace")
        if workers == 1 and "Application startup complete" in text:
            return
        if workers > 1 and text.count(" serving\n") >= workers:
            return
        if process.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the bot did not start:\n{text[-3000:]}")
        await asyncio.sleep(0.05)


def pg_cpu_seconds(server: PgServer | None) -> float:
    """CPU seconds of the PostgreSQL server: the postmaster, its live backends and the
    ones that ended (cutime, cstime)."""
    if server is None:
        return 0.0
    pid = int((server.data / "postmaster.pid").read_text().split()[0])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ended = (int(fields[13]) + int(fields[14])) / e2e.TICK  # cutime, cstime
    return tree_cpu_seconds(pid) + ended


def count_statements(server: PgServer) -> None:
    """Load pg_stat_statements (a restart of the server) so `statements` can count every
    statement run, BEGIN and COMMIT included (``track_utility``), pipelined ones too."""
    with server.admin() as conn:
        conn.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
    server._run("pg_ctl", "-D", str(server.data), "-l", str(server.log), "-w", "-t", "60",
                "restart")
    with server.admin() as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")


def statements(server: PgServer | None, dsn: str) -> tuple[int, int]:
    """(statements run on ``dsn``'s database so far, message ids recorded there): the
    statements per message of a case are the ratio of their changes over the run."""
    if server is None or not dsn:
        return 0, 0
    import psycopg

    name = dsn.rsplit("dbname=", 1)[1]
    with server.admin() as conn:
        row = conn.execute(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE dbid = "
            "(SELECT oid FROM pg_database WHERE datname = %s)", (name,)).fetchone()
    with psycopg.connect(dsn) as conn:
        handled = conn.execute("SELECT count(*) FROM messages").fetchone()
    return int(row[0] if row else 0), int(handled[0] if handled else 0)


def show_statements(server: PgServer, dsn: str, handled: int, top: int = 25) -> None:
    """The statements run on ``dsn``'s database so far, most called first, per message."""
    name = dsn.rsplit("dbname=", 1)[1]
    with server.admin() as conn:
        rows = conn.execute(
            "SELECT calls, regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements "
            "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = %s) "
            "ORDER BY calls DESC LIMIT %s", (name, top)).fetchall()
    print(f"  statements per message ({handled} messages):")
    for calls, query in rows:
        print(f"    {calls / max(handled, 1):6.2f}  {query[:110]}")


async def profile(pids: list[int], seconds: float, folder: Path) -> list[Path]:
    """py-spy (collapsed stacks, waiting included) of ``pids`` for ``seconds``."""
    outs, procs = [], []
    for pid in pids:
        out = folder / f"spy-{pid}.txt"
        procs.append(await asyncio.create_subprocess_exec(
            "py-spy", "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "200",
            "--idle", "-f", "raw", "-o", str(out), stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL))
        outs.append(out)
    for proc in procs:
        await proc.wait()
    return outs


def show_profile(outs: list[Path], top: int = 22) -> None:
    """Where the workers' event loops spent their time (the main thread's samples,
    waiting included): per function, inclusive, share of samples."""
    from collections import Counter

    inclusive: Counter[str] = Counter()
    total = 0
    for out in outs:
        if not out.exists():
            continue
        for line in out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if "_run_once" not in stack:  # another thread (pools, commits, presence)
                continue
            n = int(count)
            total += n
            frames = {f.split(" (")[0] + " " + f.split("(")[-1].split(":")[0].rsplit("/", 1)[-1]
                      for f in stack.split(";")}
            for frame in frames:
                inclusive[frame] += n
    print(f"  py-spy, event loops: {total} samples (waiting included), inclusive share:")
    for frame, n in inclusive.most_common(top):
        print(f"    {100 * n / max(total, 1):5.1f}%  {frame[:90]}")


async def run_case(name: str, server: PgServer | None, residents: int, concurrent: int,
                   folder: Path, driver: str, spy: bool = False,
                   show_sql: bool = False) -> e2e.Run:
    backend, workers = CASES[name]
    dsn = server.create_database() if server is not None and backend == "postgres" else ""
    traffic = e2e.Traffic()
    graph = fast_graph(traffic) if driver == "fast" else e2e.served(e2e.FakeGraph(traffic).app)
    async with graph as graph_url:
        port = e2e.free_port()
        config = config_for(folder, port, graph_url, backend, dsn)
        log = folder / f"{name}.log"
        argv = [sys.executable, str(ROOT / "main.py"), "--config", str(config), "serve"]
        argv += ["--workers", str(workers)] if workers > 1 else []
        process = await e2e.start_process(argv, {}, log)
        if driver == "fast":
            client: Any = FastClient(port, concurrent)
        else:
            import httpx

            limits = httpx.Limits(max_connections=concurrent,
                                  max_keepalive_connections=concurrent)
            client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits,
                                       timeout=60)
        try:
            await wait_serving(port, process, log, workers)
            pids = ([int(c) for c in Path(f"/proc/{process.pid}/task/{process.pid}/children")
                     .read_text().split()] if workers > 1 else [process.pid])
            spying = (asyncio.create_task(profile(pids, e2e.WARMUP + e2e.WINDOW, folder))
                      if spy else None)
            pg_before = pg_cpu_seconds(server if backend == "postgres" else None)
            counted = statements(server, dsn)
            run = await asyncio.wait_for(
                e2e.drive(lambda n: e2e.WhatsAppResident(client, traffic, n), traffic,
                          process.pid, name, residents, concurrent),
                e2e.WARMUP + e2e.WINDOW + 30)
            pg_used = pg_cpu_seconds(server if backend == "postgres" else None) - pg_before
            PG_MS[name] = pg_used / max(len(traffic.latencies), 1) * 1e3
            ran, handled = (b - a for a, b in zip(counted, statements(server, dsn),
                                                  strict=True))
            STATEMENTS[name] = ran / max(handled, 1)
            if show_sql and server is not None and dsn:
                show_statements(server, dsn, statements(server, dsn)[1])
            if spying is not None:
                show_profile(await spying)
            return run
        finally:
            await client.aclose()
            await e2e.stop_process(process, log)


def durable(server: PgServer) -> None:
    """tests/pg.py turns fsync off (tests need no durability); a bench does."""
    with server.admin() as conn:
        conn.execute("ALTER SYSTEM SET fsync = on")
        conn.execute("ALTER SYSTEM SET full_page_writes = on")
        conn.execute("SELECT pg_reload_conf()")


def row(run: e2e.Run) -> str:
    return (f"{run.bot:<8} {run.messages:>6} {run.messages_per_s:>8.1f} "
            f"{run.percentile(0.5):>7.0f} {run.percentile(0.99):>7.0f} {run.cpu_ms:>7.2f} "
            f"{run.cpu / run.seconds:>6.2f} {PG_MS.get(run.bot, 0.0):>6.2f} "
            f"{run.driver_cpu:>6.2f} {STATEMENTS.get(run.bot, 0.0):>6.1f}")


async def main_async(args: argparse.Namespace) -> int:
    e2e.WINDOW = float(args.seconds)
    names = args.cases.split(",")
    server = None
    if any(CASES[n][0] == "postgres" for n in names):
        binaries = bin_dir()
        if binaries is None:
            print("no PostgreSQL binaries: the pg cases cannot run", file=sys.stderr)
            return 2
        server = PgServer(binaries)
        if args.fsync == "on":
            durable(server)
        count_statements(server)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
          f"{args.residents} residents, {args.concurrent} at once, {e2e.WARMUP:g} s warm-up, "
          f"{e2e.WINDOW:g} s measured; driver: {args.driver}; PostgreSQL fsync {args.fsync}")
    print(f"{'case':<8} {'msgs':>6} {'msg/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'cpu ms':>7} "
          f"{'cores':>6} {'pg ms':>6} {'driver':>6} {'SQL/msg':>7}")
    runs: dict[str, e2e.Run] = {}
    try:
        for name in names:
            with tempfile.TemporaryDirectory(prefix=f"bench-workers-{name}-") as tmp:
                runs[name] = await run_case(name, server, args.residents, args.concurrent,
                                            Path(tmp), args.driver, name in args.profile,
                                            args.show_sql)
            print(row(runs[name]), flush=True)
    finally:
        if server is not None:
            server.stop()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    base = runs.get("pg1")
    if base is not None:
        print("\nratios to 1 worker on PostgreSQL (msg/s, p99):")
        for name, run in runs.items():
            print(f"  {name:<8} {run.messages_per_s / base.messages_per_s:5.2f}x msg/s   "
                  f"{run.percentile(0.99) / base.percentile(0.99):5.2f}x p99")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--cases", default="tinydb,pg1,pg2,pg4")
    parser.add_argument("--driver", choices=("fast", "e2e"), default="fast")
    parser.add_argument("--profile", default="", help="cases to profile with py-spy "
                        "(pg1,pg2): where the workers' time goes, waiting included")
    parser.add_argument("--show-sql", action="store_true",
                        help="print each PostgreSQL case's statements per message")
    parser.add_argument("--fsync", choices=("on", "off"), default="on",
                        help="PostgreSQL's fsync (off: the commits cost no disk wait)")
    parser.add_argument("--nice", type=int, default=0,
                        help="as bench/e2e.py: a session of its own, niced (-10 as root)")
    args = parser.parse_args()
    if args.nice and not os.environ.get("E2E_NICED"):
        sys.exit(e2e.niced_session(args.nice))
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
