"""One-time sign-in links and the office's web sessions, kept in the store.

A staff member who sends ``masuk`` in chat gets a link carrying a random token. Only the
token's SHA-256 is stored, as a session-store record under a reserved key prefix, so the
links work on every backend (memory, TinyDB, PostgreSQL) without code of their own:

- ``office-link:<sha256>``    -> {user, expires, issued, updated_at}: taken (deleted) by the
                                 POST that uses it; refused when expired.
- ``office-session:<sha256>`` -> {user, csrf, expires, started, updated_at}: a web session;
                                 the cookie holds its id, signed (`bot.office.cookies`).
- ``office-signout:<user>``   -> {count, at, updated_at}: how many times the user signed
                                 out; a link or session made before the last sign-out
                                 (with a smaller count) is refused.

Nothing here knows Starlette: the chat layer issues links through `issue_link`.
Housekeeping's ``expire_sessions`` drops old records like any conversation's.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

LINK_PREFIX = "office-link:"
SESSION_PREFIX = "office-session:"
SIGNOUT_PREFIX = "office-signout:"
SECRET_KEY = "office-secret"
ONCE_PREFIX = "office-once:"  # a confirmation form that may be sent once (Umumkan)
PREFIXES = (LINK_PREFIX, SESSION_PREFIX, SIGNOUT_PREFIX, SECRET_KEY, ONCE_PREFIX)
SIGN_IN_PATH = "/office/masuk/"


def is_office_key(key: str) -> bool:
    """A store record of the office (not a conversation)."""
    return key.startswith(PREFIXES)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def public_url(config: dict[str, Any]) -> str:
    """``server.public_url``, else ``http://<server.host>:<server.port>`` (no slash at end)."""
    server = config.get("server") or {}
    url = str(server.get("public_url") or "").strip()
    if not url:
        url = f"http://{server.get('host', '127.0.0.1')}:{server.get('port', 8080)}"
    return url.rstrip("/")


def issue_link(store: Any, user: str, now: float, minutes: float) -> str:
    """A new one-time token for ``user``, valid ``minutes`` from ``now``."""
    token = secrets.token_urlsafe(32)
    store.put_session(LINK_PREFIX + digest(token), {
        "user": user, "issued": now, "expires": now + minutes * 60, "updated_at": now,
        "generation": _generation(store, user)})
    return token


def link_url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}{SIGN_IN_PATH}{token}"


def _generation(store: Any, user: str) -> int:
    """How many times ``user`` signed out (links and sessions carry the count of their
    making: an older one is refused)."""
    record = store.get_session(SIGNOUT_PREFIX + user) or {}
    count = record.get("count")
    return count if isinstance(count, int) else 0


def peek_link(store: Any, token: str, now: float) -> str | None:
    """Whose link ``token`` is, if it is still usable (nothing is changed: a GET)."""
    if not token or len(token) > 200:
        return None
    record = store.get_session(LINK_PREFIX + digest(token))
    if not isinstance(record, dict):
        return None
    user = record.get("user")
    expires = record.get("expires")
    if not isinstance(user, str) or not isinstance(expires, int | float):
        return None
    if now >= expires:
        return None
    if record.get("generation", 0) != _generation(store, user):
        return None  # signed out since it was sent
    return user


def take_link(store: Any, token: str, now: float) -> str | None:
    """Use the link up: whose it was, if it was usable; it never works again."""
    user = peek_link(store, token, now)
    if token and len(token) <= 200:
        store.delete_session(LINK_PREFIX + digest(token))
    return user


@dataclass(frozen=True)
class WebSession:
    id: str  # the random id the cookie carries
    user: str
    csrf: str  # the token every form of this session carries
    expires: float


def start_session(store: Any, user: str, now: float, hours: float) -> WebSession:
    session = WebSession(secrets.token_urlsafe(32), user, secrets.token_urlsafe(24),
                         now + hours * 3600)
    store.put_session(SESSION_PREFIX + digest(session.id), {
        "user": user, "csrf": session.csrf, "expires": session.expires, "started": now,
        "updated_at": now, "generation": _generation(store, user)})
    return session


def load_session(store: Any, session_id: str, now: float) -> WebSession | None:
    record = store.get_session(SESSION_PREFIX + digest(session_id)) if session_id else None
    if not isinstance(record, dict):
        return None
    user, csrf, expires = record.get("user"), record.get("csrf"), record.get("expires")
    if not (isinstance(user, str) and isinstance(csrf, str)
            and isinstance(expires, int | float)) or now >= expires:
        return None
    if record.get("generation", 0) != _generation(store, user):
        return None  # signed out elsewhere since
    return WebSession(session_id, user, csrf, float(expires))


def end_session(store: Any, session: WebSession, now: float) -> None:
    """Sign out: this session ends, and every link and session of the user issued before
    now is refused."""
    store.delete_session(SESSION_PREFIX + digest(session.id))
    count = _generation(store, session.user) + 1
    store.put_session(SIGNOUT_PREFIX + session.user, {"count": count, "at": now,
                                                      "updated_at": now})


def cookie_secret(store: Any, configured: str, now: float) -> bytes:
    """The key that signs cookies: the configured one, else a random one kept in the store
    (refreshed daily so housekeeping never drops it)."""
    if configured:
        return configured.encode("utf-8")
    record = store.get_session(SECRET_KEY) or {}
    secret = record.get("secret")
    if not isinstance(secret, str) or len(secret) < 32:
        secret = secrets.token_hex(32)
        store.put_session(SECRET_KEY, {"secret": secret, "updated_at": now})
    elif now - float(record.get("updated_at") or 0) > 86400:
        store.put_session(SECRET_KEY, {"secret": secret, "updated_at": now})
    return secret.encode("utf-8")
