"""The statuses of an order: one table, in the order an order lives.

Each row names the status's words (a locale message id), its colour in the report's
chart, whether the chart's bar takes dark text, and whether the order is finished (it no
longer changes, so the store may archive it). The lifecycle's states, the report's and
chart's status order and colours, the resident's "active first" list and the store's
archive rule all come from here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Status:
    name: str
    message_id: str  # what the bot calls it ("status.paid" -> "lunas")
    colour: str  # in the report's chart (colour-blind safe, Okabe-Ito based)
    dark_text: bool = False  # a light bar: its number is written in dark text
    finished: bool = False  # the order no longer changes (the store may archive it)


STATUS_TABLE: tuple[Status, ...] = (
    Status("new", "status.new", "#E69F00", dark_text=True),
    Status("claimed", "status.claimed", "#F0E442", dark_text=True),
    Status("shopping", "status.shopping", "#56B4E9", dark_text=True),
    Status("on_the_way", "status.on_the_way", "#0072B2"),
    Status("delivered", "status.delivered", "#009E73"),
    Status("exchange_requested", "status.exchange_requested", "#CC79A7"),
    Status("exchange_done", "status.exchange_done", "#D55E00"),
    Status("paid", "status.paid", "#1B7F3B", finished=True),
    # a problem reported after payment, until the coordinator resolves it (back to paid)
    Status("complaint", "status.complaint", "#882255"),
    Status("cancelled", "status.cancelled", "#999999", dark_text=True, finished=True),
)


class Statuses:
    """A status table, looked up by name."""

    def __init__(self, table: tuple[Status, ...]) -> None:
        self.table = table
        self.by_name = {s.name: s for s in table}
        self.names: tuple[str, ...] = tuple(s.name for s in table)
        self.finished: frozenset[str] = frozenset(s.name for s in table if s.finished)
        self.live: tuple[str, ...] = tuple(s.name for s in table if not s.finished)

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __iter__(self) -> Iterator[Status]:
        return iter(self.table)

    def get(self, name: str) -> Status | None:
        return self.by_name.get(name)

    def is_finished(self, name: str) -> bool:
        return name in self.finished

    def finished_record(self, record: Mapping[str, Any]) -> bool:
        """The store's archive rule: a stored order whose status is finished."""
        return record.get("status") in self.finished


STATUSES = Statuses(STATUS_TABLE)
