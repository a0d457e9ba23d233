"""What waits in a data folder, read without its lock and without changing any file (for
`main.py doctor`, safe while a bot runs): replies queued in the outbox and not marked sent
(``outbox.json``, then the journals' ``"x"`` records over it, less the ids in
``outbox-sent.log``), and webhook deliveries in the inboxes not yet handled
(``inbox-<channel>.jsonl``: entries without their ``done`` line).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.storage.journal import Journal
from bot.storage.sentmarks import SentMarks

log = logging.getLogger(__name__)


@dataclass
class Waiting:
    replies: int = 0
    oldest: float | None = None  # when the oldest waiting reply was queued (epoch s)
    retrying: int = 0  # of those, replies whose send failed at least once
    errors: dict[str, int] = field(default_factory=dict)  # last error -> replies
    inbox: dict[str, int] = field(default_factory=dict)  # channel -> deliveries waiting


def _outbox_file(folder: Path) -> dict[str, Any]:
    path = folder / "outbox.json"
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("%s cannot be read (%s)", path.name, type(exc).__name__)
        return {}
    table = data.get("outbox") if isinstance(data, dict) else None
    rows: dict[str, Any] = {}
    for doc in (table or {}).values() if isinstance(table, dict) else ():
        if isinstance(doc, dict) and isinstance(doc.get("key"), str):
            rows[doc["key"]] = doc.get("value")
    return rows


def outbox_rows(folder: Path) -> dict[str, Any]:
    """The outbox rows a bot opening ``folder`` now would hold."""
    rows = _outbox_file(folder)
    for scan in Journal(folder).read():
        for record in scan.records:
            changed = record.get("x")
            if not isinstance(changed, dict):
                continue
            for key, row in changed.items():
                if row is None:
                    rows.pop(key, None)
                elif isinstance(row, dict):
                    rows[key] = row
    for number in SentMarks(folder).read():
        rows.pop(str(number), None)
    return rows


def inbox_waiting(path: Path) -> int:
    """Deliveries in one inbox file not marked done."""
    try:
        data = path.read_bytes()
    except OSError:
        return 0
    added: set[int] = set()
    done: set[int] = set()
    for line in data.split(b"\n"):
        try:
            record = json.loads(line)
        except ValueError:
            continue  # blank, torn or damaged: the bot says so at its start
        if not isinstance(record, dict):
            continue
        if isinstance(record.get("done"), int):
            done.add(record["done"])
        elif isinstance(record.get("n"), int):
            added.add(record["n"])
    return len(added - done)


def waiting_in(folder: str | Path) -> Waiting:
    folder = Path(folder)
    found = Waiting()
    for row in outbox_rows(folder).values():
        if not isinstance(row, dict):
            continue
        found.replies += 1
        queued = row.get("queued_at")
        if isinstance(queued, int | float) and (found.oldest is None or queued < found.oldest):
            found.oldest = float(queued)
        if int(row.get("attempts") or 0) > 0:
            found.retrying += 1
            error = str(row.get("error") or "?")[:60]
            found.errors[error] = found.errors.get(error, 0) + 1
    for path in sorted(folder.glob("inbox-*.jsonl")):
        count = inbox_waiting(path)
        if count:
            found.inbox[path.stem.removeprefix("inbox-")] = count
    return found
