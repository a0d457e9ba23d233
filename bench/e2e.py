"""End to end: our ``main.py serve`` against a plain python-telegram-bot bot, same traffic.

    python3 bench/e2e.py [--cases 200x50,1000x200] [--seconds S] [--only ours,peer,...]

Each bot runs as its own process, as it is deployed, against one local fake Bot API (the
tests' `FakeBotAPI`, served by uvicorn in this process) and closed-loop residents: each
resident sends its next message only after the bot's reply to the previous one arrived at
the fake. A resident's order is 8 messages: ``halo`` (typed), "Pesan belanja" (pressed),
a market (pressed), the shopping list (typed), "Selesai" (pressed), the address (typed),
the phone number (typed), "Ya, pesan" (pressed); the name comes from the Telegram profile.

Bots, per case (residents x at once):
- ``ours``: ``python3 main.py serve``, Telegram polling, durable TinyDB store (every
  message on disk, with fdatasync, before its reply goes out);
- ``peer``: bench/peer_ptb.py, a `ConversationHandler` bot with PTB's default
  `PicklePersistence` (written every 60 s: a confirmed order is not on disk yet);
- ``peer-each``: the same bot writing the pickle after every update (no fsync);
- ``wa``: ours on the WhatsApp webhook (signed Cloud API payloads posted to
  ``/webhooks/whatsapp``, replies read at a fake Graph API), typed and pressed the same.

A run: the bot starts, ``at once`` residents chat for ``--warmup`` seconds, then for the
measured ``--seconds``; then they stop where they are and the bot is stopped (SIGTERM).
Residents take turns among ``residents`` users (a user's next order starts with ``halo``
again), so the store or pickle holds that many conversations.

Figures per run, over the measured seconds: orders/s (each message of the window counts
1/(messages of its order): 8, or 7 when the bot remembers a returning resident's number,
as ours does and the peer does not; ``done`` is how many orders ended in the window),
messages/s (the like-for-like figure: the same messages, one reply awaited per message),
p50/p99 of the time from a resident's message to the reply it waits for, CPU ms per
message of the bot process (utime+stime from /proc/<pid>/stat), its peak RSS (VmHWM, start
included), API calls per message (every call but getUpdates) and the driver's own CPU (if
it nears 1.0 core, the driver is the limit). Then ratios ours/peer from this one run.

The fakes listen on sockets made with IPPROTO_TCP, so asyncio sets TCP_NODELAY on their
connections: without it (a socket made with proto 0, as tests/telegram/fakeapi.py's
``serve`` did) each response waits ~40 ms for a delayed ACK, and every bot is as slow as
that. Ours runs with ``telegram.rate_per_second`` = ``--rate`` (default 1000: the fake has
no 30/s limit and the peer no limiter; AIORateLimiter stays in our path).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import itertools
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import uvicorn  # noqa: E402
import yaml  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from bot.adapters.whatsapp_parse import sign  # noqa: E402
from tests.telegram.fakeapi import TOKEN, FakeBotAPI  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
ADDRESS = "Jl. Melati No. {n}, RT 03/RW 05, Jatibening, dekat masjid Al-Ikhlas"
ITEMS = [
    "bawang merah 1/4 kg, telur 1 kg, cabe rawit 5rb",
    "ayam 1 ekor potong 12, tomat 1/2 kg",
    "beras 5 kg, minyak goreng 1 liter, tahu 10 biji, tempe 2 papan",
    "kangkung 2 ikat, ikan kembung 1 kg",
]
MARKETS = ["Pasar Harapan Jaya", "Pasar Kranji Baru", "Pasar Jatiasih", "Pasar Bintara"]
WA_TOKEN, WA_PHONE_ID, WA_SECRET, WA_VERIFY = "bench-token", "106540352242922", "s3cret", "v"
STARTUP = 60.0  # seconds a bot may take to start polling / serving
# telegram.rate_per_second for ours: the fake API has no 30 messages/s limit and the peer
# (as usually written) no rate limiter; ours keeps AIORateLimiter in the path at this rate
RATE = 1000.0
OURS: dict[str, Any] = {}  # more telegram settings for ours (--set key=value)
WARMUP, WINDOW = 3.0, 10.0  # seconds of each run: not measured, then measured
SHOW_STEPS = False  # --steps: p50/p99 per step of the order


# -- what a resident does and waits for ---------------------------------------------------
@dataclass(frozen=True)
class Step:
    say: str | None  # typed text, or None: press the button labelled `press`
    press: str | None
    expect: Callable[[str, list[str]], bool]  # (text, button labels) of the awaited reply
    unless_asked: str = ""  # skipped when the previous reply had this button instead


def has_button(label: str) -> Callable[[str, list[str]], bool]:
    return lambda text, labels: label in labels


def has_text(words: str) -> Callable[[str, list[str]], bool]:
    return lambda text, labels: words in text.lower()


def either(*tests: Callable[[str, list[str]], bool]) -> Callable[[str, list[str]], bool]:
    return lambda text, labels: any(test(text, labels) for test in tests)


def steps(n: int, phone: bool = True) -> list[Step]:
    """A resident's messages; on WhatsApp (``phone=False``) the bot knows the number."""
    market = MARKETS[n % len(MARKETS)]
    address = ADDRESS.format(n=n % 200 + 1)
    return [
        Step("halo", None, has_button("Pesan belanja")),
        Step(None, "Pesan belanja", has_button(market)),
        Step(None, market, has_text("daftar belanja")),
        Step(ITEMS[n % len(ITEMS)], None, has_button("Selesai")),
        Step(None, "Selesai", has_text("alamat")),
        # a returning resident: the bot knows the number from the last order, and the
        # summary comes right after the address (ours; the peer asks again)
        *([Step(address, None, either(has_text("nomor hp"), has_button("Ya, pesan"))),
           Step(f"0812-{n % 10000:04d}-{n % 7:04d}", None, has_button("Ya, pesan"),
                unless_asked="Ya, pesan")]
          if phone else [Step(address, None, has_button("Ya, pesan"))]),
        Step(None, "Ya, pesan", has_text("diterima")),
    ]


MESSAGES_PER_ORDER = len(steps(0))


@dataclass
class Waiter:
    chat: str
    expect: Callable[[str, list[str]], bool]
    future: asyncio.Future[Any]
    since: float = 0.0


@dataclass
class Traffic:
    """Replies routed to the resident waiting for them; latencies and counts."""

    waiters: dict[str, Waiter] = field(default_factory=dict)
    keyboards: dict[str, Any] = field(default_factory=dict)  # chat -> last menu shown
    latencies: list[float] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    # per latency: the step ("3 typed") and the messages of its order (a box: the phone
    # step skipped makes it 7), for orders/s = sum of 1/messages
    steps: list[tuple[str, list[int]]] = field(default_factory=list)
    labels: dict[str, list[str]] = field(default_factory=dict)  # chat -> last reply's buttons

    def reply(self, chat: str, text: str, labels: list[str], menu: Any) -> None:
        self.labels[chat] = labels
        if labels:
            self.keyboards[chat] = menu
        waiter = self.waiters.get(chat)
        if waiter is not None and not waiter.future.done() and waiter.expect(text, labels):
            waiter.future.set_result(time.perf_counter())

    async def wait(self, chat: str, expect: Callable[[str, list[str]], bool],
                   deliver: Callable[[], Any], step: str, order: list[int]) -> None:
        future = asyncio.get_running_loop().create_future()
        start = time.perf_counter()
        self.waiters[chat] = Waiter(chat, expect, future, start)
        await deliver()
        try:  # asyncio.timeout: 3.11's wait_for can swallow a cancel (the run's end)
            async with asyncio.timeout(60):
                done = await future
        except TimeoutError:
            raise RuntimeError(f"no reply to resident {chat} in 60 s") from None
        self.latencies.append(done - start)
        self.steps.append((step, order))

    async def converse(self, chat: str, steps: list[Step],
                       deliver: Callable[[Step], Callable[[], Any]]) -> None:
        """One order: each step sent once its reply to the previous one came."""
        order = [len(steps)]
        for i, step in enumerate(steps):
            if step.unless_asked and step.unless_asked in self.labels.get(chat, []):
                order[0] -= 1
                continue
            await self.wait(chat, step.expect, deliver(step),
                            f"{i} {'typed' if step.say is not None else 'pressed'}", order)


# -- the Telegram side --------------------------------------------------------------------
class BenchBotAPI(FakeBotAPI):
    """The tests' fake Bot API, counting calls and handing each sent message to the
    resident waiting for it (instead of tests' re-scans of every call)."""

    traffic: Traffic

    async def _endpoint(self, request: Request) -> JSONResponse:
        self.traffic.calls[request.path_params["method"]] += 1
        return await super()._endpoint(request)

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        message = await super()._api_sendMessage(params)
        rows = (params.get("reply_markup") or {}).get("inline_keyboard") or []
        labels = [b["text"] for row in rows for b in row]
        self.traffic.reply(str(params["chat_id"]), str(params.get("text", "")), labels,
                           message)
        return message

    async def notify(self) -> None:  # only getUpdates waits on the condition
        async with self._changed:
            self._changed.notify_all()


_query_ids = itertools.count(1)


class TelegramResident:
    def __init__(self, api: BenchBotAPI, traffic: Traffic, n: int) -> None:
        self.api, self.traffic, self.n = api, traffic, n
        self.id = 500_000 + n
        self.user = {"id": self.id, "is_bot": False, "first_name": f"Warga {n}",
                     "language_code": "id"}

    def update(self, step: Step) -> dict[str, Any]:
        if step.say is not None:
            return self.api.new_update(message={
                "message_id": self.api.new_message_id(), "date": int(time.time()),
                "chat": {"id": self.id, "type": "private", "first_name": self.user[
                    "first_name"]}, "from": self.user, "text": step.say})
        menu = self.traffic.keyboards[str(self.id)]
        rows = menu["reply_markup"]["inline_keyboard"]
        data = next(b["callback_data"] for row in rows for b in row if b["text"] == step.press)
        return self.api.new_update(callback_query={
            "id": str(next(_query_ids)), "from": self.user, "chat_instance": f"ci{self.id}",
            "data": data, "message": dict(menu)})

    async def order(self) -> None:
        await self.traffic.converse(str(self.id), steps(self.n), lambda step: functools.partial(
            self.api.queue, self.update(step)))


# -- the WhatsApp side --------------------------------------------------------------------
class FakeGraph:
    """The Graph API's messages endpoint: answers a wamid, hands the reply on."""

    def __init__(self, traffic: Traffic) -> None:
        self.traffic = traffic
        self.ids = itertools.count(1)
        self.app = Starlette(routes=[Route("/v21.0/{phone}/messages", self.messages,
                                           methods=["POST"])])

    async def messages(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.traffic.calls["messages"] += 1
        to = str(body.get("to"))
        text, labels, ids = wa_content(body)
        self.traffic.reply(to, text, labels, ids)
        return JSONResponse({"messaging_product": "whatsapp",
                             "contacts": [{"input": to, "wa_id": to}],
                             "messages": [{"id": f"wamid.BENCH{next(self.ids):07d}"}]})


def wa_content(body: dict[str, Any]) -> tuple[str, list[str], dict[str, tuple[str, str]]]:
    """Text, button labels, and label -> (kind, id) of an outgoing WhatsApp body."""
    if body.get("type") == "text":
        return str(body["text"]["body"]), [], {}
    inter = body.get("interactive") or {}
    text = str((inter.get("body") or {}).get("text", ""))
    action = inter.get("action") or {}
    ids: dict[str, tuple[str, str]] = {}
    for button in action.get("buttons") or []:
        ids[button["reply"]["title"]] = ("button_reply", button["reply"]["id"])
    for section in action.get("sections") or []:
        for row in section.get("rows") or []:
            ids[row["title"]] = ("list_reply", row["id"])
    return text, list(ids), ids


class WhatsAppResident:
    wamids = itertools.count(1)

    def __init__(self, client: aiohttp.ClientSession, traffic: Traffic, n: int,
                 url: str) -> None:
        self.client, self.traffic, self.n, self.url = client, traffic, n, url
        self.phone = f"62813{n:08d}"

    def payload(self, step: Step) -> bytes:
        message: dict[str, Any] = {"from": self.phone, "id": f"wamid.R{next(self.wamids):09d}",
                                   "timestamp": str(int(time.time()))}
        if step.say is not None:
            message.update(type="text", text={"body": step.say})
        else:
            kind, option = self.traffic.keyboards[self.phone][matching(
                self.traffic.keyboards[self.phone], step.press or "")]
            message.update(type="interactive", interactive={
                "type": kind, kind: {"id": option, "title": step.press}})
        return json.dumps({"object": "whatsapp_business_account", "entry": [{
            "id": "0", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "6281100000000",
                             "phone_number_id": WA_PHONE_ID},
                "contacts": [{"profile": {"name": f"Warga {self.n}"}, "wa_id": self.phone}],
                "messages": [message]}}]}]}).encode()

    async def post(self, body: bytes) -> None:
        async with self.client.post(self.url, data=body, headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": sign(WA_SECRET, body)}) as response:
            response.raise_for_status()

    async def order(self) -> None:
        await self.traffic.converse(self.phone, steps(self.n, phone=False),
                                    lambda step: functools.partial(self.post, self.payload(step)))


def matching(ids: dict[str, Any], label: str) -> str:
    """The option titled ``label`` (WhatsApp cuts titles: 20 characters on buttons)."""
    if label in ids:
        return label
    return next(title for title in ids if label.startswith(title.rstrip("…. ")))


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """``app`` on a free loopback port for the block; yields its URL. The socket is made
    with IPPROTO_TCP: asyncio sets TCP_NODELAY only on such sockets' connections, and
    without it every response waits ~40 ms for a delayed ACK (Nagle)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    # "critical": a long poll cut off when a bot stops is no news
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off",
                                           timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


# -- the bot processes ------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def our_config(folder: Path, port: int, telegram: dict[str, Any] | None,
               whatsapp: dict[str, Any] | None) -> Path:
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["flows"]["dir"] = str(ROOT / "flows")
    config["locales"] = str(ROOT / "locales")
    config["data"] = {k: str(ROOT / v) for k, v in config["data"].items()}
    config["storage"] = {"backend": "tinydb", "path": str(folder / "data")}
    config["server"] = {"host": "127.0.0.1", "port": port}
    config["recap"] = {"time": ""}
    if telegram:
        config["telegram"].update(enabled=True, **telegram)
    if whatsapp:
        config["whatsapp"].update(enabled=True, **whatsapp)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Run:
    bot: str
    residents: int
    concurrent: int
    orders: int
    messages: int
    seconds: float
    cpu: float
    driver_cpu: float
    rss_mb: float
    calls: int
    latencies: list[float]
    orders_done: float  # sum over the window's messages of 1 / messages in its order
    stuck: int  # residents left waiting over 5 s for their reply at the window's end

    @property
    def orders_per_s(self) -> float:
        return self.orders_done / self.seconds

    @property
    def messages_per_s(self) -> float:
        return self.messages / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.messages * 1e3

    @property
    def calls_per_message(self) -> float:
        return self.calls / self.messages

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3


async def drive(make: Callable[[int], Any], traffic: Traffic, pid: int, bot: str,
                residents: int, concurrent: int) -> Run:
    """Closed-loop residents, ``concurrent`` at a time, taking turns among ``residents``
    (a resident's next order starts with ``halo`` again): WARMUP seconds, then the
    measured WINDOW; then they stop where they are."""
    turns = itertools.cycle(range(residents))
    ended = False
    busy: set[int] = set()
    orders = 0

    async def loop() -> None:
        nonlocal orders
        while not ended:
            n = next(turns)
            while n in busy:
                n = next(turns)
            busy.add(n)
            await make(n).order()
            busy.discard(n)
            orders += 1

    tasks = [asyncio.create_task(loop()) for _ in range(concurrent)]
    try:
        await asyncio.sleep(WARMUP)
        for task in tasks:
            if task.done():
                task.result()  # a resident that failed: say why now
        traffic.calls.clear()
        cpu, mine, start = cpu_seconds(pid), time.process_time(), time.perf_counter()
        first, orders_before = len(traffic.latencies), orders
        await asyncio.sleep(WINDOW)
        seconds = time.perf_counter() - start
        cpu, mine = cpu_seconds(pid) - cpu, time.process_time() - mine
        latencies = traffic.latencies[first:]
        done = orders - orders_before
        now = time.perf_counter()
        # residents still waiting for a reply after 5 s: a reply lost, or one the bench did
        # not expect (either way the figures above are not the bot's speed)
        stuck = sum(1 for w in traffic.waiters.values()
                    if not w.future.done() and now - w.since > 5.0)
        taken = traffic.steps[first:first + len(latencies)]
        orders_done = sum(1 / order[0] for _, order in taken)
        if SHOW_STEPS:
            by: dict[str, list[float]] = {}
            for (step, _), latency in zip(taken, latencies, strict=True):
                by.setdefault(step, []).append(latency)
            for step, values in sorted(by.items()):
                values.sort()
                print(f"      step {step:<10} n={len(values):5} p50 "
                      f"{values[len(values) // 2] * 1e3:7.1f} p99 "
                      f"{values[int(len(values) * 0.99)] * 1e3:7.1f} ms")
        calls = sum(n for method, n in traffic.calls.items() if method != "getUpdates")
        for task in tasks:
            if task.done():
                task.result()
    finally:
        ended = True
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=5)  # residents stop where they are
        for task in tasks:
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: a resident cut off at the end is no news
    return Run(bot, residents, concurrent, done, len(latencies), seconds, cpu,
               mine / seconds, peak_rss_mb(pid), calls, latencies, orders_done, stuck)


async def start_process(argv: list[str], env: dict[str, str], log: Path) -> Any:
    return await asyncio.create_subprocess_exec(
        *argv, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        stdout=asyncio.subprocess.DEVNULL, stderr=log.open("wb"), cwd=str(ROOT))


async def stop_process(process: Any, log: Path) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()
    text = log.read_text(errors="replace")
    if "Traceback" in text:
        print(f"    (the bot logged a traceback; see {log})")


async def telegram_run(bot: str, residents: int, concurrent: int, folder: Path) -> Run:
    traffic = Traffic()
    api = BenchBotAPI()
    api.traffic = traffic
    async with served(api.app) as url:
        api.url = url
        if bot == "ours":
            config = our_config(folder, free_port(), {"base_url": api.base_url,
                                                      "rate_per_second": RATE, **OURS}, None)
            argv = [sys.executable, str(ROOT / "main.py"), "--config", str(config), "serve"]
            env = {"TELEGRAM_BOT_TOKEN": TOKEN}
        else:
            argv = [sys.executable, str(BENCH / "peer_ptb.py"), "--base-url", api.base_url,
                    "--token", TOKEN, "--data", str(folder / "peer")]
            argv += ["--every-update"] if bot == "peer-each" else []
            env = {}
        log = folder / f"{bot}.log"
        process = await start_process(argv, env, log)
        try:
            deadline = time.monotonic() + STARTUP
            while not traffic.calls["getUpdates"]:
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{bot} did not start polling:\n"
                                       + log.read_text(errors="replace")[-3000:])
                await asyncio.sleep(0.05)
            return await asyncio.wait_for(
                drive(lambda n: TelegramResident(api, traffic, n), traffic, process.pid, bot,
                      residents, concurrent), WARMUP + WINDOW + 30)
        finally:
            api.closing = True  # the long poll answers now
            await api.notify()
            await stop_process(process, log)


async def whatsapp_run(residents: int, concurrent: int, folder: Path) -> Run:
    traffic = Traffic()
    async with served(FakeGraph(traffic).app) as graph_url:
        port = free_port()
        config = our_config(folder, port, None, {
            "access_token": WA_TOKEN, "phone_number_id": WA_PHONE_ID, "app_secret": WA_SECRET,
            "verify_token": WA_VERIFY, "api_base_url": f"{graph_url}/v21.0"})
        log = folder / "wa.log"
        process = await start_process(
            [sys.executable, str(ROOT / "main.py"), "--config", str(config), "serve"], {}, log)
        url = f"http://127.0.0.1:{port}"
        try:  # aiohttp: the driver's posts cost it a third of httpx's (bench/bot_api_calls.py)
            async with aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=concurrent),
                    timeout=aiohttp.ClientTimeout(total=60)) as client:
                deadline = time.monotonic() + STARTUP
                while True:
                    with contextlib.suppress(aiohttp.ClientError):
                        async with client.get(f"{url}/healthz") as health:
                            if health.status == 200:
                                break
                    if process.returncode is not None or time.monotonic() > deadline:
                        raise RuntimeError("ours (whatsapp) did not start:\n"
                                           + log.read_text(errors="replace")[-3000:])
                    await asyncio.sleep(0.05)
                return await asyncio.wait_for(
                    drive(lambda n: WhatsAppResident(client, traffic, n,
                                                     f"{url}/webhooks/whatsapp"), traffic,
                          process.pid, "wa", residents, concurrent), WARMUP + WINDOW + 30)
        finally:
            await stop_process(process, log)


# -- report ---------------------------------------------------------------------------
def row(run: Run) -> str:
    return (f"  {run.bot:<10} {run.residents:>5}x{run.concurrent:<4} {run.orders:>5} "
            f"{run.orders_per_s:>8.1f} {run.messages_per_s:>7.0f} {run.percentile(0.5):>7.1f} "
            f"{run.percentile(0.99):>7.1f} {run.cpu_ms:>7.2f} {run.rss_mb:>6.0f} "
            f"{run.calls_per_message:>6.2f} {run.driver_cpu:>6.2f}"
            + (f"   ({run.stuck} residents got no reply in 5 s: not a clean run)"
               if run.stuck else ""))


HEADER = (f"  {'bot':<10} {'cases':>10} {'done':>5} {'orders/s':>8} {'msg/s':>7} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'cpu ms':>7} {'MB':>6} {'calls':>6} {'driver':>6}")


def ratios(runs: list[Run]) -> None:
    print("\nours / peer, per case (orders/s higher is better; CPU ms and p99 lower):")
    cases = sorted({(r.residents, r.concurrent) for r in runs if r.bot == "ours"})
    for residents, concurrent in cases:
        found = {r.bot: r for r in runs if (r.residents, r.concurrent) == (residents, concurrent)}
        ours = found["ours"]
        for peer in ("peer", "peer-each"):
            if peer not in found:
                continue
            other = found[peer]
            print(f"  {residents:>5}x{concurrent:<4} vs {peer:<9}: orders/s "
                  f"x{ours.orders_per_s / other.orders_per_s:.2f}   msg/s "
                  f"x{ours.messages_per_s / other.messages_per_s:.2f}   CPU ms/msg "
                  f"x{ours.cpu_ms / other.cpu_ms:.2f}   p50 "
                  f"x{ours.percentile(0.5) / other.percentile(0.5):.2f}   p99 "
                  f"x{ours.percentile(0.99) / other.percentile(0.99):.2f}   RSS "
                  f"x{ours.rss_mb / other.rss_mb:.2f}   calls/msg "
                  f"x{ours.calls_per_message / other.calls_per_message:.2f}")


async def main_async(args: argparse.Namespace) -> None:
    runs: list[Run] = []
    bots = args.only.split(",")
    print(f"{MESSAGES_PER_ORDER} messages per order (4 typed, 4 pressed; 7 on WhatsApp, "
          "which knows the number, and for ours from a returning resident, whose number it "
          f"remembers); {WARMUP:g} s warm-up, {WINDOW:g} s measured per run; orders/s = the "
          "window's messages, each 1/(messages of its order), per second; 'done' = orders "
          "finished in the window; 'driver' = cores used by this process (fake API + "
          "residents); ours at rate_per_second "
          f"{RATE:g}{''.join(f', {k}={v}' for k, v in OURS.items())}")
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for case in args.cases.split(","):
            residents, concurrent = (int(x) for x in case.split("x"))
            for bot in bots:
                folder = Path(tmp) / f"{bot}-{case}"
                folder.mkdir()
                if bot == "wa":
                    if residents != args.wa_residents:
                        continue
                    run = await whatsapp_run(residents, concurrent, folder)
                else:
                    run = await telegram_run(bot, residents, concurrent, folder)
                runs.append(run)
                print(row(run), flush=True)
                if not args.keep:
                    shutil.rmtree(folder, ignore_errors=True)
    ratios([r for r in runs if r.bot != "wa"])
    print("load average (1, 5, 15 min) at the end:", " ".join(
        Path("/proc/loadavg").read_text().split()[:3]), "on", os.cpu_count(), "cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="200x50,1000x200",
                        help="residents x at once, comma separated")
    parser.add_argument("--only", default="ours,peer,peer-each,wa",
                        help="bots to run: ours, peer, peer-each, wa")
    parser.add_argument("--seconds", type=float, default=WINDOW, help="measured, per run")
    parser.add_argument("--warmup", type=float, default=WARMUP,
                        help="seconds of chat before the measured part, per run")
    parser.add_argument("--wa-residents", type=int, default=200,
                        help="the case (by residents) the WhatsApp run uses")
    parser.add_argument("--dir", default=None, help="where the bots' files go")
    parser.add_argument("--keep", action="store_true", help="keep the bots' folders")
    parser.add_argument("--steps", action="store_true", help="p50/p99 of each step too")
    parser.add_argument("--rate", type=float, default=RATE,
                        help="ours: telegram.rate_per_second (the shipped default is 30)")
    parser.add_argument("--nice", type=int, default=0,
                        help="niceness of a session of its own for this run and the bots "
                        "(e.g. -10, as root: a busy shared machine disturbs the figures less)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="ours: another telegram setting, e.g. max_concurrent=8")
    args = parser.parse_args()
    globals().update(RATE=args.rate, WINDOW=args.seconds, WARMUP=args.warmup,
                     SHOW_STEPS=args.steps)
    for pair in args.set:
        key, value = pair.split("=", 1)
        OURS[key] = yaml.safe_load(value)
    if args.nice and not os.environ.get("E2E_NICED"):
        sys.exit(niced_session(args.nice))
    asyncio.run(main_async(args))


def niced_session(nice: int) -> int:
    """This script again, in a session of its own, niced: with the kernel's scheduler
    autogroups (/proc/sys/kernel/sched_autogroup_enabled) a nice value counts only within
    a session, so the session's own nice is set too (/proc/<pid>/autogroup). The bots,
    started from there, share it."""
    import subprocess

    child = subprocess.Popen([sys.executable, *sys.argv], start_new_session=True,
                             env={**os.environ, "E2E_NICED": "1"},
                             preexec_fn=lambda: os.nice(nice))
    with contextlib.suppress(OSError):
        Path(f"/proc/{child.pid}/autogroup").write_text(str(nice))
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.terminate()
        return child.wait()


if __name__ == "__main__":
    main()
