"""An order as people read it, in a given language: item lines with prices, the card a
coordinator sees, the line of a list. Money is formatted by Babel (``Rp15.000``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.engine.inputs.phone import display_phone
from bot.i18n import I18n, long_date
from bot.ordering.domain.markets import Markets
from bot.ordering.domain.orders import money, status_label
from bot.ordering.understanding.items import Item, describe
from bot.storage.base import Record


def item_text(entry: dict[str, Any]) -> str:
    try:
        return describe(Item.from_dict(entry))
    except (KeyError, TypeError, ValueError):
        return str(entry.get("name", "?"))


def item_lines(order: Record, lang: str, i18n: I18n) -> str:
    """``1. bawang merah 1/4 kg — Rp12.000`` per item, with what the coordinator found."""
    lines = []
    for number, entry in enumerate(order.get("items") or [], 1):
        line = f"{number}. {item_text(entry)}"
        if entry.get("unavailable"):
            line += " — " + i18n.t(lang, "coord.item_unavailable")
        elif entry.get("price") is not None:
            price = money(entry["price"], lang, i18n)
            if entry.get("substitute"):
                line += " → " + i18n.t(lang, "coord.item_substitute",
                                       name=entry["substitute"], price=price)
            else:
                line += f" — {price}"
        lines.append(line)
    if order.get("note"):
        lines.append(f"📝 {order['note']}")  # the resident's remark for the coordinator
    return "\n".join(lines)


def market_name(markets: Markets, market_id: str) -> str:
    market = markets.get(market_id)
    return market.name if market else market_id


def contact(order: Record) -> str:
    resident = order.get("resident") or {}
    phone = resident.get("phone")
    return " · ".join(p for p in (resident.get("name") or "",
                                  display_phone(phone) if phone else "") if p)


def address(order: Record, lang: str | None = None, i18n: I18n | None = None) -> str:
    """The resident's address and pin; with a language, a warning when it is outside Kota
    Bekasi (the coordinator decides whether the market delivers there)."""
    place = order.get("address") or {}
    pin = place.get("location")
    where = f" 📍 {pin['latitude']:.5f}, {pin['longitude']:.5f}" if pin else ""
    text = f"{place.get('text', '')}{where}".strip()
    if place.get("outside") and i18n is not None:
        text += "\n" + i18n.t(lang, "order.address_outside", place=place["outside"])
    return text


def total(order: Record, lang: str, i18n: I18n) -> str:
    if order.get("total") is None:
        return i18n.t(lang, "coord.total_unknown")
    return money(order["total"], lang, i18n)


def scheduled(order: Record, lang: str, i18n: I18n) -> str:
    """When a market will shop an order taken while it was closed; empty if at once."""
    when = order.get("scheduled_for")
    if not when:
        return ""
    moment = datetime.fromisoformat(when)
    day = long_date(moment, i18n.locale(lang))
    return i18n.t(lang, "hours.for_opening", day=day, time=moment.strftime("%H.%M"))


def card(order: Record, markets: Markets, lang: str, i18n: I18n,
         name_of: Callable[[str], str]) -> str:
    """Everything about an order on one screen (for coordinators and the resident)."""
    lines = [
        i18n.t(lang, "coord.card_head", code=order["code"],
               market=market_name(markets, order.get("market", "")),
               status=status_label(i18n, lang, order.get("status", ""))),
        f"👤 {contact(order)}",
        f"📍 {address(order, lang, i18n)}",
        "🧺 " + i18n.t(lang, "coord.card_items"),
        item_lines(order, lang, i18n),
        "💰 " + i18n.t(lang, "coord.card_total", total=total(order, lang, i18n)),
    ]
    if order.get("scheduled_for"):
        lines.append("🕔 " + scheduled(order, lang, i18n))
    if order.get("coordinator"):
        lines.append("🧑‍🌾 " + i18n.t(lang, "coord.card_coordinator",
                                      name=name_of(order["coordinator"])))
    courier = order.get("courier")
    if courier:
        lines.append("🛵 " + i18n.t(lang, "coord.card_courier", name=courier.get("name", ""),
                                    phone=display_phone(courier.get("phone", ""))))
    exchange = order.get("exchange")
    if exchange:
        lines.append("🔁 " + i18n.t(lang, "coord.card_exchange", items=exchange_items(order),
                                    note=exchange.get("note") or "-"))
    if order.get("cancel_reason"):
        lines.append("❌ " + order["cancel_reason"])
    return "\n".join(lines)


def exchange_items(order: Record) -> str:
    items = order.get("items") or []
    wanted = (order.get("exchange") or {}).get("items") or []
    return ", ".join(f"{i}. {item_text(items[i - 1])}" for i in wanted if 0 < i <= len(items))


def resident_line(order: Record, markets: Markets, lang: str, i18n: I18n) -> str:
    """One of a resident's own orders: code, market, status, day."""
    return i18n.t(lang, "order.status_line", code=order["code"],
                  market=market_name(markets, order.get("market", "")),
                  status=status_label(i18n, lang, order.get("status", "")),
                  date=str(order.get("created_at", ""))[:10])


def list_line(order: Record, markets: Markets, lang: str, i18n: I18n) -> str:
    resident = (order.get("resident") or {}).get("name") or "-"
    return i18n.t(lang, "coord.list_line", code=order["code"], name=resident,
                  count=len(order.get("items") or []),
                  status=status_label(i18n, lang, order.get("status", "")),
                  market=market_name(markets, order.get("market", "")))
