"""Orders of today for the office's pages: lived through the chat, or written in bulk.

`chat_day` has residents order by typing to the engine (console channel) and coordinators
move the orders on by typing their commands, as in tests/dialogues, at times spread over the
morning (the engine's clock is set for each message): every status of the day is on the
pages, with real timelines, prices and notifications. About 40 orders, a few seconds.

`bulk_day` writes ``count`` realistic orders of one day straight through the order
repository and the lifecycle (the same records and events the chat makes, without the
conversations), for the Today bench: 2,000 orders in a few seconds.
"""

from __future__ import annotations

import copy
import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import App
from bot.messages import Incoming, user_key
from bot.ordering.domain.codes import format_code, sequence_name
from bot.ordering.domain.lifecycle import change
from bot.ordering.domain.markets import Market
from bot.storage.base import Store

WIB = ZoneInfo("Asia/Jakarta")
ROOT = Path(__file__).resolve().parents[1]
_ids = itertools.count(1)

LISTS = [
    "bawang merah 1/4 kg, telur 1 kg, cabe rawit 5rb",
    "ayam 1 ekor potong 12, tomat 1/2 kg",
    "beras 5 kg, minyak goreng 1 liter, tahu 10 biji, tempe 2 papan",
    "kangkung 2 ikat, ikan kembung 1 kg",
    "daging sapi 1/2 kg, kentang 1 kg, wortel 1/2 kg, daun bawang 1 ikat",
    "udang 1/4 kg, cumi 1/4 kg, jeruk nipis 5rb",
]
NAMES = ["Bu Ani", "Pak Slamet", "Bu Rina", "Mbak Dewi", "Pak Agus", "Bu Siti", "Ibu Lestari",
         "Pak Bambang", "Bu Nur", "Mas Eko", "Bu Yanti", "Pak Rahmat"]
STREETS = [
    "Jl. Melati No. {n}, RT 03/RW 05, Jatibening, dekat masjid Al-Ikhlas",
    "Jl. Kenari Raya No. {n}, RT 01/RW 07, Jakasampurna",
    "Gg. Mawar No. {n}, RT 04/RW 02, Kranji, belakang SDN Kranji 3",
    "Perum Harapan Indah Blok C{n}, RT 06/RW 12, Harapan Jaya",
    "Jl. Nusantara No. {n}, RT 02/RW 09, Bintara Jaya",
]
REFERRALS = ["rw05-jatibening", "rw03-jakasampurna", "kel-kranji", None, None,
             "rw05-jatibening", None]
# how far each order goes, in chat (the plan repeats over the markets)
PLAN = ["new", "new", "claimed", "shopping", "on_the_way", "delivered", "paid", "paid",
        "paid", "cancelled"]


@dataclass
class Clock:
    """The engine's clock, moved by the fill."""

    now: float

    def __call__(self) -> float:
        return self.now


class Sink:
    """The console channel's adapter for a fill: what the bot sends other people
    (notifications to coordinators and residents) is taken and dropped."""

    name = "console"

    async def send(self, reply: Any) -> bool:
        return True


def _coordinators(app: App, market: str) -> list[str]:
    found = app.markets.get(market)
    return list(found.coordinators) if found is not None else []


async def _say(app: App, key: str, text: str, referral: str | None = None) -> list[Any]:
    channel, user = key.split(":", 1)
    return await app.engine.handle(Incoming(channel=channel, user=user, text=text,
                                            referral=referral, message_id=f"fill{next(_ids)}"))


async def chat_day(app: App, per_market: int = 10, markets: int = 4,
                   start: datetime | None = None, seed: int = 7) -> list[str]:
    """Residents order at ``markets`` open markets and coordinators move the orders on, by
    chat, from ``start`` (default: 06:00 WIB today) over the market morning, never past
    now; returns the order codes."""
    rng = random.Random(seed)
    now = datetime.now(WIB)
    start = start or now.replace(hour=6, minute=0, second=0, microsecond=0)
    if start > now - timedelta(hours=1):  # before six in the morning: the last hours
        start = now - timedelta(hours=3)
    end = min(now, start + timedelta(hours=5))
    clock = Clock(start.timestamp())
    app.engine.clock = clock
    app.adapters.setdefault("console", Sink())  # type: ignore[arg-type]
    chosen = [m for m in app.markets.open if _coordinators(app, m.id)][:markets]
    for market in chosen:  # coordinators who have chatted get the new orders
        for koord in _coordinators(app, market.id):
            await _say(app, koord, "halo")
    total = per_market * len(chosen)
    step = (end.timestamp() - start.timestamp()) * 0.6 / max(total, 1)
    codes: list[str] = []
    for n in range(total):
        market = chosen[n % len(chosen)]
        resident = f"console:warga-{n + 1:03d}"
        clock.now = start.timestamp() + n * step
        lines = ["halo", "1", market.name, LISTS[n % len(LISTS)], "selesai",
                 STREETS[n % len(STREETS)].format(n=n % 40 + 1), NAMES[n % len(NAMES)],
                 f"0812-{1000 + n:04d}-{rng.randrange(1000, 9999):04d}", "ya"]
        referral = REFERRALS[n % len(REFERRALS)]  # came by an RT/RW group's link, or not
        if n % 4 == 3:  # someone else starts too, and stops on the way (the funnel)
            leaver = f"console:tamu-{n + 1:03d}"
            for number, text in enumerate(lines[: 2 + n % 6]):
                await _say(app, leaver, text, referral if number == 0 else None)
        for number, text in enumerate(lines):
            await _say(app, resident, text, referral if number == 0 else None)
        (order,) = app.store.query_orders(user=user_key("console", resident.split(":")[1]))
        code = order["code"]
        codes.append(code)
        goal = PLAN[(n // len(chosen)) % len(PLAN)]
        koord = _coordinators(app, market.id)[(n // len(chosen)) % 2 % len(
            _coordinators(app, market.id))]
        await _move(app, clock, rng, resident, koord, code, order["items"], goal)
    return codes


async def _move(app: App, clock: Clock, rng: random.Random, resident: str, koord: str,
                code: str, items: list[dict[str, Any]], goal: str) -> None:
    """Move one order on by chat to ``goal``, on the clock; the clock is put back after,
    for the next resident."""
    began = clock.now

    def later(minutes: float) -> None:
        clock.now = min(clock.now + minutes * 60, datetime.now(WIB).timestamp())

    try:
        await _steps(app, rng, resident, koord, code, items, goal, later)
    finally:
        clock.now = began


async def _steps(app: App, rng: random.Random, resident: str, koord: str, code: str,
                 items: list[dict[str, Any]], goal: str, later: Any) -> None:
    """What the resident or the coordinator types to bring the order to ``goal``."""
    if goal == "new":
        return
    if goal == "cancelled":
        later(4)
        await _say(app, resident, f"batalkan {code}")
        await _say(app, resident, "ya")
        return
    later(rng.uniform(3, 20))
    await _say(app, koord, f"ambil {code}")
    if goal == "claimed":
        return
    later(rng.uniform(2, 10))
    await _say(app, koord, "mulai belanja")
    if goal == "shopping":
        return
    later(rng.uniform(15, 40))
    await _say(app, koord, "catat harga")
    for item in items:  # an item bought by amount ("cabe rawit 5rb") costs that amount
        await _say(app, koord, f"{item.get('budget') or rng.randrange(4, 60) * 1000}")
    later(rng.uniform(3, 10))
    await _say(app, koord, "kirim dengan kurir")
    await _say(app, koord, rng.choice(["Pak Joko", "Mas Bayu", "Bang Ucok"]))
    await _say(app, koord, f"0813 {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}")
    if goal == "on_the_way":
        return
    later(rng.uniform(15, 35))
    await _say(app, koord, "sudah diantar")
    if goal == "delivered":
        return
    later(rng.uniform(1, 5))
    await _say(app, koord, "terima pembayaran")
    await _say(app, koord, "pas")
    await _say(app, koord, "ya")


async def templates(app: App) -> list[dict[str, Any]]:
    """A few orders as the chat records them (parsed items and address, resident), placed
    by residents through the engine of ``app`` (use a throwaway app on a memory store)."""
    await chat_day(app, per_market=3, markets=2)
    return app.store.query_orders()


def bulk_day(store: Store, markets: list[Market], count: int, day: datetime,
             like: list[dict[str, Any]] | None = None, seed: int = 11,
             settled: bool = False) -> int:
    """Write ``count`` orders created on ``day`` (WIB) across ``markets`` (staffed ones),
    each moved through the lifecycle to a status drawn like a busy morning's; returns how
    many were written (``settled``: as a day gone by, paid or cancelled but a few). Items,
    address and resident are taken in turn from ``like`` (orders the chat made, see
    `templates`), else written plainly from the lists above."""
    rng = random.Random(seed)
    staffed = {m.id: m for m in markets if m.coordinators}
    ids = list(staffed)
    start = day.replace(hour=5, minute=30, second=0, microsecond=0)
    goals = (["new"] * 3 + ["claimed"] * 2 + ["shopping"] * 2 + ["on_the_way"] * 2
             + ["delivered"] * 2 + ["paid"] * 8 + ["cancelled"])
    if settled:  # a day gone by: paid or cancelled, a few still owing the cash
        goals = ["paid"] * 12 + ["cancelled"] + ["delivered"]
    for n in range(count):
        market = ids[n % len(ids)]
        name = sequence_name(staffed[market].code, f"{day:%m%d}")
        code = format_code(staffed[market].code, f"{day:%m%d}", store.next_sequence(name))
        created = start + timedelta(seconds=n * (8 * 3600 / count))
        stamp = created.isoformat(timespec="seconds")
        resident = f"whatsapp:62812{n:08d}"
        model = like[n % len(like)] if like else None
        items = copy.deepcopy(model["items"]) if model else [
            {"name": line, "quantity": None, "unit": None, "budget": None, "note": ""}
            for line in LISTS[n % len(LISTS)].split(", ")]
        store.create_order({
            "code": code, "market": market, "status": "new", "user": resident,
            "items": items,
            "address": copy.deepcopy(model["address"]) if model else {
                "text": STREETS[n % len(STREETS)].format(n=n % 40 + 1)},
            "resident": {"name": NAMES[n % len(NAMES)], "phone": f"+62812{n:08d}"},
            "channel": "whatsapp", "referral": REFERRALS[n % len(REFERRALS)],
            "estimate": model.get("estimate") if model else None,
            "created_at": stamp, "updated_at": stamp,
            "history": [{"at": stamp, "by": resident, "from": None, "to": "new"}],
        })
        goal = goals[rng.randrange(len(goals))]
        team = staffed[market].coordinators
        koord = team[n % len(team)]
        at = created
        if goal == "cancelled":
            change(store, code, "cancel_by_resident", resident, at + timedelta(minutes=4),
                   reason="")
            continue
        prices = [rng.randrange(4, 60) * 1000 for _ in items]
        plan: list[tuple[str, dict[str, Any]]] = [
            ("claim", {}), ("start_shopping", {}),
            ("record_prices", {"prices": [{"price": p} for p in prices]}),
            ("send_courier", {"courier": {"name": "Pak Joko", "phone": "+6281311112222"}}),
            ("deliver", {}), ("pay", {"cash": sum(prices)}),
        ]
        stops = {"new": 0, "claimed": 1, "shopping": 2, "on_the_way": 4, "delivered": 5,
                 "paid": 6}
        for event, data in plan[:stops[goal]]:
            at += timedelta(minutes=rng.uniform(3, 25))
            change(store, code, event, koord, at, **data)
    return count
