"""Umumkan from the web office (issue 16 item 3): a head of unit announces to their market's
residents, seeing first how many it reaches; a coordinator may not."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from tests.office.support import HEAD, KOORD, OfficeBot, csrf_of, open_store


def test_a_head_announces_from_the_page_and_residents_get_it_in_chat(tmp_path: Path) -> None:
    office = OfficeBot(open_store("memory", tmp_path))
    office.order("warga")
    office.order("warga-2", market="harapan jaya")  # another market's resident
    head = office.signed_in(HEAD)
    page = head.get("/office/umumkan")
    assert page.status_code == 200 and "Pasar Kranji Baru" in page.text
    assert "Pasar Harapan Jaya" not in page.text  # a head announces to their market only
    text = "Pasar Kranji tutup besok, Jumat 28/11"
    check = head.post("/office/umumkan", data={"csrf": csrf_of(page.text),
                                               "market": "kranji-baru", "text": text})
    assert check.status_code == 200
    assert re.search(r"ke 1 warga", check.text) and 'name="step" value="send"' in check.text
    other = head.post("/office/umumkan", data={"csrf": csrf_of(page.text),
                                               "market": "harapan-jaya", "text": text})
    assert other.status_code == 409  # not theirs: said why, nothing queued
    once = re.search(r'name="once" value="([^"]+)"', check.text).group(1)  # the confirmation's
    sent = head.post("/office/umumkan", data={"csrf": csrf_of(page.text), "step": "send",
                                              "market": "kranji-baru", "text": text,
                                              "once": once})
    assert sent.status_code == 200 and "sedang dikirim" in sent.text
    app = office.chat.app

    async def timers() -> None:  # the App's round of timers: it goes out, in the background
        await app.run_timers()
        await app.announcer.idle()

    asyncio.run(timers())
    assert "tutup besok" in office.console.text("warga")
    assert "tutup besok" not in office.console.text("warga-2")
    assert "1 terkirim, 0 gagal" in office.console.text(HEAD)  # the counts, in chat


def test_a_coordinator_has_no_announcement_page(tmp_path: Path) -> None:
    office = OfficeBot(open_store("memory", tmp_path))
    client = office.signed_in(KOORD)
    assert client.get("/office/umumkan").status_code == 403
    token = csrf_of(client.get("/office/").text)
    answer = client.post("/office/umumkan", data={"csrf": token, "market": "kranji-baru",
                                                  "text": "halo", "step": "send"})
    assert answer.status_code == 403
