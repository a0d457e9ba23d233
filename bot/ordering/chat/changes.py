"""Moving an order on from a conversation: fire the event as this user (the lifecycle
checks the role, the status and the data), store it, tell the others.

Shared by the coordinator's and the resident's actions; a refusal becomes `ActionFailed`
with the message the person is shown, and the state they are in does not change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.engine.context import ActionFailed, Context
from bot.ordering.chat import notify
from bot.ordering.domain.errors import IllegalChange, LifecycleError, Refused
from bot.ordering.domain.lifecycle import LIFECYCLE, Lifecycle
from bot.ordering.domain.order import Order
from bot.ordering.domain.orders import now_local, status_label
from bot.ordering.domain.repository import Orders


def now(ctx: Context) -> datetime:
    """The message's time in the markets' time zone."""
    return now_local(ctx.now, ctx.services.markets.timezone)


def orders(ctx: Context) -> Orders:
    """The app's orders (typed), as the services hold them."""
    found = getattr(ctx.services, "orders", None)
    return found if found is not None else Orders(ctx.store)


def lifecycle(ctx: Context) -> Lifecycle:
    return getattr(ctx.services, "lifecycle", None) or LIFECYCLE


def current(ctx: Context) -> Order | None:
    """The order in the ``code`` slot, if there is one."""
    code = str(ctx.slots.get("code") or "")
    return orders(ctx).get(code) if code else None


def explain(ctx: Context, error: Exception, order: Order | None,
            illegal: str = "coord.illegal_change") -> ActionFailed:
    """A lifecycle or role refusal as what the person is told."""
    if isinstance(error, IllegalChange):
        fresh = orders(ctx).get(error.code) or order
        holder = fresh.coordinator if fresh else None
        roles = ctx.services.roles
        if error.event == "claim" and holder == ctx.key:  # pressed twice
            return ActionFailed("coord.already_yours", code=error.code)
        if error.event == "claim" and holder:
            return ActionFailed("coord.already_claimed", code=error.code,
                                coordinator=roles.display_name(holder))
        status = status_label(ctx.engine.i18n, ctx.lang, fresh.status if fresh else error.status)
        return ActionFailed(illegal, code=error.code, status=status)
    if isinstance(error, Refused | LifecycleError):
        return ActionFailed(error.message_id, **error.params)
    raise error  # pragma: no cover


def act(ctx: Context, event: str, *, illegal: str = "coord.illegal_change",
        **data: Any) -> Order:
    """Fire ``event`` on the order in the ``code`` slot as this user; tell the others."""
    code = str(ctx.slots.get("code") or "")
    order = orders(ctx).get(code) if code else None
    if order is None:
        raise ActionFailed("coord.no_such_order", code=code)
    roles = ctx.services.roles
    try:
        fired = lifecycle(ctx).change(orders(ctx), code, event, ctx.key, now(ctx),
                                      roles.judge(ctx.key), **data)
    except Refused as refused:
        if refused.audited:
            roles.refused(ctx.key, event, code)
        raise explain(ctx, refused, order, illegal) from None
    except LifecycleError as error:
        raise explain(ctx, error, order, illegal) from None
    notify.changed(ctx, fired)
    from bot.ordering.chat import relay  # builds on this module: imported when first used

    relay.after_change(ctx, fired)  # the order's conversation: a new holder, or closed
    return fired.after
