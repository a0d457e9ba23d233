"""The telegram config section checked at start, and ``main.py links``."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.adapters.telegram_setup import check_settings
from bot.cli import links
from bot.config import ConfigError
from tests.chat import ROOT
from tests.telegram.fakeapi import TOKEN, FakeBotAPI

GOOD = {"enabled": True, "token": TOKEN, "mode": "webhook",
        "webhook_url": "https://pasar.example.org", "secret_token": "s3cret"}


@pytest.mark.parametrize(("change", "said"), [
    ({"token": ""}, "TELEGRAM_BOT_TOKEN"),
    ({"mode": "push"}, "use polling or webhook"),
    ({"webhook_url": ""}, "telegram.webhook_url"),
    ({"secret_token": ""}, "TELEGRAM_SECRET_TOKEN"),
])
def test_a_section_that_cannot_work_is_refused_saying_what_to_set(
    change: dict, said: str
) -> None:
    check_settings(GOOD)
    check_settings({**GOOD, "mode": "polling", "webhook_url": "", "secret_token": ""})
    with pytest.raises(ConfigError, match=said):
        check_settings({**GOOD, **change})


def test_serve_without_a_token_says_so_and_exits(tmp_path: Path) -> None:
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["flows"]["dir"] = str(ROOT / "flows")
    config["locales"] = str(ROOT / "locales")
    config["data"] = {k: str(ROOT / v) for k, v in config["data"].items()}
    config["storage"] = {"backend": "memory"}
    config["telegram"]["enabled"] = True
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "--config", str(path), "serve"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in done.stderr and "Traceback" not in done.stderr


# -- links ----------------------------------------------------------------------------------
def args(**given: object) -> argparse.Namespace:
    return argparse.Namespace(**{"referral": "rw05-jatibening", "bot_username": None,
                                 "lang": None, **given})


def test_links_prints_the_deep_link_and_a_message_to_forward(
    capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.chat import test_config as config

    assert links.run(config(), args(bot_username="PasarDaringBot")) == 0
    out = capsys.readouterr().out
    link = "https://t.me/PasarDaringBot?start=rw05-jatibening"
    assert out.splitlines()[0] == link
    message = out.split("\n\n", 1)[1]
    assert link in message
    assert "11 pasar tradisional" in message and "Pasar Kranji Baru" in message
    assert "tanpa mark-up" in message and "Bayar tunai di rumah" in message


async def test_links_asks_telegram_for_the_username(
    fake: FakeBotAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.chat import test_config as config

    settings = config()
    settings["telegram"] = {**settings["telegram"], "token": TOKEN, "base_url": fake.base_url}
    assert await asyncio.to_thread(links.run, settings, args()) == 0
    assert "https://t.me/PasarDaringBot?start=rw05-jatibening" in capsys.readouterr().out
    assert [c.method for c in fake.calls] == ["getMe"]


@pytest.mark.parametrize("referral", ["rw 05", "rw05/jatibening", "x" * 65, "", "rw05<"])
def test_links_refuses_a_referral_telegram_would_not_carry(
    referral: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.chat import test_config as config

    assert links.run(config(), args(referral=referral, bot_username="B")) == 2
    assert "rw or rt, the number" in capsys.readouterr().err
    with pytest.raises(ValueError):
        links.telegram_link("B", referral)


def test_links_without_a_token_or_username_says_what_to_do(
    capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.chat import test_config as config

    assert links.run(config(), args()) == 1
    assert "--bot-username" in capsys.readouterr().err
