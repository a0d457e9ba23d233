"""Item 15 on WhatsApp: retries, send failures, failed statuses and the 24-hour window are
logged with the user's pseudonym, never the number."""

from __future__ import annotations

import copy
import logging

import pytest

from bot.messages import Text
from bot.privacy import who
from tests.whatsapp.fake_graph import FakeGraph
from tests.whatsapp.support import USER, WaBot, fixture

KEY = f"whatsapp:{USER}"


async def test_whatsapp_log_lines_name_the_user_by_pseudonym(
        wa: WaBot, graph: FakeGraph, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="bot"):
        graph.fail(USER, *[(400, 130429)] * 6)  # retried, then given up
        await wa.say("halo")
        graph.fail(USER, (400, 131047))  # outside the 24-hour window: held
        await wa.adapter.send(Text(to=KEY, text="Pesanan sedang dibelanjakan."))
        await wa.say("halo")  # wrote again: the held reply goes
        await wa.adapter.send(Text(to=KEY, text="Pesanan sedang diantar."))
        status = copy.deepcopy(fixture("status_failed"))
        status["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = graph.ids[-1]
        await wa.post(status)  # a failed status of a message we sent
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("bot.adapters")]
    for wanted in ("retry 1", "after 4 attempts", "outside the 24-hour window",
                   "wrote again", "failed: 131047"):
        assert any(wanted in line and who(KEY) in line for line in lines), wanted
    assert not [line for line in lines if USER in line or USER[2:] in line]
    # a WhatsApp message id holds the number in base64: logged by a keyed hash only
    assert not [line for line in lines if "wamid." in line]
