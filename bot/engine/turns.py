"""A message's turn in its conversation, across every worker on a shared store.

Several workers take webhooks for one conversation; the engine handles a message holding
the conversation (``store.unit(key)``: on PostgreSQL an advisory lock, one holder at a
time across workers). To handle a conversation's messages in the order they were answered
200, an adapter on a shared store (``store.shared``) answers a webhook only once each of
its messages holds its conversation, its *turn*: the conversation's next message can only
be posted after that 200, so it can only take the conversation after this one left it
(handled and committed), whichever worker it reaches.

The adapter runs a message's handling inside `announcing(future)`; the engine calls
`took_turn()` as soon as it holds the conversation, before it reads the session, which
sets the future; the webhook awaits it. A message handled without the engine (a duplicate
dropped by the adapter, say) sets it when its handling ends. Only the engine's unit is
waited for, not the sending of the replies, which happens after it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

_on_turn: ContextVar[Callable[[], None] | None] = ContextVar("on_turn", default=None)


def took_turn() -> None:
    """Called by the engine once it holds the conversation of the message in hand."""
    callback = _on_turn.get()
    if callback is not None:
        callback()


@contextlib.contextmanager
def announcing(turn: asyncio.Future[None]) -> Iterator[None]:
    """Set ``turn`` when the engine holds the conversation, or when the block ends."""
    def taken() -> None:
        if not turn.done():
            turn.set_result(None)

    token = _on_turn.set(taken)
    try:
        yield
    finally:
        _on_turn.reset(token)
        taken()


async def in_turn(turns: list[asyncio.Future[None]], wait: float) -> bool:
    """Whether every one of ``turns`` came within ``wait`` seconds."""
    if not turns:
        return True
    _, late = await asyncio.wait(turns, timeout=wait)
    return not late
