"""Buttons on notices: a coordinator's claim button on a new-order notice and a resident's
"report a problem" button on a delivery notice work whenever they are pressed, for as long
as what they do is still possible (the engine decides, bot/engine/presses.py), while a
second press, or a press on a question the conversation has moved past, places nothing.

The notices are sent while the bot handles someone else's message; the real
python-telegram-bot stack talks to the local fake Bot API (long polling).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import ADDRESS, ROOT, test_config
from tests.telegram.conftest import telegram_settings
from tests.telegram.fakeapi import Call, FakeBotAPI
from tests.telegram.residents import Resident

BUDI, SRI = 901, 902  # Pasar Kranji Baru's coordinators, on Telegram here


@pytest.fixture
async def bot(tmp_path: Path, fake: FakeBotAPI) -> AsyncIterator[App]:
    from bot.adapters.telegram import TelegramAdapter

    markets = (ROOT / "data" / "markets.yaml").read_text(encoding="utf-8")
    markets = markets.replace("console:koord-kranji-1", f"telegram:{BUDI}")
    markets = markets.replace("console:koord-kranji-2", f"telegram:{SRI}")
    (tmp_path / "markets.yaml").write_text(markets, encoding="utf-8")
    config = test_config()
    config["data"] = {**config["data"], "markets": str(tmp_path / "markets.yaml")}
    config["telegram"] = telegram_settings(fake)
    app = App(config, store=TinyDBStore(tmp_path / "data"))
    adapter = TelegramAdapter(app, config["telegram"])
    app.attach(adapter)
    await adapter.start()
    try:
        yield app
    finally:
        await adapter.stop()
        app.close()


async def order_telur(ani: Resident) -> None:
    await ani.say("halo", expect="Apa yang ingin Anda lakukan?")
    await ani.say("1", expect="pasar mana")
    await ani.say("kranji baru", expect="Tulis daftar belanja")
    await ani.say("telur 1 kg", expect="Daftar Anda (1)")
    await ani.say("selesai", expect="Ke mana belanjaan diantar?")
    await ani.say(ADDRESS, expect="Nomor HP")
    await ani.say("0812-3456-7890", expect="Pilih salah satu")  # the summary's buttons


def new_order_notice(fake: FakeBotAPI, chat: int, code: str) -> Call:
    [found] = [c for c in fake.sent(chat) if f"Pesanan baru <b>{code}</b>" in c.text]
    return found


async def test_a_coordinator_claims_with_the_button_of_a_new_order_notice(
    fake: FakeBotAPI, bot: App
) -> None:
    budi, sri = Resident(fake, BUDI, "Budi"), Resident(fake, SRI, "Sri")
    await budi.say("halo", expect="Halo Pak Budi")  # the coordinators write first
    await sri.say("halo", expect="Halo Bu Sri")
    ani = Resident(fake, 601, "Ani")
    await order_telur(ani)
    await ani.press("Ya, pesan", expect="diterima")
    [order] = bot.store.query_orders()
    code = order["code"]
    # the notice went out while the bot handled Ani's "ya"; Budi's latest answer is his menu
    claim = new_order_notice(fake, BUDI, code)
    assert claim.buttons() == {"Ambil pesanan": f"c:claim:{code}"}  # no prompt: it stands
    mark = fake.mark()
    # pressed twice: both presses arrive before the first is handled
    await fake.queue(budi.press_update("Ambil pesanan", menu=claim))
    await fake.queue(budi.press_update("Ambil pesanan", menu=claim))
    await fake.wait_reply(BUDI, mark, "sekarang Anda pegang")
    await fake.wait_reply(BUDI, mark, "sudah Anda pegang")  # the second press
    order = bot.store.get_order(code)
    assert order["status"] == "claimed" and order["coordinator"] == f"telegram:{BUDI}"
    assert order["version"] == 2  # one change: the claim
    # Sri's button still counts: the engine answers that Budi has it, nothing changes hands
    await sri.press("Ambil pesanan", expect="sudah diambil oleh Pak Budi",
                    menu=new_order_notice(fake, SRI, code))
    assert bot.store.get_order(code) == order
    assert len([c for c in fake.sent(ani.id) if "dicatat oleh" in c.text]) == 1  # told once
    assert not fake.called("editMessageReplyMarkup", mark)  # a notice keeps its buttons


async def test_the_report_button_of_a_delivery_notice_and_a_summary_moved_past(
    fake: FakeBotAPI, bot: App
) -> None:
    budi = Resident(fake, BUDI, "Budi")
    await budi.say("halo", expect="Halo Pak Budi")
    ani = Resident(fake, 603, "Ani")
    await order_telur(ani)
    summary = ani.last_keyboard()
    await ani.say("ubah", expect="Apa yang ingin diubah?")
    # "Ya, pesan" of the summary is not an answer to "what to change": nothing is ordered
    mark = fake.mark()
    [answer] = await ani.press("Ya, pesan", expect="sudah tidak berlaku", menu=summary)
    assert "Apa yang ingin diubah?" in answer.text  # the current question, again
    assert not fake.called("editMessageReplyMarkup", mark)  # not marked "✓ Ya, pesan"
    assert bot.store.query_orders() == []
    await ani.say("tidak jadi", expect="Ringkasan pesanan")  # back to a new summary
    await ani.press("Ya, pesan", expect="diterima")
    [order] = bot.store.query_orders()
    await budi.say(f"ambil {order['code']}", expect="sekarang Anda pegang")
    await budi.say("mulai belanja", expect="sedang dibelanjakan")
    await budi.say("catat harga", expect="telur 1 kg")
    await budi.say("30rb", expect="tersimpan")
    await budi.say("kirim dengan kurir", expect="Siapa kurir")
    await budi.say("Pak Joko", expect="Nomor HP kurir")
    await budi.say("0813 1111 2222", expect="dalam perjalanan")
    mark = fake.mark()
    await budi.say("sudah diantar", expect="sekarang: sudah diantar")
    [delivered] = [c for c in fake.sent(ani.id, mark) if c.buttons()]
    assert "sudah diantar" in delivered.text
    # Ani chats on before she presses it: the notice is no longer her latest message
    await ani.say("halo", expect="Apa yang ingin Anda lakukan?")
    await ani.press("Laporkan masalah", expect="Barang mana", menu=delivered)
    session = bot.store.get_session(f"telegram:{ani.id}")
    assert (session["flow"], session["state"]) == ("status", "report_items")
