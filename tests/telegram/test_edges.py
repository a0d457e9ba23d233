"""Hostile bodies at the Telegram webhook (issue 10, items 3, 4, 5, 8), through the real
server app and python-telegram-bot's real HTTP stack against the fake Bot API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from tests.chat import ADDRESS, ROOT, write_config
from tests.telegram.conftest import WEBHOOK_SECRET
from tests.telegram.fakeapi import FakeBotAPI
from tests.telegram.residents import Resident
from tests.telegram.test_webhook import SECRET_HEADER, Webhook, webhook  # noqa: F401

MIB = 1 << 20
CHUNK = 64 * 1024
PATH = "/webhooks/telegram"


class Pulled:
    """A request body streamed in chunks, counting how much the server pulled."""

    def __init__(self, total: int) -> None:
        self.total, self.bytes = total, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.bytes < self.total:
            self.bytes += CHUNK
            yield b"{" * CHUNK


async def test_a_body_over_the_limit_is_refused_413_while_it_streams(
        fake: FakeBotAPI, webhook: Webhook) -> None:  # noqa: F811
    for secret in (None, WEBHOOK_SECRET):
        body = Pulled(16 * MIB)  # chunked: no Content-Length
        headers = {SECRET_HEADER: secret} if secret else {}
        response = await webhook.client.post(PATH, content=body, headers=headers)
        assert response.status_code == 413 and body.bytes <= MIB + CHUNK


async def test_bad_json_with_the_secret_is_400(fake: FakeBotAPI,
                                               webhook: Webhook) -> None:  # noqa: F811
    headers = {SECRET_HEADER: WEBHOOK_SECRET}
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"update_id": ' + b"[" * 500 + b"]" * 500
                 + b"}", b"[]", b"7", b'{"update_id": NaN}', b'{"update_id": 1, "x": "\xff"}'):
        response = await webhook.client.post(PATH, content=body, headers=headers)
        assert response.status_code == 400, body[:40]
    ani = Resident(fake, 701, "Ani", deliver=webhook.deliver)
    await ani.say("halo", expect="Apa yang ingin Anda lakukan?")  # the next one is handled


async def test_lone_surrogates_from_telegram_are_stored_clean(
        tmp_path: Path, fake: FakeBotAPI, webhook: Webhook) -> None:  # noqa: F811
    async def deliver(update: dict) -> None:  # escaped as \ud800, as a JSON writer would
        response = await webhook.client.post(PATH, content=json.dumps(update).encode(),
                                             headers={SECRET_HEADER: WEBHOOK_SECRET})
        assert response.status_code == 200, response.text

    odd = Resident(fake, 702, "Bu \ud800Ani", deliver=deliver)
    await odd.say("halo \ud800", expect="Apa yang ingin Anda lakukan?")
    for said, expect in (("1", "pasar mana"), ("kranji baru", "daftar belanja"),
                         ("bayam 2 ikat \ud800", "Daftar Anda"), ("selesai", "Ke mana"),
                         (ADDRESS + " \ud800", "Nomor HP"),  # the name: her profile's
                         ("0813-1234-5678", "Bu \ufffdAni"), ("ya", "diterima")):
        await odd.say(said, expect=expect)
    [order] = webhook.app.store.query_orders()
    assert order["resident"]["name"] == "Bu \ufffdAni"
    await webhook.app.store.flush()
    result = subprocess.run(  # the running bot's folder, read as the market office does
        [sys.executable, str(ROOT / "main.py"), "--config", str(write_config(tmp_path)),
         "orders", "export", "--format", "csv"], capture_output=True, timeout=60,
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    assert "Bu \ufffdAni" in result.stdout.decode("utf-8")


async def test_an_impossible_pin_from_telegram_is_refused(fake: FakeBotAPI,
                                                          webhook: Webhook) -> None:  # noqa: F811
    eka = Resident(fake, 703, "Eka", deliver=webhook.deliver)
    for said, expect in (("halo", "Apa yang ingin"), ("1", "pasar mana"),
                         ("kranji baru", "daftar belanja"), ("telur 1 kg", "Daftar Anda"),
                         ("selesai", "Ke mana")):
        await eka.say(said, expect=expect)
    for pin in ((91.0, 106.9), (-6.2, 200.0), (-90.5, 0.0), (10**400, 0.0)):
        await eka.share_location(*pin, expect="tidak mungkin ada di peta")
    await eka.share_location(-6.2383, 106.9756, expect="Lokasi diterima")
