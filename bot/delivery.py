"""How far the replies to one message got, for adapters that hand a message over again.

An adapter that keeps its deliveries in an inbox (`bot.storage.inbox`) sets `replies_sent`
while it handles one message: `App` calls it with the number of that message's replies
sent so far, after each one, and the adapter records it. After a crash, `App.redeliver`
sends only the replies that had not gone out, not the whole answer again.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

replies_sent: ContextVar[Callable[[int], None] | None] = ContextVar("replies_sent",
                                                                    default=None)
