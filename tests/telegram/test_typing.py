"""Presence on Telegram (issue 16 item 4): ``sendChatAction typing`` for a reply that takes
longer than ``telegram.typing_after`` seconds, and never for one that is quicker; the real
python-telegram-bot stack against the local fake Bot API (long polling)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.telegram import TelegramAdapter
from tests.telegram.conftest import make_app
from tests.telegram.fakeapi import FakeBotAPI
from tests.telegram.residents import Resident


async def _chat_actions(tmp_path: Path, fake: FakeBotAPI, typing_after: float) -> list:
    app = make_app(tmp_path, fake, typing_after=typing_after)
    adapter = TelegramAdapter(app, app.config["telegram"])
    app.attach(adapter)
    await adapter.start()
    try:
        ani = Resident(fake, 4242)
        await ani.say("halo", expect="Apa yang ingin Anda lakukan?")
        await ani.say("1", expect="pasar mana")
    finally:
        await adapter.stop()  # lets every call in flight end
        app.close()
    return fake.called("sendChatAction")


async def test_typing_shows_for_a_reply_slower_than_typing_after(
        tmp_path: Path, fake: FakeBotAPI) -> None:
    # every reply takes longer than a microsecond (the store's write alone does)
    actions = await _chat_actions(tmp_path, fake, typing_after=1e-6)
    assert len(actions) >= 2
    assert {(int(c.params["chat_id"]), c.params["action"]) for c in actions} == {
        (4242, "typing")}


@pytest.mark.parametrize("typing_after", [60.0, 0.0])
async def test_no_typing_for_a_quick_reply_or_when_off(
        tmp_path: Path, fake: FakeBotAPI, typing_after: float) -> None:
    assert await _chat_actions(tmp_path, fake, typing_after) == []
