"""Presence on Telegram (issue 16 item 4): ``sendChatAction typing`` for a reply that takes
longer than ``telegram.typing_after`` seconds, and never for one that is quicker or when
it is 0; the real python-telegram-bot stack against the local fake Bot API (polling)."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.telegram import TelegramAdapter
from tests.telegram.conftest import make_app
from tests.telegram.fakeapi import FakeBotAPI
from tests.telegram.residents import Resident


async def test_typing_shows_only_for_a_reply_slower_than_typing_after(
        tmp_path: Path, fake: FakeBotAPI) -> None:
    app = make_app(tmp_path, fake, typing_after=60.0)
    adapter = TelegramAdapter(app, app.config["telegram"])
    app.attach(adapter)
    await adapter.start()
    ani = Resident(fake, 4242)
    try:
        # a reply quicker than a minute: no "typing..."; and 0 turns it off
        await ani.say("halo", expect="Apa yang ingin Anda lakukan?")
        adapter.typing_after = 0.0
        await ani.say("1", expect="pasar mana")
        assert fake.called("sendChatAction") == []
        # every reply takes longer than a microsecond (the store's write alone does)
        adapter.typing_after = 1e-6
        await ani.say("kranji baru", expect="Tulis daftar belanja")
    finally:
        await adapter.stop()  # lets every call in flight end
        app.close()
    actions = fake.called("sendChatAction")
    assert actions and {(int(c.params["chat_id"]), c.params["action"]) for c in actions} == {
        (4242, "typing")}
