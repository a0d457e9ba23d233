"""Who may do what (bot/ordering/domain/roles.py), and how the menus follow the roles."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.ordering.domain.markets import load_markets
from bot.ordering.domain.order import Order
from bot.ordering.domain.roles import COORDINATOR_EVENTS, RESIDENT_EVENTS, Refused, Roles
from bot.privacy import who
from tests.chat import PATHS, ChatBot

ROOT = Path(__file__).resolve().parents[2]
ROLES = Roles(load_markets(ROOT / "data" / "markets.yaml"), frozenset({"telegram:42"}))
K1, K2, H1 = "console:koord-kranji-1", "console:koord-kranji-2", "console:koord-harapan-1"
HEAD, WARGA = "console:kepala-kranji", "console:warga"


def order(**fields: object) -> Order:
    return Order.from_record({"code": "KRB-1127-001", "market": "kranji-baru", "user": WARGA,
                              **fields})


def test_who_is_who() -> None:
    assert ROLES.role(K1) == "coordinator" and ROLES.is_coordinator(K1, "kranji-baru")
    assert not ROLES.is_coordinator(K1, "harapan-jaya")
    assert ROLES.role(HEAD) == "head" and ROLES.is_head(HEAD, "kranji-baru")
    assert ROLES.role("telegram:42") == "admin"
    assert ROLES.role(WARGA) == "resident" and not ROLES.is_staff(WARGA)
    assert [m.id for m in ROLES.recap_markets(HEAD)] == ["kranji-baru"]
    assert len(ROLES.recap_markets("telegram:42")) == 14
    assert ROLES.recap_markets(K1) == ()
    assert ROLES.display_name(K1) == "Pak Budi" and ROLES.display_name(HEAD) == "Bu Ratna"
    assert ROLES.display_name("telegram:777") == "777"


def test_who_may_see_an_order() -> None:
    for user in (WARGA, K1, K2, HEAD, "telegram:42"):
        assert ROLES.can_view(user, order()), user
    for user in (H1, "console:kepala-harapan", "console:tetangga"):
        assert not ROLES.can_view(user, order()), user


@pytest.mark.parametrize("event", sorted(COORDINATOR_EVENTS))
def test_coordinator_events(event: str, caplog: pytest.LogCaptureFixture) -> None:
    held = order(coordinator=K1)
    ROLES.check(K1, event, held)  # the one who claimed it may do everything
    if event != "claim":
        with pytest.raises(Refused) as other:
            ROLES.check(K2, event, held)
        assert other.value.message_id == "coord.held_by_other"
        assert other.value.params["name"] == "Pak Budi"
    for outsider in (H1, HEAD, WARGA, "telegram:42"):
        with caplog.at_level(logging.WARNING, "bot.ordering.domain.roles"), \
                pytest.raises(Refused) as refused:
            ROLES.check(outsider, event, held)
        assert refused.value.message_id == "coord.not_your_market"
        assert refused.value.params["market"] == "Pasar Kranji Baru"
        assert f"refused: {who(outsider)}" in caplog.text and outsider not in caplog.text


def test_nobody_moves_an_unclaimed_order_on_but_anyone_of_the_market_may_claim() -> None:
    ROLES.check(K2, "claim", order())
    ROLES.check(K2, "cancel_by_coordinator", order())
    with pytest.raises(Refused) as first:
        ROLES.check(K2, "start_shopping", order())
    assert first.value.message_id == "coord.claim_first"


@pytest.mark.parametrize("event", sorted(RESIDENT_EVENTS))
def test_resident_events_are_the_residents_own(event: str) -> None:
    ROLES.check(WARGA, event, order(coordinator=K1))
    for other in ("console:tetangga", K1, HEAD):
        with pytest.raises(Refused) as refused:
            ROLES.check(other, event, order(coordinator=K1))
        assert refused.value.message_id == "status.not_your_order"


def test_unknown_events_are_refused() -> None:
    with pytest.raises(Refused):
        ROLES.check(K1, "teleport", order())


def test_menus_by_role(bot: ChatBot) -> None:
    bot.say("halo", "koord-kranji-1")
    assert bot.state("koord-kranji-1") == "coordinator.home"
    bot.say("menu", "koord-kranji-1")  # menu = start over: staff land in their own menu
    assert bot.state("koord-kranji-1") == "coordinator.home"
    bot.say("batal", "koord-kranji-1")  # cancel = the main menu, with theirs first
    assert bot.options("koord-kranji-1") == ["staff", "order", "status", "help"]
    assert "Menu koordinator" in str(bot.to("koord-kranji-1")[-1])
    bot.push("koord-kranji-1", choice="staff")
    assert bot.state("koord-kranji-1") == "coordinator.home"
    bot.say("halo", "kepala-kranji")
    assert bot.options("kepala-kranji") == ["recap", "open", "find", "announce"]
    for line in PATHS["main.menu"]:
        bot.say(line)
    assert bot.options() == ["order", "status", "help"]


def test_an_unknown_user_asking_for_a_coordinator_command(
        bot: ChatBot, caplog: pytest.LogCaptureFixture) -> None:
    bot.say("halo", "tetangga")
    with caplog.at_level(logging.WARNING, "bot.ordering.domain.roles"):
        bot.say("rekap", "tetangga")
    assert "khusus koordinator" in bot.text("tetangga")
    assert bot.options("tetangga") == ["order", "status", "help"]
    assert bot.state("tetangga") == "main.menu"
    assert f"refused: {who('console:tetangga')} (resident) tried 'recap'" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, "bot.ordering.domain.roles"):
        bot.push("tetangga", choice="claim:KRB-1127-001")
    assert bot.state("tetangga") == "main.menu"
    assert "tried 'claim' KRB-1127-001" in caplog.text
