"""The engine's rule for pressed options holds on WhatsApp too (bot/engine/presses.py): a
reply button carries the prompt of its question, so a second "Ya, pesan" or a press on a
question already moved past places nothing, while a notice's button counts later on."""

from __future__ import annotations

from tests.chat import ADDRESS
from tests.whatsapp.support import WaBot, buttons, texts


def button_id(sent: list[dict], title: str) -> str:
    return next(b["id"] for b in buttons(sent) if b["title"] == title)


async def to_summary(wa: WaBot) -> list[dict]:
    for step in ("halo", "1", "kranji baru", "telur 1 kg", "selesai"):
        await wa.say(step)
    sent = await wa.say(ADDRESS)
    assert "Ringkasan pesanan" in texts(sent)
    return sent


async def test_a_second_press_of_ya_on_the_summary_orders_nothing(wa: WaBot) -> None:
    summary = await to_summary(wa)
    yes = button_id(summary, "Ya, pesan")
    assert "diterima" in texts(await wa.press(yes))
    again = await wa.press(yes)
    assert "sudah tidak berlaku" in texts(again)
    assert len(wa.app.store.query_orders()) == 1


async def test_a_press_on_a_question_moved_past_is_not_its_answer(wa: WaBot) -> None:
    summary = await to_summary(wa)
    assert "Apa yang ingin diubah?" in texts(await wa.say("ubah"))
    sent = await wa.press(button_id(summary, "Ya, pesan"))
    assert "sudah tidak berlaku" in texts(sent) and "Apa yang ingin diubah?" in texts(sent)
    assert wa.app.store.query_orders() == []
    assert (wa.session()["flow"], wa.session()["state"]) == ("order", "edit_menu")


async def test_a_delivery_notice_button_counts_after_more_chat(wa: WaBot) -> None:
    """A notice carries no prompt: ``report:<code>`` stands on its own."""
    summary = await to_summary(wa)
    await wa.press(button_id(summary, "Ya, pesan"))
    [order] = wa.app.store.query_orders()
    await wa.say("halo")  # the resident chats on; the press below is on an old message
    sent = await wa.press(f"report:{order['code']}")
    # the engine applies it and checks it: not delivered yet, so not reportable yet
    assert "bisa dilaporkan setelah pesanan diantar" in texts(sent)
    assert (wa.session()["flow"], wa.session()["state"]) == ("status", "detail")
