"""Who an announcement to a market reaches: the residents who ordered from it lately."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.engine.session import wants_broadcasts
from bot.ordering.announcing.settings import Settings
from bot.ordering.domain.repository import Orders
from bot.pace import rate_of


def since(now: float, days: float, timezone: Any) -> str:
    """``created_at`` of the oldest order in an audience of ``days`` days (ISO, local)."""
    moment = datetime.fromtimestamp(now, timezone) - timedelta(days=days)
    return moment.isoformat(timespec="seconds")


def audience(orders: Orders, market_id: str, since_iso: str) -> list[str]:
    """The residents (user keys) who ordered from the market since then, first-come order,
    each once."""
    return list(dict.fromkeys(o.user for o in orders.query(market=market_id, since=since_iso)
                              if o.user))


def _orders(services: Any, store: Any) -> Orders:
    found = getattr(services, "orders", None)
    return found if found is not None else Orders(store)


def reach(settings: Settings, days: float | None) -> float:
    """The days an audience reaches back: as asked (the config's when None), at most as
    long as sessions live (they hold who said ``berhenti``)."""
    wanted = settings.days if days is None else max(rate_of(days, settings.days), 0.0)
    return min(wanted, settings.max_days)


def recipients(services: Any, store: Any, settings: Settings, market_id: str,
               days: float | None, now: float) -> list[str]:
    """Who an announcement to the market would reach (before opt-outs)."""
    return audience(_orders(services, store), market_id,
                    since(now, reach(settings, days), services.markets.timezone))


def counted(services: Any, store: Any, settings: Settings, market_id: str,
            days: float | None, now: float) -> tuple[int, int]:
    """(residents it would be sent to, residents left out because they said ``berhenti``)."""
    users = recipients(services, store, settings, market_id, days, now)
    stopped = sum(1 for u in users
                  if not wants_broadcasts((store.get_session(u) or {}).get("profile")))
    return len(users) - stopped, stopped


def reach_counts(app: Any, market_id: str, days: float | None = None,
                 now: float | None = None) -> tuple[int, int]:
    """(residents an announcement to the market would be sent to, residents left out
    because they said ``berhenti``): for a page that asks "send to 480?" first."""
    now = app.engine.clock() if now is None else now
    return counted(app.services, app.store, Settings.of(app.config), market_id, days, now)
