"""Whatever a user sends, in whatever state: no exception, always an answer."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.messages import user_key
from tests.chat import PATHS, ChatBot, drive

ODD = [
    "", " ", "\n\n\t", "🥬🥚🐔" * 30, "x" * 10_000, "1" * 5000, "/", "//", "/start " + "a" * 300,
    "hapus 0", "hapus 999999999999", "{user}", "{0}", "%s", "\x00", "selesai", "ya", "-1",
    "٣", "½ ¼", "1/0", "Rp" + "9" * 400, "\u202e", "🇮🇩" * 2000,
]
messages = st.one_of(st.sampled_from(ODD), st.text(max_size=300))
ERROR_TEXT = "ada gangguan"  # the reply to an exception caught by the engine


@pytest.mark.parametrize("state", list(PATHS))
def test_any_text_in_any_state(state: str) -> None:
    bot = ChatBot()
    drive(bot, state)
    key = user_key("console", "warga")
    snapshot = bot.store.get_session(key)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=messages)
    def check(text: str) -> None:
        bot.store.put_session(key, snapshot)
        replies = bot.say(text)
        assert replies, f"no reply to {text[:40]!r} in {state}"
        assert all(r.text for r in replies)
        assert ERROR_TEXT not in bot.text(), f"{text[:40]!r} in {state} raised"

    check()


@pytest.mark.parametrize("text", ODD)
def test_odd_messages_from_a_new_user(text: str) -> None:
    bot = ChatBot()
    replies = bot.say(text)
    assert replies and ERROR_TEXT not in bot.text()
    assert all(len(r.text) <= 4096 for r in replies)
