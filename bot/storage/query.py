"""Order filtering shared by the storage backends (the filter of `Store.query_orders`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.storage.base import Record

UNDATED = "undated"
_MONTH = re.compile(r"\d{4}-\d{2}")


def order_matches(
    order: Record,
    *,
    market: str | None,
    statuses: frozenset[str] | None,
    since: str | None,
    until: str | None,
    referral: str | None,
    user: str | None,
) -> bool:
    """True if ``order`` passes every given filter (``None`` means no filter)."""
    created = order.get("created_at", "")
    return (
        (market is None or order.get("market") == market)
        and (statuses is None or order.get("status") in statuses)
        and (since is None or created >= since)
        and (until is None or created < until)
        and (referral is None or order.get("referral") == referral)
        and (user is None or order.get("user") == user)
    )


def status_set(status: str | Iterable[str] | None) -> frozenset[str] | None:
    """The ``status`` argument of `Store.query_orders` as a set (``None``: any status)."""
    if status is None:
        return None
    if isinstance(status, str):
        return frozenset({status})
    return frozenset(status)


def order_sort_key(order: Record) -> tuple[str, str]:
    """Oldest first; orders created at the same instant by code."""
    return (order.get("created_at", ""), order["code"])


def month_of(order: Record) -> str:
    """``YYYY-MM`` of ``created_at``, or ``undated`` if it does not start like ISO 8601."""
    created = order.get("created_at")
    if isinstance(created, str) and _MONTH.fullmatch(created[:7]):
        return created[:7]
    return UNDATED


def month_in_range(month: str, since: str | None, until: str | None) -> bool:
    """Could an order of ``month`` match ``since``/``until``? (Undated months always could.)

    Sound because ``created_at`` starts with its month: a month before ``since[:7]`` holds
    only orders created before ``since``, one after ``until[:7]`` only orders after ``until``.
    """
    if month == UNDATED:
        return True
    return (since is None or month >= since[:7]) and (until is None or month <= until[:7])
