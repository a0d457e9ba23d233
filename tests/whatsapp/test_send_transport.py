"""The Graph API sender on its aiohttp session, against a real local server (aiohttp.web):
what goes on the wire (JSON body, token in the header only), and network failures (a
refused connection, an answer that never comes, a body that is not JSON) turned into a
`SendResult`, retried where transient, never raised and never carrying the token."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from bot.adapters.whatsapp_send import GraphSender, new_session

TOKEN = "EAAG-secret-token-never-logged"
PHONE_ID = "106540352242922"
BODY = {"messaging_product": "whatsapp", "to": "6281200000001", "type": "text",
        "text": {"body": "Pesanan diterima"}}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """``await serve(handler)``: the messages endpoint on a free loopback port; its base URL."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_post(f"/v21.0/{PHONE_ID}/messages", handler)
        runner = web.AppRunner(app, handler_cancellation=True)  # see a client drop out
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/v21.0"

    yield start
    for runner in runners:
        await runner.cleanup()


def no_wait(delay: float) -> Awaitable[None]:
    return asyncio.sleep(0)


async def test_body_as_json_and_token_in_the_header(serve: Any) -> None:
    seen: list[tuple[str, str, Any]] = []

    async def messages(request: web.Request) -> web.Response:
        seen.append((request.headers.get("Authorization", ""), request.content_type,
                     json.loads(await request.read())))
        return web.json_response({"messages": [{"id": "wamid.OK1"}]})

    url = await serve(messages)
    async with new_session() as session:
        result = await GraphSender(session, url, PHONE_ID, TOKEN).post(BODY)
        assert session.cookie_jar is not None and len(session.cookie_jar) == 0
    assert result.ok and result.message_id == "wamid.OK1" and result.status == 200
    assert result.attempts == 1
    assert seen == [(f"Bearer {TOKEN}", "application/json", BODY)]


async def test_graph_errors_keep_their_code_and_text_answers_their_text(serve: Any) -> None:
    answers = [web.json_response({"error": {"code": 131047, "message": "Re-engagement"}},
                                 status=400),
               web.Response(text="<html>bad gateway</html>", status=502)]

    async def messages(request: web.Request) -> web.Response:
        return answers.pop(0)

    url = await serve(messages)
    async with new_session() as session:
        sender = GraphSender(session, url, PHONE_ID, TOKEN, sleep=no_wait)
        window = await sender.post(BODY)
        gateway = await sender.post_once(BODY)
    assert not window.ok and window.outside_window and window.status == 400
    assert window.attempts == 1  # not retried: the adapter holds the reply
    assert not gateway.ok and gateway.status == 502 and gateway.code is None
    assert "bad gateway" in gateway.detail and gateway.retryable


async def test_a_refused_connection_is_retried_then_returned(
        caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)

    caplog.set_level("DEBUG")
    async with new_session() as session:
        sender = GraphSender(session, f"http://127.0.0.1:{port}/v21.0", PHONE_ID, TOKEN,
                             retry_delays=(0.5, 1.5), sleep=sleep)
        result = await sender.post(BODY)
    assert not result.ok and result.status is None and result.code is None
    assert result.attempts == 3 and delays == [0.5, 1.5]
    assert result.detail.startswith("ClientConnectorError: cannot connect to 127.0.0.1")
    assert TOKEN not in result.detail and PHONE_ID not in result.detail
    assert TOKEN not in caplog.text


async def test_an_answer_that_never_comes_times_out(serve: Any) -> None:
    gone = asyncio.Event()

    async def messages(request: web.Request) -> web.Response:
        try:
            await asyncio.sleep(30)
        finally:
            gone.set()
        return web.json_response({})

    url = await serve(messages)
    async with new_session(read_timeout=0.2) as session:
        result = await GraphSender(session, url, PHONE_ID, TOKEN).post_once(BODY)
    assert not result.ok and result.status is None and result.retryable
    assert result.detail == "TimeoutError: no answer in time"
    assert TOKEN not in result.detail
    await asyncio.wait_for(gone.wait(), 5)  # the connection was dropped, not left open


async def test_a_bad_base_url_is_a_failed_send_not_an_exception() -> None:
    async with new_session() as session:
        result = await GraphSender(session, "", PHONE_ID, TOKEN).post_once(BODY)
    assert not result.ok and result.status is None
    assert PHONE_ID not in result.detail and TOKEN not in result.detail
