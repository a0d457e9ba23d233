"""The engine's rule for pressed options (bot/engine/presses.py), on the console channel:
an option that stands on its own works from any state and keeps the way back; any other
option counts only on the menu of the latest turn."""

from __future__ import annotations

from bot.messages import Menu
from tests.chat import ChatBot, drive


def menu_prompt(bot: ChatBot) -> str:
    [menu] = [r for r in bot.to() if isinstance(r, Menu)]
    assert menu.prompt, "a question's menu names its turn"
    return menu.prompt


def test_an_order_button_pressed_mid_order_opens_that_order_and_kembali_returns() -> None:
    bot = ChatBot()
    drive(bot, "order.confirm")
    bot.say("ya")
    [first] = bot.orders()
    drive(bot, "order.items")
    bot.say("bawang merah 1 kg")  # a second order, half written
    bot.push(choice=f"view:{first['code']}")  # a button of an older message
    assert bot.state() == "status.detail" and first["code"] in bot.text()
    bot.say("kembali")
    assert bot.state() == "order.items"
    assert [i["name"] for i in bot.session()["slots"]["items"]] == ["bawang merah"]


def test_only_the_latest_menu_answers_the_current_question() -> None:
    bot = ChatBot()
    drive(bot, "order.phone")
    bot.say("0812-3456-7890")
    summary = menu_prompt(bot)
    bot.say("ubah")
    edit = menu_prompt(bot)
    bot.push(choice="yes", prompt=summary)  # "Ya, pesan" of the summary
    assert "sudah tidak berlaku" in bot.text() and bot.state() == "order.edit_menu"
    assert menu_prompt(bot) != edit  # asked again, as a new question
    bot.push(choice="nothing", prompt=edit)  # the menu before the refusal: moved past too
    assert bot.state() == "order.edit_menu"
    bot.push(choice="nothing", prompt=menu_prompt(bot))
    assert bot.state() == "order.confirm"
    yes = menu_prompt(bot)
    bot.push(choice="yes", prompt=yes)
    bot.push(choice="yes", prompt=yes)  # pressed twice
    assert "sudah tidak berlaku" in bot.text()
    assert len(bot.orders()) == 1
