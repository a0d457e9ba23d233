"""The inbox file on its own (bot/storage/inbox.py): what was synced and not done comes
back after a crash, in arrival order; done entries, torn and damaged lines do not."""

from __future__ import annotations

import stat
from pathlib import Path

from bot.storage.inbox import Inbox


async def test_synced_deliveries_not_done_come_back_in_arrival_order(tmp_path: Path) -> None:
    path = tmp_path / "inbox-x.jsonl"
    inbox = Inbox(path)
    numbers = [inbox.add(body) for body in (b'{"a":1}', b"\xff\xfe not utf-8", b'{"c":3}')]
    await inbox.sync()
    inbox.done(numbers[0])
    await inbox.sync()  # the done line goes out with the next sync
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # no close: the process died here
    again = Inbox(path)
    assert [(d.number, d.body) for d in again.pending()] == [
        (numbers[1], b"\xff\xfe not utf-8"), (numbers[2], b'{"c":3}')]
    later = again.add(b"{}")
    assert later > numbers[2]  # numbers keep growing across restarts
    again.done(numbers[1])
    again.close()  # writes what is not done, synced or not
    assert [d.number for d in Inbox(path).pending()] == [numbers[2], later]


async def test_a_torn_last_line_and_a_damaged_line_lose_only_themselves(tmp_path: Path) -> None:
    path = tmp_path / "inbox-x.jsonl"
    inbox = Inbox(path)
    for body in (b'{"a":1}', b'{"b":2}', b'{"c":3}'):
        inbox.add(body)
    await inbox.sync()
    lines = path.read_bytes().split(b"\n")
    lines[1] = lines[1][:5] + b"\x00garbage"  # damaged in the middle
    path.write_bytes(b"\n".join(lines) + b'{"n":4,"bo')  # and a torn append at the end
    assert [d.body for d in Inbox(path).pending()] == [b'{"a":1}', b'{"c":3}']


async def test_the_file_is_rewritten_without_done_entries_and_removed_when_empty(
        tmp_path: Path) -> None:
    path = tmp_path / "inbox-x.jsonl"
    inbox = Inbox(path, rewrite_at=300)
    kept = inbox.add(b"k" * 50)
    for _ in range(20):
        inbox.done(inbox.add(b"x" * 50))
        await inbox.sync()
    assert path.stat().st_size < 300
    assert [d.number for d in Inbox(path).pending()] == [kept]
    inbox.done(kept)
    inbox.close()
    assert not path.exists()


async def test_an_older_inbox_with_reply_counts_still_hands_its_deliveries_over(
        tmp_path: Path) -> None:
    """Before the outbox the inbox counted the replies sent per message (``sent`` lines);
    such a file, left by a bot upgraded while deliveries waited, still reads."""
    path = tmp_path / "inbox-x.jsonl"
    path.write_bytes(b'{"n":1,"body":"{\\"m\\":1}"}\n{"sent":1,"m":"wamid.1","k":2}\n'
                     b'{"n":2,"body":"{}"}\n{"done":2}\n')
    inbox = Inbox(path)
    assert [(d.number, d.body) for d in inbox.pending()] == [(1, b'{"m":1}')]
    inbox.done(1)
    inbox.close()
    assert not path.exists()
