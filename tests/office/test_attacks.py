"""The web office attacked (issue 15, reviewed): strange dates and filters, another
market's orders by every door (URL, form, htmx partial, export filter), markup in what
people typed, security headers on every response, a planted session cookie, forged forms
on sign-out and Umumkan, and one sign-in link pressed twice at once."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest

from bot.office.links import issue_link, link_url
from tests.chat import test_config
from tests.office.support import HEAD, KOORD, OTHER, OfficeBot, csrf_of, open_store

ADMIN = "kantor"


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> OfficeBot:
    """One office for the module's read-mostly tests: an order at each of two markets."""
    tmp = tmp_path_factory.mktemp("attacks")
    bot = OfficeBot(open_store("memory", tmp), test_config(admins=[f"console:{ADMIN}"]))
    for user in (KOORD, OTHER):
        bot.chat.say("halo", user)
    bot.theirs = bot.order("warga-h", market="harapan jaya")  # type: ignore[attr-defined]
    bot.mine = bot.order("warga-k")  # type: ignore[attr-defined]
    return bot


STRANGE = [
    "/office/?day=9999-12-31", "/office/?day=0001-01-01", "/office/?day=9999-99-99",
    "/office/?day=-5", "/office/today/rows?day=9999-12-31",
    "/office/recap?from=0001-01-01&to=9999-12-31", "/office/recap?to=9999-12-31",
    "/office/recap?from=2015-01-01&to=2025-12-31", "/office/recap?from=2025-12-01&to=2025-11-01",
    "/office/neighbourhoods?to=9999-12-31", "/office/neighbourhoods?from=0001-01-01",
    "/office/funnel?to=9999-12-31", "/office/funnel?from=0001-01-01&to=0001-01-01",
    "/office/export?to=9999-12-31", "/office/export/pesanan.csv?to=9999-12-31",
    "/office/export/pesanan.json?from=0001-01-01&to=0001-01-01",
    "/office/?market=" + "x" * 6000, "/office/?status=%00%ff",
]


def test_strange_dates_and_ranges_give_a_page_never_a_500(
        office: OfficeBot, caplog: pytest.LogCaptureFixture) -> None:
    """Before: 9999-12-31 (or 0001-01-01) overflowed the day after (or before) it:
    OverflowError and a 500 on Today, its rows, the recap, neighbourhoods, funnel, exports."""
    client = office.signed_in(ADMIN)
    client.raise_server_exceptions = False  # a 500 is what would be seen
    with caplog.at_level(logging.ERROR):
        for url in STRANGE:
            answer = client.get(url)
            assert answer.status_code == 200, (url, answer.status_code)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_every_response_carries_the_security_headers(office: OfficeBot) -> None:
    """Before: no Content-Security-Policy and no nosniff anywhere, and redirects, exports
    and refusals built outside the page renderer had none of them."""
    client = office.client()
    path = office.link_path(HEAD)
    answers = {"sign-in page": client.get(path), "signed out": client.get("/office/"),
               "no page": client.get("/office/nowhere")}
    answers["after sign-in"] = office.press(client, path)
    answers["today"] = client.get("/office/")
    answers["export"] = client.get("/office/export/pesanan.csv")
    for name, answer in answers.items():
        headers = answer.headers
        assert headers.get("x-frame-options") == "DENY", name
        assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), name
        assert "script-src 'self'" in headers["content-security-policy"], name
        assert headers.get("referrer-policy") == "no-referrer", name
        assert headers.get("x-content-type-options") == "nosniff", name
        assert "no-store" in headers.get("cache-control", ""), name
    static = client.get("/office/static/office.css")
    assert static.status_code == 200 and static.headers.get("x-content-type-options") == "nosniff"
    assert "no-store" not in static.headers.get("cache-control", "")  # may be cached


def test_another_markets_order_by_partial_and_export_filter(office: OfficeBot) -> None:
    theirs = office.theirs  # type: ignore[attr-defined]
    client = office.signed_in(KOORD)
    for url in ("/office/today/rows?market=harapan-jaya", "/office/today/rows?status=new",
                f"/office/today/rows?kelurahan=&coordinator=console:{OTHER}",
                "/office/export/pesanan.json?market=harapan-jaya",
                "/office/export/pesanan.csv?market=harapan-jaya&status=new",
                "/office/recap?market=harapan-jaya", "/office/neighbourhoods",
                "/office/people"):
        answer = client.get(url)
        assert answer.status_code == 200 and theirs not in answer.text, url
    assert office.mine in client.get("/office/today/rows").text  # type: ignore[attr-defined]


def test_markup_typed_anywhere_is_shown_as_text(office: OfficeBot) -> None:
    attack = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    client = office.signed_in(ADMIN)
    for url in (f"/office/?kelurahan={attack}", f"/office/?coordinator={attack}",
                f"/office/export?market={attack}&status={attack}",
                f"/office/recap?market={attack}", f"/office/order/{attack}",
                f"/office/?lang={attack}"):
        text = client.get(url).text
        assert "<script>alert" not in text and "<img src=x" not in text, url


def test_a_planted_session_cookie_does_not_survive_sign_in(office: OfficeBot) -> None:
    """Session fixation: an attacker's own valid cookie put in the victim's browser is
    replaced at sign-in by a new one; the old one stays the attacker's, never the victim's."""
    planted = office.signed_in(OTHER).cookies.get("office_session")
    victim = office.client()
    victim.cookies.set("office_session", planted, path="/office")
    assert "Bu Yati" in victim.get("/office/").text
    path = office.link_path(HEAD)
    answer = office.press(victim, path)
    assert answer.status_code == 303
    issued = answer.cookies.get("office_session")
    assert issued and issued != planted
    attacker = office.client()
    attacker.cookies.set("office_session", planted, path="/office")
    page = attacker.get("/office/").text
    assert "Bu Ratna" not in page and "Bu Yati" in page


def test_forged_forms_on_sign_out_and_umumkan_are_refused(office: OfficeBot) -> None:
    head = office.signed_in(HEAD)
    token = csrf_of(head.get("/office/umumkan").text)
    stranger = office.signed_in(KOORD)  # a real token, of another session
    forged = csrf_of(stranger.get("/office/").text)
    for value in ("", "forged", forged):
        form = {"csrf": value, "market": "kranji-baru", "text": "tutup", "step": "send"}
        assert head.post("/office/umumkan", data=form).status_code == 403
        assert head.post("/office/keluar", data={"csrf": value},
                         follow_redirects=False).status_code == 403
    assert head.get("/office/").status_code == 200  # still signed in
    for market, text in (("harapan-jaya", "tutup besok"), ("kranji-baru", ""),
                         ("kranji-baru", "x" * 10_000)):
        answer = head.post("/office/umumkan", data={"csrf": token, "market": market,
                                                    "text": text, "step": "send"})
        assert answer.status_code == 409, (market, len(text))
    assert office.chat.store.take_due_timers(office.chat.clock() + 10**6) == []


@pytest.mark.parametrize("kind", ["memory", "tinydb"])
def test_one_link_pressed_twice_at_once_signs_in_once(kind: str, tmp_path: Path) -> None:
    bot = OfficeBot(open_store(kind, tmp_path))
    token = issue_link(bot.chat.store, f"console:{HEAD}", bot.chat.clock(), 10)
    path = link_url("", token)

    async def race() -> list[int]:
        transport = httpx.ASGITransport(app=bot.web)
        clients = [httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080")
                   for _ in range(2)]
        forms = []
        for client in clients:  # each opens the page first (its own sign-in cookie)
            page = await client.get(path)
            forms.append({"csrf": csrf_of(page.text)})
        answers = await asyncio.gather(*(c.post(path, data=f)
                                         for c, f in zip(clients, forms, strict=True)))
        for client in clients:
            await client.aclose()
        return sorted(a.status_code for a in answers)

    assert asyncio.run(race()) == [303, 410]


def _race(workers: list[OfficeBot], store: object) -> list[int]:
    """One link of Bu Ratna's pressed by a browser on each worker at the same moment."""
    import threading

    token = issue_link(store, f"console:{HEAD}", workers[0].chat.clock(), 10)
    path = link_url("", token)
    clients = [w.client() for w in workers for _ in range(2)]  # two browsers on each
    forms = [{"csrf": csrf_of(c.get(path).text)} for c in clients]
    start = threading.Barrier(len(clients))
    codes: list[int] = []

    def press(n: int) -> None:
        start.wait()
        codes.append(clients[n].post(path, data=forms[n], follow_redirects=False).status_code)

    threads = [threading.Thread(target=press, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(codes)


def test_one_link_pressed_at_once_on_two_postgresql_workers_signs_in_once(
        pg_dsn: str) -> None:
    """Two workers (two stores on one database) each get a press of the same link at the
    same moment. Before: each read the link, then each deleted it: both signed in."""
    from bot.ordering.domain.statuses import STATUSES
    from bot.storage.postgres import PostgresStore

    stores = [PostgresStore(pg_dsn, finished=STATUSES.finished, pool_size=2) for _ in range(2)]
    try:
        workers = [OfficeBot(store) for store in stores]
        for _ in range(4):
            assert _race(workers, stores[0]) == [303, 410, 410, 410]
    finally:
        for store in stores:
            store.close()


def test_markup_a_resident_wrote_in_chat_is_text_on_the_order_page(office: OfficeBot) -> None:
    code = office.mine  # type: ignore[attr-defined]
    chat = office.chat
    chat.push(KOORD, choice=f"claim:{code}")
    chat.say("menu", "warga-k")
    chat.say(f"tanya {code}", "warga-k")
    chat.say('<img src=x onerror=alert(1)> *besar* <script>alert(2)</script>', "warga-k")
    chat.say("selesai", "warga-k")
    page = office.signed_in(HEAD).get(f"/office/order/{code}").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page, chat.text("warga-k")
    assert "<img src=x" not in page and "<script>alert" not in page


def test_an_announcement_confirmed_twice_goes_once(tmp_path: Path) -> None:
    """Before: the confirmation form posted again (a double click, or a reload that sends
    the form again) queued the announcement again: every resident got it twice."""
    import re

    bot = OfficeBot(open_store("memory", tmp_path))
    bot.order("warga")
    head = bot.signed_in(HEAD)
    token = csrf_of(head.get("/office/umumkan").text)
    form = {"csrf": token, "market": "kranji-baru", "text": "Pasar tutup besok"}
    confirm = head.post("/office/umumkan", data=form).text
    once = re.search(r'name="once" value="([^"]+)"', confirm)
    assert once, confirm
    sent = {**form, "step": "send", "once": once.group(1)}
    assert head.post("/office/umumkan", data=sent).status_code == 200
    bot.chat.clock.advance(0.4)
    again = head.post("/office/umumkan", data=sent)
    assert again.status_code == 409 and "sudah dikirim" in again.text
    assert head.post("/office/umumkan", data={**sent, "once": "forged"}).status_code == 409
    app = bot.chat.app

    async def timers() -> None:
        await app.run_timers()
        await app.announcer.idle()

    asyncio.run(timers())
    assert bot.console.text("warga").count("tutup besok") == 1
