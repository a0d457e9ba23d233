"""Start-up: replay the journals over the snapshot files just loaded.

Records are applied in order (see `changes.replay`: full values, the higher order version
wins, sequences only go up), so replaying a journal over snapshot files that already hold
some or all of it gives the same state. A torn last line (a crash during an append) is
ignored and cut off before appending goes on.

Every line is verified on its own, so damage costs only the damaged lines: every other
line of the same journal, and the journals after it, are applied. A later line still
holds the full new value of whatever it changed, so skipping a damaged line loses only
the changes it held that no later line repeats. The damaged bytes are copied, byte for
byte, to ``<journal>.corrupt-<time>`` (synced before the journal is folded into the
snapshot files and removed), and `problems()` says which lines they were and what they
held as far as can be read: the orders (with the version each held and the version the
store has now), sequence steps, conversations and message ids. Their order codes and
sequence numbers also raise the sequences (see `floor.py`), so no code is given twice.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.storage.atomic import set_aside_copy
from bot.storage.base import Record
from bot.storage.changes import Targets, replay
from bot.storage.floor import Floor, order_codes_in, sequences_in
from bot.storage.journal import Damage, Journal, Scan

log = logging.getLogger(__name__)

_SESSION_KEY = re.compile(rb'"[a-z]+:[^"\\]{1,80}"\s*:\s*(?:\{|null)')


@dataclass
class Held:
    """What damaged journal bytes held, as far as they can be read."""

    orders: dict[str, int | None] = field(default_factory=dict)  # code -> version held
    sequences: dict[str, int] = field(default_factory=dict)
    sessions: int = 0
    messages: int = 0
    replies: int = 0  # outbox rows (queued, retried or sent)
    timers: int = 0
    exact: bool = True  # read as JSON (else guessed from the bytes)


def replay_journals(
    journal: Journal, targets: Targets, problems: list[str], floor: Floor | None = None
) -> bool:
    """Apply the journals; True if they must be folded into the snapshot files now (an
    interrupted compaction, or damaged lines set aside), else appending resumes."""
    scans = journal.read()
    damaged: list[tuple[Scan, list[Damage]]] = []
    for found in scans:
        bad = list(found.damaged)
        for record, (start, end) in zip(found.records, found.spans, strict=True):
            try:
                replay(record, targets)
            except (TypeError, ValueError, KeyError) as exc:
                kind = type(exc).__name__  # not its text: it may quote a phone number
                bad.append(found.damage(start, end, f"is not a journal record ({kind})"))
        if found.torn:
            log.warning(
                "%s: ignored an unfinished last line of %d bytes (a crash during a write)",
                found.path,
                found.torn,
            )
        if bad:
            bad.sort(key=lambda d: d.first)
            damaged.append((found, bad))
            if floor is not None:
                for damage in bad:
                    floor.read(damage.data)
    for found, bad in damaged:  # after every valid line is in: what the store has now
        set_aside(found, bad, targets, problems)
    if damaged or len(scans) > 1:
        return True
    if scans and scans[0].path == journal.path:
        journal.resume(scans[0].size)
        return False
    return bool(scans)  # only an old journal: its compaction was interrupted


def set_aside(found: Scan, bad: list[Damage], targets: Targets, problems: list[str]) -> None:
    """Copy the damaged bytes of a journal out of the way and say what they held."""
    copy = set_aside_copy(found.path, b"".join(d.data for d in bad),
                          f"{len(bad)} damaged part(s)")
    parts = []
    for damage in bad:
        parts.append(f"{damage.lines} ({len(damage.data)} bytes) {damage.reason}; "
                     f"{describe(read_held(damage.data), targets.orders.get)}")
    problem = (
        f"{found.path} had damaged lines; every other line ({len(found.records)} record(s)) "
        f"was applied. Set aside, byte for byte, in {copy.name}: " + " | ".join(parts)
        + ". Check those orders with the coordinators and correct them by hand where "
        "needed (bot stopped); then delete the set-aside file."
    )
    log.error("%s", problem)  # order codes and counts only: no personal data
    problems.append(problem)


def read_held(data: bytes) -> Held:
    """What ``data`` (one or more damaged lines) held: exactly if a line's payload still
    parses as JSON, otherwise what its bytes show."""
    held = Held()
    for line in data.splitlines():
        record = _payload(line)
        if record is None:
            held.exact = False
            for code in sorted(order_codes_in(line)):
                held.orders.setdefault(code, None)
            for name, number in sequences_in(line).items():
                held.sequences[name] = max(held.sequences.get(name, 0), number)
            held.sessions += len(_SESSION_KEY.findall(line))
            continue
        for code, placed in _mapping(record, "o").items():
            order = placed[1] if isinstance(placed, list) and len(placed) == 2 else None
            version = order.get("version") if isinstance(order, dict) else None
            held.orders[code] = version if isinstance(version, int) else None
        for name, number in _mapping(record, "q").items():
            if isinstance(number, int):
                held.sequences[name] = max(held.sequences.get(name, 0), number)
        held.sessions += len(_mapping(record, "s"))
        held.messages += len(_mapping(record, "m"))
        held.replies += len(_mapping(record, "x"))
        held.timers += len(_mapping(record, "t"))
    return held


def describe(held: Held, kept_of: Callable[[str], Record | None]) -> str:
    """``it held orders KRB-1127-002 v2 (the store has v1), ...`` (no personal data);
    ``kept_of(code)`` is the copy of the order held now."""
    what = []
    for code, version in held.orders.items():
        kept = kept_of(code)
        has = f"v{kept.get('version')}" if kept is not None else "nothing: the order is missing"
        what.append(f"{code}{f' v{version}' if version else ''} (the store has {has})")
    if what:
        what = ["orders " + ", ".join(what)]
    if held.sequences:
        what.append("sequence steps " + ", ".join(f"{n}={v}" for n, v in held.sequences.items()))
    if held.sessions:
        what.append(f"{held.sessions} conversation(s)")
    if held.messages:
        what.append(f"{held.messages} processed message id(s)")
    if held.replies:
        what.append(f"{held.replies} outbox reply change(s)")
    if held.timers:
        what.append(f"{held.timers} timer change(s)")
    text = "; ".join(what) or "nothing that can still be read"
    return f"it held {text}" + ("" if held.exact else " (read from damaged bytes: maybe more)")


def _payload(line: bytes) -> dict[str, Any] | None:
    start = line.find(b"{")
    if start == -1:
        return None
    try:
        record = json.loads(line[start:].decode("utf-8", "replace"))
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _mapping(record: dict[str, Any], name: str) -> dict[str, Any]:
    value = record.get(name)
    return value if isinstance(value, dict) else {}
