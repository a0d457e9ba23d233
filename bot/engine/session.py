"""A conversation's state as stored: a flow, a state name and JSON slots, nothing else."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class Session:
    key: str
    flow: str | None = None  # None: no flow in progress (the next message starts the entry)
    state: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    # one entry per answered step: {"flow", "state", "slots", "return_to"} as they were
    history: list[dict[str, Any]] = field(default_factory=list)
    lang: str | None = None
    profile: dict[str, Any] = field(default_factory=dict)  # kept across flows: name, phone
    referral: str | None = None
    pending: str | None = None  # a built-in question awaiting an answer: language | resume
    #                             | aside
    shown: list[str] = field(default_factory=list)  # option ids of the last menu shown
    # counts the messages handled, from the time the conversation began (in seconds, so a
    # new conversation never meets the numbers of one that expired); a menu shown names
    # the turn it was shown in (`Menu.prompt`), and a press counts as an answer only
    # while no later message has been handled (presses.py)
    turn: int = field(default_factory=lambda: int(time.time()))
    return_to: str | None = None
    updated_at: float = 0.0
    # a flow in progress left by a standing press (a notice's button): its snapshot with
    # its history and when ("at"), offered back once the conversation is at rest again
    set_aside: dict[str, Any] | None = None

    @classmethod
    def from_record(cls, key: str, record: dict[str, Any] | None) -> Session:
        """A session over a record the store handed out (the store copies: no copy here)."""
        if not record:
            return cls(key=key)
        known = {k: v for k, v in record.items() if k in FIELDS}
        known["key"] = key
        return cls(**known)

    def to_record(self) -> dict[str, Any]:
        """The record to store (the store copies what it is given: no copy here)."""
        return {name: getattr(self, name) for name in FIELDS}

    @property
    def in_flow(self) -> bool:
        return self.flow is not None and self.state is not None

    def snapshot(self) -> dict[str, Any]:
        """Where the conversation is, for `kembali`. Slot values are replaced, never
        changed in place, so a shallow copy of the slots is a true snapshot."""
        return {
            "flow": self.flow,
            "state": self.state,
            "slots": dict(self.slots),
            "return_to": self.return_to,
        }

    def end_flow(self) -> None:
        self.flow = self.state = self.return_to = self.pending = None
        self.slots, self.history, self.shown = {}, [], []


FIELDS = tuple(f.name for f in fields(Session))

# in a session's profile: when its user said ``berhenti`` (stop broadcasts); absent: wanted
BROADCASTS_OFF = "broadcasts_off"


def wants_broadcasts(profile: dict[str, Any] | None) -> bool:
    """Whether the user of a session with this profile takes broadcasts (announcements)."""
    return not (profile or {}).get(BROADCASTS_OFF)
