"""`AiohttpRequest`, the Bot API transport, against a real local HTTP server (aiohttp.web):
what PTB's `Bot` sends through it, the bound on calls in flight, uploads, and the errors
PTB's handling and ours rely on (`TimedOut`, `NetworkError`, never the token)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut

from bot.adapters.telegram_http import AiohttpRequest

TOKEN = "123456:SECRET-token-value"
ME = {"id": 1, "is_bot": True, "first_name": "Pasar", "username": "PasarDaringBot"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Api:
    """A Bot API on a free port: getMe, and ``handler`` for every other method."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, Any]] = []  # method, content type, parameters
        self.handler: Handler | None = None
        self.url = ""

    async def route(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.content_type == "multipart/form-data":
            form = await request.post()
            params: Any = {k: (v.filename, v.file.read(), v.content_type)
                           if isinstance(v, web.FileField) else v for k, v in form.items()}
        else:
            params = await request.json() if request.can_read_body else {}
        self.seen.append((method, request.content_type, params))
        if method == "getMe":
            return web.json_response({"ok": True, "result": ME})
        assert self.handler is not None
        return await self.handler(request)


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    api = Api()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.route)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    api.url = f"http://127.0.0.1:{port}/bot"
    try:
        yield api
    finally:
        await runner.cleanup()


def message(chat: int, text: str, markup: Any = None) -> dict[str, Any]:
    result = {"message_id": 9, "date": 1700000000, "text": text,
              "chat": {"id": chat, "type": "private", "first_name": "Warga"}}
    if markup:
        result["reply_markup"] = markup
    return result


async def test_a_call_goes_as_json_with_nested_objects_as_objects(api: Api) -> None:
    async def echo(request: web.Request) -> web.Response:
        params = api.seen[-1][2]
        return web.json_response({"ok": True, "result": message(
            params["chat_id"], params["text"], params.get("reply_markup"))})

    api.handler = echo
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Selesai", callback_data="t3:ok")]])
    async with Bot(TOKEN, base_url=api.url, request=AiohttpRequest(2)) as bot:
        sent = await bot.send_message(500001, "Daftar belanja, ya 🙏", reply_markup=markup)
    method, kind, params = api.seen[-1]
    assert (method, kind) == ("sendMessage", "application/json")
    assert params == {"chat_id": 500001, "text": "Daftar belanja, ya 🙏", "reply_markup": {
        "inline_keyboard": [[{"text": "Selesai", "callback_data": "t3:ok"}]]}}
    assert sent.message_id == 9 and sent.reply_markup == markup


async def test_no_more_than_slots_calls_are_on_the_wire_and_the_rest_wait_their_turn(
    api: Api,
) -> None:
    on_wire, most, order = 0, 0, []

    async def slow(request: web.Request) -> web.Response:
        nonlocal on_wire, most
        on_wire += 1
        most = max(most, on_wire)
        order.append(api.seen[-1][2]["text"])
        await asyncio.sleep(0.02)
        on_wire -= 1
        return web.json_response({"ok": True, "result": message(1, "x")})

    api.handler = slow
    async with Bot(TOKEN, base_url=api.url, request=AiohttpRequest(3)) as bot:
        await asyncio.gather(*(bot.send_message(1, f"{i}") for i in range(20)))
    assert most == 3  # the bound, and no pool timeout for the 17 that waited
    assert len(order) == 20


async def test_a_file_goes_as_multipart_with_its_name_and_type(api: Api) -> None:
    async def photo(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": {
            **message(7, ""), "photo": [{"file_id": "F1", "file_unique_id": "U1",
                                         "width": 1, "height": 1}]}})

    api.handler = photo
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    async with Bot(TOKEN, base_url=api.url, request=AiohttpRequest(1)) as bot:
        await bot.send_photo(7, png, caption="Rekap hari ini", filename="rekap.png")
    method, kind, params = api.seen[-1]
    assert (method, kind) == ("sendPhoto", "multipart/form-data")
    assert params["chat_id"] == "7" and params["caption"] == "Rekap hari ini"
    [(name, content, mimetype)] = [v for v in params.values() if isinstance(v, tuple)]
    assert (name, content, mimetype) == ("rekap.png", png, "image/png")


async def test_a_slow_answer_is_timed_out_and_a_dead_port_is_a_network_error(
    api: Api,
) -> None:
    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.json_response({"ok": True, "result": True})

    api.handler = hang
    bot = Bot(TOKEN, base_url=api.url, request=AiohttpRequest(1, read_timeout=0.2))
    async with bot:
        with pytest.raises(TimedOut):
            await bot.send_message(1, "halo")
        # the slot came back: a call after the timeout is made (and times out again)
        with pytest.raises(TimedOut):
            await bot.send_message(1, "halo", read_timeout=0.1)

    dead = Bot(TOKEN, base_url="http://127.0.0.1:9/bot", request=AiohttpRequest(1))
    with pytest.raises(NetworkError) as caught:
        await dead.initialize()
    assert "cannot connect to 127.0.0.1:9" in str(caught.value)
    assert TOKEN not in str(caught.value)
    await dead.shutdown()


async def test_an_error_answer_becomes_ptbs_error_with_the_apis_words(api: Api) -> None:
    async def refuse(request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": 400, "description":
                                  "Bad Request: chat not found"}, status=400)

    api.handler = refuse
    async with Bot(TOKEN, base_url=api.url, request=AiohttpRequest(1)) as bot:
        with pytest.raises(NetworkError, match="Chat not found"):  # BadRequest
            await bot.send_message(1, "halo")


async def test_a_request_not_initialized_says_so() -> None:
    request = AiohttpRequest(1)
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/bot/getMe", "POST")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()  # twice is fine
    with pytest.raises(ValueError):
        AiohttpRequest(0)


async def test_the_calls_made_most_answer_the_apis_json_through_ptbs_path(api: Api) -> None:
    from bot.adapters.telegram_setup import untyped

    async def echo(request: web.Request) -> web.Response:
        params = api.seen[-1][2]
        return web.json_response({"ok": True, "result": message(params["chat_id"], "x")})

    api.handler = echo
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("✓ Ya", callback_data="x")]])
    async with Bot(TOKEN, base_url=api.url, request=AiohttpRequest(1)) as bot:
        sent = await untyped(bot, "sendMessage")(chat_id=5, text="halo", reply_markup=markup)
        await untyped(bot, "editMessageReplyMarkup")(chat_id=5, message_id=9, reply_markup=None)
        with pytest.raises(ValueError):
            untyped(bot, "sendPhoto")
    assert sent["message_id"] == 9 and sent["chat"]["id"] == 5  # a dict, not a Message
    assert api.seen[-2][2]["reply_markup"] == {"inline_keyboard": [[
        {"text": "✓ Ya", "callback_data": "x"}]]}
    assert api.seen[-1][2] == {"chat_id": 5, "message_id": 9}  # None: the keyboard goes


async def test_calls_go_through_the_proxy_the_environment_names(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As with httpx before: an office network that needs HTTP_PROXY keeps working."""
    asked: list[str] = []

    async def proxy(request: web.Request) -> web.Response:  # answers as the API would
        asked.append(f"{request.method} {request.url}")
        return web.json_response({"ok": True, "result": ME})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with Bot(TOKEN, base_url="http://api.telegram.invalid/bot",
                       request=AiohttpRequest(1)) as bot:
            assert bot.username == "PasarDaringBot"
        assert asked == [f"POST http://api.telegram.invalid/bot{TOKEN}/getMe"]
        monkeypatch.delenv("HTTP_PROXY")
        async with Bot(TOKEN, base_url=api.url, request=AiohttpRequest(1)) as bot:
            pass  # no proxy named: straight to the API
        assert len(asked) == 1 and api.seen[-1][0] == "getMe"
    finally:
        await runner.cleanup()
