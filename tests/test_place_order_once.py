"""Regression (found by the SIGKILL test): the order is written before the session in a
write round; a crash between the two left the resident at the summary, and a second "ya"
placed a second order."""

from __future__ import annotations

from pathlib import Path

from bot.messages import user_key
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import ChatBot, drive


def test_a_repeated_yes_after_a_lost_session_write_finds_the_first_order(tmp_path: Path) -> None:
    bot = ChatBot(store=TinyDBStore(tmp_path / "data"))
    key = user_key("console", "warga")
    drive(bot, "order.confirm")
    at_summary = bot.store.get_session(key)
    bot.say("ya")
    code = bot.orders()[0]["code"]
    # the crash: the order reached the disk, the session's new step did not
    bot.store.put_session(key, at_summary)
    bot.store.flush_sync()
    bot.store.close()
    bot = ChatBot(store=TinyDBStore(tmp_path / "data"), clock=bot.clock)
    bot.say("ya")
    assert code in bot.text() and "diterima" in bot.text()
    assert [o["code"] for o in bot.orders()] == [code]
    bot.store.close()


def test_a_new_confirmation_is_a_new_order(bot: ChatBot) -> None:
    drive(bot, "order.confirm")
    bot.say("ya")
    drive(bot, "order.confirm")
    bot.say("ya")
    assert len({o["code"] for o in bot.orders()}) == 2
