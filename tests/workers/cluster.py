"""Several `main.py serve` workers on one PostgreSQL database, and residents ordering on
WhatsApp through them; shared by tests/workers and bench/workers_soak.py.

- `cluster_config` writes a config for one worker: the database, the WhatsApp webhook with
  replies to the fake Graph API (tests/whatsapp/fake_graph.py), and a markets file whose
  coordinators are WhatsApp numbers, so a placed order's notices are counted at the fake.
- `Cluster` runs the workers as N `serve` processes on N ports (the reverse-proxy layout),
  or as one ``serve --workers N`` (the supervisor's layout, `bot.workers`), and kills them.
- `Resident` types a whole order without waiting for the answers: each message is posted,
  signed, to a random worker and, as Meta does, delivered a second time (the same body, to
  another random worker, at the same moment); the next goes once both got a 200. So the
  bot must handle a conversation's messages in arrival order across workers, and each once.
- `check` reads the database and the fake's record: every order placed once, with its item
  lines in the order they were sent; every confirmation and every coordinator's notice
  sent once; every message answered 200 handled.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.ordering.understanding.items import parse_items
from tests.chat import ROOT
from tests.webhooks.support import Poster, ServeProcess, free_port, serve_config
from tests.whatsapp.fake_graph import FakeGraph
from tests.whatsapp.support import text as wa_text
from tests.whatsapp.support import texts as wa_texts

CODE = re.compile(r"\b[A-Z]{3}-\d{4}-\d{3,}\b")
# (market id, the name a resident types, its coordinators' WhatsApp numbers)
MARKETS = [("kranji-baru", "Pasar Kranji Baru", ["6281700000101", "6281700000102"]),
           ("bintara", "Pasar Bintara", ["6281700000201"]),
           ("jatiasih", "Pasar Jatiasih", ["6281700000301", "6281700000302"])]
ITEM_LINES = ["bawang merah 1/4 kg", "bawang putih 1 ons", "cabe rawit 5rb", "telur 1 kg",
              "tomat 1/2 kg", "kangkung 2 ikat", "tahu 10 biji", "tempe 2 papan",
              "minyak goreng 1 liter", "beras 5 kg", "ikan kembung 1 kg", "wortel 1 kg"]
STREETS = ["Melati", "Kenanga", "Mawar", "Cempaka", "Anggrek", "Dahlia"]
AREAS = ["Jatibening", "Kranji", "Margahayu", "Jatiasih", "Bintara", "Pekayon"]
START_WAIT = 60.0  # seconds N workers may take to start together on a loaded machine


def markets_file(folder: Path) -> Path:
    """data/markets.yaml with the coordinators of `MARKETS` made WhatsApp numbers."""
    data = yaml.safe_load((ROOT / "data" / "markets.yaml").read_text(encoding="utf-8"))
    numbers = {market: phones for market, _, phones in MARKETS}
    for market in data["markets"]:
        if market["id"] in numbers:
            market["coordinators"] = [{"user": f"whatsapp:{p}", "name": f"Koordinator {i}"}
                                      for i, p in enumerate(numbers[market["id"]], 1)]
            market["hours"] = "00:00-23:59"  # no "closed now" notice in the replies
    path = folder / "markets.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def cluster_config(folder: Path, dsn: str, port: int, graph_url: str, markets: Path) -> Path:
    """A `serve` config on ``dsn`` with the WhatsApp webhook (written in ``folder``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = serve_config(folder, port, graph_url=graph_url)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["storage"] = {"backend": "postgres", "dsn": dsn}
    config["data"]["markets"] = str(markets)
    config["recap"] = {"time": ""}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


class Cluster:
    """N workers on one database: separate `serve` processes on ports of their own
    (``supervised=False``), or one ``serve --workers N`` on one port."""

    def __init__(self, folder: Path, dsn: str, graph_url: str, workers: int, *,
                 supervised: bool = False) -> None:
        self.folder, self.supervised, self.workers = folder, supervised, workers
        markets = markets_file(folder)
        self.processes: list[ServeProcess] = []
        for n in range(1 if supervised else workers):
            port = free_port()
            config = cluster_config(folder / f"w{n}", dsn, port, graph_url, markets)
            args = ("--workers", str(workers)) if supervised else ()
            self.processes.append(ServeProcess(config, port, folder / f"w{n}.log", args=args))
        self.kills = 0

    @property
    def urls(self) -> list[str]:
        return [p.url for p in self.processes]

    async def start(self) -> None:
        await asyncio.gather(*(p.start() for p in self.processes))
        if self.supervised:  # /healthz answered by one worker: wait for them all
            deadline = time.monotonic() + START_WAIT
            while len(self.children()) < self.workers or not self._all_serving():
                if time.monotonic() > deadline:
                    raise AssertionError("the workers did not all start: "
                                         + self.processes[0].stderr()[-3000:])
                await asyncio.sleep(0.05)

    def _all_serving(self) -> bool:
        log = self.processes[0].stderr()
        return log.count(" serving\n") >= self.workers

    def children(self) -> list[int]:
        """The supervisor's workers now (pids)."""
        proc = self.processes[0].proc
        assert proc is not None
        path = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except FileNotFoundError:
            return []

    def living(self) -> list[int]:
        """The supervisor's workers that are alive (a killed one stays a zombie until the
        supervisor has seen it end)."""
        alive = []
        for pid in self.children():
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (FileNotFoundError, IndexError):
                continue
            if state not in ("Z", "X"):
                alive.append(pid)
        return alive

    async def kill_one(self, rng: random.Random) -> None:
        """kill -9 a random worker: a supervised one is started again by the supervisor,
        a separate process by us (as systemd would)."""
        if self.supervised:
            deadline = time.monotonic() + START_WAIT
            while not (pids := self.living()):  # all down: wait for one to be back
                if time.monotonic() > deadline:
                    raise AssertionError("no worker came back: "
                                         + self.processes[0].stderr()[-3000:])
                await asyncio.sleep(0.05)
            os.kill(rng.choice(pids), signal.SIGKILL)
            self.kills += 1
            return
        self.kills += 1
        process = rng.choice(self.processes)
        process.kill9()
        await process.wait()
        await process.start()

    async def stop(self) -> list[int]:
        return list(await asyncio.gather(*(p.stop() for p in self.processes)))


@dataclass
class Resident:
    n: int
    market: tuple[str, str, list[str]]
    lines: list[str]
    address: str
    acked: list[str] = field(default_factory=list)  # message ids answered 200

    @property
    def phone(self) -> str:
        return f"62813{self.n:08d}"

    @property
    def key(self) -> str:
        return f"whatsapp:{self.phone}"

    def script(self) -> list[str]:
        return ["halo", "1", self.market[1], *self.lines, "selesai", self.address, "ya"]

    async def order(self, posters: list[Poster], rng: random.Random,
                    twice: bool = True) -> None:
        for words in self.script():
            payload = wa_text(words, self.phone)
            payload["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = (
                f"Warga {self.n}")
            targets = [rng.choice(posters) for _ in range(2 if twice else 1)]
            await asyncio.gather(*(p.whatsapp(payload) for p in targets))
            self.acked.append(payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"])


def residents(count: int, rng: random.Random) -> list[Resident]:
    made = []
    for n in range(count):
        address = (f"Jl. {rng.choice(STREETS)} No. {rng.randint(1, 199)}, RT "
                   f"{rng.randint(1, 15):02d}/RW {rng.randint(1, 12):02d}, "
                   f"{rng.choice(AREAS)}, dekat masjid")
        made.append(Resident(n, MARKETS[n % len(MARKETS)], rng.sample(ITEM_LINES, 3), address))
    return made


async def greet_coordinators(posters: list[Poster], graph: FakeGraph) -> None:
    """Each coordinator writes once (a coordinator gets new orders once they chatted)."""
    phones = [p for _, _, phones in MARKETS for p in phones]
    for phone in phones:
        await posters[0].whatsapp(wa_text("halo", phone))
    await wait_until(lambda: all(graph.to(p) for p in phones), "the coordinators' menus")


async def wait_until(check: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        await asyncio.sleep(0.05)


def confirmed(graph: FakeGraph, resident: Resident) -> list[str]:
    """The codes of the confirmations the resident received (one per confirmation)."""
    return [code for body in graph.to(resident.phone)
            for code in CODE.findall(wa_texts([body])) if "diterima" in wa_texts([body])]


def all_confirmed(graph: FakeGraph, people: list[Resident]) -> bool:
    return all(confirmed(graph, r) for r in people)


def is_notice(body: dict[str, Any], code: str | None = None) -> bool:
    """A coordinator's new-order notice (of the order ``code``, if given)."""
    text = wa_texts([body])
    found = CODE.findall(text)
    return "Pesanan baru" in text and bool(found) and (code is None or code in found)


def same_items(order: dict[str, Any], lines: list[str]) -> bool:
    """The order holds exactly these lines' items, in this order."""
    want = [item.to_dict() for line in lines for item in parse_items(line)]
    got = order.get("items") or []
    return len(got) == len(want) and all(
        {k: g.get(k) for k in w} == w for g, w in zip(got, want, strict=True))


def check(store: Any, graph: FakeGraph, people: list[Resident]) -> dict[str, Any]:
    """What went wrong (``problems``) and the figures, from the store and the fake.

    A reply that reached the fake more than once is counted in ``sent twice``, not in the
    problems: a worker killed between the platform accepting a message and our row marked
    sent sends it again (at-least-once for that instant: neither API takes an idempotency
    key). A run without kills must have none; a lost or missing reply is a problem."""
    problems: list[str] = []
    sent_twice = 0
    orders = store.query_orders()
    lost = [(r.key, mid) for r in people for mid in r.acked
            if not store.seen_message("whatsapp", mid)]
    if lost:
        problems.append(f"{len(lost)} message(s) answered 200 never handled: {lost[:3]}")
    by_user: dict[str, list[dict[str, Any]]] = {}
    for order in orders:
        by_user.setdefault(order["user"], []).append(order)
    out_of_order = 0
    for r in people:
        mine = by_user.get(r.key, [])
        codes = confirmed(graph, r)
        if len(mine) != 1:
            problems.append(f"{r.key}: {len(mine)} orders placed (1 expected)")
            continue
        order = mine[0]
        if not same_items(order, r.lines):
            out_of_order += 1
            problems.append(f"{order['code']}: items {[i.get('name') for i in order['items']]}"
                            f" are not the lines sent, in order: {r.lines}")
        if len(codes) > 1 and set(codes) == {order["code"]}:
            sent_twice += len(codes) - 1  # the same confirmation again: see check's doc
        elif codes != [order["code"]]:
            problems.append(f"{r.key}: confirmations {codes} (expected [{order['code']}])")
        for phone in r.market[2]:
            notices = [b for b in graph.to(phone) if is_notice(b, order["code"])]
            if len(notices) > 1:
                sent_twice += len(notices) - 1
            elif len(notices) != 1:
                problems.append(f"{order['code']}: {len(notices)} notices to its coordinator "
                                f"(1 expected)")
    counted = Counter(o["user"] for o in orders)
    strangers = [u for u in counted if u not in {r.key for r in people}]
    if strangers:
        problems.append(f"orders of nobody in the run: {strangers[:3]}")
    return {
        "residents": len(people),
        "messages answered 200": sum(len(r.acked) for r in people),
        "orders": len(orders),
        "notices sent": sum(1 for b in graph.sent if is_notice(b)),
        "lost": len(lost),
        "out of order": out_of_order,
        "sent twice": sent_twice,
        "problems": problems,
    }


async def run_orders(cluster: Cluster, graph: FakeGraph, people: list[Resident],
                     rng: random.Random, *, at_once: int = 40,
                     confirm_wait: float = 60.0) -> int:
    """Every resident orders (``at_once`` at a time), each message delivered twice;
    returns how many posts got no 200 (and were posted again)."""
    posters = [Poster(url) for url in cluster.urls]
    try:
        await greet_coordinators(posters, graph)
        queue = list(people)

        async def lane() -> None:
            while queue:
                await queue.pop(0).order(posters, rng)

        await asyncio.gather(*(lane() for _ in range(min(at_once, len(people)))))
        try:
            await wait_until(lambda: all_confirmed(graph, people), "every confirmation",
                             timeout=confirm_wait)
        except AssertionError as exc:
            waiting = [r for r in people if not confirmed(graph, r)]
            last = wa_texts(graph.to(waiting[0].phone)[-1:]).replace("\n", " ")[:160]
            raise AssertionError(f"{exc}: {len(waiting)} of {len(people)} residents got none; "
                                 f"{waiting[0].key} sent {waiting[0].script()} and last got "
                                 f"{last!r}") from None
        return sum(p.failed for p in posters)
    finally:
        for poster in posters:
            await poster.aclose()
