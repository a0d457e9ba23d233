"""``python3 main.py serve`` as it is run: a real process polling the fake Bot API, answering
a resident, stopped by SIGTERM, its log saying what started where without the token."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from pathlib import Path

import httpx
import yaml

from tests.chat import ROOT
from tests.telegram.fakeapi import TOKEN, FakeBotAPI
from tests.telegram.residents import Resident


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def config_file(tmp_path: Path, fake: FakeBotAPI, port: int) -> Path:
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["flows"]["dir"] = str(ROOT / "flows")
    config["locales"] = str(ROOT / "locales")
    config["data"] = {k: str(ROOT / v) for k, v in config["data"].items()}
    config["storage"] = {"backend": "tinydb", "path": str(tmp_path / "data")}
    config["server"] = {"host": "127.0.0.1", "port": port}
    config["telegram"].update(enabled=True, base_url=fake.base_url, poll_timeout=1)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


async def test_serve_polls_answers_and_stops_on_sigterm(tmp_path: Path, fake: FakeBotAPI) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "main.py"), "--config", str(config_file(tmp_path, fake, port)),
        "serve", env={"TELEGRAM_BOT_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for(lambda: fake.called("deleteWebhook"), "polling to start")
        await Resident(fake, 901).say("halo", expect="Apa yang ingin Anda lakukan?")
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert health.json()["adapters"] == ["telegram"]
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    log = err.decode()
    # serve runs its own shutdown and exits 0 (uvicorn no longer re-raises the signal)
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert f"telegram: @PasarDaringBot polling {fake.url}" in log
    assert "telegram: stopped" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
