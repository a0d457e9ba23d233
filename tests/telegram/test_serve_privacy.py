"""Item 15 on a real ``main.py serve`` process (Telegram polling the fake Bot API, WhatsApp
webhook verified with its token): no token, secret or phone number in any line it logs,
uvicorn's access log included (it prints the query string, where ``hub.verify_token`` is),
and httpx's request lines (the Bot API URL carries the token) are not logged at all."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import httpx
import yaml

from tests.chat import ROOT
from tests.telegram.fakeapi import TOKEN, FakeBotAPI
from tests.telegram.residents import Resident
from tests.telegram.test_serve import config_file, free_port

VERIFY = "serve-verify-token-7f3a"
ENV = {"TELEGRAM_BOT_TOKEN": TOKEN, "WHATSAPP_ACCESS_TOKEN": "serve-access-token-91b2",
       "WHATSAPP_APP_SECRET": "serve-app-secret-5c6d", "WHATSAPP_VERIFY_TOKEN": VERIFY,
       "WHATSAPP_PHONE_NUMBER_ID": "1098765", "PATH": "/usr/bin:/bin"}


async def test_serve_logs_no_token_secret_or_number(tmp_path: Path, fake: FakeBotAPI) -> None:
    port = free_port()
    path = config_file(tmp_path, fake, port)
    config = yaml.safe_load(path.read_text())
    config["whatsapp"]["enabled"] = True
    path.write_text(yaml.safe_dump(config))
    stderr = tmp_path / "serve.stderr"  # read again by the session's log check
    with stderr.open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "main.py"), "--config", str(path), "-v", "serve",
            env=ENV, stdout=asyncio.subprocess.DEVNULL, stderr=err)
        try:
            await fake.wait_for(lambda: fake.called("deleteWebhook"), "polling to start")
            await Resident(fake, 902).say("halo", expect="Apa yang ingin Anda lakukan?")
            async with httpx.AsyncClient() as client:
                verified = await client.get(
                    f"http://127.0.0.1:{port}/webhooks/whatsapp",
                    params={"hub.mode": "subscribe", "hub.verify_token": VERIFY,
                            "hub.challenge": "4242"})
                refused = await client.get(
                    f"http://127.0.0.1:{port}/webhooks/whatsapp",
                    params={"hub.mode": "subscribe", "hub.verify_token": "guess-0812345678",
                            "hub.challenge": "1"})
            assert verified.text == "4242" and refused.status_code == 403
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
    log = stderr.read_text()
    assert "GET /webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=<redacted>" in log, log
    for secret in (TOKEN, TOKEN.split(":")[1], VERIFY, "guess-0812345678", "0812345678",
                   *ENV.values()):
        if secret not in ("/usr/bin:/bin", "1098765"):
            assert secret not in log, secret
    assert "HTTP Request:" not in log  # httpx's request lines: not logged
