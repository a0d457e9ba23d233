"""Who may do what, decided here and nowhere else.

People are known by their chat user key (``telegram:123``, ``whatsapp:62812...``,
``console:koord-kranji-1``). data/markets.yaml names each market's coordinators and its
head of unit; config.yaml names the market office's admins (``admins``). Anyone else is a
resident, who sees and acts on only their own orders. A coordinator acts only on orders
of their market, and once an order is claimed, only its coordinator moves it on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.ordering.domain.errors import Refused
from bot.ordering.domain.events import (
    COLLEAGUE,
    COORDINATOR,
    EVENT_TABLE,
    HEAD,
    RESIDENT,
    STRANGER,
    Event,
)
from bot.ordering.domain.markets import Market, Markets
from bot.ordering.domain.order import Order
from bot.privacy import who

__all__ = ["COORDINATOR_EVENTS", "RESIDENT_EVENTS", "Refused", "Roles"]

log = logging.getLogger(__name__)

# derived from the event table, for those who ask by name
RESIDENT_EVENTS = frozenset(e.name for e in EVENT_TABLE if RESIDENT in e.roles)
COORDINATOR_EVENTS = frozenset(e.name for e in EVENT_TABLE if COORDINATOR in e.roles)


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
    def can_view(self, user: str, order: Order) -> bool:
        market = order.market
        return (order.user == user or self.is_admin(user)
                or self.is_coordinator(user, market) or self.is_head(user, market))

    def relations(self, user: str, order: Order) -> frozenset[str]:
        """What ``user`` is to ``order`` (`events.RELATIONS`): its resident, its coordinator
        (the one holding it; any of its market's while nobody does), a colleague of the
        one holding it, or a stranger."""
        found = set()
        if order.user == user:
            found.add(RESIDENT)
        if self.is_coordinator(user, order.market):
            holder = order.coordinator
            found.add(COORDINATOR if not holder or holder == user else COLLEAGUE)
        if self.is_head(user, order.market) or self.is_admin(user):
            found.add(HEAD)
            if order.coordinator == user:  # a head who took the order acts as its coordinator
                found.add(COORDINATOR)
        return frozenset(found or {STRANGER})

    def refusal(self, user: str, event: Event, order: Order) -> Refused | None:
        """Why ``user`` may not fire ``event`` on ``order``, from the event's ``roles``
        (None: they may). A refusal of someone outside the order or its market is marked
        ``audited``: an attempt is logged (`refused`), a question (a menu) is not."""
        relations = self.relations(user, order)
        code = order.code
        if relations & event.roles:
            unclaimed = not order.coordinator and COORDINATOR in relations & event.roles
            if unclaimed and "claimed" in event.needs and RESIDENT not in relations:
                return Refused("coord.claim_first", code=code)
            return None
        if COORDINATOR in event.roles and COLLEAGUE in relations:
            return Refused("coord.held_by_other", code=code,
                           name=self.display_name(order.coordinator or ""))
        if COORDINATOR in event.roles or COLLEAGUE in event.roles:
            owner = self.markets.get(order.market)
            return Refused("coord.not_your_market", audited=True, code=code,
                           market=owner.name if owner else order.market)
        if RESIDENT in event.roles:
            return Refused("status.not_your_order", audited=True, code=code)
        return Refused("coord.staff_only")

    def judge(self, user: str) -> Callable[[Event, Order], Refused | None]:
        """The lifecycle's role condition for ``user``."""
        return lambda event, order: self.refusal(user, event, order)

    def check(self, user: str, event: str, order: Order) -> None:
        """Raise Refused unless ``user`` may fire ``event`` on ``order``: a real attempt,
        so a refusal of someone outside the order or its market is logged (audit)."""
        found = next((e for e in EVENT_TABLE if e.name == event), None)
        refusal = (self.refusal(user, found, order) if found is not None
                   else Refused("coord.staff_only"))
        if refusal is None:
            return
        if refusal.audited:
            self.refused(user, event, order.code)
        raise refusal

    def allows(self, user: str, event: Event, order: Order) -> bool:
        """May ``user`` fire ``event`` on ``order``? Asking is not an attempt: nothing is
        logged (the options a menu offers are computed with this)."""
        return self.refusal(user, event, order) is None

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
