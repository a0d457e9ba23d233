"""config.yaml and data/markets.yaml as the market office writes them: every problem at
once, each at its own line and naming its key (issue 10, item 23). The CLI side (start
refused, exit 2) is in tests/test_cli.py."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bot.app import App
from bot.config import load_config
from bot.config_check import check_config
from bot.engine.loader import FlowLoadError
from bot.ordering.chat.hours import hhmm
from bot.ordering.domain.clock import ClockError, parse_clock, parse_span
from bot.ordering.domain.markets import MarketDataError, load_markets
from tests.chat import test_config

ROOT = Path(__file__).resolve().parents[1]


def problems_of(path: Path) -> list[tuple[int, str]]:
    with pytest.raises(MarketDataError) as caught:
        load_markets(path)
    assert str(caught.value).splitlines()[0].startswith(f"{path}:")  # the path once
    return [(p.line, p.message) for p in caught.value.problems]


def test_the_shipped_files_are_clean() -> None:
    config = load_config(ROOT / "config.yaml", env={})
    assert check_config(config) == []
    assert len(load_markets(ROOT / "data" / "markets.yaml").markets) == 14


def test_every_markets_problem_is_reported_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "markets.yaml"
    path.write_text(
        "timezone: Asia/Jakrta\n"                          # 1
        "markets:\n"                                       # 2
        "  - id: kranji-baru\n"                            # 3
        "    name: Pasar Kranji Baru\n"                    # 4
        "    code: KRB\n"                                  # 5
        "    status: buka\n"                               # 6
        "    coordinators:\n"                              # 7
        "      - {user: console:budi, nama: Pak Budi}\n"   # 8
        "      - 0812345678\n"                             # 9
        "  - id: kranji-baru\n"                            # 10
        "    name: Pasar Kranji Baru lagi\n"               # 11
        "  - id: bintara\n"                                # 12
        "    name: Pasar Bintara\n"                        # 13
        "    code: B1\n"                                   # 14
        "    hours: 05.00 sampai 14.00\n"                  # 15
        "pasar: []\n", encoding="utf-8")                   # 16
    found = problems_of(path)
    assert [line for line, _ in found] == [1, 6, 8, 9, 10, 14, 15, 16]
    messages = dict(found)
    assert messages[1] == "timezone 'Asia/Jakrta' is not a time zone (e.g. Asia/Jakarta)"
    assert messages[6] == "market kranji-baru: status must be one of open, coming, got 'buka'"
    assert messages[8].startswith("market kranji-baru: unknown key 'nama' (did you mean 'name'?")
    assert "'0812345678' is not a user key" in messages[9]
    assert messages[10] == "duplicate market id 'kranji-baru' (first at line 3)"
    assert "code 'B1': three letters" in messages[14]
    assert "05.00 sampai 14.00" in messages[15]
    assert messages[16].startswith("unknown key 'pasar'")


def test_duplicate_codes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "markets.yaml"
    path.write_text("markets:\n"
                    "  - {id: kranji-baru, name: Pasar Kranji Baru, code: KRB}\n"
                    "  - {id: kranji-lama, name: Pasar Kranji Lama, code: krb}\n",
                    encoding="utf-8")
    assert problems_of(path) == [(3, "market kranji-lama: code 'KRB' is already the code of "
                                     "kranji-baru (line 2); order codes must tell markets "
                                     "apart")]


def test_hours_are_read_as_the_bot_writes_them(tmp_path: Path) -> None:
    opens, closes = time(5, 0), time(14, 30)
    assert parse_span(f"{hhmm(opens)}-{hhmm(closes)}") == (opens, closes)  # 05.00-14.30
    assert parse_span("05:00 - 14:30") == parse_span("5.00–14.30") == (opens, closes)
    path = tmp_path / "markets.yaml"
    path.write_text("default_hours: 06.00-12.00\nmarkets:\n"
                    "  - {id: a, name: Pasar A, code: AAA}\n"
                    "  - {id: b, name: Pasar B, code: BBB, hours: 04.30-10.00}\n",
                    encoding="utf-8")
    a, b = load_markets(path).markets
    assert (a.opens, a.closes, b.opens, b.closes) == (time(6), time(12), time(4, 30), time(10))
    for wrong in ("8 malam", "25.00", "20:61", ""):
        with pytest.raises(ClockError):
            parse_clock(wrong)


def test_a_bad_recap_time_stops_the_app_at_start() -> None:
    """recap.time "8 malam" once started the bot and logged a failing job every minute."""
    with pytest.raises(FlowLoadError) as caught:
        App(test_config(recap={"time": "8 malam"}))
    assert "recap.time: '8 malam' is not a time like 20:00" in str(caught.value)


def test_config_keys_and_values_name_the_key_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "storage:\n"                    # 1
        "  backend: tinydb\n"           # 2
        "  backend: memory\n"           # 3
        "telegram:\n"                   # 4
        "  enabled: ya\n"               # 5
        "  mode: polling\n"             # 6
        "  pol_timeout: 30\n"           # 7
        "recap:\n"                      # 8
        "  time: 20:00\n"               # 9  unquoted: YAML reads the number 1200
        "admins: [0812345678]\n",       # 10
        encoding="utf-8")
    found = [(p.line, p.message) for p in check_config(load_config(path, env={}))]
    assert [line for line, _ in found] == [3, 5, 7, 9, 10]
    messages = dict(found)
    assert messages[3] == "duplicate key 'backend' (first at line 2)"
    assert messages[5] == "telegram.enabled: must be true or false, got 'ya'"
    assert "unknown key 'telegram.pol_timeout' (did you mean 'telegram.poll_timeout'?" in (
        messages[7])
    assert messages[9] == 'recap.time: write the time in quotes, like time: "20:00"'
    assert messages[10].startswith("admins: '0812345678': not a user key")


def test_a_section_left_empty_keeps_its_defaults(tmp_path: Path) -> None:
    """``telegram:`` with every key commented out is not an error."""
    path = tmp_path / "config.yaml"
    path.write_text("telegram:\n  # enabled: true\nadmins:\nrecap:\n  time:\n",
                    encoding="utf-8")
    config = load_config(path, env={})
    assert check_config(config) == []
    assert config["telegram"]["mode"] == "polling" and config["admins"] == []



def test_an_unknown_language_names_the_languages_there_are(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"locales: {ROOT / 'locales'}\nlanguage: jv\n", encoding="utf-8")
    assert [(p.line, p.message) for p in check_config(load_config(path, env={}))] == [
        (2, "language: 'jv' has no catalog; use one of: en, id")]
