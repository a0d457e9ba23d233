"""Item 7 on the real Telegram stack: the forwarded message says "send *rw05-jatibening* to
the bot"; typing that as the first message tags the conversation, as /start would."""

from __future__ import annotations

from bot.app import App
from tests.telegram.fakeapi import FakeBotAPI
from tests.telegram.residents import Resident


async def test_a_tag_typed_as_the_first_message_is_a_referral_on_telegram(
        fake: FakeBotAPI, polling: App) -> None:
    fitri = Resident(fake, 711, "Fitri")
    await fitri.say("rw05-jatibening", expect="Apa yang ingin Anda lakukan?")
    assert polling.store.get_session("telegram:711")["referral"] == "rw05-jatibening"
    rina = Resident(fake, 712, "Rina")
    await rina.say("halo", expect="Apa yang ingin Anda lakukan?")
    assert polling.store.get_session("telegram:712").get("referral") is None
