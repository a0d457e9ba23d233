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


async def test_only_the_current_question_takes_a_press_and_a_notice_button_stands(
    wa: WaBot,
) -> None:
    summary = await to_summary(wa)
    yes = button_id(summary, "Ya, pesan")
    assert "Apa yang ingin diubah?" in texts(await wa.say("ubah"))
    sent = await wa.press(yes)  # a question moved past: not the answer to "what to change"
    assert "sudah tidak berlaku" in texts(sent) and "Apa yang ingin diubah?" in texts(sent)
    assert wa.app.store.query_orders() == []
    yes = button_id(await wa.say("tidak jadi"), "Ya, pesan")  # a new summary
    assert "diterima" in texts(await wa.press(yes))
    assert "sudah tidak berlaku" in texts(await wa.press(yes))  # pressed twice
    [order] = wa.app.store.query_orders()
    # a notice carries no prompt: report:<code> stands on its own, pressed any time later
    await wa.say("halo")
    sent = await wa.press(f"report:{order['code']}")
    # the engine applies it and checks it: not delivered yet, so not reportable yet
    assert "bisa dilaporkan setelah pesanan diantar" in texts(sent)
    assert (wa.session()["flow"], wa.session()["state"]) == ("status", "detail")
