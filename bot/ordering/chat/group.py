"""A market's coordinators' group (``group:`` in data/markets.yaml): new orders are posted
there once, with a claim button; whoever presses it (or types ``ambil KRB-1127-001`` in
the group) claims the order as themselves, if they are a coordinator of that market.

An adapter that carries group chats (Telegram) calls `handle` with the group message and
the sender's user key; `App.attach` plugs it in. Everything else in a group is left alone.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.engine.context import ActionFailed, Context
from bot.engine.session import Session
from bot.messages import Incoming, Text
from bot.ordering.chat.changes import act
from bot.ordering.understanding.commands import read_command
from bot.privacy import who

log = logging.getLogger(__name__)


async def handle(app: Any, incoming: Incoming, sender: str) -> bool:
    """Claim from a coordinators' group; True when the message was for us."""
    group = incoming.key
    if not any(m.group == group for m in app.services.markets.markets):
        return False
    command = read_command(incoming)
    if command is None or command.verb != "claim" or not command.code:
        return False
    async with app.store.unit(group):  # the claim, the message id and the notices at once
        if incoming.message_id and app.store.seen_message(incoming.channel,
                                                          incoming.message_id):
            return True
        engine = app.engine
        session = Session.from_record(sender, app.store.get_session(sender))
        ctx = Context(engine, session, incoming, now=engine.clock())
        ctx.slots["code"] = command.code
        try:
            act(ctx, "claim")
            ctx.say("coord.claimed", code=command.code)
        except ActionFailed as failed:
            lang = engine.language_of(group)
            ctx.send(Text(to=group, text=engine.i18n.t(lang, failed.message_id,
                                                       **failed.params)))
        if incoming.message_id:
            app.store.mark_message(incoming.channel, incoming.message_id, ctx.now)
        queued = app.queue(ctx.replies, ctx.now)
        await app.store.flush()
    await app.dispatch(queued)
    log.info("group %s: %s tried to claim %s", group, who(sender), command.code)
    return True
