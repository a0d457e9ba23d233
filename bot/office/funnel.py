"""How far conversations went in the order flow, per day, from the stored sessions.

A conversation's session keeps its flow, its state and the steps it answered
(``history``); the day is that of its last message (``updated_at``). A conversation
reached a step when it was at it or answered it, and reached the end when its user
placed an order that day (the orders of the range, one query). One that did not, stopped
at the last step it was at. Sessions are kept ``sessions.expire_after_days``: older days
thin out. Records of the office and of referral links in the session store are skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from bot.office.links import is_office_key

ORDER_FLOW = "order"
PLACED = "placed"  # the end: an order stored (the flow's own final state has this name)


@dataclass
class Day:
    day: date
    reached: Counter[str] = field(default_factory=Counter)
    stopped: Counter[str] = field(default_factory=Counter)
    conversations: int = 0


def _furthest(session: dict[str, Any], steps: list[str]) -> tuple[int, int]:
    """The furthest step index reached, and the index of the step it is at (or last at)."""
    index = {name: n for n, name in enumerate(steps)}
    seen = [entry.get("state") for entry in session.get("history") or []
            if isinstance(entry, dict) and entry.get("flow") == ORDER_FLOW]
    current = session.get("state") if session.get("flow") == ORDER_FLOW else None
    if current is not None:
        seen.append(current)
    known = [index[s] for s in seen if s in index]
    if not known:
        return -1, -1
    return max(known), known[-1]


def days(sessions: Iterable[tuple[str, dict[str, Any]]], placed: set[tuple[str, date]],
         steps: list[str], tz: tzinfo, first: date, last: date) -> list[Day]:
    """``placed``: (user, day) of the orders placed. ``steps``: the flow's main states in
    order, without the end."""
    found: dict[date, Day] = {}
    ends = [*steps, PLACED]
    for key, session in sessions:
        if is_office_key(key) or key.startswith("link:") or not isinstance(session, dict):
            continue
        stamp = session.get("updated_at")
        if not isinstance(stamp, int | float):
            continue
        day = datetime.fromtimestamp(stamp, tz).date()
        if not first <= day <= last:
            continue
        furthest, at = _furthest(session, steps)
        if (key, day) in placed:
            furthest, at = len(steps), len(steps)
        if furthest < 0:
            continue  # never began an order
        record = found.setdefault(day, Day(day))
        record.conversations += 1
        for name in ends[: furthest + 1]:
            record.reached[name] += 1
        if at < len(steps):
            record.stopped[ends[at]] += 1
    return [found[d] for d in sorted(found, reverse=True)]


def main_steps(flow: Any) -> list[str]:
    """The order flow's states that ask something, in the file's order, up to the one that
    asks for the confirmation (the edits after it are detours, not steps)."""
    names = []
    for name, state in flow.states.items():
        spec = getattr(state, "input", None)
        if name == PLACED or spec is None:
            continue
        names.append(name)
        if getattr(spec, "kind", "") == "confirm":
            break
    return names
