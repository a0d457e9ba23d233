"""What each resident in an announcement's audience gets: the text, a WhatsApp template
outside the 24-hour window, or nothing (skipped, and why)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.engine.session import wants_broadcasts
from bot.messages import Reply, Template, Text, split_key
from bot.ordering.announcing.settings import Settings
from bot.ordering.domain.markets import Market

log = logging.getLogger(__name__)

WINDOW = 24 * 3600 - 300  # WhatsApp's free-form window after a user's message, less a margin
OPTED_OUT, NO_TEMPLATE, NO_ADAPTER = "opted_out", "no_template", "no_adapter"


@dataclass(frozen=True)
class Planned:
    user: str
    reply: Reply | None  # None: skipped, ``why``
    why: str = ""


def outside_window(app: Any, user: str, record: Mapping[str, Any] | None, now: float) -> bool:
    """A WhatsApp user we may write to only with a template: no message for a day (the
    session says when they last wrote), or recorded so by the adapter (``away``)."""
    last = float((record or {}).get("updated_at") or 0)
    if now - last > WINDOW:
        return True
    away = getattr(app.services, "away", None)
    try:
        return bool(away(user)) if away is not None else False
    except Exception:  # a hook of the app's: a failure must not stop the announcement
        log.exception("the app's away check failed")
        return False


def plan_one(app: Any, user: str, market: Market, text: str, now: float,
             settings: Settings) -> Planned:
    record = app.store.get_session(user)
    if not wants_broadcasts((record or {}).get("profile")):
        return Planned(user, None, OPTED_OUT)
    i18n = app.engine.i18n
    lang = i18n.resolve((record or {}).get("lang"))
    body = i18n.t(lang, "announce.message", market=market.name, text=text)
    channel, _ = split_key(user)
    if channel == "whatsapp" and outside_window(app, user, record, now):
        if not settings.template:
            return Planned(user, None, NO_TEMPLATE)
        stop = i18n.t(lang, "announce.how_to_stop")
        return Planned(user, Template(to=user, text=body, name=settings.template,
                                      language=settings.template_language,
                                      params=(market.name, f"{text} {stop}")))
    return Planned(user, Text(to=user, text=body))


def plan(app: Any, users: Iterable[str], market: Market, text: str, now: float,
         settings: Settings) -> list[Planned]:
    return [plan_one(app, user, market, text, now, settings) for user in users]
