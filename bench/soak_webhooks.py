#!/usr/bin/env python3
"""kill -9 soak over both webhooks: nothing answered 200 is lost or handled twice.

    python3 bench/soak_webhooks.py [KILLS] [RESIDENTS]
    PASAR_SOAK_SEED=1234 python3 bench/soak_webhooks.py     # replay a run

A real ``main.py serve`` process takes the Telegram webhook (replies to the fake Bot API of
tests/telegram/fakeapi.py) and the WhatsApp webhook (replies to the fake Graph API of
tests/whatsapp/fake_graph.py) on one TinyDB folder. RESIDENTS residents (default 16, half
on each messenger) order at the same time, again and again, by typing; each answers what
the bot last asked. The process is killed with SIGKILL KILLS times (default 24) at random
moments (a share of them right after a 200) and started again on the same folder. A
delivery that got no 200 is posted again unchanged, as Meta and Telegram do. At the end
the process is stopped with SIGTERM (it must exit 0) and the folder is checked:

- every message answered 200 was handled: its message id is among the processed ids;
- exactly once: each order holds exactly the item lines its resident sent in that round,
  each once (an items message handled twice would add its line twice), and no round
  has two orders;
- every order confirmed to a resident (its code seen in a confirmation) is stored, once,
  for that resident, and no code was confirmed twice;
- the inboxes are empty.

A kill that falls after a message was handled and before its replies were sent does not
lose them: the engine queues them in the store's outbox in the same write (bot/delivery.py)
and the restarted process sends them. A resident that gets no answer in time (the process
is down, or starting) asks again (``bantuan``): "nudges". "Confirmations not received"
counts orders stored whose confirmation the resident never saw (0 is expected).

Prints the figures; exits 1 if any check failed. The test suite runs a short version
(tests/webhooks/test_soak_short.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.ordering.understanding.items import parse_items  # noqa: E402
from bot.storage.tinydb_store import TinyDBStore  # noqa: E402
from tests.telegram.fakeapi import FakeBotAPI  # noqa: E402
from tests.telegram.fakeapi import serve as serve_bot_api  # noqa: E402
from tests.webhooks.support import Poster, ServeProcess, free_port, serve_config  # noqa: E402
from tests.whatsapp.fake_graph import FakeGraph, Served  # noqa: E402
from tests.whatsapp.support import text as wa_text  # noqa: E402
from tests.whatsapp.support import texts as wa_texts  # noqa: E402

CODE = re.compile(r"\b[A-Z]{3}-\d{4}-\d{3,}\b")
MARKETS = ["Pasar Kranji Baru", "Pasar Bintara", "Pasar Baru Bekasi", "Pasar Jatiasih"]
ITEM_LINES = ["bawang merah 1/4 kg", "bawang putih 1 ons", "cabe rawit 5rb", "telur 1 kg",
              "tomat 1/2 kg", "kangkung 2 ikat", "tahu 10 biji", "tempe 2 papan",
              "minyak goreng 1 liter", "beras 5 kg", "ikan kembung 1 kg", "wortel setengah kilo"]
STREETS = ["Melati", "Kenanga", "Mawar", "Cempaka", "Anggrek", "Dahlia"]
AREAS = ["Jatibening", "Kranji", "Margahayu", "Jatiasih", "Bintara", "Pekayon"]
# what the bot asks, as found in its messages -> what a resident answers (see `answer`)
PROMPTS = {
    "Apa yang ingin Anda lakukan?": "menu",
    "Mau belanja di pasar mana?": "market",
    "Tulis daftar belanja untuk": "items",
    "Daftar Anda (": "items",
    "Ke mana belanjaan diantar?": "address",
    "Pesanan ini atas nama siapa?": "name",
    "Nomor HP yang bisa dihubungi": "phone",
    "Ringkasan pesanan": "summary",
}
QUIET = 0.25  # seconds without a new message: the bot's answer is complete
NUDGE_AFTER = 8.0  # seconds without an answer to a message answered 200: ask again


@dataclass
class Round:
    """One order attempt of a resident."""

    market: str
    lines: list[str]
    address: str
    sent_lines: int = 0  # item lines answered 200
    ya: bool = False  # "ya" answered 200 on the summary
    sent: list[str] = field(default_factory=list)  # every text answered 200, in order
    code: str | None = None  # the code of the confirmation received


@dataclass
class Figures:
    acked: dict[tuple[str, str], str] = field(default_factory=dict)  # (channel, id) -> user
    posts_failed: int = 0
    nudges: int = 0
    kills: int = 0
    kills_after_200: int = 0
    starts: list[float] = field(default_factory=list)


class Replies:
    """What the fakes received, by recipient, read incrementally."""

    def __init__(self, bot_api: FakeBotAPI, graph: FakeGraph) -> None:
        self.bot_api, self.graph = bot_api, graph
        self._tg = self._wa = 0
        self.by_user: dict[str, list[str]] = {}

    def poll(self) -> None:
        calls = self.bot_api.calls
        while self._tg < len(calls):
            call = calls[self._tg]
            self._tg += 1
            if call.method == "sendMessage" and call.status == 200 and call.chat is not None:
                self.by_user.setdefault(f"telegram:{call.chat}", []).append(call.text)
        sent = self.graph.sent
        while self._wa < len(sent):
            body = sent[self._wa]
            self._wa += 1
            self.by_user.setdefault(f"whatsapp:{body.get('to')}", []).append(wa_texts([body]))

    def of(self, key: str) -> list[str]:
        self.poll()
        return self.by_user.setdefault(key, [])


class Resident:
    def __init__(self, channel: str, user: str, rng: random.Random, poster: Poster,
                 replies: Replies, bot_api: FakeBotAPI, figures: Figures,
                 acked: asyncio.Event, nudge_after: float = NUDGE_AFTER,
                 quiet: float = QUIET) -> None:
        self.channel, self.user, self.rng = channel, user, rng
        self.key = f"{channel}:{user}"
        self.poster, self.replies, self.bot_api, self.figures = poster, replies, bot_api, figures
        self.acked_event = acked
        self.nudge_after = nudge_after
        self.quiet = quiet
        self.rounds: list[Round] = []

    # -- talking ----------------------------------------------------------------------
    async def send(self, words: str) -> None:
        """Post until a 200 (the server may be dead or starting)."""
        if self.channel == "whatsapp":
            payload = wa_text(words, self.user)
            message_id = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
            await self.poster.whatsapp(payload)
        else:
            update = self.bot_api.new_update(message={
                "message_id": self.bot_api.new_message_id(), "date": int(time.time()),
                "chat": {"id": int(self.user), "type": "private", "first_name": "Warga"},
                "from": {"id": int(self.user), "is_bot": False, "first_name": "Warga",
                         "language_code": "id"},
                "text": words})
            message_id = f"u{update['update_id']}"
            await self.poster.telegram(update)
        self.figures.acked[(self.channel, message_id)] = self.key
        self.acked_event.set()

    async def answer_since(self, mark: int) -> str | None:
        """The bot's messages after the first ``mark`` ones, once they hold something to
        answer and it has gone quiet (an answer in several messages is read whole); None
        if nothing to answer came for ``nudge_after`` seconds."""
        deadline = time.monotonic() + self.nudge_after
        seen = mark
        quiet_since = time.monotonic()
        while True:
            got = self.replies.of(self.key)
            now = time.monotonic()
            if len(got) > seen:
                seen, quiet_since = len(got), now
            elif seen > mark and now - quiet_since >= self.quiet:
                text = "\n".join(got[mark:])
                if CODE.search(text) or any(prompt in text for prompt in PROMPTS):
                    return text
            if now > deadline:
                return None
            await asyncio.sleep(0.05)

    # -- ordering ---------------------------------------------------------------------
    def new_round(self) -> Round:
        rng = self.rng
        lines = rng.sample(ITEM_LINES, rng.randint(1, 3))
        address = (f"Jl. {rng.choice(STREETS)} No. {rng.randint(1, 199)}, RT "
                   f"{rng.randint(1, 15):02d}/RW {rng.randint(1, 12):02d}, "
                   f"{rng.choice(AREAS)}, dekat masjid")
        return Round(rng.choice(MARKETS), lines, address)

    def answer(self, r: Round, text: str) -> str | None:
        """What to type to ``text`` (the bot's latest messages); None: the round is over."""
        known = {earlier.code for earlier in self.rounds if earlier.code}
        new = [code for code in CODE.findall(text) if code not in known]
        if new and "diterima" in text:  # (a known code: a confirmation sent again)
            r.code = new[-1]
            return None
        asked = max(PROMPTS, key=lambda p: text.rfind(p))
        if text.rfind(asked) < 0:
            return "bantuan"
        what = PROMPTS[asked]
        if what == "menu":
            return None if r.ya else "1"
        if what == "items":
            return r.lines[r.sent_lines] if r.sent_lines < len(r.lines) else "selesai"
        return {"market": r.market, "address": r.address, "name": "Bu Warga",
                "phone": f"0812-{self.rng.randint(1000, 9999)}-{self.rng.randint(1000, 9999)}",
                "summary": "ya"}[what]

    async def order(self, stop: asyncio.Event) -> None:
        """Order round after round; once ``stop`` is set, end with the current round."""
        while not stop.is_set():
            r = self.new_round()
            self.rounds.append(r)
            words: str | None = "halo"
            while words is not None:
                mark = len(self.replies.of(self.key))
                await self.send(words)
                r.sent.append(words)
                if words == "ya":
                    r.ya = True
                elif words in r.lines:
                    r.sent_lines += 1
                got = await self.answer_since(mark)
                if got is None:
                    self.figures.nudges += 1
                    words = "bantuan"
                    continue
                words = self.answer(r, got)


async def kill_loop(serve: ServeProcess, kills: int, rng: random.Random, figures: Figures,
                    acked: asyncio.Event, delay: tuple[float, float]) -> None:
    for _ in range(kills):
        started = time.perf_counter()
        await serve.start()
        figures.starts.append(time.perf_counter() - started)
        if rng.random() < 0.3:  # right after a 200
            await asyncio.sleep(rng.uniform(delay[0], delay[1] / 3))
            acked.clear()
            await acked.wait()
            figures.kills_after_200 += 1
        else:
            await asyncio.sleep(rng.uniform(*delay))
        serve.kill9()
        assert await serve.wait() == -signal.SIGKILL
        figures.kills += 1
    started = time.perf_counter()
    await serve.start()
    figures.starts.append(time.perf_counter() - started)


def expected_items(lines: list[str]) -> list[dict[str, Any]]:
    return [item.to_dict() for line in lines for item in parse_items(line)]


def same_items(order: dict[str, Any], lines: list[str]) -> bool:
    want = expected_items(lines)
    got = order.get("items") or []
    if len(got) != len(want):
        return False
    return all({k: g.get(k) for k in w} == w for g, w in zip(got, want, strict=True))


def check(data: Path, residents: list[Resident], figures: Figures) -> dict[str, Any]:
    """The figures of the folder after the run; ``problems`` lists what is wrong."""
    problems: list[str] = []
    with TinyDBStore(data) as store:
        lost = [mid for (channel, mid) in figures.acked if not store.seen_message(channel, mid)]
        orders = store.query_orders()
        left = {ch: len(store.inbox(ch).pending()) for ch in ("telegram", "whatsapp")}
    if lost:
        problems.append(f"{len(lost)} message(s) answered 200 never handled: {lost[:5]}")
    if any(left.values()):
        problems.append(f"inbox entries left after a clean stop: {left}")
    by_code = {o["code"]: o for o in orders}
    confirmed = Counter(r.code for res in residents for r in res.rounds if r.code)
    twice = [c for c, n in confirmed.items() if n > 1]
    if twice:
        problems.append(f"codes confirmed twice: {twice}")
    if len(by_code) != len(orders):
        problems.append("two stored orders share a code")
    unmatched_orders = 0
    duplicates = 0
    confirmation_lost = 0
    for res in residents:
        mine = [o for o in orders if o.get("user") == res.key]
        used: set[str] = set()
        for r in res.rounds:
            if r.code is not None:
                order = by_code.get(r.code)
                if order is None or order.get("user") != res.key:
                    problems.append(f"confirmed {r.code} of {res.key} not stored for them")
                    continue
                if not same_items(order, r.lines):
                    problems.append(f"{r.code} of {res.key}: items {order.get('items')} != "
                                    f"{r.lines}; the resident sent {r.sent}")
                used.add(r.code)
        for r in res.rounds:  # rounds whose "ya" was answered 200 but no confirmation came
            if r.ya and r.code is None:
                match = [o for o in mine if o["code"] not in used and same_items(o, r.lines)]
                if match:
                    confirmation_lost += 1
                    used.add(match[0]["code"])
                if len(match) > 1:
                    duplicates += len(match) - 1
        extra = [o["code"] for o in mine if o["code"] not in used]
        unmatched_orders += len(extra)
        if extra:
            problems.append(f"{res.key}: orders matching no round of theirs: {extra}")
    if duplicates:
        problems.append(f"{duplicates} round(s) with two orders")
    return {
        "messages answered 200": len(figures.acked),
        "lost": len(lost),
        "orders stored": len(orders),
        "orders confirmed": sum(confirmed.values()),
        "confirmations not received (reply lost at a kill)": confirmation_lost,
        "duplicates": duplicates + len(twice) + unmatched_orders,
        "problems": problems,
    }


async def soak(kills: int = 24, residents: int = 16, seed: int | None = None,
               folder: Path | None = None, *, delay: tuple[float, float] = (0.02, 1.5),
               nudge_after: float = NUDGE_AFTER, quiet: float = QUIET) -> dict[str, Any]:
    """Run the soak; returns its figures (``problems`` empty when every check held).

    ``delay``: seconds from a start (its /healthz answering) to the kill; ``nudge_after``:
    seconds a resident waits for an answer before asking again; ``quiet``: seconds without
    a new message after which an answer is read as complete."""
    seed = int.from_bytes(os.urandom(4), "big") if seed is None else seed
    rng = random.Random(seed)
    graph = FakeGraph()
    served = Served(graph.app)
    began = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        async with serve_bot_api(FakeBotAPI()) as bot_api:
            port = free_port()
            config = serve_config(folder, port, graph_url=served.url,
                                  bot_api_url=bot_api.base_url)
            serve = ServeProcess(config, port, folder / "serve.log")
            poster = Poster(serve.url)
            figures, acked, stop = Figures(), asyncio.Event(), asyncio.Event()
            replies = Replies(bot_api, graph)
            people = [
                Resident("telegram" if i % 2 else "whatsapp",
                         str(700100 + i) if i % 2 else f"62813770{i:05d}",
                         random.Random(rng.random()), poster, replies, bot_api, figures, acked,
                         nudge_after, quiet)
                for i in range(residents)]
            killer = asyncio.create_task(kill_loop(serve, kills, rng, figures, acked, delay))
            tasks = [asyncio.create_task(p.order(stop)) for p in people]
            try:
                await killer
                stop.set()  # each ends with the round it is in: the last orders after a kill
                await asyncio.wait_for(asyncio.gather(*tasks), 120)
                code = await serve.stop(signal.SIGTERM)
            finally:
                for task in (killer, *tasks):
                    task.cancel()
                await asyncio.gather(killer, *tasks, return_exceptions=True)
                if serve.proc is not None:
                    serve.kill9()
                figures.posts_failed = poster.failed
                await poster.aclose()
                served.close()
            log = (folder / "serve.log").read_text(encoding="utf-8", errors="replace")
            result = check(folder / "data", people, figures)
    if code != 0:
        result["problems"].append(f"the last stop (SIGTERM) exited {code}")
    result.update({
        "kills": figures.kills,
        "kills right after a 200": figures.kills_after_200,
        "residents": residents,
        "posts without a 200 (posted again)": figures.posts_failed,
        "nudges (no answer in time, asked again)": figures.nudges,
        "deliveries handled from the inbox after a restart": sum(
            int(n) for n in re.findall(r"handling (\d+) (?:delivery|update)", log)),
        "redeliveries skipped as already handled": log.count("skipped"),
        "mean start (s)": round(sum(figures.starts) / len(figures.starts), 2),
        "time (s)": round(time.perf_counter() - began, 1),
        "seed": seed,
    })
    return result


def main(argv: list[str]) -> int:
    kills = int(argv[0]) if argv else 24
    residents = int(argv[1]) if len(argv) > 1 else 16
    seed_text = os.environ.get("PASAR_SOAK_SEED")
    result = asyncio.run(soak(kills, residents, int(seed_text) if seed_text else None))
    for name, value in result.items():
        if name != "problems":
            print(f"{name}: {value}")
    for problem in result["problems"]:
        print(f"PROBLEM: {problem}")
    print("OK" if not result["problems"] else "FAILED")
    return 0 if not result["problems"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
