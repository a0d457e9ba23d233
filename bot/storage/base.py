"""The storage interfaces, split by who needs them.

- `SessionStore` is what the conversation engine needs: one JSON record per conversation
  key (get, put, delete, expire), the platform message ids already handled (seen/mark:
  webhook retries deliver duplicates) and the durable webhook inbox. Like aiogram's
  ``BaseStorage``, it knows nothing of any app.
- `OrderRepository` is what the ordering app needs: create, get, update with a version
  check, query, and numbered sequences. It holds plain records and knows nothing of what
  an order's statuses mean: the app tells a backend which values of ``status`` are
  finished (``finished=`` when it is made), and the TinyDB backend moves those orders to
  the month archives.
- `Store` is a backend that is both (the memory and TinyDB backends): one folder, one
  journal, so an order and the conversation that placed it are made durable together.

Records are plain JSON-able dicts (never pickles or objects). Mutating methods change the
store's view at once; ``await flush()`` makes everything written so far durable, and the
engine awaits it before it sends the replies of a message, so a confirmed order is on disk
before its confirmation goes out. A backend may group the flushes of many conversations
into one write (group commit).
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.inbox import Inbox

Record = dict[str, Any]


class StoreError(Exception):
    """Storage failed in a way the caller cannot fix by retrying the same call."""


class OrderNotFound(StoreError):
    pass


class DuplicateOrder(StoreError):
    pass


class VersionConflict(StoreError):
    """The order changed since it was read (optimistic concurrency)."""

    def __init__(self, code: str, expected: int, actual: int) -> None:
        super().__init__(f"order {code}: expected version {expected}, found {actual}")
        self.code = code
        self.expected = expected
        self.actual = actual


@dataclass(frozen=True)
class Queued:
    """A reply waiting in the outbox: written in the same unit of work as the change that
    caused it, sent after that unit is durable, marked sent once it went out."""

    id: int  # increasing in the order the replies were queued
    to: str  # the recipient's conversation key ("tg:123", "wa:62812...")
    reply: Record  # the reply as `bot.engine.unsent.records` writes it
    attempts: int = 0  # failed sends so far


@dataclass(frozen=True)
class Timer:
    """Something to do at a time (a reminder, an escalation): fired once, across restarts
    and across every worker on the store. ``name`` is unique: setting a timer of a name
    already set replaces it (a reminder moved later)."""

    name: str
    kind: str  # what fires it (the app registers a handler per kind)
    due: float  # epoch seconds
    payload: Record = field(default_factory=dict)


class Durable(ABC):  # noqa: B024 - defaults only: a backend overrides what it needs
    """Flushing and closing, common to both interfaces."""

    async def flush(self) -> None:
        """Make everything written so far durable. The default store is in memory."""

    def close(self) -> None:
        """Flush and release files and locks."""

    def problems(self) -> list[str]:
        """What is wrong with the stored data (for `main.py doctor`); none by default."""
        return []


class SessionStore(Durable):
    """What the engine needs from storage, and nothing more."""

    # several processes (workers) use this store at once: adapters then answer a webhook
    # only once its messages hold their conversations (bot/engine/turns.py)
    shared: bool = False

    # -- sessions: one JSON record per conversation key -------------------------------
    @abstractmethod
    def get_session(self, key: str) -> Record | None: ...

    @abstractmethod
    def put_session(self, key: str, session: Record) -> None:
        """Store a session; it must carry ``updated_at`` (epoch seconds)."""

    @abstractmethod
    def delete_session(self, key: str) -> None: ...

    @abstractmethod
    def expire_sessions(self, older_than: float) -> int:
        """Drop sessions whose ``updated_at`` is before ``older_than``; return how many."""

    def scan_sessions(self, since: float) -> Iterator[tuple[str, Record]]:
        """Read only: every stored session (key, a copy) whose ``updated_at`` is at or after
        ``since``, in no promised order: for reports (the web office's funnel), never for
        handling a conversation. A backend without it says so."""
        raise NotImplementedError(f"{type(self).__name__} cannot list its sessions")

    # -- processed platform message ids (webhook retries deliver duplicates) ----------
    @abstractmethod
    def seen_message(self, channel: str, message_id: str) -> bool: ...

    @abstractmethod
    def mark_message(self, channel: str, message_id: str, at: float) -> None: ...

    @abstractmethod
    def expire_messages(self, older_than: float) -> int: ...

    # -- units of work ------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def unit(self, key: str) -> AsyncIterator[None]:
        """One unit of work on ``key`` (a conversation key, or a job's name): what is
        written inside becomes durable together at the ``flush`` awaited inside it (nothing
        of it if the unit raises before), and no other unit on the same key runs at the
        same time in any process sharing the store. The default holds nothing: the
        embedded stores serve one process, whose engine orders a key's messages itself."""
        yield

    # -- the outbox: replies written with the change that caused them ------------------
    def queue(self, replies: list[Record], *, owner: str, lease_until: float) -> list[int]:
        """Add ``replies`` (``bot.engine.unsent.records``, each with ``to``) to the outbox in
        the current unit of work; they are ``owner``'s to send until ``lease_until``
        (after that, any worker's sender may claim them). Returns their ids."""
        raise NotImplementedError(f"{type(self).__name__} has no outbox")

    def claim_queued(self, *, owner: str, now: float, lease_until: float,
                     limit: int = 100) -> list[Queued]:
        """Up to ``limit`` unsent replies whose lease ended before ``now``, oldest first,
        now leased to ``owner`` until ``lease_until``; two callers never get the same one
        while its lease runs."""
        raise NotImplementedError(f"{type(self).__name__} has no outbox")

    def mark_sent(self, ids: Iterable[int]) -> None:
        """These replies went out: never claimed again."""
        raise NotImplementedError(f"{type(self).__name__} has no outbox")

    def retry_queued(self, item_id: int, *, at: float, error: str) -> None:
        """A send failed: count the attempt and let the reply be claimed again from ``at``
        (``error`` is a short reason for `doctor`, never personal data)."""
        raise NotImplementedError(f"{type(self).__name__} has no outbox")

    def release_queued(self, ids: Iterable[int], *, at: float) -> None:
        """Give these replies back unsent without counting an attempt (a process that
        does not run their channel): any worker's sender may claim them from ``at``. By
        default nothing: their lease ends by itself."""

    def outbox_waiting(self) -> tuple[int, float | None]:
        """How many replies wait in the outbox (not marked sent), and when the oldest of
        them was queued (epoch seconds; None when none wait): for `main.py doctor`."""
        raise NotImplementedError(f"{type(self).__name__} has no outbox")

    # -- durable timers -----------------------------------------------------------------
    def set_timer(self, timer: Timer) -> None:
        """Set (or replace, by name) a timer, in the current unit of work."""
        raise NotImplementedError(f"{type(self).__name__} has no timers")

    def cancel_timer(self, name: str) -> None:
        """Drop the timer of that name, if set."""
        raise NotImplementedError(f"{type(self).__name__} has no timers")

    def take_due_timers(self, now: float, limit: int = 100) -> list[Timer]:
        """Take up to ``limit`` timers due at ``now``, soonest first, inside a unit of work:
        they are gone when that unit is durable, and back if it fails; two workers never
        take the same one."""
        raise NotImplementedError(f"{type(self).__name__} has no timers")

    # -- webhook deliveries answered 200 and not yet handled (see inbox.py) ------------
    def inbox(self, channel: str) -> Inbox:
        """The inbox of ``channel``: the same object for the same channel. This default
        keeps it in memory (nothing of a memory store survives the process anyway)."""
        from bot.storage.inbox import Inbox

        inboxes: dict[str, Inbox] = self.__dict__.setdefault("_inboxes", {})
        return inboxes.setdefault(channel, Inbox(None))


class OrderRepository(Durable):
    """What the ordering app needs to keep its orders."""

    # -- orders -----------------------------------------------------------------------
    @abstractmethod
    def next_sequence(self, name: str) -> int:
        """1, 2, 3, ... per name; never the same number twice for one name, and never
        the number of an order code ``<name>-<number>`` the store holds (a stored order
        raises its sequence; the TinyDB store also counts codes in files set aside)."""

    @abstractmethod
    def create_order(self, order: Record) -> Record:
        """Store a new order (it carries a unique ``code``); returns it with ``version`` 1.

        Raises DuplicateOrder if the code exists.
        """

    @abstractmethod
    def get_order(self, code: str) -> Record | None: ...

    @abstractmethod
    def update_order(self, code: str, changes: Record, expected_version: int) -> Record:
        """Apply ``changes`` (top-level keys) if the order is still at ``expected_version``.

        Returns the new record (version + 1). Raises OrderNotFound / VersionConflict.
        """

    @abstractmethod
    def query_orders(
        self,
        *,
        market: str | None = None,
        status: str | Iterable[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        referral: str | None = None,
        user: str | None = None,
    ) -> list[Record]:
        """Orders matching every given filter, oldest first.

        ``since``/``until`` compare with ``created_at`` (ISO 8601 strings; ``until`` is
        exclusive). ``user`` matches ``order["user"]`` (a conversation key).
        """

    def query_order_fields(
        self,
        fields: Sequence[str],
        *,
        market: str | None = None,
        status: str | Iterable[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[tuple[Any, ...]]:
        """Read only, for pages listing many orders (the web office's Today): for each order
        `query_orders` gives (in its order), the values at ``fields``, dotted paths into the
        record (``"resident.name"``), None where a path leads nowhere. A backend may read
        only those (PostgreSQL then sends no whole records: 2,000 of them cost ~45 ms)."""
        found = self.query_orders(market=market, status=status, since=since, until=until)
        paths = [field.split(".") for field in fields]
        return [tuple(value_at(record, path) for path in paths) for record in found]


def value_at(record: Record, path: Sequence[str]) -> Any:
    """The value at ``path`` (keys, outermost first) in ``record``; None if there is none."""
    value: Any = record
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


class Store(SessionStore, OrderRepository):
    """A backend holding both sessions and orders (memory, TinyDB)."""
