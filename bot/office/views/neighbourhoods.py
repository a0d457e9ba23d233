"""Neighbourhoods: orders per referral tag (RT/RW) and per kelurahan over time."""

from __future__ import annotations

from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.office import queries
from bot.office.charts import lines_svg
from bot.office.guard import Context, staff
from bot.office.neighbourhoods import count
from bot.office.views.recap import read_range
from bot.office.web import Office

DEFAULT_DAYS = 14


def routes(office: Office) -> list[Route]:
    @staff(office)
    async def page(request: Request, ctx: Context) -> Response:
        today = office.local().date()
        params = dict(request.query_params)
        params.setdefault("from", (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat())
        first, last = read_range(params, today)
        found = queries.orders_between(office.app.services.orders, ctx.viewer, first, last)
        lang = office.lang(request)
        i18n = office.app.i18n
        tags = count(found, first, last, "referral", i18n.t(lang, "office.places_no_tag"))
        places = count(found, first, last, "kelurahan", i18n.t(lang, "office.places_unknown"))
        tag_chart = await run_in_threadpool(lines_svg, tags.columns, tags.top(),
                                            i18n.t(lang, "office.places_tags"))
        place_chart = await run_in_threadpool(lines_svg, places.columns, places.top(),
                                              i18n.t(lang, "office.places_kelurahan"))
        return ctx.render(request, "neighbourhoods.html", first=first, last=last, tags=tags,
                          places=places, tag_chart=tag_chart, place_chart=place_chart,
                          empty=not found)

    return [Route("/neighbourhoods", page, methods=["GET"])]
