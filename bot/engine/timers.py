"""Durable timers: something to do at a time, fired once across restarts and workers.

A timer is a row of the store (`bot.storage.base.Timer`: a unique ``name``, a ``kind``,
a ``due`` time in epoch seconds and a JSON ``payload``). The app says what each kind
does; the engine takes the due timers inside a unit of work, runs their handlers, queues
the replies they make in the outbox in that same unit, and the App sends them once it is
durable (`App.run_timers`, run every few seconds by the App's background sender). A
timer taken is gone with that unit: it fires once, whichever worker takes it, and a
timer that came due while no process ran fires at the next start.

How an app uses them:

1. Register a handler per kind, with the other names the app registers::

       def register(registry: Registry) -> None:
           registry.timer("reminder")(remind)

       def remind(ctx: Context) -> None:          # or async def
           timer = ctx.timer                       # the Timer fired (name, due, payload)
           ctx.notify(timer.payload["to"], "reminder.text", code=timer.payload["code"])

   A handler gets a `Context` whose ``timer`` is the timer fired, ``now`` the time it
   runs, ``services``/``store`` the app's; its session is a blank one under the key
   ``timer:<name>`` (nothing of it is stored): address people with ``ctx.notify(user,
   message_id, ...)`` (in their language) or ``ctx.send(Reply(to=user, ...))``. What it
   writes to the store (an order's change, another timer) is durable together with the
   timer being gone and its replies queued. A handler that raises is logged; its timer is
   not fired again (it would fail again), the other timers of the round go on.

2. Set a timer from an action (or an arrival / turn hook), in the message's unit of work,
   so it is durable with the session change that asked for it::

       ctx.set_timer(f"reminder:{ctx.key}", "reminder", ctx.now + 3600,
                     {"to": ctx.key, "code": code})
       ctx.cancel_timer(f"reminder:{ctx.key}")     # the resident answered meanwhile

   Setting a timer of a name already set replaces it (a reminder moved later). Outside a
   message (a job, the web office), call ``store.set_timer(Timer(...))`` inside
   ``async with store.unit(key):`` and ``await store.flush()`` before it ends.

An unknown kind (a handler removed while its timers wait) is logged and dropped.
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING

from bot.engine.context import Context
from bot.engine.session import Session
from bot.messages import Reply
from bot.storage.base import Timer

if TYPE_CHECKING:
    from bot.engine.runtime import Engine

log = logging.getLogger(__name__)

TIMER_KEY = "timer:"  # the blank session key a handler's context has: timer:<name>


async def fire(engine: Engine, timers: list[Timer], now: float) -> list[Reply]:
    """Run the handler of each timer (taken already, inside the caller's unit of work);
    the replies they made, in order."""
    replies: list[Reply] = []
    for timer in timers:
        handler = engine.registry.timers.get(timer.kind)
        if handler is None:
            log.error("timer %r of kind %r: no handler registered for that kind; dropped",
                      timer.name, timer.kind)
            continue
        ctx = Context(engine, Session(key=f"{TIMER_KEY}{timer.name}"), now=now, timer=timer)
        try:
            outcome = handler(ctx)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            log.exception("timer %r of kind %r failed; it is not fired again", timer.name,
                          timer.kind)
            continue
        replies.extend(ctx.replies)
    return replies
