"""A local fake of the Telegram Bot API, for the real python-telegram-bot stack to talk to.

A Starlette app served by uvicorn on 127.0.0.1 (a free port) inside the test's event loop.
It answers getMe, deleteWebhook, setWebhook, getUpdates (long poll: held until an update is
queued or the poll's timeout runs out), sendMessage, answerCallbackQuery and
editMessageReplyMarkup, and records every call. Updates stay queued until a later
getUpdates acknowledges them with a higher offset, as on Telegram.

Tests can make the next call of a method fail (``fail_next``: a 429 with retry_after, a
502), and make sendMessage wait for a send to another chat (``rendezvous``), which shows
that different chats are handled at the same time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "123456:TEST-token-not-real"
BOT = {"id": 777000, "is_bot": True, "first_name": "Pasar Daring", "username": "PasarDaringBot",
       "can_join_groups": True, "can_read_all_group_messages": False,
       "supports_inline_queries": False}
WAIT = 10.0  # longest a test waits for the bot to answer before failing


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    result: Any = None
    at: float = field(default_factory=time.monotonic)  # when the call arrived here

    @property
    def chat(self) -> int | None:
        chat = self.params.get("chat_id")
        return int(chat) if chat is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def markup(self) -> dict[str, Any]:
        return self.params.get("reply_markup") or {}

    def buttons(self) -> dict[str, str]:
        """label -> callback_data of the inline keyboard this message carries."""
        rows = self.markup.get("inline_keyboard", [])
        return {b["text"]: b["callback_data"] for row in rows for b in row}


def _decode(value: str) -> Any:
    if value[:1] in "{[":
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


@dataclass
class FakeBotAPI:
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    failures: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rendezvous: bool = False  # sendMessage waits (up to 2 s) for a send to another chat,
    # until it has seen one
    overlapped: bool = False  # two chats' sendMessage calls were in flight together
    in_flight: dict[int, int] = field(default_factory=dict)  # chat -> sendMessage calls open
    max_in_flight_per_chat: int = 0
    url: str = ""
    closing: bool = False  # long polls answer at once: the server is stopping

    def __post_init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._changed = asyncio.Condition()
        self.app = Starlette(routes=[
            Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
        ])

    # -- what tests call ----------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    def fail_next(self, method: str, status: int, retry_after: int | None = None) -> None:
        error: dict[str, Any] = {"ok": False, "error_code": status,
                                 "description": f"fake failure {status}"}
        if retry_after is not None:
            error["parameters"] = {"retry_after": retry_after}
        self.failures.setdefault(method, []).append(error)

    def new_update(self, **content: Any) -> dict[str, Any]:
        return {"update_id": next(self._update_ids), **content}

    def new_message_id(self) -> int:
        return next(self._message_ids)

    async def queue(self, update: dict[str, Any]) -> None:
        """Make an update available to getUpdates (polling mode)."""
        self.updates.append(update)
        await self.notify()

    def mark(self) -> int:
        return len(self.calls)

    def sent(self, chat: int | None = None, since: int = 0) -> list[Call]:
        return [c for c in self.calls[since:] if c.method == "sendMessage" and c.status == 200
                and (chat is None or c.chat == chat)]

    def called(self, method: str, since: int = 0) -> list[Call]:
        return [c for c in self.calls[since:] if c.method == method]

    async def wait_for(self, check: Callable[[], Any], what: str = "") -> Any:
        """Wait until ``check()`` is truthy (re-checked after every call the bot makes)."""
        async def until() -> Any:
            async with self._changed:
                while not (found := check()):
                    await self._changed.wait()
                return found
        try:
            return await asyncio.wait_for(until(), WAIT)
        except TimeoutError:
            texts = [f"{c.method} {c.chat}: {c.text[:80]!r}" for c in self.calls[-12:]]
            raise AssertionError(f"waited {WAIT} s for {what}; last calls: {texts}") from None

    async def wait_reply(self, chat: int, since: int, expect: str) -> list[Call]:
        """The messages sent to ``chat`` after ``since``, up to one containing ``expect``."""
        def check() -> list[Call] | None:
            got = self.sent(chat, since)
            for i, call in enumerate(got):
                if expect.lower() in call.text.lower():
                    return got[: i + 1]
            return None
        return await self.wait_for(check, f"a message to {chat} with {expect!r}")

    # -- the server ---------------------------------------------------------------------
    async def notify(self) -> None:
        """Wake whoever waits in `wait_for` (the bot made a call, or a test hook ran)."""
        async with self._changed:
            self._changed.notify_all()

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").startswith("application/json"):
            return await request.json()
        # PTB posts url-encoded forms (no files here); parsed by hand, as Starlette's form
        # parsing needs python-multipart
        body = (await request.body()).decode()
        return {k: _decode(v) for k, v in parse_qsl(body, keep_blank_values=True)}

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        if request.path_params["token"] != TOKEN:
            return JSONResponse({"ok": False, "error_code": 401,
                                 "description": "Unauthorized"}, status_code=401)
        params = await self._params(request)
        call = Call(method, params)
        if self.failures.get(method):
            error = self.failures[method].pop(0)
            call.status = error["error_code"]
            self.calls.append(call)
            await self.notify()
            return JSONResponse(error, status_code=call.status)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return JSONResponse({"ok": False, "error_code": 404,
                                 "description": "Not Found: method not found"}, status_code=404)
        call.result = await handler(params)
        if method != "getUpdates" or call.result:
            self.calls.append(call)
            await self.notify()
        return JSONResponse({"ok": True, "result": call.result})

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return BOT

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        async with self._changed:
            while True:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                left = deadline - time.monotonic()
                if self.updates or left <= 0 or self.closing:
                    return self.updates[:100]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), left)

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat = int(params["chat_id"])
        self.in_flight[chat] = self.in_flight.get(chat, 0) + 1
        self.max_in_flight_per_chat = max(self.max_in_flight_per_chat, self.in_flight[chat])
        try:
            if self.rendezvous and not self.overlapped:
                await self._meet(chat)
        finally:
            self.in_flight[chat] -= 1
        message = {
            "message_id": self.new_message_id(), "date": int(time.time()),
            "chat": {"id": chat, "type": "private" if chat > 0 else "group"},
            "from": {k: BOT[k] for k in ("id", "is_bot", "first_name", "username")},
            "text": params.get("text", ""),
        }
        if "inline_keyboard" in (params.get("reply_markup") or {}):
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat, message["message_id"])] = message
        return message

    async def _meet(self, chat: int) -> None:
        """Wait (at most 2 s) until a send to another chat is in flight beside this one."""
        async with self._changed:
            if any(n for c, n in self.in_flight.items() if c != chat):
                self.overlapped = True
                self._changed.notify_all()
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await self._changed.wait_for(lambda: self.overlapped)

    async def _api_sendChatAction(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self.messages.get(key)
        if message is None:
            return True
        markup = params.get("reply_markup")
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message


@contextlib.asynccontextmanager
async def serve(fake: FakeBotAPI, port: int = 0) -> AsyncIterator[FakeBotAPI]:
    """Run the fake on 127.0.0.1 (a free port unless ``port`` is given) for the duration
    of the block."""
    # IPPROTO_TCP: asyncio sets TCP_NODELAY only on such sockets' connections; without
    # it each response waits ~40 ms for a delayed ACK
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    fake.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(fake.app, log_level="warning", lifespan="off",
                                           timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield fake
    finally:
        fake.closing = True
        await fake.notify()
        server.should_exit = True
        await task
        sock.close()
