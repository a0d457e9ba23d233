"""Exports: the orders matching the filters on screen (a range, market, status), as the
``main.py orders export`` command writes them (`bot.ordering.reports.export`): CSV, JSON
or XLSX. The page's form is a GET: downloading changes nothing."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.office import queries
from bot.office.guard import Context, staff
from bot.office.views.recap import read_range
from bot.office.web import Office
from bot.ordering.domain.order import Order
from bot.ordering.domain.statuses import STATUSES
from bot.ordering.reports import export

TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _xlsx(orders: list[Order], name_of: object) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pesanan.xlsx"
        export.write_xlsx(orders, path, name_of)  # type: ignore[arg-type]
        return path.read_bytes()


def render(orders: list[Order], fmt: str, name_of: object) -> bytes:
    if fmt == "json":
        text = json.dumps([export.as_json(o, name_of) for o in orders],  # type: ignore[arg-type]
                          ensure_ascii=False, indent=2) + "\n"
        return text.encode("utf-8")
    if fmt == "csv":
        out = io.StringIO(newline="")
        export.write_csv(orders, out, name_of)  # type: ignore[arg-type]
        return out.getvalue().encode("utf-8")
    return _xlsx(orders, name_of)


def routes(office: Office) -> list[Route]:
    def chosen(request: Request, ctx: Context) -> tuple[list[Order], dict[str, str]]:
        first, last = read_range(request.query_params, office.local().date())
        market = str(request.query_params.get("market") or "")
        status = str(request.query_params.get("status") or "")
        found = queries.orders_between(office.app.services.orders, ctx.viewer, first, last,
                                       market or None)
        if market:
            found = [o for o in found if o.market == market]
        if status in STATUSES:
            found = [o for o in found if o.status == status]
        return found, {"from": first.isoformat(), "to": last.isoformat(), "market": market,
                       "status": status if status in STATUSES else ""}

    @staff(office)
    async def page(request: Request, ctx: Context) -> Response:
        found, filters = chosen(request, ctx)
        return ctx.render(request, "exports.html", count=len(found), filters=filters)

    @staff(office)
    async def download(request: Request, ctx: Context) -> Response:
        fmt = request.path_params["fmt"]
        if fmt not in TYPES:
            return office.refuse(request, "office.unknown_action", 404, ctx.viewer)
        found, filters = chosen(request, ctx)
        body = await run_in_threadpool(render, found, fmt, office.roles.display_name)
        name = f"pesanan-{filters['from']}-{filters['to']}.{fmt}"
        return Response(body, media_type=TYPES[fmt], headers={
            "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})

    return [Route("/export", page, methods=["GET"]),
            Route("/export/pesanan.{fmt}", download, methods=["GET"])]
