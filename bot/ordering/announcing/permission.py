"""Who may announce to which market, and the text as it will be sent."""

from __future__ import annotations

from typing import Any

from bot.ordering.domain.markets import Market

MAX_TEXT = 500  # characters: a short text, one message on every platform


class AnnouncementRefused(Exception):
    """Not sent: ``message_id`` (with ``params``) says why, in the sender's words."""

    def __init__(self, message_id: str, /, **params: Any) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.params = params


def markets_for(services: Any, sender: str) -> tuple[Market, ...]:
    """The markets ``sender`` may announce to: every market for the office, a head's own."""
    roles = services.roles
    if roles.is_admin(sender):
        return tuple(services.markets.markets)
    return roles.headed(sender)


def check(services: Any, sender: str, market_id: str, text: str) -> tuple[Market, str]:
    """The market and the text, cleaned; raises `AnnouncementRefused` with the reason."""
    allowed = markets_for(services, sender)
    if not allowed:
        services.roles.refused(sender, "announce", market_id)
        raise AnnouncementRefused("announce.not_allowed")
    market = next((m for m in allowed if m.id == market_id), None)
    if market is None:
        services.roles.refused(sender, "announce", market_id)
        raise AnnouncementRefused("announce.not_your_market",
                                  markets=", ".join(m.name for m in allowed))
    cleaned = "\n".join(" ".join(line.split()) for line in str(text or "").strip().splitlines())
    if not cleaned.strip():
        raise AnnouncementRefused("announce.empty")
    if len(cleaned) > MAX_TEXT:
        raise AnnouncementRefused("announce.too_long", max=MAX_TEXT, length=len(cleaned))
    return market, cleaned
