"""The office's pages in a test: the whole bot (`ChatBot`, a real store) and the office
built on its App, reached with Starlette's TestClient; staff sign in as people do, by
sending ``masuk`` in chat and pressing the one button of the link's page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from bot.office.app import build_office
from bot.storage.base import Store
from tests.chat import ADDRESS, ChatBot, Console

LINK = re.compile(r"https?://\S+?(/office/masuk/[A-Za-z0-9_\-]+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
KOORD = "koord-kranji-1"  # Pak Budi, Pasar Kranji Baru
KOORD_2 = "koord-kranji-2"  # Bu Sri, the same market
OTHER = "koord-harapan-1"  # Bu Yati, Pasar Harapan Jaya
HEAD = "kepala-kranji"  # Bu Ratna, head of Pasar Kranji Baru


BACKENDS = ("memory", "tinydb", "postgres")  # the office works on each (issue 15)


def open_store(kind: str, tmp_path: Path) -> Store:
    """A real store of ``kind``: memory, TinyDB files under ``tmp_path``, or PostgreSQL (this
    test process's real server and database, emptied first: tests/pg.py). Close it after."""
    from bot.ordering.domain.statuses import STATUSES
    from bot.storage.memory import MemoryStore
    from bot.storage.tinydb_store import TinyDBStore

    if kind == "memory":
        return MemoryStore(finished=STATUSES.finished)
    if kind == "postgres":
        from tests.pg import store_for_contract

        return store_for_contract(STATUSES.finished)
    return TinyDBStore(tmp_path / "data", finished=STATUSES.finished)


class OfficeBot:
    """A chat bot and its office, on one store; what the office sends in chat is kept in
    ``console.sent``."""

    def __init__(self, store: Store, config: dict[str, Any] | None = None) -> None:
        self.chat = ChatBot(store=store, config=config)
        self.console = Console()
        self.chat.app.adapters["console"] = self.console
        self.web = Starlette(routes=[Mount("/office", build_office(self.chat.app))])

    def client(self) -> TestClient:
        return TestClient(self.web, base_url="http://127.0.0.1:8080")

    def link_path(self, user: str) -> str:
        """``user`` sends `masuk`; the path of the link they got (the test fails without)."""
        self.chat.say("masuk", user)
        found = LINK.search(self.chat.text(user))
        if found is None:  # in one of the coordinator's menus: from the main menu
            self.chat.say("menu", user)
            self.chat.say("masuk", user)
            found = LINK.search(self.chat.text(user))
        assert found, self.chat.text(user)
        return found.group(1)

    def press(self, client: TestClient, path: str) -> Any:
        """Open the link's page and press its button (its POST, as a browser sends it)."""
        page = client.get(path)
        token = CSRF.search(page.text)
        return client.post(path, data={"csrf": token.group(1) if token else ""},
                           follow_redirects=False)

    def signed_in(self, user: str) -> TestClient:
        client = self.client()
        answer = self.press(client, self.link_path(user))
        assert answer.status_code == 303, answer.text
        return client

    def order(self, user: str = "warga", market: str = "kranji baru",
              items: str = "telur 1 kg") -> str:
        """A resident orders through the chat; the order's code."""
        for text in ("halo", "1", market, items, "selesai", ADDRESS, "Bu Ani",
                     "0812-3456-7890", "ya"):
            self.chat.say(text, user)
        return self.chat.orders(user)[-1]["code"]


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no form token on the page"
    return found.group(1)


def act(client: TestClient, code: str, action: str, **fields: str) -> Any:
    """Press an action's button on an order's page (with the page's form token)."""
    page = client.get(f"/office/order/{code}")
    return client.post(f"/office/order/{code}",
                       data={"csrf": csrf_of(page.text), "action": action, **fields})
