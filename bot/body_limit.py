"""A cap on request bodies, read while they stream in, before any route sees them.

A webhook must read the body to check its signature, and Starlette's ``request.body()``
reads all of it: an unsigned POST sent with ``Transfer-Encoding: chunked`` (no
Content-Length) of 400 MB took the server from 60 MB to 880 MB. `BodyLimit` sits in front
of every route of `bot.server`: a declared Content-Length over the limit is answered 413
without reading a byte, and a body that grows past the limit while it streams is answered
413 as soon as it does (the rest is never read; the server closes the connection). A body
within the limit is handed to the route whole, as if it had just arrived.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.config import ConfigError

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 1 << 20  # 1 MiB; a WhatsApp or Telegram update is a few kilobytes


def body_limit(config: dict[str, Any]) -> int:
    """``server.max_body_bytes`` of the config: a whole number of bytes above 0."""
    value = (config.get("server") or {}).get("max_body_bytes", DEFAULT_LIMIT)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"server.max_body_bytes must be a whole number of bytes above 0, "
                          f"not {value!r}")
    return value


class BodyLimit:
    """ASGI middleware: refuse (413) an HTTP request whose body is over ``limit`` bytes."""

    def __init__(self, app: ASGIApp, limit: int = DEFAULT_LIMIT) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        log.warning("a %s request to %s with a body over %d bytes refused (413)",
                    scope.get("method"), scope.get("path"), self.limit)
        response = PlainTextResponse("request body too large", status_code=413,
                                     headers={"connection": "close"})
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the whole body once, then waits on the real one (which
    says when the client disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
