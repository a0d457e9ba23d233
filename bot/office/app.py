"""The office's web app: `build_office(app)` gives a Starlette app to mount at ``/office``
(`bot.server` does, for ``main.py serve``; ``main.py office`` serves it alone)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from bot.office.headers import middleware
from bot.office.views import (
    announce,
    exports,
    funnel,
    neighbourhoods,
    order,
    people,
    recap,
    signin,
    today,
)
from bot.office.web import HERE, Office

PREFIX = "/office"


def build_office(app: Any, clock: Callable[[], float] | None = None) -> Starlette:
    """The office's pages on ``app`` (a running `bot.app.App`); ``clock`` (epoch seconds)
    defaults to the engine's, so tests moving the bot's clock move the office's too."""
    office = Office(app, clock)
    routes: list[BaseRoute] = [
        *today.routes(office),
        *order.routes(office),
        *recap.routes(office),
        *neighbourhoods.routes(office),
        *funnel.routes(office),
        *exports.routes(office),
        *people.routes(office),
        *announce.routes(office),
        *signin.routes(office),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    web = Starlette(routes=routes, middleware=[middleware()])
    web.state.office = office
    return web


def office_mount(app: Any, clock: Callable[[], float] | None = None) -> Mount:
    """The office mounted at ``/office`` (for `bot.server.build_server`)."""
    return Mount(PREFIX, app=build_office(app, clock))
