"""Today: the day's orders by status, with filters; the list refreshes itself (htmx polls
``/today/rows`` every few seconds and swaps the list in)."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.office import queries
from bot.office.guard import Context, staff
from bot.office.web import Office
from bot.ordering.domain.orders import money
from bot.ordering.reports.report import duration

REFRESH_SECONDS = 5
# a day asked for outside these reads as the default: 9999-12-31 (or 0001-01-01) overflowed
# the day after (or before) it and the page was a 500
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def read_day(value: str | None, default: date) -> date:
    try:
        day = date.fromisoformat(value) if value else default
    except ValueError:
        return default
    return day if FIRST_DAY <= day <= LAST_DAY else default


def routes(office: Office) -> list[Route]:
    def build(request: Request, ctx: Context) -> dict:
        now = office.local()
        day = read_day(request.query_params.get("day"), now.date())
        filters = queries.Filters.read(request.query_params, ctx.viewer)
        found = queries.todays_records(office.app.services.orders, ctx.viewer, day,
                                       filters.market)
        lang = office.lang(request)
        i18n = office.app.i18n
        view = queries.today(found, ctx.viewer, day, now, filters, office.name_of(lang),
                             lambda amount: money(amount, lang, i18n),
                             lambda minutes: duration(minutes, lang, i18n))
        return {"today": view, "filters": filters, "refresh": REFRESH_SECONDS,
                "markets": office.app.markets, "day_param": request.query_params.get("day")}

    @staff(office)
    async def page(request: Request, ctx: Context) -> Response:
        return ctx.render(request, "today.html", **build(request, ctx))

    @staff(office)
    async def rows(request: Request, ctx: Context) -> Response:
        return ctx.render(request, "_today_rows.html", **build(request, ctx))

    return [Route("/", page, methods=["GET"]), Route("/today/rows", rows, methods=["GET"])]
