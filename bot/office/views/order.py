"""An order's page: everything on it, its timeline, the resident's messages, and for its
coordinator or head the same actions as in chat (`bot.office.actions`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.office.actions import Outcome, perform
from bot.office.guard import Context, staff
from bot.office.web import Office
from bot.ordering.chat.coordinator import offers
from bot.ordering.domain.codes import CODE
from bot.ordering.domain.events import EVENT_TABLE
from bot.ordering.domain.lifecycle import LIFECYCLE
from bot.ordering.domain.order import Order
from bot.ordering.reports import views

SYSTEM = "system"
# each action's button: the chat's own label (the event table's offers), and the head's
LABELS = {e.offer.answer: e.offer.label for e in EVENT_TABLE if e.offer is not None}
LABELS["assign"] = "coord.opt_assign"
# an event in the timeline that keeps the status (prices, hand over): its button's words
EVENT_LABELS = {e.name: e.offer.label for e in EVENT_TABLE if e.offer is not None}
EVENT_LABELS["assign"] = "coord.opt_assign"


@dataclass(frozen=True)
class Step:
    at: str
    who: str
    before: str | None
    after: str
    event: str | None
    note: str


def _who(order: Order, user: str, name_of: Callable[[str], str]) -> str:
    if user == order.user:
        return order.resident.name or name_of(user)
    if not user or user == SYSTEM or ":" not in user:
        return user or "-"
    return name_of(user)


def timeline(order: Order, name_of: Callable[[str], str],
             is_staff: Callable[[str], bool]) -> list[Step]:
    """The order's history; a note that is someone's user key (an assignment's assignee)
    is their name, as the actor is."""
    return [Step(h.at, _who(order, h.by, name_of), h.from_, h.to, h.event,
                 name_of(h.note) if h.note and is_staff(h.note) else h.note)
            for h in order.history]


def actions_for(office: Office, user: str, order: Order) -> list[str]:
    """The answers the chat's order menu would offer ``user`` (plus the head's assign)."""
    machine = getattr(office.app.services, "lifecycle", None) or LIFECYCLE
    found = [offer.answer for offer in offers(machine, office.roles, user, order)]
    assign = machine.events.get("assign")
    if assign is not None and order.status in assign.sources and office.roles.allows(
            user, assign, order):
        found.append("assign")
    return found


def routes(office: Office) -> list[Route]:
    def find(ctx: Context, code: str) -> Order | None:
        code = code.upper()[:40]
        order = office.app.services.orders.get(code) if CODE.fullmatch(code) else None
        if order is not None and not ctx.viewer.sees(order):
            office.roles.refused(ctx.viewer.user, "office view", code)
            return None
        return order

    def show(request: Request, ctx: Context, order: Order, outcome: Outcome | None = None,
             status: int = 200) -> Response:
        market = office.app.markets.get(order.market)
        thread = getattr(order, "thread", ())
        messages = sum(1 for m in thread if getattr(m, "by", "") == order.user)
        lang = office.lang(request)
        name_of = office.name_of(lang)
        coordinators = [(f"c{n}", name_of(u), u)
                        for n, u in enumerate(market.coordinators if market else (), 1)]
        return ctx.render(
            request, "order.html", status=status, order=order,
            market_name=views.market_name(office.app.markets, order.market),
            timeline=timeline(order, name_of, office.roles.is_staff), messages=messages,
            thread=thread,
            actions=actions_for(office, ctx.viewer.user, order),
            coordinators=coordinators, outcome=outcome,
            items=[views.item_text(i) for i in order.items],
            address=views.address(order, lang, office.app.i18n),
            holder=name_of(order.coordinator) if order.coordinator else "",
            labels=LABELS, event_labels=EVENT_LABELS,
        )

    @staff(office)
    async def page(request: Request, ctx: Context) -> Response:
        code = request.path_params["code"]
        order = find(ctx, code)
        if order is None:
            return office.refuse(request, "office.no_order", 404, ctx.viewer, code=code[:40])
        return show(request, ctx, order)

    @staff(office)
    async def act(request: Request, ctx: Context) -> Response:
        code = request.path_params["code"]
        order = find(ctx, code)
        if order is None:
            return office.refuse(request, "office.no_order", 404, ctx.viewer, code=code[:40])
        outcome = await perform(office.app, ctx.viewer, order.code, ctx.form.get("action", ""),
                                ctx.form, office.lang(request), office.now(), len(order.items))
        fresh = office.app.services.orders.get(order.code) or order
        return show(request, ctx, fresh, outcome, 200 if outcome.done else 409)

    return [Route("/order/{code}", page, methods=["GET"]),
            Route("/order/{code}", act, methods=["POST"])]
