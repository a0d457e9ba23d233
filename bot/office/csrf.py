"""Every form carries a token: the session's (``csrf``), compared with what the store holds
for the session the cookie names; before a session exists (the sign-in form), a random
token both in a cookie and in the form (double submit). With SameSite=Lax cookies this keeps
another site from posting a form in a signed-in person's name."""

from __future__ import annotations

import secrets

from bot.office.cookies import same
from bot.office.links import WebSession

FIELD = "csrf"


def valid(session: WebSession | None, form: dict[str, str]) -> bool:
    return session is not None and same(form.get(FIELD), session.csrf)


def new_pre_token() -> str:
    return secrets.token_urlsafe(24)


def valid_pre(cookie: str | None, form: dict[str, str]) -> bool:
    return same(cookie, form.get(FIELD))
