"""Moving an order on from a conversation: check the role, change it, tell the others.

Shared by the coordinator's and the resident's actions; a refusal becomes `ActionFailed`
with the message the person is shown, and the state they are in does not change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.engine.context import ActionFailed, Context
from bot.ordering.chat import notify
from bot.ordering.domain.lifecycle import IllegalChange, LifecycleError, change
from bot.ordering.domain.orders import now_local, status_label
from bot.ordering.domain.roles import Refused
from bot.storage.base import Record


def now(ctx: Context) -> datetime:
    """The message's time in the markets' time zone."""
    return now_local(ctx.now, ctx.services.markets.timezone)


def explain(ctx: Context, error: Exception, order: Record | None,
            illegal: str = "coord.illegal_change") -> ActionFailed:
    """A lifecycle or role refusal as what the person is told."""
    if isinstance(error, IllegalChange):
        fresh = ctx.store.get_order(error.code) or order or {}
        roles = ctx.services.roles
        if error.event == "claim" and fresh.get("coordinator") == ctx.key:  # pressed twice
            return ActionFailed("coord.already_yours", code=error.code)
        if error.event == "claim" and fresh.get("coordinator"):
            name = roles.display_name(fresh["coordinator"])
            return ActionFailed("coord.already_claimed", code=error.code, coordinator=name)
        status = status_label(ctx.engine.i18n, ctx.lang, fresh.get("status", error.status))
        return ActionFailed(illegal, code=error.code, status=status)
    if isinstance(error, Refused | LifecycleError):
        return ActionFailed(error.message_id, **error.params)
    raise error  # pragma: no cover


def act(ctx: Context, event: str, *, illegal: str = "coord.illegal_change",
        **data: Any) -> Record:
    """Fire ``event`` on the order in the ``code`` slot as this user; tell the others."""
    code = str(ctx.slots.get("code") or "")
    order = ctx.store.get_order(code) if code else None
    if order is None:
        raise ActionFailed("coord.no_such_order", code=code)
    try:
        ctx.services.roles.check(ctx.key, event, order)
        before, after = change(ctx.store, code, event, ctx.key, now(ctx), **data)
    except (Refused, LifecycleError) as error:
        raise explain(ctx, error, order, illegal) from None
    notify.changed(ctx, before, after, event)
    return after
