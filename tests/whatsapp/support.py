"""A resident on WhatsApp: webhook payloads built from the fixtures, posted signed to the
real ASGI app of `main.py serve`, with the replies read back from the fake Graph API."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import httpx

from bot.adapters.whatsapp import WEBHOOK_PATH, WhatsAppAdapter
from bot.adapters.whatsapp_parse import sign
from bot.app import App
from bot.server import build_server
from tests.whatsapp.fake_graph import PHONE_NUMBER_ID, TOKEN, FakeGraph

PAYLOADS = Path(__file__).parent / "payloads"
SECRET = "test-app-secret"
VERIFY = "test-verify-token"
USER = "6281234567890"  # the sender in the fixtures
_wamids = itertools.count(1)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


def settings(graph_url: str, **extra: Any) -> dict[str, Any]:
    return {"enabled": True, "access_token": TOKEN, "phone_number_id": PHONE_NUMBER_ID,
            "app_secret": SECRET, "verify_token": VERIFY,
            "api_base_url": f"{graph_url}/v21.0", **extra}


def message(kind: str, user: str = USER, **fields: Any) -> dict[str, Any]:
    """The fixture ``kind`` sent by ``user`` with a fresh wamid; ``fields`` replace parts
    of the message (``text={"body": ...}``)."""
    payload = copy.deepcopy(fixture(kind))
    value = payload["entry"][0]["changes"][0]["value"]
    msg = value["messages"][0]
    msg.update(fields)
    msg["from"] = user
    msg["id"] = f"wamid.TEST{next(_wamids):08d}"
    value["contacts"][0]["wa_id"] = user
    return payload


def text(body: str, user: str = USER) -> dict[str, Any]:
    return message("text", user, text={"body": body})


def pressed(option_id: str, user: str = USER, *, kind: str = "button_reply") -> dict[str, Any]:
    interactive = {"type": kind, kind: {"id": option_id, "title": option_id}}
    return message("button_reply" if kind == "button_reply" else "list_reply", user,
                   interactive=interactive)


class WaBot:
    """The app, its WhatsApp adapter and an HTTP client to the ASGI server."""

    def __init__(self, app: App, graph: FakeGraph, graph_url: str, **extra: Any) -> None:
        self.app = app
        self.graph = graph
        # the adapter makes its own aiohttp session, as in production, on the fake's URL
        self.adapter = WhatsAppAdapter(app, settings(graph_url, **extra),
                                       retry_delays=(0.001, 0.002, 0.004))
        app.attach(self.adapter)
        self.server = build_server(app, [self.adapter])
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.server),
                                      base_url="http://bot.test")
        self.closed = False

    async def start(self) -> WaBot:
        await self.adapter.start()
        return self

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        await self.adapter.stop()
        await self.http.aclose()

    async def post(self, payload: dict[str, Any] | bytes, *, signature: str | None = "good",
                   wait: bool = True) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        headers = {"content-type": "application/json"}
        if signature == "good":
            headers["x-hub-signature-256"] = sign(SECRET, body)
        elif signature is not None:
            headers["x-hub-signature-256"] = signature
        response = await self.http.post(WEBHOOK_PATH, content=body, headers=headers)
        if wait:
            await self.adapter.idle()
        return response

    async def send(self, payload: dict[str, Any], user: str = USER) -> list[dict[str, Any]]:
        """Post one message and return what the bot sent ``user`` because of it."""
        before = len(self.graph.to(user))
        response = await self.post(payload)
        assert response.status_code == 200, response.text
        return self.graph.to(user)[before:]

    async def say(self, body: str, user: str = USER) -> list[dict[str, Any]]:
        return await self.send(text(body, user), user)

    async def press(self, option_id: str, user: str = USER, *,
                    kind: str = "button_reply") -> list[dict[str, Any]]:
        return await self.send(pressed(option_id, user, kind=kind), user)

    def session(self, user: str = USER) -> dict[str, Any]:
        return self.app.store.get_session(f"whatsapp:{user}") or {}


def interactive(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """The last interactive part of what was sent."""
    found = [b["interactive"] for b in bodies if b["type"] == "interactive"]
    assert found, f"no interactive message in {bodies}"
    return found[-1]


def rows(bodies: list[dict[str, Any]]) -> list[dict[str, str]]:
    content = interactive(bodies)
    assert content["type"] == "list", content
    return [r for s in content["action"]["sections"] for r in s["rows"]]


def buttons(bodies: list[dict[str, Any]]) -> list[dict[str, str]]:
    content = interactive(bodies)
    assert content["type"] == "button", content
    return [b["reply"] for b in content["action"]["buttons"]]


def texts(bodies: list[dict[str, Any]]) -> str:
    parts = []
    for body in bodies:
        if body["type"] == "text":
            parts.append(body["text"]["body"])
        elif body["type"] == "interactive":
            parts.append(body["interactive"]["body"]["text"])
    return "\n".join(parts)
