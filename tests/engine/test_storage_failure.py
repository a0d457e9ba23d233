"""Regression: a store that cannot write must never let a confirmation out."""

from __future__ import annotations

from bot.storage.base import StoreError
from bot.storage.memory import MemoryStore
from tests.chat import ChatBot, drive


class FullDisk(MemoryStore):
    """The memory store, failing its flushes the way a full disk fails a real one."""

    failing = False

    async def flush(self) -> None:
        if self.failing:
            raise StoreError("No space left on device")


def test_no_confirmation_when_the_order_cannot_be_written() -> None:
    store = FullDisk()
    bot = ChatBot(store=store)
    drive(bot, "order.confirm")
    store.failing = True
    bot.say("ya")
    assert "belum bisa disimpan" in bot.text()
    assert "diterima" not in bot.text()
    store.failing = False
    bot.say("halo")
    assert bot.replies
