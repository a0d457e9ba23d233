"""The replies of a conversation's last handled message, kept with its session.

The engine stores a message's effects and marks the message handled in one write, then
returns the replies for the adapter to send. A process killed between that write and the
sends would lose the replies (a confirmation, a question), and a redelivery of the message
is skipped as already handled. So the engine writes the replies into the session record,
in that same write, under ``unsent``; an adapter handing over again a delivery it had
accepted before a crash (its inbox, `bot.storage.inbox`) asks `Engine.unsent` for them.
They are only the last message's: the next message of the conversation replaces them
(one conversation's messages are handled one after another, replies sent before the next).

Records are plain JSON: ``{"type": "Menu", "to": ..., "text": ..., "options": [...]}``.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from bot.messages import Option, Reply

log = logging.getLogger(__name__)

KEY = "unsent"  # the session record's key


def _kinds() -> dict[str, type[Reply]]:
    found: dict[str, type[Reply]] = {}
    todo: list[type[Reply]] = [Reply]
    while todo:
        kind = todo.pop()
        found[kind.__name__] = kind
        todo.extend(kind.__subclasses__())
    return found


_NAMES: dict[type, tuple[str, ...]] = {}  # a reply class -> its field names, looked up once


def _names(kind: type) -> tuple[str, ...]:
    names = _NAMES.get(kind)
    if names is None:
        names = _NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return names


def records(replies: list[Reply]) -> list[dict[str, Any]]:
    """``replies`` as JSON-able records (written with every message: no `asdict`, whose deep
    copy cost ~100 us per menu)."""
    out = []
    for reply in replies:
        record: dict[str, Any] = {"type": type(reply).__name__}
        for name in _names(type(reply)):
            value = getattr(reply, name)
            if name == "options":
                value = [{"id": o.id, "label": o.label, "description": o.description}
                         for o in value]
            record[name] = value
        out.append(record)
    return out


def replies_of(kept: Any) -> list[Reply]:
    """The replies back from `records`; a record that does not fit is left out (logged)."""
    kinds = _kinds()
    out: list[Reply] = []
    for record in kept if isinstance(kept, list) else []:
        try:
            kind = kinds[record["type"]]
            names = {f.name for f in dataclasses.fields(kind)}
            fields = {k: v for k, v in record.items() if k in names}
            if "options" in fields:
                fields["options"] = tuple(Option(**o) for o in fields["options"])
            out.append(kind(**fields))
        except (KeyError, TypeError, ValueError):
            log.warning("a kept reply could not be read back; it is not sent again")
    return out
