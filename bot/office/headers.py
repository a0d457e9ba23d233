"""Security headers on every response of the office, whatever the handler returned (pages,
redirects, refusals, exports, static files): no framing by another site (clickjacking),
no Referer carrying a sign-in link's token to a third party, no content sniffing, a
Content-Security-Policy that allows only the office's own scripts, and no caching of
anything but the static files (pages hold names, addresses and phone numbers).

A pure ASGI middleware (not Starlette's BaseHTTPMiddleware, which buffers streaming
responses): it only adds headers a response did not set itself.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# htmx evaluates its hx-on attributes (Function): 'unsafe-eval'; the charts' SVG and a few
# bars carry inline styles: 'unsafe-inline' for styles only. No inline script runs.
POLICY = ("default-src 'self'; script-src 'self' 'unsafe-eval'; "
          "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
          "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
STATIC = "/static/"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path") or "")
        root = str(scope.get("root_path") or "")
        static = path[len(root):].startswith(STATIC) if path.startswith(root) else False

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, sending)


def middleware() -> Middleware:
    return Middleware(SecurityHeaders)
