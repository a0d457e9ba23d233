"""Graph API errors: rate limits retried, the 24-hour window held, other errors logged."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest

from bot.adapters.whatsapp_window import KEY_PREFIX
from bot.messages import Menu, Option, Photo, Text
from tests.whatsapp.fake_graph import FakeGraph
from tests.whatsapp.support import USER, WaBot, fixture, texts

KEY = f"whatsapp:{USER}"


def notice(body: str) -> Text:
    """A notification to the resident (an order status change), as the app delivers it."""
    return Text(to=KEY, text=body)


@pytest.mark.parametrize("failure", [(400, 130429), (400, 131056), (429, None), (503, None)])
async def test_rate_limits_are_retried_and_the_message_arrives(
        wa: WaBot, graph: FakeGraph, failure: tuple[int, int | None]) -> None:
    graph.fail(USER, failure, failure)
    sent = await wa.say("halo")
    assert "Selamat datang" in texts(sent)
    assert [code for code, _ in graph.rejected] == [failure[1], failure[1]]
    assert graph.rejected[0][1] == sent[0]  # the same body, sent again


async def test_retries_are_bounded_and_logged(
        wa: WaBot, graph: FakeGraph, caplog: pytest.LogCaptureFixture) -> None:
    graph.fail(USER, *[(400, 130429)] * 6)
    with caplog.at_level(logging.ERROR, logger="bot.adapters.whatsapp"):
        assert await wa.say("halo") == []
    assert len(graph.rejected) == 4 and "130429" in caplog.text and "4 attempts" in caplog.text


async def test_outside_the_window_notifications_wait_until_the_user_writes(
        wa: WaBot, graph: FakeGraph) -> None:
    graph.fail(USER, (400, 131047))
    await wa.adapter.send(notice("Pesanan KRB-1127-001 sedang dibelanjakan."))
    await wa.adapter.send(notice("Pesanan KRB-1127-001 sedang diantar."))
    assert graph.to(USER) == [] and len(graph.rejected) == 1  # the second is not even tried
    record = wa.app.store.get_session(KEY_PREFIX + USER)
    assert [h["text"] for h in record["held"]] == ["Pesanan KRB-1127-001 sedang dibelanjakan.",
                                                  "Pesanan KRB-1127-001 sedang diantar."]
    sent = await wa.say("halo")
    assert [b.get("text", {}).get("body") for b in sent[:2]] == [
        "Pesanan KRB-1127-001 sedang dibelanjakan.", "Pesanan KRB-1127-001 sedang diantar."]
    assert "Selamat datang" in texts(sent[2:])
    assert wa.app.store.get_session(KEY_PREFIX + USER) is None
    await wa.adapter.send(notice("Pesanan sudah diantar."))  # the window is open again
    assert graph.to(USER)[-1]["text"]["body"] == "Pesanan sudah diantar."


async def test_held_menus_and_photos_keep_their_shape(wa: WaBot, graph: FakeGraph) -> None:
    graph.fail(USER, (400, 131047))
    await wa.adapter.send(Menu(to=KEY, text="Terima tukar?", options=(
        Option("yes", "Ya"), Option("no", "Tidak"))))
    await wa.adapter.send(Photo(to=KEY, text="Foto barang", media="1479537139650973"))
    sent = await wa.say("menu")
    assert sent[0]["interactive"]["action"]["buttons"][1]["reply"]["id"] == "no"
    assert sent[1]["image"] == {"id": "1479537139650973", "caption": "Foto barang"}


async def test_a_configured_template_tells_the_user_once_that_something_waits(
        make_bot: Any, graph: FakeGraph) -> None:
    wa = await make_bot(template_name="pesanan_menunggu", template_language="id")
    graph.fail(USER, (400, 131047))
    for step in ("dibelanjakan", "diantar", "sampai"):
        await wa.adapter.send(notice(f"Pesanan {step}."))
    templates = [b for b in graph.to(USER) if b["type"] == "template"]
    assert templates == [{"messaging_product": "whatsapp", "recipient_type": "individual",
                          "to": USER, "type": "template", "template": {
                              "name": "pesanan_menunggu", "language": {"code": "id"}}}]
    sent = await wa.say("halo")
    assert [b["text"]["body"] for b in sent[:3]] == [
        "Pesanan dibelanjakan.", "Pesanan diantar.", "Pesanan sampai."]


async def test_a_failed_status_131047_holds_that_message_and_the_next(
        wa: WaBot, graph: FakeGraph) -> None:
    await wa.adapter.send(notice("Pesanan sedang diantar."))  # accepted, then fails later
    wamid = graph.ids[-1]
    status = copy.deepcopy(fixture("status_failed"))
    status["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = wamid
    assert (await wa.post(status)).status_code == 200
    await wa.adapter.send(notice("Pesanan sudah sampai."))
    assert len(graph.to(USER)) == 1  # only the first, which WhatsApp then failed
    sent = await wa.say("halo")
    assert [b["text"]["body"] for b in sent[:2]] == ["Pesanan sedang diantar.",
                                                    "Pesanan sudah sampai."]


async def test_the_window_record_survives_a_restart(
        make_bot: Any, graph: FakeGraph, tmp_path: Any) -> None:
    from bot.storage.tinydb_store import TinyDBStore

    store = TinyDBStore(tmp_path / "data")
    first = await make_bot(store=store)
    graph.fail(USER, (400, 131047))
    await first.adapter.send(notice("Pesanan sedang diantar."))
    await first.close()
    store.close()
    store = TinyDBStore(tmp_path / "data")
    second = await make_bot(store=store)
    await second.adapter.send(notice("Pesanan sudah sampai."))
    assert graph.to(USER) == []
    sent = await second.say("halo")
    assert [b["text"]["body"] for b in sent[:2]] == ["Pesanan sedang diantar.",
                                                    "Pesanan sudah sampai."]
    await second.close()
    store.close()


async def test_a_picture_that_cannot_be_sent_goes_as_its_caption(
        wa: WaBot, graph: FakeGraph) -> None:
    graph.fail(USER, (400, 131053))
    await wa.adapter.send(Photo(to=KEY, text="Foto penukaran dari warga", media="123456"))
    assert [b["text"]["body"] for b in graph.to(USER)] == ["Foto penukaran dari warga"]
    await wa.adapter.send(Photo(to=KEY, text="Foto dari Telegram", media="AgACAgUAAxkB"))
    assert graph.to(USER)[-1]["text"]["body"] == "Foto dari Telegram"
