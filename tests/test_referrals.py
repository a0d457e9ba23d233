"""Referral tags: one rule on every channel (the app's, in
bot/ordering/understanding/referrals.py, applied by the engine), never an order code or an
ordinary word; counts only for the tag's maker, heads and the market office."""

from __future__ import annotations

import asyncio

import pytest

from bot.messages import Incoming
from bot.ordering.understanding.referrals import referral_tag
from tests.chat import PATHS, ChatBot, test_config


@pytest.mark.parametrize(("text", "tag"), [
    ("rw05-jatibening", "rw05-jatibening"),
    ("  RT03_pekayon ", "rt03_pekayon"),  # a phone capitalises; counted under one tag
    ("Rw05-Jatibening", "rw05-jatibening"),
    ("rt3", "rt3"), ("rw07-pekayon-jaya", "rw07-pekayon-jaya"),
    ("KRB-1127-001", None), ("krb-1127-001", None), ("ambil KRB-1127-001", None),
    ("halo", None), ("pesan", None), ("menu", None), ("link", None), ("1", None),
    ("12", None), ("0812-3456-7890", None), ("rw05 jatibening", None), ("rw05!", None),
    ("rw-05", None), ("rwa-jatibening", None), ("rw05-" + "a" * 60, None), ("", None),
    (None, None),
    # a Lurah's group: kel and at least one word; "kel" or a word starting with it is none
    ("kel-jatibening", "kel-jatibening"), ("Kel_Jaka_Setia", "kel_jaka_setia"),
    ("kel", None), ("kelapa", None), ("kel jatibening", None),
])
def test_what_is_a_referral_tag(text: str | None, tag: str | None) -> None:
    assert referral_tag(text) == tag


def say(bot: ChatBot, channel: str, user: str, text: str) -> None:
    msg = Incoming(channel=channel, user=user, text=text)
    bot.replies = asyncio.run(bot.app.engine.handle(msg))


@pytest.mark.parametrize("channel", ["telegram", "console", "whatsapp"])
def test_a_tag_as_the_first_message_is_a_referral_on_every_channel(channel: str) -> None:
    bot = ChatBot()
    say(bot, channel, "101", "RW05-Jatibening")
    session = bot.store.get_session(f"{channel}:101")
    assert session["referral"] == "rw05-jatibening"
    assert (session["flow"], session["state"]) == ("main", "menu")  # greeted, at the menu
    for line in [*PATHS["order.confirm"][1:], "ya"]:
        say(bot, channel, "101", line)
    (order,) = bot.store.query_orders(user=f"{channel}:101")
    assert order["referral"] == "rw05-jatibening"


def test_ordinary_first_messages_are_not_swallowed_as_referrals(bot: ChatBot) -> None:
    for user, first in (("a", "halo"), ("b", "pesan"), ("c", "1"), ("d", "link")):
        bot.say(first, user)
        assert bot.session(user).get("referral") is None, first


def test_a_tag_mid_order_is_an_answer_not_a_restart(bot: ChatBot) -> None:
    for line in PATHS["order.items"]:
        bot.say(line)
    bot.say("rw05-jatibening")  # e.g. a shopping list line: it stays in the order flow
    assert bot.state().startswith("order.")
    assert bot.session().get("referral") is None


def test_an_order_code_at_the_main_menu_is_not_a_referral(bot: ChatBot) -> None:
    for line in PATHS["order.confirm"]:
        bot.say(line)
    bot.say("ya")
    code = bot.orders()[0]["code"]
    bot.say("menu")
    bot.say(code)  # the resident looks their order up
    assert bot.session().get("referral") is None
    assert code in bot.text() and bot.state() == "status.detail"
    bot.say("menu")
    bot.say("KRB-0101-001")  # someone else's / no such order: refused, not a tag
    assert bot.session().get("referral") is None


def test_a_start_payload_that_is_an_order_code_is_no_referral(bot: ChatBot) -> None:
    bot.say("/start KRB-1127-001")
    assert bot.session().get("referral") is None
    bot.say("/start rw05-jatibening")
    assert bot.session()["referral"] == "rw05-jatibening"


# -- who sees the counts (item 18) -------------------------------------------------------------
def make_link(bot: ChatBot, user: str, rw: str = "5", kelurahan: str = "Jatibening") -> str:
    bot.say("link", user)
    if bot.state(user) == "link.more":  # they made one before: "another one?"
        bot.say("ya", user)
    for line in (rw, kelurahan):
        bot.say(line, user)
    return bot.text(user)


def order_through(bot: ChatBot, user: str, tag: str) -> None:
    bot.say(tag, user)
    for line in [*PATHS["order.confirm"][1:], "ya"]:
        bot.say(line, user)


def test_referral_counts_are_shown_to_the_maker_not_to_other_residents() -> None:
    bot = ChatBot()
    assert "sejauh ini: 0" in make_link(bot, "bu-rw")
    order_through(bot, "warga", "rw05-jatibening")
    order_through(bot, "warga2", "rw05-jatibening")
    mine = make_link(bot, "bu-rw")  # the maker, making it again: the count
    assert "sejauh ini: 2" in mine
    other = make_link(bot, "tetangga")  # anyone may make the link, but sees no count
    assert "rw05-jatibening" in other and "sudah pernah dibuat orang lain" in other
    assert "sejauh ini" not in other and "2" not in other.split("rw05-jatibening")[-1]
    bot.say("link", "tetangga")  # the list of "their" links: the tag, no count
    listed = bot.text("tetangga")
    assert "• rw05-jatibening" in listed and "pesanan" not in listed.split("\n")[1]
    bot.say("tidak", "tetangga")
    bot.say("link", "bu-rw")
    assert "• rw05-jatibening: 2 pesanan" in bot.text("bu-rw")


def test_heads_and_the_market_office_see_the_counts() -> None:
    config = test_config(admins=["console:kantor"])
    bot = ChatBot(config=config)
    make_link(bot, "bu-rw")
    order_through(bot, "warga", "rw05-jatibening")
    for staff in ("kantor", "kepala-kranji"):
        assert "sejauh ini: 1" in make_link(bot, staff), staff
    assert "sejauh ini" not in make_link(bot, "koord-kranji-1")  # a coordinator: no


def test_the_tag_shape_is_the_apps_not_the_engines() -> None:
    """The engine knows no neighbourhood words: an app that registers no rule has no tags,
    and the market app's rule is the one the engine applies."""
    from bot.engine.registry import Registry

    assert Registry().referral_tag("rw05-jatibening") is None
    assert ChatBot().app.engine.registry.referral_tag("RW05-Jatibening") == "rw05-jatibening"
