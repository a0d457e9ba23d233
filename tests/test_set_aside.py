"""A flow in progress left by a notice's button (a standing option) is kept, said so, and
offered back once the pressed option's business is done: a resident writing a second
order who presses *Balas* on the coordinator's message about the first one (found in use:
the draft vanished, silently)."""

from __future__ import annotations

from tests.chat import ChatBot
from tests.test_order_thread import KOORD, place


def coordinator_wrote() -> tuple[ChatBot, str]:
    """An order claimed, and its coordinator's message to the resident (with *Balas*)."""
    bot = ChatBot()
    bot.say("halo", KOORD)
    code = place(bot, "ayam 1 ekor, cabe rawit 5rb")
    bot.push(KOORD, choice=f"claim:{code}")
    bot.push(KOORD, choice=f"talk:{code}")
    bot.say("bu, ayam kecil habis, boleh yang sedang?", KOORD)
    return bot, code


def resident_mid_order_with_a_message_waiting() -> tuple[ChatBot, str]:
    """The coordinator wrote about order 1; the resident is writing order 2's list."""
    bot, code = coordinator_wrote()
    for line in ["menu", "1", "kranji baru", "tomat 1 kg, bawang merah 1/4 kg"]:
        bot.say(line)
    assert bot.state() == "order.items" and "Daftar Anda (2)" in bot.text()
    return bot, code


def test_the_order_being_written_is_kept_said_and_offered_back_after_the_reply() -> None:
    bot, code = resident_mid_order_with_a_message_waiting()
    bot.push("warga", choice=f"talk:{code}")  # *Balas* on the coordinator's message
    assert bot.state() == "status.talk_write"
    assert "saya simpan dulu" in bot.text()
    bot.say("boleh bu, yang sedang saja")
    assert "Terkirim" in bot.text()
    bot.push("warga", choice="done")
    assert bot.options() == ["continue", "drop"]
    assert "belum selesai" in bot.text()
    bot.push("warga", choice="continue")
    assert bot.state() == "order.items"
    assert "1. tomat 1 kg" in bot.text() and "2. bawang merah 1/4 kg" in bot.text()
    bot.say("selesai")  # and the order goes on where it was
    assert bot.state() == "order.address"


def test_a_typed_answer_counts_and_drop_forgets_it() -> None:
    bot, code = resident_mid_order_with_a_message_waiting()
    bot.push("warga", choice=f"talk:{code}")
    bot.push("warga", choice="done")
    bot.say("apa ya")  # not an answer: asked again
    assert bot.options() == ["continue", "drop"]
    bot.say("tidak usah")
    assert "tidak saya lanjutkan" in bot.text()
    assert bot.store.get_session("console:warga")["set_aside"] is None
    bot.say("halo")
    assert "belum selesai" not in bot.text()


def test_what_was_set_aside_is_offered_at_home_and_dropped_when_stale() -> None:
    bot, code = resident_mid_order_with_a_message_waiting()
    bot.push("warga", choice=f"talk:{code}")
    bot.say("menu")  # straight home from the talk: offered there too
    assert bot.options() == ["continue", "drop"] and "belum selesai" in bot.text()
    bot.push("warga", choice="continue")
    assert bot.state() == "order.items"

    bot.push("warga", choice=f"talk:{code}")
    bot.clock.advance(7 * 3600)  # longer than the engine's resume_after (6 h)
    bot.say("menu")
    assert "belum selesai" not in bot.text()
    assert bot.store.get_session("console:warga")["set_aside"] is None


def test_nothing_is_set_aside_when_nothing_was_in_progress() -> None:
    bot, code = coordinator_wrote()
    bot.say("halo")  # at the main menu
    bot.push("warga", choice=f"talk:{code}")
    assert "saya simpan dulu" not in bot.text()
    bot.push("warga", choice="done")
    assert "belum selesai" not in bot.text()
    assert bot.state() == "status.detail"
