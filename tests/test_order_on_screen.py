"""Item 16: offering actions is not an attempt (no audit line for what was only shown).
Item 17: a refused order code leaves the order on screen, card and actions."""

from __future__ import annotations

import logging

import pytest

from tests.chat import ADDRESS, ChatBot


def place(bot: ChatBot, market: str, user: str) -> str:
    for line in ("halo", "1", market, "telur 1 kg", "selesai", ADDRESS, "Bu Ani",
                 "0812-3456-7890", "ya"):
        bot.say(line, user)
    return bot.orders(user)[-1]["code"]


def test_a_head_viewing_an_order_logs_no_refusal(
        bot: ChatBot, caplog: pytest.LogCaptureFixture) -> None:
    code = place(bot, "kranji baru", "warga")
    bot.say("halo", "kepala-kranji")
    with caplog.at_level(logging.INFO, "bot.ordering"):
        bot.say(code, "kepala-kranji")  # the head looks at it: no claim/cancel offered
    assert bot.state("kepala-kranji") == "coordinator.order" and code in bot.text("kepala-kranji")
    assert not [r for r in caplog.records if "refused" in r.getMessage()]
    with caplog.at_level(logging.INFO, "bot.ordering"):
        bot.say(f"ambil {code}", "kepala-kranji")  # a real attempt: logged
    assert [r for r in caplog.records if "refused" in r.getMessage() and "'claim'" in
            r.getMessage()]


def test_a_refused_order_code_leaves_the_order_on_screen(bot: ChatBot) -> None:
    mine = place(bot, "kranji baru", "warga")
    other = place(bot, "harapan jaya", "warga2")
    bot.say("halo", "koord-kranji-1")
    bot.say(mine, "koord-kranji-1")
    assert bot.state("koord-kranji-1") == "coordinator.order"
    before = bot.options("koord-kranji-1")
    assert "claim" in before
    bot.say(other, "koord-kranji-1")  # another market's order: refused
    said = bot.text("koord-kranji-1")
    assert "Pasar Harapan Jaya" in said  # the refusal names the other market
    assert bot.state("koord-kranji-1") == "coordinator.order"
    assert bot.session("koord-kranji-1")["slots"]["code"] == mine
    assert bot.options("koord-kranji-1") == before  # the actions of the order on screen
    bot.push("koord-kranji-1", choice="claim")
    assert bot.store.get_order(mine)["coordinator"] == "console:koord-kranji-1"
    assert bot.store.get_order(other).get("coordinator") is None


def test_a_code_that_does_not_exist_leaves_the_order_on_screen(bot: ChatBot) -> None:
    mine = place(bot, "kranji baru", "warga")
    bot.say("halo", "koord-kranji-1")
    bot.say(mine, "koord-kranji-1")
    before = bot.options("koord-kranji-1")
    bot.say("KRB-0101-999", "koord-kranji-1")
    assert bot.session("koord-kranji-1")["slots"]["code"] == mine
    assert bot.options("koord-kranji-1") == before


def test_a_residents_order_stays_on_screen_after_someone_elses_code(bot: ChatBot) -> None:
    mine = place(bot, "kranji baru", "warga")
    theirs = place(bot, "kranji baru", "tetangga")
    bot.say(mine)
    assert bot.state() == "status.detail"
    before = bot.options()
    assert "cancel" in before
    bot.say(theirs)  # not hers: refused
    assert bot.state() == "status.detail"
    assert bot.session()["slots"]["code"] == mine and bot.options() == before
    bot.push(choice="cancel")
    assert bot.state() == "status.confirm_cancel" and mine in bot.text()
