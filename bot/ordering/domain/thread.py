"""The conversation on an order: what its resident and the coordinator holding it wrote to
each other through the bot, stored with the order (the record's ``thread`` list).

Each `ThreadMessage` says who wrote it (a conversation key and a role, never shown to the
other side), what (text, and a picture by its messenger's reference), when, to whom it
went, and when it was delivered: ``delivered_at`` is None while it waits (for a
coordinator to claim the order, or for its recipient to write to the bot again).

A thread is open while its order is not finished (paid or cancelled closes it; a problem
reported after payment opens it again with the order).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

RESIDENT = "resident"
COORDINATOR = "coordinator"
ROLES = (RESIDENT, COORDINATOR)
MAX_TEXT = 1000  # characters of one message kept (and relayed)
MAX_MESSAGES = 200  # per order: older ones give way (an order's record stays small)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _opt_text(value: Any) -> str | None:
    return None if value is None or value == "" else _text(value)


@dataclass(frozen=True)
class ThreadMessage:
    at: str  # ISO time in the markets' time zone
    by: str  # the writer's conversation key
    role: str  # RESIDENT or COORDINATOR
    text: str = ""
    photo: str | None = None  # the messenger's reference of a picture (`Incoming.media`)
    to: str | None = None  # the recipient's key; None while no coordinator holds the order
    delivered_at: str | None = None  # None: waiting
    # handed to the reader's messenger, which holds it until they write (WhatsApp's
    # 24-hour window: the adapter keeps it and nudges them with a template)
    held: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    KEYS = ("at", "by", "role", "text", "photo", "to", "delivered_at", "held")

    @property
    def waiting(self) -> bool:
        return self.delivered_at is None

    @classmethod
    def from_record(cls, data: Any) -> ThreadMessage:
        data = data if isinstance(data, Mapping) else {}
        role = _text(data.get("role"))
        return cls(at=_text(data.get("at")), by=_text(data.get("by")),
                   role=role if role in ROLES else RESIDENT, text=_text(data.get("text")),
                   photo=_opt_text(data.get("photo")), to=_opt_text(data.get("to")),
                   delivered_at=_opt_text(data.get("delivered_at")),
                   held=bool(data.get("held")),
                   extra={k: copy.deepcopy(v) for k, v in data.items() if k not in cls.KEYS})

    def to_record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": self.at, "by": self.by, "role": self.role,
                               "text": self.text}
        if self.photo:
            out["photo"] = self.photo
        if self.to:
            out["to"] = self.to
        if self.delivered_at:
            out["delivered_at"] = self.delivered_at
        if self.held:
            out["held"] = True
        return {**copy.deepcopy(dict(self.extra)), **out}

    def delivered(self, to: str, at: str) -> ThreadMessage:
        return replace(self, to=to, delivered_at=at)


def read_thread(value: Any) -> tuple[ThreadMessage, ...]:
    """The messages of a stored ``thread`` (anything else reads as none)."""
    entries = value if isinstance(value, list) else []
    return tuple(ThreadMessage.from_record(e) for e in entries if isinstance(e, Mapping))


def is_open(status: str, finished: frozenset[str]) -> bool:
    """A thread is open while its order is not finished."""
    return status not in finished


def added(thread: tuple[ThreadMessage, ...], message: ThreadMessage
          ) -> tuple[ThreadMessage, ...]:
    """The thread with ``message`` at its end (the oldest dropped past `MAX_MESSAGES`)."""
    message = replace(message, text=message.text[:MAX_TEXT])
    return (*thread, message)[-MAX_MESSAGES:]


def waiting_for(thread: tuple[ThreadMessage, ...], role: str) -> list[int]:
    """Positions of the messages waiting to reach the side ``role``, oldest first."""
    writer = COORDINATOR if role == RESIDENT else RESIDENT
    return [n for n, m in enumerate(thread) if m.waiting and m.role == writer]
