"""Item 15: users in logs by a keyed pseudonym (bot/privacy.py), looked up with
``main.py whois`` by whoever holds the data folder; the redaction under every log line."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from bot import privacy
from bot.privacy import KEY_FILE, folder_key, pseudonym, read_key, redact, scrub
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import ChatBot, drive, write_config


def test_a_pseudonym_is_stable_keyed_and_never_the_user_key(tmp_path: Path) -> None:
    key = folder_key(tmp_path / "data")
    path = tmp_path / "data" / KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert folder_key(tmp_path / "data") == key == read_key(tmp_path / "data")  # made once
    name = pseudonym("whatsapp:6281234567890", key)
    assert name == pseudonym("whatsapp:6281234567890", key)
    assert name.startswith("u-") and len(name) == 12 and "628" not in name
    assert name != pseudonym("whatsapp:6281234567891", key)
    assert name != pseudonym("whatsapp:6281234567890", folder_key(tmp_path / "other"))
    assert pseudonym("console:\ud800", key).startswith("u-")  # any text, even a lone surrogate


def test_refusals_are_logged_by_the_data_folders_pseudonym(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bot = ChatBot(store=TinyDBStore(tmp_path / "data"))
    try:
        bot.say("halo", "6281234567890")
        with caplog.at_level(logging.WARNING, "bot.ordering.domain.roles"):
            bot.say("rekap", "6281234567890")
    finally:
        bot.store.close()
    key = read_key(tmp_path / "data")
    assert key is not None
    assert f"refused: {pseudonym('console:6281234567890', key)} (resident)" in caplog.text
    assert "6281234567890" not in caplog.text


def whois(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``main.py whois ARGS`` as parsed by the CLI, run in this process (it only reads)."""
    from bot.cli import build_parser
    from bot.config import load_config

    parsed = build_parser().parse_args(["whois", *args])
    capsys.readouterr()
    code = parsed.run(load_config(write_config(tmp_path)), parsed)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_whois_says_who_a_pseudonym_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, said = whois(tmp_path, capsys)
    assert code == 1 and "no pseudonym key yet" in said
    bot = ChatBot(store=TinyDBStore(tmp_path / "data"))
    drive(bot, "order.confirm")
    bot.say("ya")
    bot.say("halo", "tetangga")  # chatted, never ordered: in the journal only
    bot.store.flush_sync()
    bot.store.close()
    key = read_key(tmp_path / "data")
    assert key is not None
    warga = pseudonym("console:warga", key)
    code, listed = whois(tmp_path, capsys)
    assert code == 0, listed
    assert f"{warga}  console:warga  resident Bu Ani" in listed
    assert f"{pseudonym('console:tetangga', key)}  console:tetangga  chatted with the bot" \
        in listed
    budi = pseudonym("console:koord-kranji-1", key)
    assert f"{budi}  console:koord-kranji-1  coordinator Pak Budi (Pasar Kranji Baru)" in listed
    code, found = whois(tmp_path, capsys, warga, "u-0000000000", "0812-3456-7890")
    assert code == 1  # one pseudonym is nobody known
    lines = found.splitlines()
    assert lines[0] == f"{warga}  console:warga  resident Bu Ani"
    assert lines[1].startswith("u-0000000000  not a known user")
    assert lines[2] == (f"{pseudonym('whatsapp:6281234567890', key)}  whatsapp:6281234567890"
                        "  not a known user")
    assert list((tmp_path / "data").glob("*.key")) == [tmp_path / "data" / KEY_FILE]


@pytest.mark.parametrize(("line", "kept", "gone"), [
    ("whatsapp send to whatsapp:6281234567890 failed", "whatsapp send to", "6281234567890"),
    ("call 0812-3456-7890 or +62 812 3456 7890", "call", "3456"),
    ("POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe",
     "/getMe", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"),
    ('"GET /webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=abc123XYZ&hub.challenge=9 '
     'HTTP/1.1" 200', "hub.challenge=9", "abc123XYZ"),
    ("Authorization: Bearer EAAGm0PX4ZCpsBA", "Authorization", "EAAGm0PX4ZCpsBA"),
    ("message wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjk5OUZBQkNEAA== failed", "failed",
     "HBgNNjI4MTIz"),
    ("Calling setWebhook with {'url': 'https://x.org/hook', 'secret_token': 'Zq9-secret'}",
     "'url': 'https://x.org/hook'", "Zq9-secret"),
    ('{"access_token": "EAAB123xyz", "to": "u-3f9a1c0b7e"}', '"to": "u-3f9a1c0b7e"',
     "EAAB123xyz"),
    ("order KRB-1127-001 at 1764200000.0 rw05-jatibening", "KRB-1127-001 at 1764200000.0 "
     "rw05-jatibening", "<"),
])
def test_the_redaction_under_every_log_line(line: str, kept: str, gone: str) -> None:
    cleaned = redact(line)
    assert kept in cleaned and gone not in cleaned, cleaned


def test_the_redaction_keeps_a_records_shape_and_cleans_its_traceback() -> None:
    privacy.add_secrets(["very-secret-app-value"])
    access = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5", "GET",
                               "/webhooks/whatsapp?hub.verify_token=t0ken", "1.1", 200), None)
    scrub(access)
    assert len(access.args) == 5  # uvicorn's access formatter unpacks five arguments
    assert "t0ken" not in access.getMessage()
    try:
        raise ValueError("bad key whatsapp:6281234567890 with very-secret-app-value")
    except ValueError:
        failed = logging.LogRecord("bot", logging.ERROR, __file__, 1, "failed for %s",
                                   ({"to": "6281234567890"},), sys.exc_info())
    scrub(failed)
    text = logging.Formatter().format(failed)
    assert "6281234567890" not in text and "very-secret-app-value" not in text
    assert "ValueError" in text and "failed for" in text
