"""Webhook mode: updates posted to ``POST /webhooks/telegram`` of the real server app
(`bot.server.build_server`, its lifespan starting and stopping the adapter), replies going
to the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import App
from bot.server import build_server
from tests.chat import ADDRESS
from tests.telegram.conftest import WEBHOOK_SECRET, make_app
from tests.telegram.fakeapi import FakeBotAPI
from tests.telegram.residents import Resident

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Webhook:
    app: App
    client: httpx.AsyncClient

    async def post(self, update: dict[str, Any], secret: str | None = WEBHOOK_SECRET
                   ) -> httpx.Response:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        return await self.client.post("/webhooks/telegram", json=update, headers=headers)

    async def deliver(self, update: dict[str, Any]) -> None:
        response = await self.post(update)
        assert response.status_code == 200, response.text


@pytest.fixture
async def webhook(tmp_path: Path, fake: FakeBotAPI) -> AsyncIterator[Webhook]:
    from bot.adapters.telegram import TelegramAdapter

    app = make_app(tmp_path, fake, mode="webhook")
    adapter = TelegramAdapter(app, app.config["telegram"])
    app.attach(adapter)
    server = build_server(app, [adapter])
    transport = httpx.ASGITransport(app=server)
    async with (
        server.router.lifespan_context(server),  # starts the adapter: setWebhook
        httpx.AsyncClient(transport=transport, base_url="http://pasar.test") as client,
    ):
        yield Webhook(app, client)
    app.close()


async def test_start_registers_the_webhook_with_its_secret(
    fake: FakeBotAPI, webhook: Webhook
) -> None:
    [registered] = fake.called("setWebhook")
    assert registered.params["url"] == "https://pasar.example.org/webhooks/telegram"
    assert registered.params["secret_token"] == WEBHOOK_SECRET
    assert not fake.called("getUpdates")
    health = await webhook.client.get("/healthz")
    assert health.json()["adapters"] == ["telegram"]


async def test_a_whole_order_through_the_webhook(fake: FakeBotAPI, webhook: Webhook) -> None:
    eka = Resident(fake, 601, "Eka", deliver=webhook.deliver)
    await eka.say("/start rw02-pekayon", expect="Apa yang ingin Anda lakukan?")
    await eka.press("Pesan belanja", expect="pasar mana")
    await eka.press("Pasar Bintara", expect="Tulis daftar belanja untuk Pasar Bintara")
    await eka.say("tempe 2 papan\nbayam 2 ikat", expect="Daftar Anda (2)")
    await eka.press("Selesai", expect="Ke mana")
    await eka.say(ADDRESS, expect="Nomor HP")
    await eka.share_contact("+62 813-1234-5678", expect="Pilih salah satu")
    await eka.press("Ya, pesan", expect="diterima ✅")
    [order] = webhook.app.store.query_orders()
    assert order["market"] == "bintara" and order["user"] == "telegram:601"
    assert order["referral"] == "rw02-pekayon"
    assert order["resident"]["phone"] == "+6281312345678"


async def test_a_wrong_or_missing_secret_gets_403_and_nothing_is_handled(
    fake: FakeBotAPI, webhook: Webhook
) -> None:
    intruder = Resident(fake, 666, "X")
    wrong = await webhook.post(intruder.text_update("halo"), secret="tebakan")
    missing = await webhook.post(intruder.text_update("halo"), secret=None)
    assert (wrong.status_code, missing.status_code) == (403, 403)
    # a good update after them is handled; the refused ones never were
    fajar = Resident(fake, 602, "Fajar", deliver=webhook.deliver)
    await fajar.say("halo", expect="Apa yang ingin Anda lakukan?")
    assert fake.sent(chat=666) == []
    assert webhook.app.store.get_session("telegram:666") is None


async def test_a_body_that_is_not_an_update_gets_400(webhook: Webhook) -> None:
    response = await webhook.client.post(
        "/webhooks/telegram", content=b"not json", headers={SECRET_HEADER: WEBHOOK_SECRET})
    assert response.status_code == 400


async def test_an_update_delivered_twice_is_handled_once(
    fake: FakeBotAPI, webhook: Webhook
) -> None:
    gita = Resident(fake, 603, "Gita", deliver=webhook.deliver)
    await gita.say("halo", expect="Apa yang ingin Anda lakukan?")
    mark = fake.mark()
    choose = gita.text_update("1")
    await webhook.deliver(choose)
    await webhook.deliver(choose)  # Telegram retries a delivery it thinks failed
    await gita.say("kranji baru", expect="Tulis daftar belanja untuk Pasar Kranji Baru")
    assert [("pasar mana" in c.text) for c in fake.sent(gita.id, mark)] == [True, False]
