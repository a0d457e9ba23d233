"""Who sees what on the office's pages, from the bot's own roles (`Roles`).

The market office (config ``admins``) sees every market; a head of unit their market; a
coordinator their market's orders. What someone may *do* to an order is not decided here:
the page fires the same lifecycle events as the chat, with the same role check
(`Roles.judge`), so the page and the chat can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.office.display import given_name
from bot.ordering.domain.markets import Market
from bot.ordering.domain.order import Order
from bot.ordering.domain.roles import Roles


@dataclass(frozen=True)
class Viewer:
    user: str
    role: str  # admin, head, coordinator (residents never get a session)
    name: str  # as data/markets.yaml names them; "" for none (the page shows the role)
    markets: tuple[Market, ...]  # the markets whose orders they see

    @property
    def market_ids(self) -> frozenset[str]:
        return frozenset(m.id for m in self.markets)

    @property
    def is_office(self) -> bool:
        return self.role == "admin"

    @property
    def sees_recap(self) -> bool:
        return bool(self.markets)

    @property
    def sees_funnel(self) -> bool:
        """Conversations are not a market's until one is chosen: the office's page."""
        return self.is_office

    def sees(self, order: Order) -> bool:
        return order.market in self.market_ids

    def sees_market(self, market_id: str) -> bool:
        return market_id in self.market_ids


def viewer_of(roles: Roles, user: str) -> Viewer | None:
    """The viewer ``user`` is, or None if they are not staff (any more: markets.yaml and
    config are read as they are now, so someone removed loses access at once)."""
    if not roles.is_staff(user):
        return None
    return Viewer(user, roles.role(user), given_name(roles, user), roles.watched_markets(user))
