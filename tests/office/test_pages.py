"""The office's pages against a real store with orders placed through the chat: who sees
what, what a form may do, and the page and the chat telling the same story."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chat import test_config
from tests.office.support import (
    BACKENDS,
    HEAD,
    KOORD,
    KOORD_2,
    OTHER,
    OfficeBot,
    act,
    csrf_of,
    open_store,
)

ADMIN = "kantor"


def _office(kind: str, tmp_path: Path) -> OfficeBot:
    config = test_config(admins=[f"console:{ADMIN}"])
    bot = OfficeBot(open_store(kind, tmp_path), config)
    for user in (KOORD, KOORD_2, OTHER):
        bot.chat.say("halo", user)  # coordinators who have chatted are told new orders
    return bot


@pytest.fixture
def office(tmp_path: Path) -> OfficeBot:
    return _office("memory", tmp_path)


@pytest.fixture(params=BACKENDS)
def either(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OfficeBot]:
    """The office on each backend, PostgreSQL too (the pages read only through the store's
    API)."""
    bot = _office(request.param, tmp_path)
    yield bot
    bot.chat.store.close()


def test_a_coordinator_cannot_see_or_act_on_another_markets_order(either: OfficeBot) -> None:
    office = either
    theirs = office.order("warga", market="harapan jaya")
    mine = office.order("warga-2")
    client = office.signed_in(KOORD)
    today = client.get("/office/").text
    assert mine in today and theirs not in today
    assert client.get(f"/office/order/{theirs}").status_code == 404
    assert client.get("/office/?market=harapan-jaya").text.count(theirs) == 0
    token = csrf_of(today)
    answer = client.post(f"/office/order/{theirs}", data={"csrf": token, "action": "claim"})
    assert answer.status_code == 404
    assert office.chat.store.get_order(theirs)["status"] == "new"
    recap = client.get("/office/recap?market=harapan-jaya").text  # their own market's
    assert 'data-market="kranji-baru"' in recap and 'data-market="harapan-jaya"' not in recap
    assert client.get("/office/funnel").status_code == 403  # the market office's page


def test_forms_without_the_session_token_are_refused(office: OfficeBot) -> None:
    code = office.order()
    client = office.signed_in(KOORD)
    for token in ("", "forged"):
        answer = client.post(f"/office/order/{code}", data={"csrf": token, "action": "claim"})
        assert answer.status_code == 403
    other = office.signed_in(KOORD_2)  # another session's token is not this one's
    theirs = csrf_of(other.get("/office/").text)
    assert client.post(f"/office/order/{code}",
                       data={"csrf": theirs, "action": "claim"}).status_code == 403
    out = client.post("/office/keluar", data={"csrf": "forged"})
    assert out.status_code == 403 and client.get("/office/").status_code == 200
    assert office.chat.store.get_order(code)["status"] == "new"


def test_an_order_claimed_in_chat_shows_claimed_on_the_page(either: OfficeBot) -> None:
    office = either
    code = office.order()
    client = office.signed_in(HEAD)
    rows = client.get("/office/today/rows").text
    assert re.search(rf'data-status="new".*{code}', rows, re.S)
    office.chat.say(f"ambil {code}", KOORD)
    rows = client.get("/office/today/rows").text  # the partial htmx polls
    claimed = rows[rows.index('data-status="claimed"'):]
    assert code in claimed and "Pak Budi" in claimed
    assert 'data-status="new"' not in rows


def test_an_action_on_the_page_is_told_to_the_resident_in_chat(either: OfficeBot) -> None:
    office = either
    code = office.order()
    client = office.signed_in(KOORD)
    answer = act(client, code, "claim")
    assert answer.status_code == 200, answer.text
    assert office.chat.store.get_order(code)["coordinator"] == f"console:{KOORD}"
    assert code in office.console.text("warga")  # the resident's chat was told
    assert "Pak Budi" in office.console.text("warga")
    assert code in office.console.text(KOORD_2)  # and the colleagues, as from the chat
    assert act(client, code, "shop").status_code == 200
    answer = act(client, code, "prices", price_1="25rb")
    assert answer.status_code == 200, answer.text
    assert office.chat.store.get_order(code)["total"] == 25000
    assert "25.000" in office.console.text("warga")
    answer = act(client, code, "courier", courier_name="mas anto", courier_phone="0812 9988 7766")
    assert office.chat.store.get_order(code)["status"] == "on_the_way", answer.text
    assert act(client, code, "delivered").status_code == 200
    assert act(client, code, "paid", cash="20000", short="owes").status_code == 200
    order = office.chat.store.get_order(code)
    assert order["status"] == "paid" and order["outstanding"] == 5000
    timeline = client.get(f"/office/order/{code}").text
    assert timeline.count("<li><time>") >= 7  # placed, claimed, ... paid: who and when


def test_the_page_refuses_what_the_chat_refuses(office: OfficeBot) -> None:
    code = office.order()
    office.chat.say(f"ambil {code}", KOORD)
    client = office.signed_in(KOORD_2)  # a colleague: the order is Pak Budi's
    page = client.get(f"/office/order/{code}").text
    assert 'data-action="shop"' not in page
    answer = act(client, code, "shop")
    assert answer.status_code == 409 and "Pak Budi" in answer.text
    assert office.chat.store.get_order(code)["status"] == "claimed"
    mine = office.signed_in(KOORD)
    answer = act(mine, code, "cancel", reason="pasar tutup")  # no confirmation ticked
    assert answer.status_code == 409
    assert act(mine, code, "cancel", reason="pasar tutup", confirm="yes").status_code == 200
    assert office.chat.store.get_order(code)["status"] == "cancelled"
    assert "pasar tutup" in office.console.text("warga")


def test_every_page_renders_for_the_office_in_both_languages(office: OfficeBot) -> None:
    code = office.order()
    office.chat.say(f"ambil {code}", KOORD)
    client = office.signed_in(ADMIN)
    pages = ("/", f"/order/{code}", "/recap", "/neighbourhoods", "/funnel", "/export",
             "/people")
    for lang, word, paths in (("en", "Recap", pages), ("id", "Rekap", pages[:2])):
        for path in paths:
            page = client.get(f"/office{path}?lang={lang}")
            assert page.status_code == 200, (path, page.text)
            assert word in page.text, path
            assert not re.search(r"office\.(?!css)[a-z_]+", page.text), path  # no raw ids
    recap = client.get("/office/recap").text  # Indonesian again (the cookie says so)
    assert "<svg" in recap and "Rp" in recap
    funnel = client.get("/office/funnel").text
    assert re.search(r'data-step="placed"><th>[^<]+</th><td class="num">1<', funnel)
    people = client.get("/office/people").text
    assert 'data-market="kranji-baru" data-reachable="yes"' in people
    assert 'data-market="jatiasih" data-reachable="no"' in people


def test_exports_are_the_clis_for_the_filters_on_screen(office: OfficeBot) -> None:
    from bot.ordering.domain.repository import Orders
    from bot.ordering.reports import export

    kranji = office.order("warga")
    harapan = office.order("warga-2", market="harapan jaya")
    client = office.signed_in(HEAD)  # the head of Kranji Baru: their market only
    body = client.get("/office/export/pesanan.json").json()
    assert [o["code"] for o in body] == [kranji]
    order = Orders(office.chat.store).get(kranji)
    assert body[0] == export.as_json(order, office.chat.app.services.roles.display_name)
    csv = client.get("/office/export/pesanan.csv?status=new").text
    assert csv.startswith("\ufeffcode;") and kranji in csv and harapan not in csv
    xlsx = client.get("/office/export/pesanan.xlsx")
    assert xlsx.content[:2] == b"PK"
    assert client.get("/office/export/pesanan.csv?status=paid").text.count("\n") == 1


def test_office_templates_name_only_messages_in_every_catalog() -> None:
    from bot.i18n import I18n
    from tests.chat import ROOT

    i18n = I18n.load(ROOT / "locales")
    used: set[str] = set()
    for path in (ROOT / "bot" / "office").rglob("*"):
        if path.suffix in (".html", ".py"):
            used |= set(re.findall(r"""["'](office\.[a-z_]+)["']""", path.read_text()))
    used = {u for u in used if not u.endswith("_")}  # prefixes completed in the template
    for language, catalog in i18n.catalogs.items():
        assert not used - set(catalog.messages), language


def test_the_head_assigns_an_order_from_the_page_and_the_coordinator_is_told(
        office: OfficeBot) -> None:
    code = office.order()
    head = office.signed_in(HEAD)
    page = head.get(f"/office/order/{code}").text
    assert 'data-action="assign"' in page and 'data-action="claim"' not in page
    answer = act(head, code, "assign", assignee="c2")  # Bu Sri, the market's second
    assert answer.status_code == 200, answer.text
    order = office.chat.store.get_order(code)
    assert order["coordinator"] == f"console:{KOORD_2}" and order["status"] == "claimed"
    assert code in office.console.text(KOORD_2) and code in office.console.text("warga")
    coordinator = office.signed_in(KOORD)  # not theirs now: the page offers nothing
    assert 'data-action="' not in coordinator.get(f"/office/order/{code}").text
