"""The resident's side: the names flows/order.yaml and flows/main.yaml use.

Registered with the engine by `register`: the option source of open markets (with the
market matcher), the `items` and `address` input kinds, the conditions that skip asking
what the channel already told us, and the actions that summarise and place an order.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.engine.context import ActionFailed, Context
from bot.engine.inputs.address import AddressKind
from bot.engine.inputs.listing import ListKind, ListUpdate
from bot.engine.inputs.phone import display_phone
from bot.engine.matching import ChoiceMatch
from bot.engine.registry import Registry
from bot.messages import Option
from bot.ordering.chat import hours
from bot.ordering.chat.changes import orders
from bot.ordering.domain.markets import Markets
from bot.ordering.domain.order import Order
from bot.ordering.domain.orders import (
    LIVE_STATUSES,
    money,
    new_order,
    now_local,
    order_code,
)
from bot.ordering.domain.repository import Orders
from bot.ordering.domain.roles import Roles
from bot.ordering.understanding.address import address_reader, place_line
from bot.ordering.understanding.catalog import Catalog
from bot.ordering.understanding.items import Item, Reading, describe, read_list
from bot.ordering.understanding.list_edits import find_lines, read_edit
from bot.ordering.understanding.market_match import match_market
from bot.ordering.understanding.person import ResidentNameKind
from bot.ordering.understanding.vocabulary import VOCABULARY
from bot.ordering.understanding.wilayah import Wilayah
from bot.storage.base import DuplicateOrder, StoreError

log = logging.getLogger(__name__)


@dataclass
class Ordering:
    """What the ordering app's names need, handed to the engine as its services."""

    markets: Markets
    catalog: Catalog | None
    admins: frozenset[str] = frozenset()  # config `admins`: the market office
    bot_username: str = ""  # config telegram.bot_username, for referral links
    wa_number: str = ""  # config whatsapp.display_number, for referral links
    # a user the bot may not write to now by their messenger's rule (WhatsApp's 24-hour
    # window), as the App asks its adapters; never, where nobody says so
    away: Callable[[str], bool] = lambda user: False
    unstaffed_warned: set[str] = field(default_factory=set)  # markets already logged
    complaint_days: int = 3  # config complaints.days: a problem reported after payment
    wilayah: Wilayah | None = None  # data/wilayah.yaml, for reading addresses
    orders: Orders | None = None  # the app's orders (typed), over the store's repository
    # the whole config, for the modules that read a section of their own (reminders,
    # announcements)
    config: dict[str, Any] = field(default_factory=dict)
    office_url: str = ""  # server.public_url, for `masuk` sign-in links ("": office off)
    office_link_minutes: float = 10.0  # config office.link_minutes

    @property
    def roles(self) -> Roles:
        return Roles(self.markets, self.admins)


def _ordering(ctx: Context) -> Ordering:
    return ctx.services


def _items(ctx: Context) -> list[Item]:
    return [Item.from_dict(entry) for entry in ctx.slots.get("items") or []]


def _name(ctx: Context) -> str:
    return ctx.slots.get("name") or ctx.session.profile.get("name") or ""


def _phone(ctx: Context) -> str | None:
    return ctx.slots.get("phone") or ctx.session.profile.get("phone")


def parse_entries(ctx: Context, text: str) -> list[dict[str, Any]]:
    """Items of a message; an unclear name carries the catalog's suggestion."""
    return entries_of(read_list(text, _ordering(ctx).catalog))


def entries_of(reading: Reading) -> list[dict[str, Any]]:
    entries = []
    for index, item in enumerate(reading.items):
        entry = item.to_dict()
        if index in reading.suggestions:
            entry["suggestion"] = reading.suggestions[index]
        entries.append(entry)
    return entries


YES_WORDS = VOCABULARY.words("yes_words")
NO_WORDS = VOCABULARY.words("no_words")


def _answer_suggestions(text: str, entries: list[dict[str, Any]]) -> ListUpdate | None:
    """ "iya" / "betul" takes the names asked about ("maksud Anda ...?"), "bukan" keeps them."""
    said = " ".join(text.lower().replace("!", " ").replace(".", " ").split())
    if not any(e.get("suggestion") for e in entries):
        return None
    if said in YES_WORDS:
        taken = [{**{k: v for k, v in e.items() if k != "suggestion"}, "name": e["suggestion"]}
                 if e.get("suggestion") else e for e in entries]  # fmt: skip
        names = ", ".join(e["suggestion"] for e in entries if e.get("suggestion"))
        return ListUpdate(entries=taken, say="order.suggestion_taken", params={"names": names})
    if said in NO_WORDS:
        kept = [{k: v for k, v in e.items() if k != "suggestion"} for e in entries]
        return ListUpdate(entries=kept, say="order.suggestion_dropped")
    return None


def read_list_message(ctx: Context, text: str, entries: list[dict[str, Any]]) -> ListUpdate:
    """What one message at the list step does: answer a suggestion, edit, or add items.

    A remark for the coordinator goes on the line it names or on the order (slot
    ``order_note``); a phone number or an address is not filed as an item: the resident is
    told it will be asked for later.
    """
    catalog = _ordering(ctx).catalog
    answered = _answer_suggestions(text, entries)
    if answered is not None:
        return answered
    edit = read_edit(text, entries, catalog)
    if edit is not None:
        return edit
    reading = read_list(text, catalog)
    after = [*entries, *entries_of(reading)]
    remarks = []
    for remark, about in reading.notes:
        lines = find_lines(after, about) if about else []
        if len(lines) == 1:
            line = after[lines[0]]
            note = "; ".join(x for x in (line.get("note"), remark) if x)
            after[lines[0]] = {**line, "note": note}
        else:
            ctx.slots["order_note"] = "; ".join(
                x for x in (ctx.slots.get("order_note"), remark) if x)[:500]
        remarks.append(remark)
    for kind, _ in reading.asides[:1]:
        ctx.say("order.list_aside_phone" if kind == "phone" else "order.list_aside_address")
    changed = after != entries
    if remarks:
        return ListUpdate(entries=after, done=reading.done, say="order.list_note_kept",
                          params={"note": "; ".join(remarks)})  # fmt: skip
    if reading.asides and not changed:
        return ListUpdate(entries=None, done=reading.done, say="order.list_aside_later")
    return ListUpdate(entries=after if changed else None, done=reading.done)


def describe_entry(ctx: Context, entry: dict[str, Any]) -> str:
    text = describe(Item.from_dict(entry))
    if entry.get("suggestion"):
        text += " " + ctx.t("order.did_you_mean", name=entry["suggestion"])
    return text


def open_markets(ctx: Context) -> list[Option]:
    return [market.option() for market in _ordering(ctx).markets.open]


def market_matcher(ctx: Context, text: str, options: Any) -> ChoiceMatch:
    return match_market(text, _ordering(ctx).markets)


def describe_markets(ctx: Context) -> None:
    """The markets not taken orders for; one without coordinators says so."""
    ctx.view["coming_markets"] = ", ".join(
        ctx.t("order.market_no_coordinator", market=m.name) if m.unstaffed else m.name
        for m in _ordering(ctx).markets.coming)


def note_market(ctx: Context) -> None:
    market = _ordering(ctx).markets.get(ctx.slots.get("market", ""))
    ctx.view["market_name"] = market.name if market else ""


def estimate_text(ctx: Context) -> tuple[str, int | None]:
    catalog = _ordering(ctx).catalog
    items = _items(ctx)
    if catalog is None:
        return ctx.t("order.estimate_unknown"), None
    total, unknown = catalog.estimate_total(items)
    i18n = ctx.engine.i18n
    if unknown == len(items) or total == 0:
        return ctx.t("order.estimate_unknown"), None
    shown = money(total, ctx.lang, i18n)
    if unknown:
        known = len(items) - unknown
        return ctx.t("order.estimate_partial", total=shown, known=known, unknown=unknown), total
    return ctx.t("order.estimate", total=shown), total


def _items_text(ctx: Context) -> str:
    lines = [f"{i}. {describe(item)}" for i, item in enumerate(_items(ctx), 1)]
    if ctx.slots.get("order_note"):
        lines.append(ctx.t("order.note_line", note=ctx.slots["order_note"]))
    return "\n".join(lines)


def build_summary(ctx: Context) -> None:
    market = _ordering(ctx).markets.get(ctx.slots.get("market", ""))
    address = ctx.slots.get("address") or {}
    pin = address.get("location")
    phone = _phone(ctx)
    where = f" 📍 {pin['latitude']:.5f}, {pin['longitude']:.5f}" if pin else ""
    ctx.view.update(
        market_name=market.name if market else "",
        items_text=_items_text(ctx),
        address_text=f"{address.get('text', '')}{where}".strip() + place_line(ctx, address),
        contact_text=" · ".join(
            part for part in (_name(ctx), display_phone(phone) if phone else "") if part
        ),
        estimate_text=estimate_text(ctx)[0],
    )


def prepare_order(ctx: Context) -> None:
    """A fresh id for the order about to be confirmed (stored with the session)."""
    ctx.slots["request_id"] = uuid.uuid4().hex


def already_placed(ctx: Context) -> Order | None:
    """The order this confirmation already placed, if a crash lost the session's step.

    The order is written before the session in a write round; a crash in between leaves
    the resident at the summary, and a second "ya" must find the first order.
    """
    request = ctx.slots.get("request_id")
    if not request:
        return None
    mine = orders(ctx).query(user=ctx.key, status=LIVE_STATUSES)
    return next((o for o in mine if o.request_id == request), None)


def place_order(ctx: Context) -> None:
    """Store the order; the engine flushes it to disk before the confirmation goes out."""
    ordering = _ordering(ctx)
    market = ordering.markets.get(ctx.slots.get("market", ""))
    items = ctx.slots.get("items") or []
    if market is None or not market.is_open or not items or not ctx.slots.get("address"):
        raise ActionFailed("order.place_failed")
    moment = now_local(ctx.now, ordering.markets.timezone)
    placed = already_placed(ctx)
    if placed is not None:
        log.info("order %s was placed before a restart; not placing it twice", placed.code)
        ctx.slots["code"] = placed.code
        ctx.view["market_name"] = market.name
        return
    _, estimate = estimate_text(ctx)
    for _ in range(5):
        code = order_code(orders(ctx), market, moment)
        order = new_order(
            code=code,
            market=market,
            user=ctx.key,
            items=items,
            address=ctx.slots["address"],
            name=_name(ctx),
            phone=_phone(ctx),
            referral=ctx.session.referral,
            estimate=estimate,
            moment=moment,
            note=ctx.slots.get("order_note") or "",  # the resident's remark for the coordinator
            request_id=ctx.slots.get("request_id"),
        )
        order = hours.schedule(order, market, moment)
        try:
            stored = orders(ctx).create(order)
            break
        except DuplicateOrder:
            continue
        except StoreError:
            log.exception("could not store an order")
            raise ActionFailed("order.place_failed") from None
    else:
        raise ActionFailed("order.place_failed")
    ctx.slots["code"] = code
    ctx.view["market_name"] = market.name
    hours.after_placed(ctx, stored, market, moment)
    # remember who the resident is for the next order
    if _name(ctx):
        ctx.session.profile["name"] = _name(ctx)
    if _phone(ctx):
        ctx.session.profile["phone"] = _phone(ctx)


def register(registry: Registry) -> None:
    registry.options("open_markets", matcher=market_matcher)(open_markets)
    registry.kind(ListKind("items", read_list_message, describe_entry))
    registry.kind(AddressKind(address_reader))
    registry.kind(ResidentNameKind())
    registry.condition("name_unknown")(lambda ctx: not _name(ctx))
    registry.condition("phone_unknown")(lambda ctx: not _phone(ctx))
    registry.action("describe_markets")(describe_markets)
    registry.action("note_market")(note_market)
    registry.action("build_summary")(build_summary)
    registry.action("prepare_order")(prepare_order)
    registry.action("place_order")(place_order)
