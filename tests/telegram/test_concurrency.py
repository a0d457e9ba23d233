"""Two residents ordering at the same time: their updates interleaved in one getUpdates
batch, each chat's handled in order, the two chats concurrently."""

from __future__ import annotations

from bot.app import App
from tests.telegram.fakeapi import FakeBotAPI
from tests.telegram.residents import Resident

ANI = ["halo", "1", "kranji baru", "bawang merah 1/4 kg, telur 1 kg", "selesai",
       "Jl. Melati No. 12, RT 03/RW 05, Jatibening", "0812-3456-7890", "ya"]
BUDI = ["/start rw07-margahayu", "pesan belanja", "jatiasih", "ayam 1 ekor potong 12",
        "cabe rawit 5rb", "selesai", "Jl. Kenanga 3 blok C2, RT 01/RW 07, Margahayu",
        "0813 9876 5432", "ya"]
# what the bot asks after each of Ani's lines (Budi's flow has one more list line)
ANI_PROMPTS = ["Apa yang ingin", "pasar mana", "Tulis daftar belanja", "Daftar Anda (2)",
               "Ke mana", "Nomor HP", "Ringkasan pesanan", "Pilih salah satu", "diterima"]


async def test_two_residents_interleaved_both_get_their_own_order(
    fake: FakeBotAPI, polling: App
) -> None:
    ani, budi = Resident(fake, 701, "Ani"), Resident(fake, 702, "Budi")
    fake.rendezvous = True  # a sendMessage waits until the other chat's is in flight too
    lines = [(ani, t) for t in ANI], [(budi, t) for t in BUDI]
    interleaved = [x for pair in zip(*lines, strict=False) for x in pair] + lines[1][len(ANI):]
    for resident, text in interleaved:  # all queued at once: one getUpdates batch
        await fake.queue(resident.text_update(text))

    await fake.wait_reply(ani.id, 0, "diterima ✅")
    await fake.wait_reply(budi.id, 0, "diterima ✅")

    orders = {o["user"]: o for o in polling.store.query_orders()}
    a, b = orders["telegram:701"], orders["telegram:702"]
    assert (a["market"], b["market"]) == ("kranji-baru", "jatiasih")
    assert [i["name"] for i in a["items"]] == ["bawang merah", "telur"]
    assert [i["name"] for i in b["items"]] == ["ayam", "cabe rawit"]
    assert a["address"]["text"].endswith("Jatibening") and b["address"]["text"].endswith(
        "Margahayu")
    assert (a["resident"]["phone"], b["resident"]["phone"]) == ("+6281234567890",
                                                                "+6281398765432")
    assert (a["referral"], b["referral"]) == (None, "rw07-margahayu")
    # Ani's replies came in the order of her messages
    texts = [c.text for c in fake.sent(ani.id)]
    assert len(texts) == len(ANI_PROMPTS)
    for text, prompt in zip(texts, ANI_PROMPTS, strict=True):
        assert prompt in text
    # the two chats ran at the same time; one chat never had two sends at once
    assert fake.overlapped
    assert fake.max_in_flight_per_chat == 1


async def test_a_text_right_after_a_button_press_waits_for_the_press(
    fake: FakeBotAPI, polling: App
) -> None:
    """A press is answered (answerCallbackQuery, keyboard marked) before the engine sees
    it; a message queued behind it must still be handled after it."""
    cici = Resident(fake, 703, "Cici")
    await cici.say("halo", expect="Apa yang ingin")
    mark = fake.mark()
    await fake.queue(cici.press_update("Pesan belanja"))
    await fake.queue(cici.text_update("kranji baru"))
    replies = await fake.wait_reply(cici.id, mark, "Tulis daftar belanja untuk Pasar Kranji")
    assert ["pasar mana" in c.text for c in replies] == [True, False]
