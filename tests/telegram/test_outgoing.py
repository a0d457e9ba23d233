"""The outgoing path (issue 13): a bounded number of Bot API calls in flight, and a pressed
button's reply not held behind answerCallbackQuery or the menu's ✓ mark."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.app import App
from tests.telegram.conftest import make_app
from tests.telegram.fakeapi import FakeBotAPI, serve
from tests.telegram.residents import Resident


class SlowFake(FakeBotAPI):
    """Each sendMessage takes a moment; counts the calls on the wire at once (all chats).
    ``hold_answers``: answerCallbackQuery and editMessageReplyMarkup are answered only once
    a later sendMessage was answered (or after 2 s)."""

    def __init__(self) -> None:
        super().__init__()
        self.open = 0
        self.most_open = 0
        self.hold_answers = False
        self.sends = 0  # sendMessage calls answered
        self.answered_after_reply: list[bool] = []

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            await asyncio.sleep(0.02)
        finally:
            self.open -= 1
        self.sends += 1
        await self.notify()
        return await super()._api_sendMessage(params)

    async def _held(self) -> None:
        if not self.hold_answers:
            return
        before = self.sends
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0), self._changed:
                await self._changed.wait_for(lambda: self.sends > before)
        self.answered_after_reply.append(self.sends > before)

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        await self._held()
        return True

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        await self._held()
        return await super()._api_editMessageReplyMarkup(params)


@pytest.fixture
async def slow() -> AsyncIterator[SlowFake]:
    async with serve(SlowFake()) as api:
        yield api


async def started(tmp_path: Path, fake: FakeBotAPI, **settings: Any) -> tuple[App, Any]:
    app = make_app(tmp_path, fake, **settings)
    adapter = TelegramAdapter(app, app.config["telegram"])
    app.attach(adapter)
    await adapter.start()
    return app, adapter


async def test_calls_in_flight_stay_within_max_in_flight(tmp_path: Path, slow: SlowFake) -> None:
    app, adapter = await started(tmp_path, slow, max_in_flight=2)
    try:
        residents = [Resident(slow, 7100 + n) for n in range(6)]
        await asyncio.gather(*(r.say("halo", expect="Apa yang ingin Anda lakukan?")
                               for r in residents))
    finally:
        await adapter.stop()
        app.close()
    assert slow.most_open == 2  # overlapping, and never more than allowed


async def test_a_press_is_answered_without_waiting_for_the_callback_answer(
        tmp_path: Path, slow: SlowFake) -> None:
    app, adapter = await started(tmp_path, slow)
    try:
        ani = Resident(slow, 7200)
        await ani.say("halo", expect="Apa yang ingin Anda lakukan?")
        slow.hold_answers = True
        await ani.press("Pesan belanja", expect="pasar mana")
        await slow.wait_for(lambda: len(slow.answered_after_reply) == 2,
                            "the answer and the ✓ mark")
    finally:
        await adapter.stop()
        app.close()
    # the reply reached the API while answerCallbackQuery and the ✓ edit were still open
    assert slow.answered_after_reply == [True, True]
    [mark] = slow.called("editMessageReplyMarkup")
    assert "✓" in str(mark.params.get("reply_markup"))


async def test_mark_pressed_off_saves_the_edit_and_an_old_press_is_still_refused(
        tmp_path: Path, slow: SlowFake) -> None:
    """telegram.mark_pressed: false (one Bot API call fewer per press): the pressed menu is
    not edited, its buttons stay, and pressing one of them again is refused by the engine."""
    app, adapter = await started(tmp_path, slow, mark_pressed=False)
    try:
        ani = Resident(slow, 7300)
        await ani.say("halo", expect="Apa yang ingin Anda lakukan?")
        home = ani.last_keyboard()
        await ani.press("Pesan belanja", expect="pasar mana")
        await ani.press("Pesan belanja", menu=home, expect="sudah tidak berlaku")
        await slow.wait_for(lambda: len(slow.called("answerCallbackQuery")) == 2, "answers")
    finally:
        await adapter.stop()
        app.close()
    assert slow.called("editMessageReplyMarkup") == []
