"""Reminders attacked (issue 16 item 2, reviewed): a resident whose conversation expired,
or who was made a coordinator since, is not reminded of an order they stopped; quiet
hours across midnight in a configuration other than the default."""

from __future__ import annotations

from bot.ordering.chat.reminders import Policy
from bot.storage.memory import MemoryStore
from tests.chat import ChatBot, Clock, test_config
from tests.test_reminders import WIB, at, fire, reminders_to, stop_at_address


def test_a_resident_made_a_coordinator_since_is_not_reminded() -> None:
    """Before: the resident's reminder ('your order is not finished, Lanjutkan') went to
    someone who is staff now (the restart read them in the config's admins)."""
    store, clock = MemoryStore(), Clock(at(27, 10))
    stop_at_address(ChatBot(store=store, clock=clock))
    restarted = ChatBot(store=store, clock=clock, config=test_config(admins=["console:warga"]))
    clock.now = at(27, 12, 5)
    assert fire(restarted) == []
    clock.now = at(28, 12)
    assert fire(restarted) == []  # dropped, not moved


def test_a_resident_whose_conversation_expired_is_not_reminded() -> None:
    store, clock = MemoryStore(), Clock(at(27, 10))
    bot = ChatBot(store=store, clock=clock)
    stop_at_address(bot)
    store.delete_session("console:warga")  # housekeeping dropped it
    clock.now = at(27, 12, 5)
    assert reminders_to(fire(bot), "console:warga") == []


def test_quiet_hours_across_midnight_as_configured() -> None:
    policy = Policy.of({"reminders": {"quiet_from": "22:30", "quiet_until": "05:15"}}, WIB)
    assert not policy.quiet(at(27, 22, 29)) and policy.quiet(at(27, 22, 30))
    assert policy.quiet(at(28, 0, 0)) and policy.quiet(at(28, 5, 14))
    assert not policy.quiet(at(28, 5, 15))
    assert policy.polite(at(27, 23)) == at(28, 5, 15)  # the next morning
    assert policy.polite(at(28, 1)) == at(28, 5, 15)  # the same morning
    late = Policy.of({"reminders": {"quiet_from": "21:00", "quiet_until": "00:00"}}, WIB)
    assert late.quiet(at(27, 23, 59)) and not late.quiet(at(28, 0, 0))
    assert late.polite(at(27, 21, 30)) == at(28, 0, 0)
    never = Policy.of({"reminders": {"quiet_from": "07:00", "quiet_until": "07:00"}}, WIB)
    assert not never.quiet(at(27, 3)) and never.polite(at(27, 3)) == at(27, 3)
