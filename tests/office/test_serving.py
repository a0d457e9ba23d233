"""The office as `main.py serve` and `main.py office` serve it, and its session cookie."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from bot.config_check import check_config
from bot.server import build_server
from tests.chat import test_config
from tests.office.support import KOORD, OfficeBot, open_store


def test_serve_mounts_the_office_with_its_htmx_beside_the_webhooks(tmp_path: Path) -> None:
    office = OfficeBot(open_store("memory", tmp_path))
    client = TestClient(build_server(office.chat.app, []))
    assert client.get("/healthz").status_code == 200
    assert client.get("/office/").status_code == 401  # not signed in: how to sign in
    script = client.get("/office/static/htmx.min.js")
    assert script.status_code == 200 and script.text.startswith("/*! htmx 2.")
    assert "0BSD" in script.text[:200]


def test_office_alone_redirects_home_to_the_pages(tmp_path: Path) -> None:
    from bot.cli.office import build

    office = OfficeBot(open_store("memory", tmp_path))
    client = TestClient(build(office.chat.app))
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 307 and home.headers["location"] == "/office/"
    assert "masuk" in client.get("/office/").text


def test_the_session_cookie_is_httponly_lax_secure_behind_https_and_expires(
        tmp_path: Path) -> None:
    config = test_config()
    config["server"] = {**config["server"], "public_url": "https://pasar.example.go.id"}
    office = OfficeBot(open_store("memory", tmp_path), config)
    path = office.link_path(KOORD)
    client = TestClient(office.web, base_url="https://pasar.example.go.id")
    answer = office.press(client, path)
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    assert client.get("/office/").status_code == 200
    office.chat.clock.advance(12 * 3600 + 1)  # office.session_hours
    assert client.get("/office/").status_code == 401


def test_public_url_must_be_http_or_https() -> None:
    config = test_config()
    config["server"] = {**config["server"], "public_url": "pasar.example.go.id"}
    assert any("server.public_url" in p.message for p in check_config(config))


def test_office_enabled_false_serves_no_pages_and_sends_no_links(tmp_path: Path) -> None:
    config = test_config()
    config["office"] = {**config["office"], "enabled": False}
    office = OfficeBot(open_store("memory", tmp_path), config)
    assert TestClient(build_server(office.chat.app, [])).get("/office/").status_code == 404
    office.chat.say("masuk", KOORD)
    assert "/office/masuk/" not in office.chat.text(KOORD)
