"""Order records: how a resident's confirmed answers become a stored order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.i18n import I18n, rupiah
from bot.messages import split_key
from bot.ordering.domain.codes import format_code, sequence_name
from bot.ordering.domain.lifecycle import STATUSES
from bot.ordering.domain.markets import Market
from bot.storage.base import FINISHED_STATUSES, Record, Store

MAX_CODE_TRIES = 5


def now_local(clock_value: float, market_tz: Any) -> datetime:
    return datetime.fromtimestamp(clock_value, market_tz)


def order_code(store: Store, market: Market, moment: datetime) -> str:
    """``KRB-0427-013``: market code, month and day, the day's number at that market
    (see `codes`: more digits from the 1,000th order of a day)."""
    day = moment.strftime("%m%d")
    return format_code(market.code, day, store.next_sequence(sequence_name(market.code, day)))


def new_order(
    *,
    code: str,
    market: Market,
    user: str,
    items: list[dict[str, Any]],
    address: dict[str, Any],
    name: str,
    phone: str | None,
    referral: str | None,
    estimate: int | None,
    moment: datetime,
) -> Record:
    channel, _ = split_key(user)
    created = moment.isoformat(timespec="seconds")
    return {
        "code": code,
        "market": market.id,
        "status": "new",
        "items": items,
        "address": address,
        "resident": {"name": name, "phone": phone},
        "user": user,
        "channel": channel,
        "referral": referral,
        "estimate": estimate,
        "created_at": created,
        "updated_at": created,
        "history": [{"at": created, "by": user, "from": None, "to": "new"}],
    }


# the words for each status of `lifecycle.STATUSES` (ids written out for the extractor)
STATUS_MESSAGES = {
    "new": "status.new",
    "claimed": "status.claimed",
    "shopping": "status.shopping",
    "on_the_way": "status.on_the_way",
    "delivered": "status.delivered",
    "paid": "status.paid",
    "cancelled": "status.cancelled",
    "exchange_requested": "status.exchange_requested",
    "exchange_done": "status.exchange_done",
}


# statuses of an order still being worked on (finished ones may sit in the archive)
LIVE_STATUSES = frozenset(STATUSES) - FINISHED_STATUSES


def status_label(i18n: I18n, lang: str, status: str) -> str:
    message_id = STATUS_MESSAGES.get(status)
    return i18n.t(lang, message_id) if message_id else status


def money(amount: int | None, lang: str, i18n: I18n) -> str:
    return rupiah(amount or 0, i18n.locale(lang))
