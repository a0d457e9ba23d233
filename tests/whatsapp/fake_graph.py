"""A local fake of the Graph API's messages endpoint, served by uvicorn on 127.0.0.1.

It records every body the bot posts, answers with a wamid like Meta does, and can be told
to fail the next sends to a user with a Graph error code (130429, 131047, ...), or to keep
the sends to a user waiting for an answer until the test lets them go (`hold`).
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "test-access-token"
PHONE_NUMBER_ID = "106540352242922"

ERROR_TITLES = {
    130429: "Rate limit hit",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    131047: "Re-engagement message",
    131026: "Message undeliverable",
    100: "Invalid parameter",
}


class FakeGraph:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []  # accepted bodies, in arrival order
        self.ids: list[str] = []  # the wamid given to each accepted body
        self.rejected: list[tuple[int | None, dict[str, Any]]] = []  # (code, body)
        self._script: dict[str, list[tuple[int, int | None]]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._held: set[str] = set()
        self.waiting: list[dict[str, Any]] = []  # bodies held unanswered (see `hold`)
        self.reads: list[dict[str, Any]] = []  # read receipts (status: read) posted
        self.arrivals: list[tuple[float, str]] = []  # (time.monotonic(), to) of every post
        self.app = Starlette(routes=[
            Route("/v21.0/{phone_id}/messages", self._messages, methods=["POST"]),
        ])

    def reset(self) -> None:
        with self._lock:
            self.sent.clear()
            self.waiting.clear()
            self.reads.clear()
            self._held.clear()
            self.ids.clear()
            self.rejected.clear()
            self.arrivals.clear()
            self._script.clear()

    async def _read_receipt(self, request: Request) -> JSONResponse | None:
        """A read receipt (``status: read``, maybe with ``typing_indicator``): kept in
        ``reads``, answered ``{"success": true}``; None for any other body. ``hold("read")``
        and ``fail("read", ...)`` act on receipts."""
        body = await _is_receipt(request)
        if body is None:
            return None
        while "read" in self._held:
            await asyncio.sleep(0.01)
        with self._lock:
            script = self._script.get("read")
            failure = script.pop(0) if script else None
            if failure is None:
                self.reads.append(body)
        if failure is not None:
            return _error(failure[0], failure[1], ERROR_TITLES.get(failure[1] or 0, "error"))
        return JSONResponse({"success": True})

    def fail(self, to: str, *errors: tuple[int, int | None]) -> None:
        """The next sends to ``to`` answer (HTTP status, Graph code), one per send."""
        with self._lock:
            self._script.setdefault(to, []).extend(errors)

    def hold(self, to: str) -> None:
        """Sends to ``to`` get no answer (the bot waits) until `release`."""
        with self._lock:
            self._held.add(to)

    def release(self) -> None:
        with self._lock:
            self._held.clear()

    def to(self, user: str) -> list[dict[str, Any]]:
        with self._lock:
            return [b for b in self.sent if b.get("to") == user]

    async def _messages(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _error(401, 190, "Invalid OAuth access token")
        if request.path_params["phone_id"] != PHONE_NUMBER_ID:
            return _error(400, 100, "Unsupported post request")
        receipt = await self._read_receipt(request)
        if receipt is not None:
            return receipt
        body = await request.json()
        to = str(body.get("to"))
        with self._lock:
            self.arrivals.append((time.monotonic(), to))
        if to in self._held:
            with self._lock:
                self.waiting.append(body)
            while to in self._held:
                await asyncio.sleep(0.01)
            if await request.is_disconnected():  # the bot died waiting: never delivered
                return JSONResponse({"error": {"message": "gone"}}, status_code=499)
        with self._lock:
            script = self._script.get(to)
            failure = script.pop(0) if script else None
            if failure is not None:
                self.rejected.append((failure[1], body))
            else:
                wamid = f"wamid.FAKE{next(self._ids):06d}"
                self.sent.append(body)
                self.ids.append(wamid)
        if failure is not None:
            status, code = failure
            return _error(status, code, ERROR_TITLES.get(code or 0, "error"))
        return JSONResponse({"messaging_product": "whatsapp",
                             "contacts": [{"input": to, "wa_id": to}],
                             "messages": [{"id": wamid}]})


async def _is_receipt(request: Request) -> dict[str, Any] | None:
    body = await request.json()
    return body if isinstance(body, dict) and body.get("status") == "read" else None


def _error(status: int, code: int | None, title: str) -> JSONResponse:
    if code is None:
        return JSONResponse({"message": "busy"}, status_code=status)
    return JSONResponse({"error": {
        "message": f"(#{code}) {title}", "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": title},
        "fbtrace_id": "AbCdEfGhIjKlMnOp"}}, status_code=status)


class Served:
    """An ASGI app served by uvicorn on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        # IPPROTO_TCP: asyncio sets TCP_NODELAY only on such sockets' connections; without
        # it each response waits ~40 ms for a delayed ACK
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       daemon=True)
        self.thread.start()
        while not self.server.started:  # start-up only; no test asserts on time
            if not self.thread.is_alive():
                raise RuntimeError("the fake Graph API did not start")
            time.sleep(0.01)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join()
