"""Signing in to the office by a link sent in chat: once, for ten minutes, staff only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.office.support import BACKENDS, HEAD, KOORD, OfficeBot, open_store


@pytest.fixture
def office(tmp_path: Path) -> OfficeBot:
    return OfficeBot(open_store("memory", tmp_path))


@pytest.fixture(params=BACKENDS)
def either(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OfficeBot]:
    """The links are session-store records: the same on every backend."""
    bot = OfficeBot(open_store(request.param, tmp_path))
    yield bot
    bot.chat.store.close()


def test_link_from_chat_signs_in_once_and_get_never_uses_it(either: OfficeBot) -> None:
    office = either
    path = office.link_path(KOORD)
    client = office.client()
    for _ in range(2):  # a messenger's preview fetches it: nothing is used up
        assert client.get(path).status_code == 200
    assert client.get("/office/").status_code == 401
    assert office.press(client, path).status_code == 303
    assert client.get("/office/").status_code == 200
    again = office.client()
    assert office.press(again, path).status_code == 410  # used up
    assert again.get("/office/").status_code == 401


def test_link_expires_after_ten_minutes(office: OfficeBot) -> None:
    path = office.link_path(HEAD)
    office.chat.clock.advance(10 * 60 + 1)
    client = office.client()
    assert client.get(path).status_code == 410
    assert office.press(client, path).status_code == 410
    assert client.get("/office/").status_code == 401


def test_sign_out_ends_the_session_and_refuses_earlier_links(either: OfficeBot) -> None:
    office = either
    unused = office.link_path(KOORD)
    client = office.signed_in(KOORD)
    page = client.get("/office/")
    from tests.office.support import csrf_of

    out = client.post("/office/keluar", data={"csrf": csrf_of(page.text)},
                      follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/office/").status_code == 401
    assert office.press(office.client(), unused).status_code == 410


def test_a_residents_masuk_gets_the_menu_and_no_link(office: OfficeBot) -> None:
    replies = office.chat.say("masuk", "warga")
    text = "\n".join(r.text for r in replies)
    assert "/office/masuk/" not in text
    assert office.chat.state("warga") == "main.menu"
    office.chat.say("/login", "warga")
    assert "/office/masuk/" not in office.chat.text("warga")


def test_masuk_in_a_coordinators_order_menu_says_where_it_works(office: OfficeBot) -> None:
    office.chat.say("halo", KOORD)  # the coordinator's home: masuk works here
    assert "/office/masuk/" in office.chat.say("masuk", KOORD)[0].text
    office.chat.say("halo", "warga")
    code = office.order()
    office.chat.say(f"ambil {code}", KOORD)  # now in the order's menu
    text = "\n".join(r.text for r in office.chat.say("masuk", KOORD))
    assert "/office/masuk/" not in text and "*menu*" in text
    assert office.chat.state(KOORD) == "coordinator.order"


def test_the_sign_in_token_never_reaches_a_log_line(office: OfficeBot) -> None:
    import logging

    from bot.privacy import scrub

    path = office.link_path(KOORD)
    token = path.rsplit("/", 1)[1]
    # as uvicorn's access log writes a request line (its formatter unpacks the arguments)
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5555", "GET", path,
                                                           "1.1", 200), None)
    scrub(record)
    assert token not in record.getMessage()
    assert "/office/masuk/<redacted>" in record.getMessage()


def test_a_link_made_for_someone_not_staff_signs_nobody_in(office: OfficeBot) -> None:
    from bot.office.links import issue_link

    office.chat.say("halo", "warga")  # a resident, known to the bot
    token = issue_link(office.chat.store, "console:warga", office.chat.clock(), 10)
    client = office.client()
    assert office.press(client, f"/office/masuk/{token}").status_code == 410
    assert client.get("/office/").status_code == 401
