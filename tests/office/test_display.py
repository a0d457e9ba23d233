"""How the office's pages write people, phone numbers, times, the export page and Today's
filters (the screenshot review's open items): as the chat writes them, in the page's
language, and a phone's first screen for the orders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.chat import test_config
from tests.office.support import HEAD, KOORD, OfficeBot, act, open_store

ADMIN = "987650001"  # a market-office admin known by a Telegram-like id, with no name


@pytest.fixture
def office(tmp_path: Path) -> OfficeBot:
    bot = OfficeBot(open_store("memory", tmp_path), test_config(admins=[f"console:{ADMIN}"]))
    bot.chat.say("halo", KOORD)
    return bot


def test_an_admin_without_a_name_shows_as_their_role_never_their_user_key(
        office: OfficeBot) -> None:
    code = office.order()
    client = office.signed_in(ADMIN)
    answer = act(client, code, "assign", assignee="me")  # the office takes it itself
    assert answer.status_code == 200, answer.text
    assert office.chat.store.get_order(code)["coordinator"] == f"console:{ADMIN}"
    for path in ("/office/", f"/office/order/{code}", "/office/recap", "/office/people",
                 f"/office/order/{code}?lang=en"):
        shown = re.sub(r"<[^>]+>", " ", client.get(path).text)  # what the page shows
        assert ADMIN not in shown, path
    page = client.get(f"/office/order/{code}?lang=id").text
    assert re.search(r'<dd id="holder">Kantor pasar</dd>', page)
    assert re.search(r"<b>Kantor pasar</b> — ", page)  # the timeline's who
    assert "(Kantor pasar)" in page  # and whom the order was assigned to
    assert '<span class="name">Kantor pasar</span>' in page  # the header: no "name ·"
    rows = client.get("/office/today/rows").text
    assert '<td class="c-who">Kantor pasar</td>' in rows
    named = office.signed_in(HEAD).get("/office/").text  # a named head keeps their name
    assert '<span class="name">Bu Ratna · Kepala UPTD</span>' in named


def test_phone_numbers_read_as_in_the_chat_and_dial_with_a_tap(office: OfficeBot) -> None:
    code = office.order()  # the resident typed 0812-3456-7890
    client = office.signed_in(KOORD)
    for action, fields in (("claim", {}), ("shop", {}), ("prices", {"price_1": "25rb"}),
                           ("courier", {"courier_name": "mas anto",
                                        "courier_phone": "0812 9988 7766"})):
        assert act(client, code, action, **fields).status_code == 200, action
    page = client.get(f"/office/order/{code}").text
    assert '<a href="tel:+6281234567890">0812-3456-7890</a>' in page  # the resident
    assert '<a href="tel:+6281299887766">0812-9988-7766</a>' in page  # the courier
    assert ">+62" not in page  # the stored form is only dialled, never shown
    assert "0812-9988-7766" in office.console.text("warga")  # as the chat wrote it


def test_the_export_page_speaks_plainly_and_names_the_command_to_the_office_only(
        office: OfficeBot) -> None:
    head = office.signed_in(HEAD).get("/office/export").text
    assert "orders export" not in head and "Excel" in head
    admin = office.signed_in(ADMIN).get("/office/export").text
    assert 'id="export-cli"' in admin and "orders export" in admin


def test_times_follow_the_pages_language(office: OfficeBot) -> None:
    code = office.order()
    client = office.signed_in(HEAD)
    english = client.get(f"/office/order/{code}?lang=en").text
    assert re.search(r"<time>[A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d{2}\u202f[AP]M</time>", english)
    assert not re.search(r"\b\d{2}\.\d{2}\b", english)  # no "06.04" on an English page
    rows = client.get("/office/today/rows").text  # the cookie keeps English
    assert re.search(r'<td class="c-time">\d{1,2}:\d{2}\u202f[AP]M</td>', rows)
    indonesian = client.get(f"/office/order/{code}?lang=id").text
    assert re.search(r"<time>\d{1,2} [A-Z][a-z]{2} \d{2}\.\d{2}</time>", indonesian)
    rows = client.get("/office/today/rows").text
    assert re.search(r'<td class="c-time">\d{2}\.\d{2}</td>', rows)


def test_todays_filters_fold_behind_saring(office: OfficeBot) -> None:
    client = office.signed_in(HEAD)
    page = client.get("/office/").text
    box = re.search(r'<details class="filter-box" data-open-wide>\s*<summary>Saring</summary>'
                    r'\s*<form[^>]*class="filters">.*?</form>\s*</details>', page, re.S)
    assert box and 'name="kelurahan"' in box.group(0)
    assert re.search(r'<details[^>]*\sopen[\s>=]', page) is None  # folded till a wide screen
    script = client.get("/office/static/filters.js")
    assert script.status_code == 200 and "data-open-wide" in script.text
    assert "javascript" in script.headers["content-type"]
    chosen = client.get("/office/?status=new&market=kranji-baru").text
    assert "<summary>Saring (2)</summary>" in chosen  # what is chosen, said while folded
