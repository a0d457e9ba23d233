"""An order as people read it, in a given language: item lines with prices, the card a
coordinator sees, the line of a list. Money is formatted by Babel (``Rp15.000``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.engine.inputs.phone import display_phone
from bot.i18n import I18n, long_date
from bot.ordering.domain.markets import Markets
from bot.ordering.domain.order import Order, OrderItem
from bot.ordering.domain.orders import money, status_label
from bot.ordering.understanding.items import describe


def item_text(entry: OrderItem) -> str:
    try:
        return describe(entry.item)
    except (KeyError, TypeError, ValueError):
        return entry.name or "?"


def item_lines(order: Order, lang: str, i18n: I18n) -> str:
    """``1. bawang merah 1/4 kg — Rp12.000`` per item, with what the coordinator found."""
    lines = []
    for number, entry in enumerate(order.items, 1):
        line = f"{number}. {item_text(entry)}"
        if entry.unavailable:
            line += " — " + i18n.t(lang, "coord.item_unavailable")
        elif entry.price is not None:
            price = money(entry.price, lang, i18n)
            if entry.substitute:
                line += " → " + i18n.t(lang, "coord.item_substitute",
                                       name=entry.substitute, price=price)
            else:
                line += f" — {price}"
        lines.append(line)
    if order.note:
        lines.append(f"📝 {order.note}")  # the resident's remark for the coordinator
    return "\n".join(lines)


def market_name(markets: Markets, market_id: str) -> str:
    market = markets.get(market_id)
    return market.name if market else market_id


def contact(order: Order) -> str:
    phone = order.resident.phone
    return " · ".join(p for p in (order.resident.name, display_phone(phone) if phone else "")
                      if p)


def address(order: Order, lang: str | None = None, i18n: I18n | None = None) -> str:
    """The resident's address and pin; with a language, a warning when it is outside Kota
    Bekasi (the coordinator decides whether the market delivers there)."""
    place = order.address
    pin = place.location
    where = f" 📍 {pin['latitude']:.5f}, {pin['longitude']:.5f}" if pin else ""
    text = f"{place.text}{where}".strip()
    if place.outside and i18n is not None:
        text += "\n" + i18n.t(lang, "order.address_outside", place=place.outside)
    return text


def total(order: Order, lang: str, i18n: I18n) -> str:
    if order.total is None:
        return i18n.t(lang, "coord.total_unknown")
    return money(order.total, lang, i18n)


def scheduled(order: Order, lang: str, i18n: I18n) -> str:
    """When a market will shop an order taken while it was closed; empty if at once."""
    if not order.scheduled_for:
        return ""
    moment = datetime.fromisoformat(order.scheduled_for)
    day = long_date(moment, i18n.locale(lang))
    return i18n.t(lang, "hours.for_opening", day=day, time=moment.strftime("%H.%M"))


def card(order: Order, markets: Markets, lang: str, i18n: I18n,
         name_of: Callable[[str], str]) -> str:
    """Everything about an order on one screen (for coordinators and the resident)."""
    lines = [
        i18n.t(lang, "coord.card_head", code=order.code,
               market=market_name(markets, order.market),
               status=status_label(i18n, lang, order.status)),
        f"👤 {contact(order)}",
        f"📍 {address(order, lang, i18n)}",
        "🧺 " + i18n.t(lang, "coord.card_items"),
        item_lines(order, lang, i18n),
        "💰 " + i18n.t(lang, "coord.card_total", total=total(order, lang, i18n)),
    ]
    if order.scheduled_for and order.status in WAITING_FOR_MARKET:  # only while it is true
        lines.append("🕔 " + scheduled(order, lang, i18n))
    lines += [mark + i18n.t(lang, message_id, amount=money(amount, lang, i18n), reason=reason)
              for mark, message_id, amount, reason in _money_lines(order) if amount]
    if order.coordinator:
        lines.append("🧑‍🌾 " + i18n.t(lang, "coord.card_coordinator",
                                      name=name_of(order.coordinator)))
    if order.courier:
        lines.append("🛵 " + i18n.t(lang, "coord.card_courier", name=order.courier.name,
                                    phone=display_phone(order.courier.phone)))
    if order.exchange:
        lines.append("🔁 " + i18n.t(lang, "coord.card_exchange", items=exchange_items(order),
                                    note=order.exchange.note or "-"))
    if order.cancel_reason:
        lines.append("❌ " + order.cancel_reason)
    return "\n".join(lines)


# an order taken while its market was closed is shopped at the opening: said while no one
# has started shopping for it, never after
WAITING_FOR_MARKET = ("new", "claimed")


def _money_lines(order: Order) -> list[tuple[str, str, int | None, str]]:
    """What the card says about money besides the total: owed, discounted, refunded."""
    payment, exchange = order.payment, order.exchange
    return [
        ("⚠️ ", "coord.card_outstanding", payment.outstanding, ""),
        ("🏷️ ", "coord.card_discount", payment.discount, payment.discount_reason or "-"),
        ("💸 ", "coord.card_refund", exchange.refund if exchange else None, ""),
    ]


def exchange_items(order: Order) -> str:
    items = order.items
    wanted = order.exchange.items if order.exchange else ()
    return ", ".join(f"{i}. {item_text(items[i - 1])}" for i in wanted if 0 < i <= len(items))


def resident_line(order: Order, markets: Markets, lang: str, i18n: I18n) -> str:
    """One of a resident's own orders: code, market, status, day."""
    return i18n.t(lang, "order.status_line", code=order.code,
                  market=market_name(markets, order.market),
                  status=status_label(i18n, lang, order.status),
                  date=order.created_at[:10])


def list_line(order: Order, markets: Markets, lang: str, i18n: I18n) -> str:
    return i18n.t(lang, "coord.list_line", code=order.code, name=order.resident.name or "-",
                  count=len(order.items), status=status_label(i18n, lang, order.status),
                  market=market_name(markets, order.market))
