"""Start-up: replay the journals over the snapshot files just loaded.

Records are applied in order (see `changes.replay`: full values, the higher order version
wins), so replaying a journal over snapshot files that already hold some or all of it
gives the same state. A torn last line (a crash during an append) is ignored and cut off
before appending goes on. A line that does not verify with more after it means the file
is damaged: the records before it are applied, the file (and any journal after it) is
moved aside as ``<name>.corrupt-<time>``, never deleted, and `problems()` says so.
"""

from __future__ import annotations

import logging

from bot.storage.atomic import quarantine
from bot.storage.changes import Targets, replay
from bot.storage.journal import Journal, Scan

log = logging.getLogger(__name__)


def replay_journals(journal: Journal, targets: Targets, problems: list[str]) -> bool:
    """Apply the journals; True if they must be folded into the snapshot files now (an
    interrupted compaction, or a journal set aside), else appending resumes."""
    scans = journal.read()
    for n, found in enumerate(scans):
        for count, record in enumerate(found.records):
            try:
                replay(record, targets)
            except (TypeError, ValueError, KeyError) as exc:
                found.cut(count, f"line {count + 1} is not a journal record ({exc!r})")
                break
        if found.corrupt is not None:
            set_aside(found, scans[n + 1 :], problems)
            return True
        if found.torn:
            log.warning(
                "%s: ignored an unfinished last line of %d bytes (a crash during a write)",
                found.path,
                found.torn,
            )
    if len(scans) > 1:
        return True
    if scans and scans[0].path == journal.path:
        journal.resume(scans[0].size)
        return False
    return bool(scans)  # only an old journal: its compaction was interrupted


def set_aside(bad: Scan, later: list[Scan], problems: list[str]) -> None:
    """Move a damaged journal, and the journals after it, out of the way and report them."""
    moved = quarantine(bad.path, bad.corrupt or "damaged")
    problems.append(
        f"{bad.path} is damaged: {bad.corrupt}. The {len(bad.records)} record(s) before it "
        f"were applied; the file was moved to {moved.name} and the {bad.after} bytes from "
        "that line on were NOT applied: inspect them and restore by hand what is missing "
        "(orders, sessions), with the bot stopped."
    )
    for scan in later:
        aside = quarantine(scan.path, "follows a damaged journal")
        problems.append(
            f"{scan.path} was not applied because the journal before it is damaged; it was "
            f"moved to {aside.name}: inspect it and restore by hand what is missing."
        )
