"""``main.py links`` with a WhatsApp number: the wa.me link and the message to forward."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from bot.cli import links
from tests.chat import test_config

WA = "https://wa.me/6281100001111?text=rw05-jatibening"


def args(**given: Any) -> argparse.Namespace:
    return argparse.Namespace(**{"referral": "rw05-jatibening", "bot_username": None,
                                 "lang": None, "wa_number": None, **given})


def test_whatsapp_only_prints_the_wa_me_link_and_the_message(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert links.run(test_config(), args(wa_number="0811-0000-1111")) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == WA
    message = out.split("\n\n", 1)[1]
    assert f"💬 Lewat WhatsApp: {WA}" in message and "t.me" not in message


def test_both_messengers_and_the_number_from_config(capsys: pytest.CaptureFixture[str]) -> None:
    config = test_config()
    config["whatsapp"] = {**config["whatsapp"], "display_number": "+62 811-0000-1111"}
    assert links.run(config, args(bot_username="PasarDaringBot", lang="en")) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == ["https://t.me/PasarDaringBot?start=rw05-jatibening", WA]
    assert f"On WhatsApp: {WA}" in out


def test_a_tag_the_bot_would_take_for_a_word_is_refused(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert links.run(test_config(), args(referral="jatibening", wa_number="0811")) == 2
    assert "rw or rt, the number" in capsys.readouterr().err


def test_the_parser_has_the_option() -> None:
    from bot.cli import build_parser

    parsed = build_parser().parse_args(["links", "--referral", "rw05", "--wa-number", "0811"])
    assert parsed.wa_number == "0811"
