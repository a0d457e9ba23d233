"""`main.py doctor` lists what waits: replies in the outbox (how many, the oldest's age,
failed sends) and webhook deliveries in the inboxes, read while the bot holds the folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.doctor import Report
from bot.cli.doctor_data import report_waiting
from bot.storage.tinydb_store import TinyDBStore

T0 = 1_800_000_000.0


def reply(text: str) -> dict:
    return {"type": "Text", "to": "telegram:1", "text": text}


async def test_doctor_counts_waiting_replies_and_inbox_deliveries_of_a_running_bot(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "data"
    store = TinyDBStore(folder)  # held open: the bot runs
    try:
        async with store.unit("telegram:1"):
            sent, failed, _ = store.queue([reply("a"), reply("b"), reply("c")],
                                                owner="w1", lease_until=T0)
            await store.flush()
        store.mark_sent([sent])  # no write round since: only outbox-sent.log knows
        store.retry_queued(failed, at=T0 + 60, error="not sent")
        inbox = store.inbox("whatsapp")
        inbox.add(b'{"n": 1}')
        handled = inbox.add(b'{"n": 2}')
        await inbox.sync()
        inbox.done(handled)
        await store.flush()
        queued_at = store.outbox_waiting()[1]
        assert queued_at is not None
        report = Report()
        report_waiting(folder, report, now=queued_at + 5400)
    finally:
        store.close()
    out = capsys.readouterr().out
    assert "2 repl(ies) waiting" in out and "oldest queued 90 min ago" in out
    assert "1 after failed sends (not sent: 1)" in out
    assert report.problems == 1  # waiting over an hour: the bot does not send
    assert "whatsapp 1" in out
    report_waiting(folder, Report(), now=queued_at)  # stopped: the same, from its files
    out = capsys.readouterr().out
    assert "2 repl(ies) waiting" in out and "whatsapp 1" in out
