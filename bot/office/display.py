"""How the office's pages write people, phone numbers and times: as the chat writes them,
in the page's language.

- A person is the name the market office gave them in data/markets.yaml; someone without
  one (an admin in config.yaml, say) is their role ("Kantor pasar"), never the part of
  their user key after the channel (a Telegram id or a WhatsApp number).
- A phone number is written as the chat writes it (``0812-3456-7890``,
  `display_phone`) and dialled by its stored ``+62...`` form (a ``tel:`` link).
- Times follow the locale's own patterns (Babel): ``07.12`` in Indonesian, ``7:12 AM`` in
  English; with the day, ``30 Nov 07.12`` / ``Nov 30, 7:12 AM``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from functools import lru_cache

from babel import Locale
from babel.dates import format_skeleton, format_time
from markupsafe import Markup

from bot.engine.inputs.phone import display_phone
from bot.ordering.domain.roles import Roles

ROLE_LABELS = {"admin": "office.role_admin", "head": "office.role_head",
               "coordinator": "office.role_coordinator", "resident": "office.order_resident"}


def given_name(roles: Roles, user: str) -> str:
    """The name data/markets.yaml gives ``user`` ("" when none does)."""
    for market in roles.markets.markets:
        name = market.staff_name(user)
        if name:
            return name
    return ""


def person_name(roles: Roles, user: str, t: Callable[[str], str]) -> str:
    """``user``'s given name, else their role's label in the page's language (``t``)."""
    if not user:
        return "—"
    return given_name(roles, user) or t(ROLE_LABELS[roles.role(user)])


def phone_link(phone: str | None) -> Markup:
    """A stored number as the chat writes it, dialled by a tap (``tel:+62...``)."""
    if not phone:
        return Markup("")
    dial = "".join(c for c in phone if c.isdigit() or c == "+")
    return Markup('<a href="tel:{}">{}</a>').format(dial, display_phone(phone))


@lru_cache(maxsize=4096)
def clock_time(hhmm: str, locale: Locale) -> str:
    """``"07:12"`` as the locale writes a time of day (short): ``07.12``, ``7:12 AM``."""
    try:
        moment = time.fromisoformat(hhmm)
    except ValueError:
        return hhmm or "—"
    return format_time(moment, "short", locale=locale)


def when(stamp: str | None, locale: Locale) -> str:
    """An ISO time as people read it: the locale's short day and month with its short time
    of day (``30 Nov 07.12``, ``Nov 30, 7:12 AM``); what is not one, as it is."""
    try:
        moment = datetime.fromisoformat(stamp or "")
    except ValueError:
        return stamp or "—"
    day = format_skeleton("MMMd", moment, locale=locale)
    hour = format_time(moment, "short", tzinfo=moment.tzinfo, locale=locale)
    pattern = locale.datetime_formats.get("short", "{1} {0}")
    return str(pattern).replace("{1}", day).replace("{0}", hour)


__all__ = ["clock_time", "given_name", "person_name", "phone_link", "when"]
