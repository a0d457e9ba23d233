"""Order codes of any length: the 1,000th order of a day at one market gets a four-digit
number, and every command and button that takes a code takes it (open, claim, cancel)."""

from __future__ import annotations

from bot.ordering.domain.codes import CODE, format_code, is_code
from tests.chat import ChatBot
from tests.coordinator.test_flows import ORDER

COORDINATOR = "koord-kranji-1"


def place(bot: ChatBot, user: str) -> str:
    for line in ORDER:
        bot.say(line, user)
    return bot.orders(user)[-1]["code"]


def test_the_thousandth_order_of_a_day_can_be_opened_claimed_and_cancelled() -> None:
    bot = ChatBot()
    bot.say("halo", COORDINATOR)
    for _ in range(999):  # the market's first 999 orders of 27 November
        bot.store.next_sequence("KRB-1127")
    code = place(bot, "warga")
    assert code == "KRB-1127-1000" and is_code(code)
    assert f"ambil {code}" in bot.text(COORDINATOR)  # the notification names it

    bot.say(f"lihat {code.lower()}")  # the resident opens it by its code
    assert bot.text().startswith(f"📋 *{code}*"), bot.text()
    bot.say(f"ambil {code}", COORDINATOR)  # typed claim
    assert bot.store.get_order(code)["coordinator"], bot.text(COORDINATOR)

    other = place(bot, "tetangga")
    assert other == "KRB-1127-1001"
    bot.push(COORDINATOR, choice=f"claim:{other}")  # the notification's claim button
    assert bot.store.get_order(other)["coordinator"], bot.text(COORDINATOR)

    bot.say("menu")
    third = place(bot, "warga")
    bot.say(f"batal {third}")  # the resident cancels by its code
    bot.say("ya")
    assert bot.store.get_order(third)["status"] == "cancelled", bot.text()


def test_codes_keep_three_digits_at_least_and_grow_past_them() -> None:
    assert format_code("KRB", "1127", 7) == "KRB-1127-007"
    assert format_code("KRB", "1127", 12345) == "KRB-1127-12345"
    assert CODE.fullmatch("krb-1127-12345") and not CODE.fullmatch("KRB-1127-07")
    assert not is_code("KRB-1127-0011")  # never written so: 011 stays three digits
