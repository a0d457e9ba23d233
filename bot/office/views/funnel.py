"""Funnel: how many conversations reached each step of the order flow, and where they
stopped, per day (the market office's page)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.office import funnel, queries
from bot.office.guard import Context, staff
from bot.office.views.recap import read_range
from bot.office.web import Office

DEFAULT_DAYS = 7


def routes(office: Office) -> list[Route]:
    @staff(office)
    async def page(request: Request, ctx: Context) -> Response:
        if not ctx.viewer.sees_funnel:
            return office.refuse(request, "office.office_only", 403, ctx.viewer)
        today = office.local().date()
        params = dict(request.query_params)
        params.setdefault("from", (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat())
        first, last = read_range(params, today)
        tz = office.app.markets.timezone
        since = datetime.combine(first, time(0), tz).timestamp()
        try:
            sessions = office.store.scan_sessions(since)
        except NotImplementedError:
            sessions = iter(())
        orders = queries.orders_between(office.app.services.orders, ctx.viewer, first, last)
        placed = {(o.user, datetime.fromisoformat(o.created_at).date()) for o in orders
                  if o.created_at}
        steps = funnel.main_steps(office.app.engine.flows[funnel.ORDER_FLOW])
        found = funnel.days(sessions, placed, steps, tz, first, last)
        days = int(office.app.config["sessions"]["expire_after_days"])
        return ctx.render(request, "funnel.html", first=first, last=last, days=found,
                          steps=[*steps, funnel.PLACED], keep_days=days)

    return [Route("/funnel", page, methods=["GET"])]
