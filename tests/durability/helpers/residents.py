"""Simulated residents for the durability tests: who orders what, and how they chat.

A resident's order is a pure function of its user id (`plan`), so a test can check a
stored order against what that resident typed without being told. `STEPS` is the whole
conversation, one message per step, and `expect` says what the bot must answer to each
step, so replies answered out of order (or to someone else) are caught.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass
from typing import Any

from bot.app import App
from bot.engine.inputs.phone import normalize_phone
from bot.messages import Incoming, Menu, Reply, user_key
from bot.ordering.understanding.items import parse_items

CHANNEL = "console"
CODE = re.compile(r"\b([A-Z]{3}-\d{4}-\d{3,})\b")

ITEM_LINES = [
    "bawang merah 1/4 kg",
    "bawang putih 1 ons",
    "cabe rawit 5rb",
    "telur 1 kg",
    "ayam 1 ekor potong 12",
    "tomat 1/2 kg",
    "kangkung 2 ikat",
    "tahu 10 biji",
    "tempe 2 papan",
    "minyak goreng 1 liter",
    "beras 5 kg",
    "ikan kembung 1 kg",
    "pisang 1 sisir",
    "wortel setengah kilo",
]
STREETS = ["Melati", "Kenanga", "Mawar", "Cempaka", "Anggrek", "Dahlia", "Flamboyan"]
AREAS = ["Jatibening", "Kranji", "Margahayu", "Jatiasih", "Bintara", "Pekayon"]
NAMES = ["Bu Ani", "Pak Budi", "Bu Siti", "Mas Joko", "Mbak Rina", "Pak Hasan", "Bu Wati"]

# What the resident types at each step; `Plan` fields fill the placeholders.
STEPS = ("halo", "1", "{market_text}", "{items_text}", "selesai", "{address}", "{name}",
         "{phone}", "ya")
LAST = len(STEPS) - 1


@dataclass(frozen=True)
class Plan:
    user: str
    market: str  # market id
    market_name: str
    market_code: str
    market_text: str  # what the resident types to pick it (its name or its number)
    items_text: str
    address: str
    name: str
    phone: str

    @property
    def key(self) -> str:
        return user_key(CHANNEL, self.user)

    def message(self, step: int) -> str:
        return STEPS[step].format(**self.__dict__)


def plan(app: App, user: str) -> Plan:
    """The order of resident ``user``: always the same for the same id."""
    rng = random.Random(user)
    markets = list(app.markets.open)
    number = rng.randrange(len(markets))
    market = markets[number]
    market_text = str(number + 1) if rng.random() < 0.3 else market.name
    items = rng.sample(ITEM_LINES, rng.randint(1, 4))
    house = rng.randint(1, 199)
    address = (
        f"Jl. {rng.choice(STREETS)} No. {house}, RT {rng.randint(1, 15):02d}/RW "
        f"{rng.randint(1, 12):02d}, {rng.choice(AREAS)}, dekat masjid Al-Ikhlas"
    )
    phone = f"0812-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
    return Plan(
        user=user,
        market=market.id,
        market_name=market.name,
        market_code=market.code,
        market_text=market_text,
        items_text=", ".join(items),
        address=address,
        name=f"{rng.choice(NAMES)} {user}",
        phone=phone,
    )


def incoming(p: Plan, step: int, message_id: str | None = None) -> Incoming:
    return Incoming(channel=CHANNEL, user=p.user, text=p.message(step), message_id=message_id)


def _prefix(app: App, message_id: str) -> str:
    """The fixed start of a message: its first line, up to its first placeholder."""
    template = app.i18n.catalogs["id"].messages[message_id]
    return template.split("\n")[0].split("{")[0].strip()


def expect(app: App, p: Plan, step: int, replies: list[Reply]) -> str | None:
    """Why ``replies`` are not the answer to step ``step`` of ``p`` (None: they are)."""
    if not replies:
        return "no reply"
    wrong = [r.to for r in replies if r.to != p.key]
    if wrong:
        return f"replies addressed to {wrong}"
    text = "\n".join(r.text for r in replies)
    menus = [r for r in replies if isinstance(r, Menu)]
    options = [o.id for o in menus[-1].options] if menus else []
    wanted: list[str] = []
    if step == 0:
        wanted = [_prefix(app, "main.menu")]
        if options != ["order", "status", "help"]:
            return f"options {options}"
    elif step == 1:
        wanted = [_prefix(app, "order.ask_market")]
        if options != [m.id for m in app.markets.open]:
            return f"options {options}"
    elif step == 2:
        wanted = [_prefix(app, "order.ask_items"), p.market_name]
    elif step == 3:
        names = [line.split()[0] for line in p.items_text.split(", ")]
        wanted = [f"({len(expected_items(p))}):", *names]
    elif step == 4:
        wanted = [_prefix(app, "order.ask_address")]
    elif step == 5:
        wanted = [_prefix(app, "order.ask_name")]
    elif step == 6:
        wanted = [_prefix(app, "order.ask_phone")]
    elif step == 7:
        wanted = [_prefix(app, "order.summary"), p.market_name, p.address, p.name]
    elif step == LAST:
        code = order_code(replies)
        if code is None or not code.startswith(f"{p.market_code}-"):
            return f"no order code of {p.market_code} in the confirmation"
    missing = [w for w in wanted if w not in text]
    return f"missing {missing}" if missing else None


def order_code(replies: list[Reply]) -> str | None:
    for reply in replies:
        found = CODE.search(reply.text)
        if found:
            return found.group(1)
    return None


def expected_items(p: Plan) -> list[dict[str, Any]]:
    return [dict(entry) for entry in _items_of(p.items_text)]


@functools.cache
def _items_of(text: str) -> tuple[dict[str, Any], ...]:
    """Parsed once per text: the crash test checks each order after every later kill."""
    return tuple(item.to_dict() for item in parse_items(text))


def _parsed(entry: Any, fields: Any) -> Any:
    return {k: entry.get(k) for k in fields} if isinstance(entry, dict) else entry


def order_problems(order: dict[str, Any] | None, p: Plan) -> list[str]:
    """What in a stored order differs from what resident ``p`` ordered."""
    if order is None:
        return ["missing"]
    want = {
        "market": p.market,
        "status": "new",
        "user": p.key,
        "items": expected_items(p),
        "address.text": p.address,
        "resident.name": p.name,
        "resident.phone": normalize_phone(p.phone),
    }
    if isinstance(order.get("items"), list):  # what the parser gave, less any suggestion
        fields = want["items"][0].keys()
        order = {**order, "items": [_parsed(e, fields) for e in order["items"]]}
    found = []
    for dotted, value in want.items():
        got: Any = order
        for part in dotted.split("."):
            got = got.get(part) if isinstance(got, dict) else None
        if got != value:
            found.append(f"{dotted}: {got!r} != {value!r}")
    return found


def resume_step(session: dict[str, Any] | None) -> int | None:
    """Where a resident picks up a conversation the bot kept (None: nothing to resume)."""
    if not session or session.get("state") is None:
        return None  # never started, or the order was placed (the flow ended)
    where = f"{session.get('flow')}.{session['state']}"
    if where == "order.items":
        return 4 if (session.get("slots") or {}).get("items") else 3
    steps = {
        "main.menu": 1,
        "order.market": 2,
        "order.address": 5,
        "order.name": 6,
        "order.phone": 7,
        "order.confirm": 8,
    }
    return steps.get(where)
