"""Reminders (issue 16 item 2), on durable timers with the test's clock: a resident who
stopped mid-order is reminded once, not at night, not outside WhatsApp's 24-hour window,
and still once across restarts of the TinyDB store; a coordinator whose delivered order is
not marked paid is reminded; an order claimed and not shopped by closing time reminds its
coordinator and tells the head."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.messages import Incoming, Menu, Reply
from bot.ordering.chat.reminders import Policy
from bot.ordering.domain.lifecycle import LIFECYCLE
from bot.ordering.domain.markets import Market
from bot.storage.base import Store
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import PATHS, ChatBot, Clock, test_config

WIB = ZoneInfo("Asia/Jakarta")
KOORD, HEAD = "console:koord-kranji-1", "console:kepala-kranji"


def at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2025, 11, day, hour, minute, tzinfo=WIB).timestamp()


class Collect:
    """An adapter of one channel that keeps what it is given (as `ChatBot.tick` does)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[Reply] = []

    async def send(self, reply: Reply) -> bool:
        self.sent.append(reply)
        return True


def fire(bot: ChatBot) -> list[Reply]:
    """The app's due timers, run once at the test's clock: what they sent."""
    adapters = [Collect("console"), Collect("whatsapp")]
    for adapter in adapters:
        bot.app.adapters[adapter.name] = adapter
    try:
        asyncio.run(bot.app.run_timers(bot.clock()))
    finally:
        for adapter in adapters:
            bot.app.adapters.pop(adapter.name, None)
    return [r for a in adapters for r in a.sent]


def reminders_to(sent: list[Reply], key: str) -> list[Reply]:
    return [r for r in sent if r.to == key and "belum selesai" in r.text]


def stop_at_address(bot: ChatBot, user: str = "warga") -> None:
    for line in PATHS["order.address"]:
        bot.say(line, user)
    assert bot.state(user) == "order.address"


# -- the rules ---------------------------------------------------------------------------
def test_quiet_hours_move_a_reminder_to_the_morning() -> None:
    policy = Policy.of({}, WIB)
    assert policy.quiet(at(27, 22)) and policy.quiet(at(28, 3)) and not policy.quiet(at(27, 7))
    assert policy.polite(at(27, 22, 30)) == at(28, 7)
    assert policy.polite(at(28, 3)) == at(28, 7)
    assert policy.polite(at(27, 12)) == at(27, 12)
    assert policy.resident_due("telegram", at(27, 20)) == at(28, 7)  # 22:00 is quiet
    assert policy.resident_due("whatsapp", at(27, 20)) == at(28, 7)  # inside the window


def test_no_reminder_that_could_only_go_outside_the_whatsapp_window() -> None:
    policy = Policy.of({"reminders": {"resident_minutes": 20 * 60}}, WIB)
    # 06:00 + 20 h = 02:00, quiet until 07:00: 25 hours after the resident's message
    assert policy.resident_due("whatsapp", at(27, 6)) is None
    assert policy.resident_due("telegram", at(27, 6)) == at(28, 7)


def test_closing_time_of_the_day_an_order_is_claimed() -> None:
    policy = Policy.of({}, WIB)
    market = Market(id="m", name="Pasar M", code="MMM")  # 05:00-14:00
    assert policy.closing_due(market, at(27, 9)) == at(27, 14)
    assert policy.closing_due(market, at(27, 15)) == at(28, 14)  # claimed after closing


# -- a resident who stopped mid-order --------------------------------------------------
def reminded_once_across_restarts(make_store: Callable[[], Store]) -> None:
    clock = Clock(at(27, 10))
    bot = ChatBot(store=make_store(), clock=clock)
    stop_at_address(bot)
    bot.store.close()  # a restart before it is due
    bot = ChatBot(store=make_store(), clock=clock)
    clock.now = at(27, 11, 59)
    assert reminders_to(fire(bot), "console:warga") == []
    clock.now = at(27, 12, 1)
    sent = reminders_to(fire(bot), "console:warga")
    assert len(sent) == 1
    reminder = sent[0]
    assert isinstance(reminder, Menu) and [o.id for o in reminder.options] == ["continue"]
    assert "Pasar Kranji Baru" in reminder.text
    bot.store.close()  # and a restart after it fired
    bot = ChatBot(store=make_store(), clock=clock)
    clock.now = at(27, 16)
    assert reminders_to(fire(bot), "console:warga") == []
    # one tap carries on where they were
    bot.push("warga", choice="continue")
    assert bot.state() == "order.address" and "alamat" in bot.text().lower()
    bot.store.close()


def test_resident_reminded_once_across_restarts(tmp_path: Path) -> None:
    reminded_once_across_restarts(lambda: TinyDBStore(tmp_path / "data"))


def test_resident_reminded_once_across_restarts_on_postgres() -> None:
    from bot.ordering.domain.statuses import STATUSES
    from bot.storage.postgres import PostgresStore
    from tests.pg import contract_dsn, empty

    dsn = contract_dsn()  # skipped loudly without PostgreSQL binaries (failing under CI)
    empty(dsn)
    reminded_once_across_restarts(
        lambda: PostgresStore(dsn, finished=STATUSES.finished, pool_size=2))


def test_resident_not_reminded_at_night(bot: ChatBot) -> None:
    bot.clock.now = at(27, 20, 30)
    stop_at_address(bot)
    for moment in (at(27, 22, 31), at(28, 3), at(28, 6, 59)):
        bot.clock.now = moment
        assert reminders_to(fire(bot), "console:warga") == [], moment
    bot.clock.now = at(28, 7, 1)
    assert len(reminders_to(fire(bot), "console:warga")) == 1
    bot.clock.now = at(28, 12)
    assert reminders_to(fire(bot), "console:warga") == []


def test_a_resident_who_writes_again_is_reminded_later_and_once(bot: ChatBot) -> None:
    bot.clock.now = at(27, 10)
    stop_at_address(bot)
    bot.clock.now = at(27, 11)
    bot.say("sebentar ya")  # not an address: asked again, still mid-order
    assert bot.state() == "order.address"
    bot.clock.now = at(27, 12, 30)
    assert reminders_to(fire(bot), "console:warga") == []
    bot.clock.now = at(27, 13, 1)
    assert len(reminders_to(fire(bot), "console:warga")) == 1


def test_no_reminder_after_the_order_is_placed(bot: ChatBot) -> None:
    bot.clock.now = at(27, 10)
    for line in PATHS["order.confirm"]:
        bot.say(line)
    bot.say("ya")
    assert bot.orders()
    bot.clock.now = at(27, 13)
    assert reminders_to(fire(bot), "console:warga") == []


def whatsapp_says(bot: ChatBot, user: str, text: str) -> None:
    asyncio.run(bot.app.engine.handle(Incoming(channel="whatsapp", user=user, text=text,
                                               message_id=f"wa-{bot.clock.now}-{text}")))


def test_whatsapp_reminder_only_inside_the_window() -> None:
    config = test_config(reminders={"resident_minutes": 20 * 60})
    bot = ChatBot(config=config, clock=Clock(at(27, 6)))
    for line in PATHS["order.address"]:
        whatsapp_says(bot, "6281200000001", line)
        bot.say(line, "warga")  # the same, on a messenger without a window
    bot.clock.now = at(28, 7, 1)
    sent = fire(bot)
    assert reminders_to(sent, "whatsapp:6281200000001") == []  # 25 h after: not at all
    assert len(reminders_to(sent, "console:warga")) == 1
    bot.clock.now = at(28, 12)
    assert reminders_to(fire(bot), "whatsapp:6281200000001") == []


def test_whatsapp_resident_reminded_inside_the_window(bot: ChatBot) -> None:
    bot.clock.now = at(27, 10)
    for line in PATHS["order.address"]:
        whatsapp_says(bot, "6281200000002", line)
    bot.clock.now = at(27, 12, 5)
    assert len(reminders_to(fire(bot), "whatsapp:6281200000002")) == 1


# -- coordinators ----------------------------------------------------------------------
def placed_order(bot: ChatBot) -> str:
    bot.say("halo", "koord-kranji-1")
    bot.say("halo", "kepala-kranji")
    for line in PATHS["order.confirm"]:
        bot.say(line)
    bot.say("ya")
    return str(bot.orders()[-1]["code"])


def move(bot: ChatBot, code: str, *events: tuple[str, dict[str, Any]]) -> None:
    """Fire lifecycle events as the coordinator, through the app's orders (as its chat
    actions and the web office do)."""
    for event, data in events:
        moment = datetime.fromtimestamp(bot.clock(), WIB)
        LIFECYCLE.change(bot.app.services.orders, code, event, KOORD, moment, None, **data)
    asyncio.run(bot.store.flush())


TO_DELIVERED = (("claim", {}), ("start_shopping", {}),
                ("record_prices", {"prices": [{"price": 20000}]}),
                ("send_courier", {"courier": {"name": "Pak Joko", "phone": "+6281311112222"}}),
                ("deliver", {}))


def test_delivered_not_paid_reminds_its_coordinator_once(bot: ChatBot) -> None:
    bot.clock.now = at(27, 8)
    code = placed_order(bot)
    paid = placed_order(bot)  # a second order, paid in time: no reminder
    bot.clock.now = at(27, 10)
    move(bot, code, *TO_DELIVERED)
    move(bot, paid, *TO_DELIVERED, ("pay", {"cash": 20000}))
    bot.clock.now = at(27, 12, 59)
    assert [r for r in fire(bot) if code in r.text] == []
    bot.clock.now = at(27, 13, 1)
    sent = fire(bot)
    assert [r for r in sent if paid in r.text] == []
    sent = [r for r in sent if code in r.text]
    assert [r.to for r in sent] == [KOORD]
    assert "belum ditandai lunas" in sent[0].text
    assert isinstance(sent[0], Menu) and sent[0].options[0].id == f"view:{code}"
    bot.clock.now = at(27, 18)
    assert [r for r in fire(bot) if code in r.text] == []


def test_claimed_not_shopped_by_closing_reminds_and_tells_the_head(bot: ChatBot) -> None:
    bot.clock.now = at(27, 8)
    code = placed_order(bot)
    shopping = placed_order(bot)  # a second order, being shopped: nobody is told
    bot.clock.now = at(27, 9)
    move(bot, code, ("claim", {}))
    move(bot, shopping, ("claim", {}), ("start_shopping", {}))
    bot.clock.now = at(27, 13, 59)
    assert [r for r in fire(bot) if code in r.text] == []
    bot.clock.now = at(27, 14, 1)
    sent = fire(bot)
    assert [r for r in sent if shopping in r.text] == []
    told = {r.to: r.text for r in sent if code in r.text}
    assert set(told) == {KOORD, HEAD}
    assert "belum mulai dibelanjakan" in told[KOORD] and "14.00" in told[KOORD]
    assert "Pak Budi" in told[HEAD]
    bot.clock.now = at(27, 16)
    assert [r for r in fire(bot) if code in r.text] == []


def test_unpaid_reminder_due_at_night_waits_for_the_morning(bot: ChatBot) -> None:
    bot.clock.now = at(27, 8)
    code = placed_order(bot)
    bot.clock.now = at(27, 19)
    move(bot, code, *TO_DELIVERED)
    bot.clock.now = at(27, 22, 1)  # 3 hours later: quiet hours
    assert [r for r in fire(bot) if code in r.text] == []
    bot.clock.now = at(28, 7, 1)
    assert [r.to for r in fire(bot) if code in r.text] == [KOORD]


def test_quiet_hours_in_the_config_are_checked() -> None:
    from bot.config_check import check_config

    config = test_config(reminders={"resident_minutes": -5, "unpaid_minutes": 180,
                                    "quiet_from": "25:00", "quiet_until": "07:00"})
    problems = " ".join(p.message for p in check_config(config))
    assert "reminders.quiet_from" in problems and "reminders.resident_minutes" in problems
