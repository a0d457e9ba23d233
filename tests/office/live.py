"""The office and the WhatsApp webhook served for real, as `main.py serve` serves them.

`Live` builds the App on a TinyDB folder, with its WhatsApp adapter sending to the fake
Graph API (tests/whatsapp/fake_graph.py, in a thread of its own) and ``bot.server``'s ASGI
app (webhooks, /office/, /healthz) served by uvicorn with its lifespan (adapters started,
store flushed at the end) in another thread, on a free loopback port: the browser talks to
it over HTTP as to a market office's server, while people chat through signed webhook
posts and read their replies at the fake. The markets are this repository's, with the
staff of Pasar Kranji Baru on WhatsApp numbers (so `masuk` gets its link over WhatsApp).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bot.adapters.whatsapp import WhatsAppAdapter
from bot.adapters.whatsapp_parse import sign
from bot.app import App
from bot.server import build_server
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import ROOT, test_config
from tests.whatsapp.fake_graph import FakeGraph, Served
from tests.whatsapp.support import SECRET, settings, text

COORDINATOR = "6281300000001"  # Pak Budi, Pasar Kranji Baru (in place of console:koord-kranji-1)
SECOND = "6281300000002"  # Bu Sri, the market's second coordinator
HEAD = "6281300000009"  # Bu Ratna, the head of the market unit
RESIDENT = "6281234567890"
ADDRESS = "Jl. Melati No. 12, RT 03/RW 05, Jatibening, dekat masjid Al-Ikhlas"
WAIT = 10.0  # seconds a test waits for the bot before failing (a loaded machine; not a check)
LINK = re.compile(r"https?://\S+/office/masuk/[A-Za-z0-9_\-]+")


def staff_on_whatsapp(tmp_path: Path) -> Path:
    """data/markets.yaml with Pasar Kranji Baru's staff on WhatsApp numbers."""
    source = (ROOT / "data" / "markets.yaml").read_text(encoding="utf-8")
    for console, number in (("console:koord-kranji-1", COORDINATOR),
                            ("console:koord-kranji-2", SECOND),
                            ("console:kepala-kranji", HEAD)):
        assert console in source, f"{console} is no longer in data/markets.yaml"
        source = source.replace(console, f"whatsapp:{number}")
    path = tmp_path / "markets.yaml"
    path.write_text(source, encoding="utf-8")
    return path


class Live:
    """The app, served; `start` and `close` from any thread (they block briefly)."""

    def __init__(self, tmp_path: Path) -> None:
        self.graph = FakeGraph()
        self.graph_served = Served(self.graph.app)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = test_config()
        config["server"] = {**config["server"], "host": "127.0.0.1", "port": port}
        config["data"] = {**config["data"], "markets": str(staff_on_whatsapp(tmp_path))}
        config["whatsapp"] = settings(self.graph_served.url)
        self.app = App(config, store=TinyDBStore(tmp_path / "data"))
        self.adapter = WhatsAppAdapter(self.app, config["whatsapp"],
                                       retry_delays=(0.001, 0.002, 0.004))
        self.app.attach(self.adapter)
        self.server = uvicorn.Server(uvicorn.Config(
            build_server(self.app, [self.adapter]), log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)

    def start(self) -> Live:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:  # start-up only
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the served app did not start")
            time.sleep(0.01)
        return self

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.graph.release()
        self.graph_served.close()
        self.app.close()


class Chat:
    """People writing to the served bot on WhatsApp, reading their replies at the fake."""

    def __init__(self, live: Live) -> None:
        self.live = live
        self.http = httpx.AsyncClient(base_url=live.url, timeout=WAIT)

    async def aclose(self) -> None:
        await self.http.aclose()

    def to(self, user: str) -> list[dict[str, Any]]:
        return self.live.graph.to(user)

    def texts(self, user: str, since: int = 0) -> list[str]:
        """What ``user`` was sent, as text (an interactive message's body text)."""
        found = []
        for body in self.to(user)[since:]:
            if body.get("type") == "text":
                found.append(body["text"]["body"])
            elif body.get("type") == "interactive":
                found.append(body["interactive"].get("body", {}).get("text", ""))
        return found

    async def post(self, payload: dict[str, Any]) -> None:
        """Post one webhook delivery, signed as Meta signs it."""
        body = json.dumps(payload).encode("utf-8")
        response = await self.http.post(
            "/webhooks/whatsapp", content=body,
            headers={"content-type": "application/json",
                     "x-hub-signature-256": sign(SECRET, body)})
        assert response.status_code == 200, response.text

    async def say(self, user: str, body: str, expect: str = "") -> list[str]:
        """Send ``body`` as ``user``; wait until a reply (containing ``expect``) came."""
        since = len(self.to(user))
        await self.post(text(body, user))
        return await self.wait(user, since, expect)

    async def wait(self, user: str, since: int, expect: str = "") -> list[str]:
        def check() -> list[str] | None:
            got = self.texts(user, since)
            return got if any(expect in t for t in got) else None
        return await until(check, f"a reply to {user} with {expect!r}")

    async def sign_in_link(self, user: str) -> str:
        """The link the bot sends ``user`` for `masuk`."""
        replies = await self.say(user, "masuk", "/office/masuk/")
        found = LINK.search("\n".join(replies))
        assert found, replies
        return found.group(0)

    async def order(self, user: str = RESIDENT, items: str = "telur 1 kg") -> str:
        """A whole order at Pasar Kranji Baru, typed; returns its code."""
        for body in ("halo", "1", "kranji baru", items, "selesai", ADDRESS):
            await self.say(user, body)
        replies = await self.say(user, "ya", "diterima")
        found = re.search(r"KRB-\d{4}-\d{3,}", "\n".join(replies))
        assert found, replies
        return found.group(0)


async def until(check: Callable[[], Any], what: str, wait: float = WAIT) -> Any:
    """Poll ``check`` until it is truthy; fail after ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {wait} s for {what}")
        await asyncio.sleep(0.02)
    return found
