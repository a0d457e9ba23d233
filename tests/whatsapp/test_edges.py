"""Hostile bodies at the WhatsApp webhook (issue 10, items 3, 4, 5, 8): bodies too large,
sent chunked without a Content-Length; signed JSON of every bad shape; lone surrogates in
the sender, the profile name and the text; impossible location pins. All through the real
ASGI app of `main.py serve`, replies read from the fake Graph API."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.whatsapp import WEBHOOK_PATH
from bot.adapters.whatsapp_parse import sign
from bot.app import App
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import ADDRESS, Clock, test_config, write_config
from tests.whatsapp.fake_graph import FakeGraph
from tests.whatsapp.support import SECRET, USER, WaBot, fixture, message, text, texts

ROOT = Path(__file__).resolve().parents[2]
MIB = 1 << 20
CHUNK = 64 * 1024


class Pulled:
    """A request body streamed in chunks, counting how much the server pulled."""

    def __init__(self, total: int, chunk: bytes = b"x" * CHUNK) -> None:
        self.total, self.chunk, self.bytes = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.bytes < self.total:
            self.bytes += len(self.chunk)
            yield self.chunk


# -- item 3: bodies over the limit ---------------------------------------------------------
async def test_a_body_over_the_limit_is_refused_413_while_it_streams(wa: WaBot,
                                                                     graph: FakeGraph) -> None:
    chunked = Pulled(16 * MIB)  # no Content-Length: sent with Transfer-Encoding: chunked
    response = await wa.http.post(WEBHOOK_PATH, content=chunked)
    assert response.status_code == 413
    assert chunked.bytes <= MIB + CHUNK  # it stopped reading at the limit
    declared = Pulled(2 * MIB)
    response = await wa.http.post(WEBHOOK_PATH, content=declared,
                                  headers={"content-length": str(2 * MIB)})
    assert response.status_code == 413 and declared.bytes == 0  # refused before reading
    assert graph.sent == []
    # a signed body within the limit still arrives, chunked or not
    raw = json.dumps(text("halo")).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), 100):
            yield raw[start:start + 100]

    response = await wa.http.post(WEBHOOK_PATH, content=chunks(),
                                  headers={"x-hub-signature-256": sign(SECRET, raw)})
    assert response.status_code == 200
    await wa.adapter.idle()
    assert "Selamat datang" in texts(graph.to(USER))


async def test_the_limit_is_server_max_body_bytes(served_graph: tuple[FakeGraph, str],
                                                  graph: FakeGraph) -> None:
    from bot.storage.memory import MemoryStore

    config = test_config()
    config["server"] = {**config["server"], "max_body_bytes": 2048}
    bot = await WaBot(App(config, store=MemoryStore()), graph, served_graph[1]).start()
    try:
        small = await bot.post(text("halo"))
        large = await bot.post(text("x" * 3000))
        assert (small.status_code, large.status_code) == (200, 413)
    finally:
        await bot.close()


# -- item 4: signed JSON of any bad shape ----------------------------------------------------
BAD_BODIES = {
    "100k deep": b"[" * 100_000 + b"]" * 100_000,
    "deep in an object": b'{"object": "whatsapp_business_account", "entry": '
                         + b"[" * 5000 + b"]" * 5000 + b"}",
    "an array": b"[]",
    "a number": b"5",
    "null": b"null",
    "NaN": b'{"object": "whatsapp_business_account", "x": NaN}',
    "1e999": b'{"object": "whatsapp_business_account", "x": 1e999}',
    "invalid UTF-8": b'{"object": "\xff\xfe"}',
    "cut short": b'{"object": "whatsapp_b',
}


async def test_signed_bad_json_is_400_without_a_traceback(
        wa: WaBot, graph: FakeGraph, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name, body in BAD_BODIES.items():
        response = await wa.post(body)
        assert response.status_code == 400, name
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert graph.sent == []
    # wrong types inside a good body: those messages are skipped, the good one is answered
    odd = [{"from": 5, "type": "text"}, {"from": USER, "type": ["text"], "id": {}},
           {"from": USER, "type": "text", "text": {"body": 7}},
           {"from": USER, "type": "location", "location": {"latitude": "x"}}, "just text"]
    payload = text("halo")
    payload["entry"][0]["changes"][0]["value"]["messages"] += odd
    payload["entry"].append({"changes": "none"})
    response = await wa.post(payload)
    assert response.status_code == 200 and "Selamat datang" in texts(graph.to(USER))


# -- item 5: lone surrogates -------------------------------------------------------------
@pytest.fixture
async def stored_bot(tmp_path: Path, served_graph: tuple[FakeGraph, str],
                     graph: FakeGraph) -> AsyncIterator[Callable[[], Any]]:
    app = App(test_config(), store=TinyDBStore(tmp_path / "data"))
    app.engine.clock = Clock()
    bot = await WaBot(app, graph, served_graph[1]).start()

    async def close() -> None:
        await bot.close()
        app.close()

    bot.close_all = close  # type: ignore[attr-defined]
    yield bot
    if not bot.closed:
        await close()


async def test_lone_surrogates_from_whatsapp_are_stored_clean(
        tmp_path: Path, stored_bot: WaBot, graph: FakeGraph) -> None:
    odd_user = "62812\ud800"
    hello = text("halo \ud800", user=odd_user)
    response = await stored_bot.post(hello)  # json.dumps escapes it: \ud800 in the body
    assert response.status_code == 200
    assert "Selamat datang" in texts(graph.to("62812\ufffd"))
    status = fixture("status_failed")  # outside the window: the user becomes a store key
    status["entry"][0]["changes"][0]["value"]["statuses"][0]["recipient_id"] = odd_user
    assert (await stored_bot.post(status)).status_code == 200
    assert stored_bot.adapter.window.is_closed("62812\ufffd")
    named = text("halo")
    named["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = "Bu \ud800Ani"
    await stored_bot.send(named)
    for said in ("1", "kranji baru", "bayam 2 ikat \ud800", "selesai", ADDRESS + " \udcff"):
        await stored_bot.say(said)
    sent = await stored_bot.say("ya")
    assert "KRB-" in texts(sent), texts(sent)
    await stored_bot.close_all()  # type: ignore[attr-defined]
    result = subprocess.run(  # the CSV export printed the name, and died on it
        [sys.executable, str(ROOT / "main.py"), "--config", str(write_config(tmp_path)),
         "orders", "export", "--format", "csv"], capture_output=True, timeout=60, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    assert "Bu \ufffdAni" in result.stdout.decode("utf-8")


# -- item 8: impossible pins -----------------------------------------------------------------
IMPOSSIBLE = [{"latitude": 91.0, "longitude": 106.9}, {"latitude": -6.2, "longitude": -181},
              {"latitude": "NaN", "longitude": "106.9"}, {"latitude": "-Infinity", "longitude": 0}]


async def test_an_impossible_pin_from_whatsapp_is_refused(wa: WaBot) -> None:
    for said in ("halo", "1", "kranji baru", "telur 1 kg", "selesai"):
        await wa.say(said)
    for where in IMPOSSIBLE:
        sent = await wa.send(message("location", location=where))
        assert "tidak mungkin ada di peta" in texts(sent), where
        assert sent[-1]["interactive"]["type"] == "location_request_message"  # asked again
        assert wa.session()["state"] == "address"
    huge = await wa.post(message("location", location={"latitude": 10**400, "longitude": 0}))
    assert huge.status_code == 200 and wa.session()["state"] == "address"  # not a crash
    sent = await wa.send(message("location"))  # a real pin is taken
    assert "tidak mungkin" not in texts(sent) and wa.session()["state"] != "address"
