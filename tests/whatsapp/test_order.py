"""A whole order over WhatsApp, tapping what the bot sent: buttons, the market list (with
its "more" page), the location request, and the confirm button."""

from __future__ import annotations

from bot.adapters.base import read_prompt
from bot.adapters.whatsapp_render import check_limits
from tests.whatsapp.fake_graph import FakeGraph
from tests.whatsapp.support import USER, WaBot, buttons, message, rows, texts

ADDRESS = "Jl. Melati No. 12, RT 03/RW 05, Jatibening, dekat masjid Al-Ikhlas"


async def pick(wa: WaBot, sent: list[dict], title: str) -> list[dict]:
    """Tap the row titled ``title``, turning the list's pages until it shows."""
    for _ in range(5):
        found = [r["id"] for r in rows(sent) if r["title"] == title]
        if found:
            return await wa.press(found[0], kind="list_reply")
        sent = await wa.press(rows(sent)[-1]["id"], kind="list_reply")
    raise AssertionError(f"{title} is in no page of the list")


def button_id(sent: list[dict], title: str) -> str:
    return next(b["id"] for b in buttons(sent) if b["title"] == title)


async def test_a_resident_orders_by_tapping_the_list_and_the_buttons(
        wa: WaBot, graph: FakeGraph) -> None:
    sent = await wa.say("rw05-jatibening")  # the text of an RT/RW group's wa.me link
    sent = await wa.press(button_id(sent, "Pesan belanja"))
    assert "Mau belanja di pasar mana?" in texts(sent)
    assert len(rows(sent)) == 10 and rows(sent)[-1]["title"] == "Pilihan lainnya ›"
    sent = await pick(wa, sent, "Pasar Kranji Baru")
    assert "Tulis daftar belanja untuk Pasar Kranji Baru" in texts(sent)
    sent = await wa.say("bawang merah 1/4 kg\ncabe rawit 5rb\ntelur 1 kg")
    assert "3. telur 1 kg" in texts(sent)
    sent = await wa.press(button_id(sent, "Selesai"))
    assert sent[-1]["interactive"]["type"] == "location_request_message"
    sent = await wa.say(ADDRESS)
    # name and phone come from the WhatsApp profile: straight to the summary
    assert "Ringkasan pesanan" in texts(sent) and "0812-3456-7890" in texts(sent)
    assert [b["title"] for b in buttons(sent)] == ["Ya, pesan", "Ubah", "Batal"]
    sent = await wa.press(button_id(sent, "Ya, pesan"))
    assert "KRB-1127-001" in texts(sent) and "diterima" in texts(sent)
    (order,) = wa.app.store.query_orders(user=f"whatsapp:{USER}")
    assert order["market"] == "kranji-baru" and order["referral"] == "rw05-jatibening"
    assert len(order["items"]) == 3
    assert all(check_limits(body) == [] for body in graph.to(USER))


async def test_the_more_row_shows_the_other_markets_and_back(wa: WaBot, graph: FakeGraph) -> None:
    await wa.say("halo")
    first = await wa.press("order")
    second = await wa.press(rows(first)[-1]["id"], kind="list_reply")
    titles = [r["title"] for r in rows(second)]
    assert len(titles) == 3 and titles[-1] == "‹ Kembali ke awal"
    assert not set(titles) & {r["title"] for r in rows(first)}  # the two markets not shown yet
    assert "10–11 dari 11" in texts(second)
    assert wa.session()["state"] == "market"  # the engine did not see the page turn
    again = await wa.press(rows(second)[-1]["id"], kind="list_reply")
    assert rows(again) == rows(first)
    await wa.press(rows(second)[1]["id"], kind="list_reply")
    assert wa.session()["slots"]["market"] == read_prompt(rows(second)[1]["id"])[0]


async def test_typed_numbers_match_the_list_order(wa: WaBot) -> None:
    await wa.say("halo")
    first = await wa.press("order")
    second = await wa.press(rows(first)[-1]["id"], kind="list_reply")
    await wa.say("10")
    assert wa.session()["slots"]["market"] == read_prompt(rows(second)[0]["id"])[0]


async def test_a_more_row_from_an_old_list_is_answered_by_the_engine(wa: WaBot) -> None:
    await wa.say("halo")
    first = await wa.press("order")
    more = rows(first)[-1]["id"]
    await wa.press("kranji-baru", kind="list_reply")
    sent = await wa.press(more, kind="list_reply")  # tapped in the old list
    assert sent and wa.session()["state"] == "items"


async def test_a_location_pin_then_the_details(wa: WaBot) -> None:
    for step in ("halo", "1", "kranji baru", "telur 1 kg", "selesai"):
        await wa.say(step)
    sent = await wa.send(message("location"))
    assert texts(sent)  # asks for the details or moves on; never silent
