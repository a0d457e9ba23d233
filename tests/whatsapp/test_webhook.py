"""The webhook of `main.py serve` over HTTP: verify, signatures, every fixture, duplicates,
order per user, shutdown; replies read from the fake Graph API."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.adapters.base import with_prompt
from bot.adapters.whatsapp import WEBHOOK_PATH, WhatsAppAdapter, whatsapp_link
from bot.config import ConfigError
from tests.whatsapp.fake_graph import TOKEN, FakeGraph
from tests.whatsapp.support import (
    USER,
    VERIFY,
    WaBot,
    buttons,
    fixture,
    message,
    rows,
    settings,
    text,
    texts,
)


async def test_verify_handshake(wa: WaBot) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    response = await wa.http.get(WEBHOOK_PATH, params=query)
    assert (response.status_code, response.text) == (200, "1158201444")
    wrong = await wa.http.get(WEBHOOK_PATH, params={**query, "hub.verify_token": "guess"})
    assert wrong.status_code == 403 and "1158201444" not in wrong.text
    assert (await wa.http.get(WEBHOOK_PATH)).status_code == 403


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "sha1=abc", "garbage"])
async def test_bad_signature_gets_403_and_nothing_is_handled_or_stored(
        wa: WaBot, graph: FakeGraph, signature: str | None) -> None:
    payload = text("halo")
    response = await wa.post(payload, signature=signature)
    assert response.status_code == 403
    assert graph.sent == [] and wa.session() == {}
    wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert not wa.app.store.seen_message("whatsapp", wamid)
    good = await wa.post(payload)  # the same body, signed: now it is handled
    assert good.status_code == 200 and graph.to(USER)


async def test_body_changed_after_signing_is_refused(wa: WaBot, graph: FakeGraph) -> None:
    from bot.adapters.whatsapp_parse import sign
    from tests.whatsapp.support import SECRET

    body = json.dumps(text("halo")).encode()
    tampered = body.replace(b"halo", b"batal")
    response = await wa.post(tampered, signature=sign(SECRET, body))
    assert response.status_code == 403 and graph.sent == []


async def test_text_gets_the_greeting_with_reply_buttons(wa: WaBot) -> None:
    sent = await wa.say("halo")
    assert "Selamat datang" in texts(sent)
    assert [b["title"] for b in buttons(sent)] == ["Pesan belanja", "Cek pesanan saya", "Bantuan"]
    assert wa.session()["profile"] == {"name": "Ani Suryani", "phone": "+6281234567890"}


async def test_button_and_list_replies_move_the_flow(wa: WaBot) -> None:
    await wa.say("halo")
    sent = await wa.send(message("button_reply"))
    turn = str(wa.session()["turn"])  # the question the list answers
    assert rows(sent)[0]["id"] == with_prompt("harapan-jaya", turn)
    sent = await wa.send(message("list_reply"))
    assert "Pasar Kranji Baru" in texts(sent)
    assert wa.session()["slots"]["market"] == "kranji-baru"


async def test_location_fixture_answers_the_address_question(wa: WaBot) -> None:
    for step in ("halo", "1", "kranji baru", "telur 1 kg", "selesai"):
        sent = await wa.say(step)
    assert sent[-1]["interactive"]["type"] == "location_request_message"
    await wa.send(message("location"))
    assert wa.session()["state"] != "address"


@pytest.mark.parametrize("name", ["image", "sticker", "audio_voice", "reaction", "unsupported"])
async def test_media_and_unknown_types_get_a_short_localized_reply(
        wa: WaBot, graph: FakeGraph, name: str) -> None:
    await wa.say("halo")
    sent = await wa.send(message(name))
    assert "belum bisa membaca" in texts(sent)


@pytest.mark.parametrize("name", ["status_sent", "status_delivered", "status_read"])
async def test_statuses_are_accepted_never_answered(
        wa: WaBot, graph: FakeGraph, name: str, caplog: pytest.LogCaptureFixture) -> None:
    response = await wa.post(fixture(name))
    assert response.status_code == 200 and graph.sent == [] and graph.rejected == []
    assert wa.session() == {}


async def test_several_messages_in_one_post_each_handled_in_order(
        wa: WaBot, graph: FakeGraph) -> None:
    response = await wa.post(fixture("several"))
    assert response.status_code == 200
    assert "Selamat datang" in texts(graph.to(USER))
    assert wa.session()["state"] == "market"  # "halo" then "1", in that order
    assert "Selamat datang" in texts(graph.to("6285711112222"))
    assert wa.session("6289633334444")["state"] is not None
    assert graph.to("6289633334444")


async def test_the_same_post_delivered_twice_is_handled_once(wa: WaBot, graph: FakeGraph) -> None:
    payload = fixture("several")
    await wa.post(payload)
    sent, state = len(graph.sent), wa.session()
    await wa.post(payload)
    await wa.post(payload)
    assert len(graph.sent) == sent and wa.session()["state"] == state["state"]


async def test_a_retried_delivery_after_a_restart_is_still_skipped(
        make_bot: Any, graph: FakeGraph, tmp_path: Any) -> None:
    from bot.storage.tinydb_store import TinyDBStore

    payload = text("halo")
    store = TinyDBStore(tmp_path / "data")
    first = await make_bot(store=store)
    await first.post(payload)
    sent = len(graph.sent)
    await first.close()
    store.close()
    store = TinyDBStore(tmp_path / "data")
    second = await make_bot(store=store)
    await second.post(payload)
    assert len(graph.sent) == sent
    await second.close()
    store.close()


async def test_one_users_messages_run_in_arrival_order(wa: WaBot, graph: FakeGraph) -> None:
    for step in ("halo", "1", "kranji baru", "telur 1 kg", "selesai"):
        response = await wa.post(text(step), wait=False)  # all in flight at once
        assert response.status_code == 200
    await wa.adapter.idle()
    assert wa.session()["state"] == "address"
    shown = texts(graph.to(USER))
    assert shown.index("Selamat datang") < shown.index("Tulis daftar belanja") < shown.index(
        "Ke mana belanjaan diantar")


async def test_stop_waits_for_the_messages_in_hand(wa: WaBot, graph: FakeGraph) -> None:
    for step in ("halo", "1"):
        await wa.post(text(step), wait=False)
    await wa.adapter.stop()
    assert wa.session()["state"] == "market" and len(graph.to(USER)) >= 2


async def test_bearer_token_and_endpoint(wa: WaBot, graph: FakeGraph) -> None:
    await wa.say("halo")
    assert graph.rejected == []  # the fake refuses another token or phone number id
    assert wa.adapter.sender().url.endswith("/v21.0/106540352242922/messages")
    assert TOKEN in wa.adapter.sender()._headers["Authorization"]


async def test_not_json_with_a_good_signature_is_400(wa: WaBot) -> None:
    assert (await wa.post(b"{not json")).status_code == 400


def test_missing_secrets_are_a_clear_error_at_start() -> None:
    from tests.whatsapp.conftest import new_app

    incomplete = settings("http://127.0.0.1:9", app_secret="", verify_token=" ")
    with pytest.raises(ConfigError) as error:
        WhatsAppAdapter(new_app(), incomplete)
    assert "whatsapp.app_secret (WHATSAPP_APP_SECRET)" in str(error.value)
    assert "whatsapp.verify_token" in str(error.value)
    assert "access_token" not in str(error.value)


async def test_server_mounts_the_webhook_next_to_healthz(wa: WaBot) -> None:
    health = (await wa.http.get("/healthz")).json()
    assert health["adapters"] == ["whatsapp"]


async def test_referral_tag_as_first_message_greets_and_is_recorded(wa: WaBot) -> None:
    sent = await wa.say("rw05-jatibening")
    assert "Selamat datang" in texts(sent)
    assert wa.session()["referral"] == "rw05-jatibening"


async def test_a_tag_mid_order_is_just_an_answer(wa: WaBot) -> None:
    for step in ("halo", "1", "kranji baru"):
        await wa.say(step)
    await wa.say("rt3")
    session = wa.session()
    assert session.get("referral") is None and session["state"] == "items"


def test_wa_me_link() -> None:
    assert whatsapp_link("0811-0000-1111", "rw05-jatibening") == (
        "https://wa.me/6281100001111?text=rw05-jatibening")
    assert whatsapp_link("+62 811 0000 1111") == "https://wa.me/6281100001111"
    with pytest.raises(ValueError):
        whatsapp_link("nomor")


async def test_other_graph_errors_are_logged_with_their_code_and_nothing_breaks(
        wa: WaBot, graph: FakeGraph, caplog: pytest.LogCaptureFixture) -> None:
    graph.fail(USER, (400, 131026))
    with caplog.at_level(logging.ERROR, logger="bot.adapters.whatsapp"):
        sent = await wa.say("halo")
    assert sent == [] and "131026" in caplog.text
    assert "Apa yang ingin Anda lakukan" in texts(await wa.say("menu"))
