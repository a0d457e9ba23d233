"""New orders: how a resident's confirmed answers become an `Order`, and its code; the
words for a status and for money."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.i18n import I18n, rupiah
from bot.messages import split_key
from bot.ordering.domain.codes import format_code, sequence_name
from bot.ordering.domain.markets import Market
from bot.ordering.domain.order import HistoryEntry, Order, OrderItem, Resident
from bot.ordering.domain.repository import Orders
from bot.ordering.domain.statuses import STATUSES
from bot.ordering.understanding.address import Address

MAX_CODE_TRIES = 5


def now_local(clock_value: float, market_tz: Any) -> datetime:
    return datetime.fromtimestamp(clock_value, market_tz)


def order_code(orders: Orders, market: Market, moment: datetime) -> str:
    """``KRB-0427-013``: market code, month and day, the day's number at that market
    (see `codes`: more digits from the 1,000th order of a day)."""
    day = moment.strftime("%m%d")
    return format_code(market.code, day, orders.next_sequence(sequence_name(market.code, day)))


def new_order(
    *,
    code: str,
    market: Market,
    user: str,
    items: list[dict[str, Any]],
    address: dict[str, Any] | Address,
    name: str,
    phone: str | None,
    referral: str | None,
    estimate: int | None,
    moment: datetime,
    note: str = "",
    request_id: str | None = None,
) -> Order:
    channel, _ = split_key(user)
    created = moment.isoformat(timespec="seconds")
    return Order(
        code=code,
        market=market.id,
        status="new",
        user=user,
        items=tuple(OrderItem.from_record(i) for i in items),
        address=address if isinstance(address, Address) else Address.from_dict(address),
        resident=Resident(name=name, phone=phone),
        channel=channel,
        referral=referral,
        estimate=estimate,
        note=note,
        request_id=request_id,
        created_at=created,
        updated_at=created,
        history=(HistoryEntry(at=created, by=user, from_=None, to="new"),),
    )


# the words for each status (the message ids are in `statuses.STATUS_TABLE`)
STATUS_MESSAGES = {s.name: s.message_id for s in STATUSES}
# statuses of an order still being worked on (finished ones may sit in the archive)
LIVE_STATUSES = frozenset(STATUSES.live)


def status_label(i18n: I18n, lang: str, status: str) -> str:
    found = STATUSES.get(status)
    return i18n.t(lang, found.message_id) if found else status


def money(amount: int | None, lang: str, i18n: I18n) -> str:
    return rupiah(amount or 0, i18n.locale(lang))
