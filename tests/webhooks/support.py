"""`main.py serve` as a real process on both webhooks, and residents posting to it.

`ServeProcess` runs ``python3 main.py --config ... serve`` with Telegram in webhook mode
(replies to the fake Bot API of tests/telegram/fakeapi.py) and WhatsApp (replies to the
fake Graph API of tests/whatsapp/fake_graph.py), on a TinyDB folder that outlives the
process, so a test can kill it (-9) and start it again on the same data. `Poster` posts a
webhook delivery the way the platforms do: signed (WhatsApp) or with the secret token
(Telegram), and, when there is no 200, posted again, unchanged, until there is one.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from bot.adapters.whatsapp_parse import sign
from tests.chat import ROOT, write_config
from tests.telegram.fakeapi import TOKEN
from tests.whatsapp.fake_graph import PHONE_NUMBER_ID, FakeGraph, Served
from tests.whatsapp.fake_graph import TOKEN as GRAPH_TOKEN

WA_SECRET = "soak-app-secret"
TG_SECRET = "soak_secret-token"
WA_PATH = "/webhooks/whatsapp"
TG_PATH = "/webhooks/telegram"
READY_WAIT = 30.0  # seconds a start may take on a loaded machine before the test fails


def served_graph() -> Iterator[tuple[FakeGraph, str]]:
    """A fake Graph API served on a free port: (the fake, its URL), for a fixture to yield
    from; held replies are let go before it closes."""
    fake = FakeGraph()
    served = Served(fake.app)
    try:
        yield fake, served.url
    finally:
        fake.release()
        served.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_config(tmp_path: Path, port: int, *, graph_url: str | None = None,
                 bot_api_url: str | None = None) -> Path:
    """A config file for `serve` with WhatsApp (if ``graph_url``) and the Telegram webhook
    (if ``bot_api_url``, the fake's base_url) enabled."""
    sections: dict[str, Any] = {"server": {"host": "127.0.0.1", "port": port}}
    if graph_url is not None:
        sections["whatsapp"] = {
            "enabled": True, "access_token": GRAPH_TOKEN, "phone_number_id": PHONE_NUMBER_ID,
            "app_secret": WA_SECRET, "verify_token": "soak-verify",
            "api_base_url": f"{graph_url}/v21.0",
        }
    if bot_api_url is not None:
        sections["telegram"] = {
            "enabled": True, "token": TOKEN, "base_url": bot_api_url, "mode": "webhook",
            "webhook_url": "https://pasar.example.org", "secret_token": TG_SECRET,
            "retry_backoff": 0.05,
        }
    return write_config(tmp_path, **sections)


class ServeProcess:
    """One `main.py serve` process at a time on ``config``; its stderr appended to ``log``."""

    def __init__(self, config: Path, port: int, log: Path, *, args: tuple[str, ...] = ()) -> None:
        self.config, self.port, self.log = config, port, log
        self.args = args  # after `serve` (``--workers 2``)
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self._mark = 0

    async def start(self) -> None:
        """Start the process and wait until it answers /healthz (raises if it died)."""
        self._mark = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as err:  # a Popen polled, not asyncio's child watcher
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "main.py"), "--config", str(self.config), "serve",
                 *self.args],
                cwd=ROOT, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(int(READY_WAIT / 0.02)):
                if self.proc.poll() is not None:
                    raise AssertionError(f"serve ended with {self.proc.returncode}: "
                                         f"{self.stderr()[-3000:]}")
                try:
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.02)
        raise AssertionError(f"serve did not answer in {READY_WAIT} s: {self.stderr()[-3000:]}")

    def kill9(self) -> None:
        self.send(signal.SIGKILL)

    def send(self, sig: int) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    async def wait(self, timeout: float = 60.0) -> int:
        """Wait for the process to end; returns its exit code."""
        assert self.proc is not None
        for _ in range(int(timeout / 0.01)):
            code = self.proc.poll()
            if code is not None:
                return code
            await asyncio.sleep(0.01)
        raise AssertionError(f"serve did not end in {timeout} s")

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        """Send ``sig`` and wait for the process to end; returns its exit code."""
        self.send(sig)
        return await self.wait(timeout)

    def stderr(self) -> str:
        """What the current (or last) process wrote to stderr."""
        with self.log.open("rb") as handle:
            handle.seek(self._mark)
            return handle.read().decode("utf-8", "replace")


class Poster:
    """Posts deliveries to the server at ``url``; counts the attempts that got no 200."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30.0, connect=2.0))
        self.failed = 0

    async def aclose(self) -> None:
        await self.client.aclose()

    async def whatsapp(self, payload: dict[str, Any], *, forever: bool = True) -> bool:
        body = json.dumps(payload).encode("utf-8")
        headers = {"content-type": "application/json",
                   "x-hub-signature-256": sign(WA_SECRET, body)}
        return await self._post(WA_PATH, body, headers, forever)

    async def telegram(self, update: dict[str, Any], *, forever: bool = True) -> bool:
        body = json.dumps(update).encode("utf-8")
        headers = {"content-type": "application/json",
                   "X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
        return await self._post(TG_PATH, body, headers, forever)

    async def _post(self, path: str, body: bytes, headers: dict[str, str],
                    forever: bool) -> bool:
        """True once a 200 came back; with ``forever`` the same body is posted again after
        a failure (a dead server, a 5xx), as Meta and Telegram redeliver."""
        while True:
            try:
                response = await self.client.post(path, content=body, headers=headers)
                if response.status_code == 200:
                    return True
                if response.status_code < 500:
                    raise AssertionError(f"{path}: {response.status_code} {response.text}")
            except httpx.TransportError:
                pass
            self.failed += 1
            if not forever:
                return False
            await asyncio.sleep(0.05)


def whatsapp_serve(tmp_path: Path, graph_url: str) -> tuple[ServeProcess, Poster]:
    """`serve` on WhatsApp alone, replying to the fake Graph API at ``graph_url``, its data
    and log in ``tmp_path`` (not started yet), and a `Poster` for it."""
    port = free_port()
    serve = ServeProcess(serve_config(tmp_path, port, graph_url=graph_url), port,
                         tmp_path / "serve.log")
    return serve, Poster(serve.url)


async def until(check: Callable[[], object], what: str, wait: float = 20.0) -> None:
    """Return once ``check()`` is true; fail after ``wait`` seconds, saying ``what``."""
    for _ in range(int(wait / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"waited {wait:g} s for {what}")
