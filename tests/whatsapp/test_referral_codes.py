"""Item 6/7 on the real WhatsApp webhook: an order code typed at the main menu is no
referral; a wa.me tag as the first message is one (the engine's rule, not the adapter's)."""

from __future__ import annotations

from tests.whatsapp.support import WaBot, texts


async def test_an_order_code_typed_at_the_main_menu_is_not_stored_as_a_referral(
        wa: WaBot) -> None:
    await wa.say("halo")
    assert (wa.session()["flow"], wa.session()["state"]) == ("main", "menu")
    sent = await wa.say("KRB-1127-001")
    assert wa.session().get("referral") is None
    assert "KRB-1127-001" in texts(sent)  # answered as an order code: no such order of hers
    sent = await wa.say("rw05-jatibening")  # a tag from a wa.me link, at the main menu
    assert wa.session()["referral"] == "rw05-jatibening"
    assert "Apa yang ingin Anda lakukan?" in texts(sent)
