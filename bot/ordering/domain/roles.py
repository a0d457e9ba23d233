"""Who may do what, decided here and nowhere else.

People are known by their chat user key (``telegram:123``, ``whatsapp:62812...``,
``console:koord-kranji-1``). data/markets.yaml names each market's coordinators and its
head of unit; config.yaml names the market office's admins (``admins``). Anyone else is a
resident, who sees and acts on only their own orders. A coordinator acts only on orders
of their market, and once an order is claimed, only its coordinator moves it on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.ordering.domain.markets import Market, Markets
from bot.privacy import who
from bot.storage.base import Record

log = logging.getLogger(__name__)

RESIDENT_EVENTS = frozenset({"cancel_by_resident", "request_exchange"})
COORDINATOR_EVENTS = frozenset({
    "claim", "start_shopping", "record_prices", "send_courier", "deliver", "pay",
    "cancel_by_coordinator", "finish_exchange",
})
ANY_COORDINATOR = frozenset({"claim", "cancel_by_coordinator"})  # before anyone claimed it


class Refused(Exception):
    """The user may not do this; ``message_id`` says why."""

    def __init__(self, message_id: str, /, **params: str) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.params = params


@dataclass(frozen=True)
class Roles:
    markets: Markets
    admins: frozenset[str] = frozenset()

    # -- who someone is ---------------------------------------------------------------
    def coordinated(self, user: str) -> tuple[Market, ...]:
        return self.markets.coordinated_by(user)

    def headed(self, user: str) -> tuple[Market, ...]:
        return self.markets.headed_by(user)

    def is_admin(self, user: str) -> bool:
        return user in self.admins

    def is_coordinator(self, user: str, market: str | None = None) -> bool:
        return any(market in (None, m.id) for m in self.coordinated(user))

    def is_head(self, user: str, market: str | None = None) -> bool:
        return any(market in (None, m.id) for m in self.headed(user))

    def is_staff(self, user: str) -> bool:
        return self.is_admin(user) or bool(self.coordinated(user) or self.headed(user))

    def role(self, user: str) -> str:
        """The main role: admin, head, coordinator or resident."""
        if self.is_admin(user):
            return "admin"
        if self.headed(user):
            return "head"
        return "coordinator" if self.coordinated(user) else "resident"

    def recap_markets(self, user: str) -> tuple[Market, ...]:
        """The markets whose recap ``user`` may see: all for admins, theirs for heads."""
        if self.is_admin(user):
            return self.markets.markets
        return self.headed(user)

    def watched_markets(self, user: str) -> tuple[Market, ...]:
        """Markets whose orders ``user`` may look at as staff."""
        if self.is_admin(user):
            return self.markets.markets
        seen = {m.id: m for m in (*self.coordinated(user), *self.headed(user))}
        return tuple(seen.values())

    # -- what someone may do with an order --------------------------------------------
    def can_view(self, user: str, order: Record) -> bool:
        market = order.get("market")
        return (order.get("user") == user or self.is_admin(user)
                or self.is_coordinator(user, market) or self.is_head(user, market))

    def check(self, user: str, event: str, order: Record) -> None:
        """Raise Refused unless ``user`` may fire ``event`` on ``order``: a real attempt,
        so a refusal of someone outside the order or its market is logged (audit)."""
        refusal, audited = self._decide(user, event, order)
        if refusal is None:
            return
        if audited:
            self.refused(user, event, order.get("code", ""))
        raise refusal

    def allows(self, user: str, event: str, order: Record) -> bool:
        """May ``user`` fire ``event`` on ``order``? Asking is not an attempt: nothing is
        logged (the options a menu offers are computed with this)."""
        return self._decide(user, event, order)[0] is None

    def _decide(self, user: str, event: str, order: Record) -> tuple[Refused | None, bool]:
        """The refusal, if any, and whether it is one for the audit log."""
        code, market = order.get("code", ""), order.get("market", "")
        if event in RESIDENT_EVENTS:
            if order.get("user") != user:
                return Refused("status.not_your_order", code=code), True
            return None, False
        if event not in COORDINATOR_EVENTS:
            return Refused("coord.staff_only"), False
        if not self.is_coordinator(user, market):
            owner = self.markets.get(market)
            return Refused("coord.not_your_market", code=code,
                           market=owner.name if owner else market), True
        holder = order.get("coordinator")
        if holder and holder != user and event not in ("claim",):
            return Refused("coord.held_by_other", code=code,
                           name=self.display_name(holder)), False
        if not holder and event not in ANY_COORDINATOR:
            return Refused("coord.claim_first", code=code), False
        return None, False

    def refused(self, user: str, what: str, detail: str = "") -> None:
        """Log an attempt at something ``user`` may not do (kept for the market office).
        The user is named by pseudonym (`bot.privacy.who`; ``main.py whois`` says who)."""
        log.warning("refused: %s (%s) tried %r %s", who(user), self.role(user), what, detail)

    # -- names ------------------------------------------------------------------------
    def display_name(self, user: str) -> str:
        """The name the market office gave someone, else the part after the channel."""
        for market in self.markets.markets:
            name = market.staff_name(user)
            if name:
                return name
        return user.partition(":")[2] or user
