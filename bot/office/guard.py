"""Page handlers behind a session: `staff` gives a handler the viewer and the session, or
sends someone without one to the page that says how to sign in; a POST must carry the
session's CSRF token."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.office import csrf
from bot.office.links import WebSession
from bot.office.permissions import Viewer
from bot.office.web import Office
from bot.privacy import who

log = logging.getLogger(__name__)

StaffHandler = Callable[..., Awaitable[Response]]


def staff(office: Office) -> Callable[[StaffHandler], Callable[[Request], Awaitable[Response]]]:
    def wrap(handler: StaffHandler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def page(request: Request) -> Response:
            session = office.session_of(request)
            viewer = office.viewer_of(session)
            if session is None or viewer is None:
                return office.refuse(request, "office.signed_out", 401)
            form: dict[str, str] = {}
            if request.method == "POST":
                form = await office.form(request)
                if not csrf.valid(session, form):
                    log.warning("office: a form without its token from %s refused",
                                who(viewer.user))
                    return office.refuse(request, "office.csrf_refused", 403, viewer)
            return await handler(request, Context(office, viewer, session, form))

        return page

    return wrap


class Context:
    """A signed-in request: who asks, their session and the form they sent."""

    def __init__(self, office: Office, viewer: Viewer, session: WebSession,
                 form: dict[str, str]) -> None:
        self.office = office
        self.viewer = viewer
        self.session = session
        self.form = form

    def render(self, request: Request, template: str, status: int = 200,
               **context: Any) -> Response:
        return self.office.render(request, template, status=status, viewer=self.viewer,
                                  csrf=self.session.csrf, **context)
