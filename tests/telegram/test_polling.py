"""A resident orders over Telegram by long polling: the real python-telegram-bot stack against
the local fake Bot API, by typing and by pressing the buttons the bot sent."""

from __future__ import annotations

from bot.app import App
from tests.chat import ADDRESS
from tests.telegram.fakeapi import FakeBotAPI
from tests.telegram.residents import Resident


async def test_a_whole_order_typed(fake: FakeBotAPI, polling: App) -> None:
    ani = Resident(fake, 501, "Ani")
    await ani.say("halo", expect="Apa yang ingin Anda lakukan?")
    await ani.say("1", expect="pasar mana")
    await ani.say("kranji baru", expect="Tulis daftar belanja untuk Pasar Kranji Baru")
    await ani.say("bawang merah 1/4 kg, telur 1 kg", expect="Daftar Anda (2)")
    [where] = await ani.say("selesai", expect="Ke mana belanjaan diantar?")
    assert where.markup["keyboard"][0][0]["request_location"] is True
    assert where.markup["one_time_keyboard"] is True
    [phone] = await ani.say(ADDRESS, expect="Nomor HP")
    assert phone.markup["keyboard"][0][0]["request_contact"] is True
    summary = await ani.say("0812-3456-7890", expect="Pilih salah satu")
    # the summary closes the contact keyboard; its buttons follow in a short message
    assert "Ringkasan pesanan" in summary[0].text and summary[0].markup["remove_keyboard"]
    assert set(summary[1].buttons()) == {"Ya, pesan", "Ubah", "Batal"}
    [placed] = await ani.say("ya", expect="diterima ✅")
    assert "reply_markup" not in placed.params

    [order] = polling.store.query_orders()
    assert order["user"] == "telegram:501" and order["channel"] == "telegram"
    assert order["market"] == "kranji-baru"
    assert [i["name"] for i in order["items"]] == ["bawang merah", "telur"]
    assert order["address"]["text"] == ADDRESS
    assert order["resident"] == {"name": "Ani", "phone": "+6281234567890"}
    assert f"<b>{order['code']}</b>" in placed.text  # *bold* went out as HTML


async def test_a_whole_order_by_buttons_a_pin_and_a_shared_contact(
    fake: FakeBotAPI, polling: App
) -> None:
    budi = Resident(fake, 502, "Budi")
    [menu] = await budi.say("/start", expect="Apa yang ingin Anda lakukan?")
    # each button: its option id, with the prompt of the question it answers
    turn = polling.store.get_session("telegram:502")["turn"]  # the question they answer
    assert menu.buttons() == {"Pesan belanja": f"c:~{turn}~order",
                              "Cek pesanan saya": f"c:~{turn}~status",
                              "Bantuan": f"c:~{turn}~help"}
    mark = fake.mark()
    [markets] = await budi.press("Pesan belanja", expect="pasar mana")
    [answered] = fake.called("answerCallbackQuery", mark)
    assert "text" not in answered.params
    [edited] = fake.called("editMessageReplyMarkup", mark)
    assert int(edited.params["message_id"]) == menu.result["message_id"]
    assert edited.params["reply_markup"]["inline_keyboard"] == [
        [{"text": "✓ Pesan belanja", "callback_data": "x"}]]
    assert all(len(row) == 1 for row in markets.markup["inline_keyboard"])  # long labels
    await budi.press("Pasar Jatiasih", expect="Tulis daftar belanja untuk Pasar Jatiasih")
    await budi.say("cabe rawit 5rb\nayam 1 ekor potong 12", expect="Daftar Anda (2)")
    await budi.press("Selesai", expect="Ke mana belanjaan diantar?")
    await budi.share_location(-6.2383, 106.9756, expect="Lokasi diterima")
    await budi.say("Jl. Kenanga 3 blok C2, RT 01/RW 07", expect="Nomor HP")
    await budi.share_contact("6281398765432", expect="Pilih salah satu")
    # "Ya, pesan" pressed twice in a row: both presses arrive before the first is handled
    mark = fake.mark()
    confirm = budi.last_keyboard()
    await fake.queue(budi.press_update("Ya, pesan", menu=confirm))
    await fake.queue(budi.press_update("Ya, pesan", menu=confirm))
    await fake.wait_reply(budi.id, mark, "diterima ✅")
    # the engine refuses the second: its question was answered (the main menu follows)
    await fake.wait_reply(budi.id, mark, "Tombol itu sudah tidak berlaku")
    [order] = polling.store.query_orders()
    assert order["market"] == "jatiasih"
    assert order["resident"] == {"name": "Budi", "phone": "+6281398765432"}
    assert order["address"]["location"] == {"latitude": -6.2383, "longitude": 106.9756}


async def test_a_deep_link_referral_ends_up_on_the_order(fake: FakeBotAPI, polling: App) -> None:
    citra = Resident(fake, 503, "Citra")
    await citra.say("/start rw05-jatibening", expect="Apa yang ingin Anda lakukan?")
    await citra.press("Pesan belanja", expect="pasar mana")
    await citra.press("Pasar Kranji Baru", expect="Tulis daftar belanja")
    await citra.say("telur 1 kg", expect="Daftar Anda (1)")
    await citra.say("selesai", expect="Ke mana")
    await citra.say(ADDRESS, expect="Nomor HP")
    await citra.say("0812 1111 2222", expect="Pilih salah satu")
    await citra.press("Ya, pesan", expect="diterima")
    assert polling.store.query_orders()[0]["referral"] == "rw05-jatibening"


async def test_a_deep_link_payload_outside_telegrams_charset_is_dropped(
    fake: FakeBotAPI, polling: App
) -> None:
    dewi = Resident(fake, 504, "Dewi")
    await dewi.say("/start rw05<script>", expect="Apa yang ingin Anda lakukan?")
    assert polling.store.get_session("telegram:504")["referral"] is None
