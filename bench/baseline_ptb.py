"""The same order conversation written the usual way with python-telegram-bot, for scale.

    python3 bench/baseline_ptb.py [--residents N] [--concurrent C]

A `ConversationHandler` (menu, market, shopping list, address, name, phone, confirm) with
`PicklePersistence` in a temp dir, fed Telegram updates through
`Application.process_update` one at a time (PTB's default: no concurrent updates),
residents interleaved round-robin, ``--concurrent`` of them at a time. It reuses our
domain helpers (market matching, list parsing, address and phone checks, the Indonesian
texts), so the difference is the framework and the persistence, not the parsing.

What is excluded, on both sides: the network. Our engine returns replies and never sends;
here handlers collect their reply texts instead of calling ``bot.send_message`` (the bot's
only request, getMe at start, is answered locally by a `BaseRequest`). Updates are built
before the clock starts (ours build an `Incoming` per message inside the measured time).

Three PTB figures: handling only (nothing written: as PTB is usually set up, the pickle is
written by a job every 60 s and at shutdown, so a confirmed order is not on disk when its
confirmation goes out); the same plus one pass of that job, timed after the updates (with
``on_flush=False``, PTB's default, it rewrites the whole pickle once per changed
user_data, chat_data, bot_data and conversation); and writing the pickle after every
update (what a confirmation-is-durable promise would need; still without fsync; a quarter
of the residents only, to keep the run short, which favours PTB). In the
same run our
engine (bench/engine.py's `run_case`) handles the same number of messages on the durable
TinyDB store and on the memory store, with 100 archived orders and 10 other sessions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))  # bench/engine.py, imported as `engine`

from engine import (  # noqa: E402
    MESSAGES_PER_ORDER,
    Archives,
    Result,
    config,
    conversation,
    run_case,
    sample_records,
)
from telegram import Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)
from telegram.request import BaseRequest, RequestData  # noqa: E402
from telegram.warnings import PTBUserWarning  # noqa: E402

from bot.app import App  # noqa: E402
from bot.engine.inputs.phone import display_phone, normalize_phone  # noqa: E402
from bot.engine.matching import Matched  # noqa: E402
from bot.ordering.understanding.address import check_address  # noqa: E402
from bot.ordering.understanding.items import Item, describe, parse_items  # noqa: E402
from bot.ordering.understanding.market_match import match_market  # noqa: E402
from bot.storage.memory import MemoryStore  # noqa: E402

MENU, MARKET, ITEMS, ADDRESS, NAME, PHONE, CONFIRM = range(7)


class LocalRequest(BaseRequest):
    """Answers the Bot API locally: getMe only (handlers never call the network)."""

    calls = 0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float | None:
        return None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        LocalRequest.calls += 1
        if url.endswith("/getMe"):
            me = {"id": 123, "is_bot": True, "first_name": "Pasar", "username": "pasar_bot"}
            return 200, json.dumps({"ok": True, "result": me}).encode()
        raise AssertionError(f"the baseline tried to reach the network: {url}")


class OrderBot:
    """The resident's order conversation as PTB handlers (texts from our catalog)."""

    def __init__(self, app: App) -> None:
        self.markets = app.markets
        self.i18n = app.i18n
        self.replies: list[tuple[int, str]] = []

    def t(self, message_id: str, **params: Any) -> str:
        return self.i18n.t("id", message_id, **params)

    def say(self, update: Update, text: str) -> None:
        assert update.effective_chat is not None
        self.replies.append((update.effective_chat.id, text))  # instead of send_message

    def handler(self) -> ConversationHandler:
        text = filters.TEXT & ~filters.COMMAND
        return ConversationHandler(
            entry_points=[MessageHandler(text, self.start)],
            states={
                MENU: [MessageHandler(text, self.menu)],
                MARKET: [MessageHandler(text, self.market)],
                ITEMS: [MessageHandler(text, self.items)],
                ADDRESS: [MessageHandler(text, self.address)],
                NAME: [MessageHandler(text, self.name)],
                PHONE: [MessageHandler(text, self.phone)],
                CONFIRM: [MessageHandler(text, self.confirm)],
            },
            fallbacks=[],
            name="order",
            persistent=True,
        )

    async def start(self, update: Update, context: Any) -> int:
        self.say(update, self.t("main.greeting") + "\n\n" + self.t("main.menu") +
                 "\n1. Pesan belanja\n2. Cek pesanan saya\n3. Bantuan")
        return MENU

    async def menu(self, update: Update, context: Any) -> int:
        if update.message.text.strip().lower() not in ("1", "pesan", "pesan belanja"):
            self.say(update, self.t("main.menu"))
            return MENU
        context.user_data.clear()
        names = "\n".join(f"{i}. {m.name}" for i, m in enumerate(self.markets.open, 1))
        self.say(update, self.t("order.ask_market", coming_markets="") + "\n" + names)
        return MARKET

    async def market(self, update: Update, context: Any) -> int:
        text = update.message.text.strip()
        found: Any = None
        if text.isdigit() and 0 < int(text) <= len(self.markets.open):
            found = self.markets.open[int(text) - 1]
        else:
            match = match_market(text, self.markets)
            found = self.markets.get(match.option_id) if isinstance(match, Matched) else None
        if found is None:
            self.say(update, self.t("order.ask_market", coming_markets=""))
            return MARKET
        context.user_data.update(market=found.id, market_name=found.name, items=[])
        self.say(update, self.t("order.ask_items", market_name=found.name))
        return ITEMS

    async def items(self, update: Update, context: Any) -> int:
        text = update.message.text.strip()
        if text.lower() == "selesai" and context.user_data["items"]:
            self.say(update, self.t("order.ask_address"))
            return ADDRESS
        context.user_data["items"] += [item.to_dict() for item in parse_items(text)]
        lines = [f"{i}. {describe(Item.from_dict(e))}"
                 for i, e in enumerate(context.user_data["items"], 1)]
        self.say(update, f"Daftar Anda ({len(lines)}):\n" + "\n".join(lines))
        return ITEMS

    async def address(self, update: Update, context: Any) -> int:
        text = update.message.text.strip()
        missing = check_address(text, False)
        if missing:
            self.say(update, self.t(missing[0]))
            return ADDRESS
        context.user_data["address"] = {"text": text, "location": None}
        if not context.user_data.get("name"):
            self.say(update, self.t("order.ask_name"))
            return NAME
        self.say(update, self.t("order.ask_phone"))
        return PHONE

    async def name(self, update: Update, context: Any) -> int:
        context.user_data["name"] = update.message.text.strip()[:60]
        self.say(update, self.t("order.ask_phone"))
        return PHONE

    async def phone(self, update: Update, context: Any) -> int:
        phone = normalize_phone(update.message.text)
        if phone is None:
            self.say(update, self.t("order.ask_phone"))
            return PHONE
        data = context.user_data
        data["phone"] = phone
        items = "\n".join(f"{i}. {describe(Item.from_dict(e))}"
                          for i, e in enumerate(data["items"], 1))
        self.say(update, self.t("order.summary", market_name=data["market_name"],
                                items_text=items, address_text=data["address"]["text"],
                                contact_text=f"{data['name']} · {display_phone(phone)}"))
        return CONFIRM

    async def confirm(self, update: Update, context: Any) -> int:
        data = context.user_data
        if update.message.text.strip().lower() != "ya":
            self.say(update, self.t("order.cancelled"))
            return ConversationHandler.END
        market = self.markets.get(data["market"])
        assert market is not None
        day = time.strftime("%m%d")
        counters = context.bot_data.setdefault("sequences", {})
        number = counters[f"{market.code}-{day}"] = counters.get(f"{market.code}-{day}", 0) + 1
        code = f"{market.code}-{day}-{number:03d}"
        context.bot_data.setdefault("orders", {})[code] = {
            "code": code, "market": market.id, "status": "new", "items": data["items"],
            "address": data["address"], "resident": {"name": data["name"],
                                                     "phone": data["phone"]},
            "user": update.effective_user.id, "created_at": time.time(),
        }
        self.say(update, self.t("order.placed", code=code, market_name=market.name))
        return ConversationHandler.END


def updates(app: App, bot: Any, residents: int, concurrent: int) -> list[Update]:
    """Every message, resident after resident within a batch, as PTB receives them."""
    out: list[Update] = []
    now = int(time.time())
    for first in range(0, residents, concurrent):
        batch = range(first, min(residents, first + concurrent))
        talks = {n: conversation(app, n) for n in batch}
        for step in range(MESSAGES_PER_ORDER):
            for n in batch:
                i = len(out) + 1
                who = {"id": 10_000 + n, "is_bot": False, "first_name": f"Warga {n}"}
                out.append(Update.de_json({"update_id": i, "message": {
                    "message_id": i, "date": now, "text": talks[n][step], "from": who,
                    "chat": {"id": 10_000 + n, "type": "private"}}}, bot))
    return out


async def run_ptb(app: App, folder: Path, residents: int, concurrent: int,
                  write_every_update: bool) -> tuple[Result, float]:
    """The measured updates, and the seconds of one periodic persistence pass after them."""
    persistence = PicklePersistence(folder / "ptb.pickle", update_interval=60)
    application = (Application.builder().token("123:abc").updater(None)
                   .request(LocalRequest()).get_updates_request(LocalRequest())
                   .persistence(persistence).build())
    order_bot = OrderBot(app)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)  # per_message advice
        application.add_handler(order_bot.handler())
    await application.initialize()
    feed = updates(app, application.bot, residents, concurrent)
    latencies = []
    cpu, wall = time.process_time(), time.perf_counter()
    for update in feed:
        start = time.perf_counter()
        await application.process_update(update)
        if write_every_update:
            await application.update_persistence()
        latencies.append(time.perf_counter() - start)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    start = time.perf_counter()
    await application.update_persistence()  # what the 60 s job does, once
    persist = time.perf_counter() - start
    await application.shutdown()
    placed = sum(1 for _, text in order_bot.replies if "diterima" in text)
    assert placed == residents, f"PTB placed {placed} of {residents} orders"
    return Result(len(feed), wall, cpu, latencies), persist


def line(label: str, r: Result) -> str:
    return (f"  {label:<52} {r.per_second:>8,.0f} msg/s   p50 {r.percentile(0.5) * 1e3:6.2f} ms"
            f"   p99 {r.percentile(0.99) * 1e3:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=200, help="orders")
    parser.add_argument("--concurrent", type=int, default=100, help="residents at once")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # not one warning per order placed
    cfg = config()
    app = App(cfg, store=MemoryStore())
    session, order = sample_records(cfg)
    n = args.residents * MESSAGES_PER_ORDER
    print(f"{args.residents} residents x {MESSAGES_PER_ORDER} messages = {n:,} messages each; "
          f"{args.concurrent} residents at a time")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ptb, persist = asyncio.run(run_ptb(app, root, args.residents, args.concurrent, False))
        (root / "ptb.pickle").unlink()
        few = max(1, args.residents // 4)  # slow (and slower as the pickle grows): fewer
        ptb_each, _ = asyncio.run(run_ptb(app, root, few, min(few, args.concurrent), True))
        archives = Archives(root, order)
        ours = run_case("tinydb", root / "ours", archives, 100, 10, args.residents,
                        args.concurrent, session)
        mem = run_case("memory", root / "mem", archives, 100, 10, args.residents,
                       args.concurrent, session)
    with_pass = Result(ptb.messages, ptb.seconds + persist, ptb.cpu, ptb.latencies)
    print(line("PTB ConversationHandler, handling only", ptb))
    print(line("PTB + one PicklePersistence pass (the 60 s job)", with_pass)
          + f"   (the pass: {persist * 1e3:.0f} ms)")
    print(line("PTB, pickle written after every update (no fsync)", ptb_each)
          + f"   ({ptb_each.messages} updates only)")
    print(line(f"ours, durable TinyDB store, {args.concurrent} at once", ours))
    print(line(f"ours, memory store, {args.concurrent} at once", mem))
    print("ours durable / PTB, messages per second:")
    print(f"  vs PTB handling only:          x{ours.per_second / ptb.per_second:.3f}")
    print(f"  vs PTB + one persistence pass: x{ours.per_second / with_pass.per_second:.3f}")
    print(f"  vs PTB pickling every update:  x{ours.per_second / ptb_each.per_second:.2f}")
    print(f"ours memory / PTB handling only: x{mem.per_second / ptb.per_second:.3f}")
    print(f"CPU per message: PTB {ptb.cpu / ptb.messages * 1e6:.0f} us, ours memory "
          f"{mem.cpu / mem.messages * 1e6:.0f} us, ours durable "
          f"{ours.cpu / ours.messages * 1e6:.0f} us (PTB handles one update at a time; ours "
          f"had {args.concurrent} residents at once)")


if __name__ == "__main__":
    main()
