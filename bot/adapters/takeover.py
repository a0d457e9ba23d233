"""Taking over a dead worker's webhook deliveries, for the adapters that keep an inbox.

On a shared store (PostgreSQL, several workers) a worker that dies after answering 200
leaves deliveries in the inbox; every live worker looks for such rows every
``TAKE_OVER_EVERY`` seconds (`Inbox.take_over`, in a thread) and hands what it took to its
adapter. A look in flight when the adapter stops ends first, and what it took is handed
over before the stop, so nothing taken is left unhandled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.storage.base import StoreError
from bot.storage.inbox import TAKE_OVER_EVERY, Delivery, Inbox

log = logging.getLogger(__name__)


async def take_over_forever(inbox: Callable[[], Inbox],
                            handle: Callable[[list[Delivery]], Awaitable[None]],
                            channel: str) -> None:
    """Until cancelled: every few seconds, the deliveries of a worker that died, handed to
    ``handle`` in arrival order."""
    while True:
        await asyncio.sleep(TAKE_OVER_EVERY)
        look = asyncio.ensure_future(asyncio.to_thread(inbox().take_over))
        try:
            taken = await asyncio.shield(look)
        except asyncio.CancelledError:
            with contextlib.suppress(StoreError):
                await handle(await look)
            raise
        except StoreError as exc:
            log.warning("%s: could not look for a dead worker's deliveries: %s", channel, exc)
            continue
        await handle(taken)
