"""A Bot API that cannot be reached (refused, no such host, 5xx) or that refuses the token
(issue 10 item 24): one clear line per try, tries again with a doubling, capped wait, no
traceback; a refused token stops `serve` with one line naming the setting."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import sys
import time
from pathlib import Path

import pytest

from bot.app import App
from tests.chat import ROOT
from tests.telegram.conftest import make_app
from tests.telegram.fakeapi import FakeBotAPI, serve
from tests.telegram.residents import Resident
from tests.telegram.test_serve import config_file, free_port

UNREACHABLE = "is not available"


def closed_port() -> int:
    """A local port nobody listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def until(check, what: str, limit: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, f"waited {limit} s for {what}"
        await asyncio.sleep(0.02)


def lines(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], "a log record with a traceback"
    assert "Traceback" not in caplog.text


async def test_an_unreachable_api_is_tried_again_with_a_capped_backoff_then_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.adapters.telegram import TelegramAdapter

    caplog.set_level(logging.INFO)
    port = closed_port()
    fake = FakeBotAPI()
    fake.url = f"http://127.0.0.1:{port}"
    app = make_app(tmp_path, fake, retry_backoff=0.05, reconnect_max=0.2)
    adapter = TelegramAdapter(app, app.config["telegram"])
    app.attach(adapter)
    await adapter.start()  # returns: the server would run meanwhile
    try:
        await until(lambda: len(lines(caplog, UNREACHABLE)) >= 5, "five tries")
        async with serve(fake, port=port):  # the API comes back
            await until(lambda: lines(caplog, "polling"), "polling to start")
            await Resident(fake, 950).say("halo", expect="Apa yang ingin Anda lakukan?")
            await adapter.stop()
    finally:
        await adapter.stop()  # again, if the test failed before: does nothing twice
        app.close()
    tries = lines(caplog, UNREACHABLE)
    assert all(f"cannot connect to 127.0.0.1:{port} (Connection refused)" in t for t in tries)
    waits = [float(re.search(r"trying again in ([\d.]+) s", t).group(1)) for t in tries]
    assert waits[:5] == [0.05, 0.1, 0.2, 0.2, 0.2]  # doubling, capped at reconnect_max
    no_traceback(caplog)


@pytest.mark.parametrize("where", ["http://no-such-host.invalid/bot", "5xx"])
async def test_no_such_host_or_a_5xx_is_one_line_per_try_a_later_401_ends_it(
    where: str, tmp_path: Path, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.adapters.telegram import TelegramAdapter

    caplog.set_level(logging.INFO)
    if where == "5xx":
        for status in (502, 503, 500, 401):
            fake.fail_next("getMe", status)
        settings = {"retry_backoff": 0.02}
    else:
        settings = {"retry_backoff": 0.02, "base_url": where}
    app = make_app(tmp_path, fake, **settings)
    adapter = TelegramAdapter(app, app.config["telegram"])
    app.attach(adapter)
    await adapter.start()
    try:
        await until(lambda: len(lines(caplog, UNREACHABLE)) >= 3, "three tries")
        if where == "5xx":  # the fourth getMe: the token is refused, no more tries
            await until(lambda: lines(caplog, "telegram.token"), "the refusal said")
            [refused] = lines(caplog, "telegram.token")
            assert "TELEGRAM_BOT_TOKEN" in refused and "off until" in refused
            assert len(lines(caplog, UNREACHABLE)) == 3
            assert "NetworkError: fake failure 502" in lines(caplog, UNREACHABLE)[0]
            assert not lines(caplog, "polling")
        else:
            assert "cannot connect to no-such-host.invalid:80" in lines(caplog, UNREACHABLE)[0]
    finally:
        await adapter.stop()
        app.close()
    no_traceback(caplog)


async def test_a_failed_poll_is_one_line_and_a_revoked_token_names_the_setting(
    fake: FakeBotAPI, polling: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake.fail_next("getUpdates", 502)
    await Resident(fake, 951).say("halo", expect="Apa yang ingin Anda lakukan?")
    [failed] = lines(caplog, "polling the Bot API")
    assert "NetworkError: fake failure 502" in failed  # the API's description
    fake.fail_next("getUpdates", 401)  # the token is revoked while the bot runs
    await until(lambda: lines(caplog, "telegram.token"), "the refusal said")
    [refused] = lines(caplog, "telegram.token")
    assert "TELEGRAM_BOT_TOKEN" in refused
    await polling.adapters["telegram"].stop()  # polling has ended: no raise
    no_traceback(caplog)


async def test_serve_with_a_refused_token_says_which_setting_and_stops(
    tmp_path: Path, fake: FakeBotAPI
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "main.py"), "serve",
        "--config", str(config_file(tmp_path, fake, free_port())),
        env={"TELEGRAM_BOT_TOKEN": "123456:not-the-token", "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    log = (out + err).decode()
    assert process.returncode == 2, log
    assert "Traceback" not in log and "not-the-token" not in log
    [line] = [x for x in log.splitlines() if "refused" in x]
    assert "telegram.token" in line and "TELEGRAM_BOT_TOKEN" in line and "Unauthorized" in line
    assert not fake.called("getUpdates")  # it never started
