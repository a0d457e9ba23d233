"""The session cookie: the session's random id and an HMAC-SHA256 of it.

Signed with the standard library's ``hmac`` rather than Starlette's SessionMiddleware
(which keeps the whole session in the cookie, signed by itsdangerous): here the session
lives in the store, so signing out ends it on the server and a copied cookie stops working;
the signature only lets a forged cookie be refused without reading the store. No new
dependency.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

COOKIE = "office_session"
PRE_COOKIE = "office_signin"  # the sign-in form's double-submit token, before a session


def _mac(value: str, secret: bytes) -> str:
    raw = hmac.new(secret, value.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def sign(value: str, secret: bytes) -> str:
    return f"{value}.{_mac(value, secret)}"


def unsign(signed: str | None, secret: bytes) -> str | None:
    """The value of a cookie signed with ``secret``; None if it is not."""
    if not signed or len(signed) > 400 or "." not in signed:
        return None
    value, _, mac = signed.rpartition(".")
    return value if hmac.compare_digest(mac, _mac(value, secret)) else None


def same(a: str | None, b: str | None) -> bool:
    """Two tokens equal, compared in constant time (CSRF)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
