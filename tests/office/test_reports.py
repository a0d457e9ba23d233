"""The office's recap, neighbourhoods and funnel against known data: the orders of
tests/coordinator/sample.py (figures worked out by hand there) and conversations left at
known steps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.office.funnel import days, main_steps
from tests.chat import PATHS, test_config
from tests.coordinator.sample import WIB, fill
from tests.office.support import BACKENDS, OfficeBot, open_store

ADMIN = "kantor"


def _cells(html: str, market: str) -> list[str]:
    row = re.search(rf'<tr data-market="{market}">(.*?)</tr>', html, re.S)
    assert row, market
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                  row.group(1), re.S)]


@pytest.fixture(params=BACKENDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def office(kind: str, tmp_path: Path) -> Iterator[OfficeBot]:
    """The market office's pages on each backend, PostgreSQL too."""
    bot = OfficeBot(open_store(kind, tmp_path), test_config(admins=[f"console:{ADMIN}"]))
    yield bot
    bot.chat.store.close()


def test_recap_per_market_and_coordinator_as_worked_out_by_hand(office: OfficeBot) -> None:
    fill(office.chat.store)
    client = office.signed_in(ADMIN)
    page = client.get("/office/recap?from=2025-11-27&to=2025-11-27").text
    # orders, value, cash, outstanding, order->claim, order->delivery, exchanges, refunds,
    # cancellations (claims at 18, 10 and 0 minutes; deliveries at 90 and 50)
    assert _cells(page, "kranji-baru") == ["5", "Rp75.000", "Rp75.000", "Rp0", "10 menit",
                                           "1 jam 10 menit", "1", "0", "1"]
    assert _cells(page, "harapan-jaya")[:3] == ["3", "Rp85.000", "Rp0"]
    every = re.search(r'<tr class="all">(.*?)</tr>', page, re.S).group(1)
    assert "<td" in every and ">9<" in every and "Rp240.000" in every
    people = page[page.index('id="recap-people"'):]
    assert re.search(r"Pak Budi.*?>3<.*?Rp75.000", people, re.S)  # three orders held
    assert "<svg" in page[page.index('id="recap-chart"'):]
    range_page = client.get("/office/recap?from=2025-11-27&to=2025-11-28").text
    assert _cells(range_page, "kranji-baru")[:2] == ["6", "Rp85.000"]


def test_neighbourhoods_count_referral_tags_and_kelurahan_per_day(tmp_path: Path) -> None:
    office = OfficeBot(open_store("memory", tmp_path), test_config(admins=[f"console:{ADMIN}"]))
    fill(office.chat.store)
    client = office.signed_in(ADMIN)
    page = client.get("/office/neighbourhoods?from=2025-11-26&to=2025-11-28").text
    tags = page[page.index('id="tags"'):page.index('id="kelurahan"')]
    row = re.search(r"<th>rw05-jatibening</th>(.*?)</tr>", tags, re.S).group(1)
    assert re.findall(r'<td class="num">(?:<b>)?(\d*)', row) == ["3", "", "3", ""]
    assert "<th>rw03-jakasampurna</th>" in tags and "(tanpa tag)" in tags


def test_funnel_counts_where_conversations_stopped(office: OfficeBot) -> None:
    for user, path in (("w1", "order.address"), ("w2", "order.address"),
                       ("w3", "order.confirm"), ("w4", "main.menu")):
        for text in PATHS[path]:
            office.chat.say(text, user)
    office.order("w5")  # placed
    store = office.chat.store
    found = dict(store.scan_sessions(0))
    assert {"console:w1", "console:w5"} <= set(found)
    assert not dict(store.scan_sessions(office.chat.clock() + 1))
    steps = main_steps(office.chat.app.engine.flows["order"])
    assert steps == ["market", "items", "address", "name", "phone", "confirm"]
    placed = {(o["user"], o["created_at"][:10]) for o in store.query_orders()}
    from datetime import date

    placed_days = {(u, date.fromisoformat(d)) for u, d in placed}
    day = date(2025, 11, 27)
    (counted,) = days(store.scan_sessions(0), placed_days, steps, WIB, day, day)
    assert counted.conversations == 4  # w4 never began an order
    assert counted.reached["market"] == 4 and counted.reached["address"] == 4
    assert counted.reached["confirm"] == 2 and counted.reached["placed"] == 1
    assert counted.stopped == {"address": 2, "confirm": 1}
    client = office.signed_in(ADMIN)
    page = client.get("/office/funnel?from=2025-11-27&to=2025-11-27").text
    assert re.search(r'data-step="address"><th>[^<]+</th><td class="num">4</td>'
                     r'<td class="num">2</td>', page)
