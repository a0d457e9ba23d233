"""The office in a real headless chromium, against the served app, with the chat beside it.

A coordinator of Pasar Kranji Baru asks for a link in WhatsApp (`masuk`), opens it and
presses "Masuk"; while Today is open, a resident orders by WhatsApp and the order shows up
on the page by itself (htmx's poll, with the page's timers run forward instead of waiting
for them); the coordinator claims it from the page and the resident's chat is told; the
recap shows its chart as SVG. Clicks go where a person clicks (`get_by_role`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from playwright.async_api import Page, expect

from tests.office.browser import BROWSER
from tests.office.live import COORDINATOR, RESIDENT, Chat, Live, until

pytestmark = BROWSER


@pytest_asyncio.fixture(loop_scope="session")
async def chat(tmp_path: Path) -> AsyncIterator[Chat]:
    live = Live(tmp_path).start()
    talk = Chat(live)
    try:
        yield talk
    finally:
        await talk.aclose()
        live.close()


async def sign_in(page: Page, chat: Chat, user: str = COORDINATOR) -> None:
    """``user`` sends `masuk`, opens the link and presses the one button."""
    await chat.say(user, "halo")  # a coordinator who has chatted gets the new orders
    link = await chat.sign_in_link(user)
    assert link.startswith(chat.live.url)  # built on server.public_url's default
    await page.goto(link)
    await page.get_by_role("button", name="Masuk").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("hari ini",
                                                                       ignore_case=True)


async def test_a_new_order_appears_on_today_by_itself_and_claimed_there_the_resident_is_told(
        page: Page, chat: Chat) -> None:
    await page.clock.install()  # the page's timers: htmx's poll runs when the test says
    await sign_in(page, chat)
    await page.evaluate("window.stillTheSamePage = true")
    code = await chat.order(RESIDENT)
    row = page.locator(f"#o-{code}")
    await expect(row).to_have_count(0)  # not there before the page polls
    await page.clock.run_for(6_000)  # one refresh interval and a bit
    await expect(row).to_be_visible()
    await expect(row).to_contain_text("Ani Suryani")
    assert await page.evaluate("window.stillTheSamePage") is True  # no reload happened

    told = len(chat.to(RESIDENT))
    await row.get_by_role("link", name=code).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(code)
    await page.get_by_role("button", name="Ambil").click()
    await expect(page.locator("#holder")).to_have_text("Pak Budi")
    notes = await until(lambda: [t for t in chat.texts(RESIDENT, told) if code in t],
                        f"the resident told that {code} was claimed")
    assert "sudah dicatat oleh *Pak Budi*" in notes[0]
    assert len(chat.to(RESIDENT)) == told + 1  # one message to the resident, no more


async def test_the_recap_draws_its_chart_in_the_page(page: Page, chat: Chat) -> None:
    await chat.order(RESIDENT)
    await sign_in(page, chat)
    await page.get_by_role("link", name="Rekap").first.click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Rekap")
    chart = page.locator("#recap-chart svg")
    await expect(chart).to_be_visible()
    box = await chart.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 50
