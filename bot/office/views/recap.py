"""Recap: a day or a range, per market and per coordinator, with the report's chart as SVG."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.office import queries, recap
from bot.office.guard import Context, staff
from bot.office.views.today import read_day
from bot.office.web import Office

MAX_DAYS = 92  # a range longer than a quarter is cut to its last 92 days


def read_range(params: Mapping[str, str], today: date) -> tuple[date, date]:
    """``from``/``to`` (inclusive) from the query, today by default, in order, bounded."""
    last = read_day(params.get("to"), today)
    first = read_day(params.get("from"), last)
    if first > last:
        first, last = last, first
    if (last - first).days >= MAX_DAYS:
        first = last - timedelta(days=MAX_DAYS - 1)
    return first, last


def routes(office: Office) -> list[Route]:
    @staff(office)
    async def page(request: Request, ctx: Context) -> Response:
        first, last = read_range(request.query_params, office.local().date())
        market = str(request.query_params.get("market") or "")
        markets = [m for m in ctx.viewer.markets if not market or m.id == market] or list(
            ctx.viewer.markets)
        found = queries.orders_between(office.app.services.orders, ctx.viewer, first, last,
                                       market if len(markets) == 1 else None)
        figures = recap.collect(found, markets, first, last)
        lang = office.lang(request)
        picture = await run_in_threadpool(recap.svg, figures.report, lang, office.app.i18n)
        return ctx.render(request, "recap.html", recap=figures, first=first, last=last,
                          market=market, chart=picture)

    return [Route("/recap", page, methods=["GET"])]
