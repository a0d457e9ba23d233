"""Replies as the outbox keeps them, and the replies of one handled message.

The engine queues a message's replies in the store's outbox (`SessionStore.queue`) in
the message's unit of work, with its session and processed message id, and returns them
as an `Answer`: the replies, and their ids in the outbox (`queued`). The App sends them
once that unit is durable and marks each sent; what a crash kept from going out is sent
after the restart by the App's sender (bot/delivery.py), which reads the rows back here.

Records are plain JSON: ``{"type": "Menu", "to": ..., "text": ..., "options": [...]}``.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from bot.messages import Option, Reply

log = logging.getLogger(__name__)



class Answer(list[Reply]):
    """The replies to one message (a list, as before), and their outbox ids: ``queued[i]``
    is the row of ``self[i]``; empty when nothing was queued (no outbox, or a duplicate)."""

    def __init__(self, replies: list[Reply] | None = None,
                 queued: list[int] | None = None) -> None:
        super().__init__(replies or [])
        self.queued: list[int] = list(queued or [])


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


def reply_of(record: Any) -> Reply | None:
    """A reply back from its `records` record; None (logged) if it does not fit."""
    try:
        kind = _kinds()[record["type"]]
        names = _names(kind)
        fields = {k: v for k, v in record.items() if k in names}
        if "options" in fields:
            fields["options"] = tuple(Option(**o) for o in fields["options"])
        return kind(**fields)
    except (KeyError, TypeError, ValueError):
        log.warning("a queued reply could not be read back; it is not sent")
        return None

