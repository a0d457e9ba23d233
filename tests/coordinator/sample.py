"""A known set of orders, lived through the real lifecycle, and the figures it must give.

27 November 2025 (9 orders) and 28 November (1 order), three markets:

| code | market | status | total | cash | order -> delivery | exchange | referral |
| --- | --- | --- | --- | --- | --- | --- | --- |
| KRB-1127-001 | kranji-baru | paid | 45000 | 45000 | 90 min | | rw05-jatibening |
| KRB-1127-002 | kranji-baru | paid | 30000 | 30000 | 50 min | yes | rw05-jatibening |
| KRB-1127-003 | kranji-baru | cancelled (resident) | | | | | |
| KRB-1127-004 | kranji-baru | shopping | | | | | rw03-jakasampurna |
| KRB-1127-005 | kranji-baru | new | | | | | |
| HJY-1127-001 | harapan-jaya | delivered | 60000 | | 120 min | | |
| HJY-1127-002 | harapan-jaya | cancelled (coordinator, after pricing 20000) | | | | | |
| HJY-1127-003 | harapan-jaya | on_the_way | 25000 | | | | rw05-jatibening |
| RWL-1127-001 | rawalumbu | paid | 80000 | 80000 | 40 min | | |
| KRB-1128-001 | kranji-baru | paid | 10000 | 10000 | 30 min | | |
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.ordering.domain.lifecycle import change
from bot.storage.base import Store

WIB = ZoneInfo("Asia/Jakarta")
KOORD = {"kranji-baru": "console:koord-kranji-1", "harapan-jaya": "console:koord-harapan-1",
         "rawalumbu": "console:koord-rawalumbu"}


def _order(code: str, market: str, created: datetime, items: int, referral: str | None) -> dict:
    stamp = created.isoformat(timespec="seconds")
    return {
        "code": code, "market": market, "status": "new", "user": f"console:warga-{code}",
        "items": [{"name": f"barang {i}", "quantity": None, "unit": None, "budget": None,
                   "note": ""} for i in range(1, items + 1)],
        "address": {"text": "Jl. Melati No. 12, RT 03/RW 05, Jatibening"},
        "resident": {"name": "Bu Ani", "phone": "+6281234567890"}, "channel": "console",
        "referral": referral, "estimate": None, "created_at": stamp, "updated_at": stamp,
        "history": [{"at": stamp, "by": f"console:warga-{code}", "from": None, "to": "new"}],
    }


def _live(store: Store, code: str, market: str, created: datetime, *, until: str,
          prices: list[int] | None = None, wait: int = 0, exchange: bool = False,
          referral: str | None = None, cancel_by: str = "") -> None:
    """Create an order at ``created`` and move it on until ``until``."""
    prices = prices or [10000]
    store.create_order(_order(code, market, created, len(prices), referral))
    koord = KOORD[market]
    plan: list[tuple[str, str, dict[str, Any]]] = [
        ("claim", koord, {}), ("start_shopping", koord, {}),
        ("record_prices", koord, {"prices": [{"price": p} for p in prices]}),
        ("send_courier", koord, {"courier": {"name": "Pak Joko", "phone": "+6281311112222"}}),
        ("deliver", koord, {}),
    ]
    if exchange:
        plan += [("request_exchange", f"console:warga-{code}", {"items": [1]}),
                 ("finish_exchange", koord, {})]
    plan.append(("pay", koord, {"cash": sum(prices)}))
    stops = {"new": 0, "claimed": 1, "shopping": 2, "priced": 3, "on_the_way": 4,
             "delivered": 5, "paid": len(plan)}
    steps = plan[:stops[until]]
    for number, (event, by, data) in enumerate(steps, 1):
        at = created + timedelta(minutes=wait * number / 5 if number <= 5 else wait + number)
        change(store, code, event, by, at, **data)
    if cancel_by:
        event = "cancel_by_resident" if cancel_by == "resident" else "cancel_by_coordinator"
        who = f"console:warga-{code}" if cancel_by == "resident" else koord
        change(store, code, event, who, created + timedelta(minutes=5), reason="pasar banjir")


def fill(store: Store) -> None:
    day = datetime(2025, 11, 27, 7, 0, tzinfo=WIB)
    _live(store, "KRB-1127-001", "kranji-baru", day, until="paid", prices=[20000, 25000],
          wait=90, referral="rw05-jatibening")
    _live(store, "KRB-1127-002", "kranji-baru", day + timedelta(minutes=10), until="paid",
          prices=[30000], wait=50, exchange=True, referral="rw05-jatibening")
    _live(store, "KRB-1127-003", "kranji-baru", day + timedelta(minutes=20), until="new",
          cancel_by="resident")
    _live(store, "KRB-1127-004", "kranji-baru", day + timedelta(minutes=30), until="shopping",
          referral="rw03-jakasampurna")
    _live(store, "KRB-1127-005", "kranji-baru", day + timedelta(minutes=40), until="new")
    _live(store, "HJY-1127-001", "harapan-jaya", day + timedelta(hours=1), until="delivered",
          prices=[60000], wait=120)
    _live(store, "HJY-1127-002", "harapan-jaya", day + timedelta(hours=1), until="priced",
          prices=[20000], cancel_by="coordinator")
    _live(store, "HJY-1127-003", "harapan-jaya", day + timedelta(hours=2), until="on_the_way",
          prices=[25000], referral="rw05-jatibening")
    _live(store, "RWL-1127-001", "rawalumbu", day - timedelta(hours=1), until="paid",
          prices=[50000, 30000], wait=40)
    _live(store, "KRB-1128-001", "kranji-baru", day + timedelta(days=1), until="paid",
          prices=[10000], wait=30)


# What the report of 27 November must say, worked out by hand from the table above.
DAY = {
    "orders": 9, "value": 240000, "cash": 155000, "median": 70.0, "exchanges": 1,
    "cancellations": 2,
    "referrals": {"rw05-jatibening": 3, "rw03-jakasampurna": 1, "": 5},
    "markets": {
        "kranji-baru": {"orders": 5, "value": 75000, "cash": 75000, "median": 70.0,
                        "statuses": {"paid": 2, "cancelled": 1, "shopping": 1, "new": 1}},
        "harapan-jaya": {"orders": 3, "value": 85000, "cash": 0, "median": 120.0,
                         "statuses": {"delivered": 1, "cancelled": 1, "on_the_way": 1}},
        "rawalumbu": {"orders": 1, "value": 80000, "cash": 80000, "median": 40.0,
                      "statuses": {"paid": 1}},
    },
}
BOTH_DAYS = {"orders": 10, "value": 250000, "cash": 165000, "median": 50.0}
