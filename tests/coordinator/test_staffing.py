"""Nobody waits forever: a market without coordinators is not offered for ordering, and
`validate` and `doctor` say so; the shipped data staffs every open market."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.ordering.domain.markets import load_markets
from tests.chat import ROOT, ChatBot, test_config, write_config

MARKETS = """\
timezone: Asia/Jakarta
markets:
  - id: kranji-baru
    name: Pasar Kranji Baru
    code: KRB
    status: open
    coordinators: [console:koord-kranji-1]
  - id: bintara
    name: Pasar Bintara
    code: BTR
    status: open
    coordinators: []
"""


@pytest.fixture
def markets_file(tmp_path: Path) -> Path:
    path = tmp_path / "markets.yaml"
    path.write_text(MARKETS, encoding="utf-8")
    return path


def test_a_market_without_coordinators_is_not_offered(markets_file: Path) -> None:
    config = test_config()
    config["data"] = {**config["data"], "markets": str(markets_file)}
    bot = ChatBot(config=config)
    bot.say("halo")
    bot.say("1")
    assert bot.options() == ["kranji-baru"]
    assert "Pasar Bintara (belum ada koordinator)" in bot.text()
    bot.say("bintara")
    assert "Pasar Bintara belum punya koordinator" in bot.text()
    assert bot.state() == "order.market"


def test_validate_and_doctor_warn_of_a_market_without_coordinators(
        tmp_path: Path, markets_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, data={"markets": str(markets_file),
                                          "catalog": str(ROOT / "data" / "catalog.yaml")})
    assert main(["--config", str(config), "validate"]) == 0
    assert "Pasar Bintara (bintara) is open but has no coordinators" in capsys.readouterr().out
    main(["--config", str(config), "doctor"])
    assert "no coordinators for Pasar Bintara: residents are not offered" in \
        capsys.readouterr().out


def test_every_open_market_shipped_has_a_coordinator() -> None:
    markets = load_markets(ROOT / "data" / "markets.yaml")
    assert not markets.unstaffed
    assert {m.id for m in markets.open} >= {"jatiasih", "bintara", "rawalumbu", "family"}


def test_doctor_warns_when_an_escalation_would_reach_no_one(
        tmp_path: Path, markets_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, data={"markets": str(markets_file),
                                          "catalog": str(ROOT / "data" / "catalog.yaml")})
    main(["--config", str(config), "doctor"])
    assert "no head of unit for Pasar Kranji Baru and no admins" in capsys.readouterr().out
