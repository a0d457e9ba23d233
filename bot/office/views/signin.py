"""Signing in by a link sent in chat, and signing out.

GET shows one button and changes nothing (messengers fetch links for their previews);
the POST of that button uses the link up and starts a session."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.office import cookies, csrf
from bot.office.guard import Context, staff
from bot.office.links import (
    LINK_PREFIX,
    digest,
    end_session,
    peek_link,
    start_session,
    take_link,
)
from bot.office.permissions import viewer_of
from bot.office.web import Office
from bot.privacy import who

log = logging.getLogger(__name__)


def routes(office: Office) -> list[Route]:
    async def show(request: Request) -> Response:
        token = request.path_params["token"]
        if peek_link(office.store, token, office.now()) is None:
            return office.refuse(request, "office.link_refused", 410)
        pre = csrf.new_pre_token()
        response = office.render(request, "signin.html", pre_token=pre, action=request.url.path)
        response.set_cookie(cookies.PRE_COOKIE, pre, max_age=int(office.settings.link_minutes
                                                                 * 60), httponly=True,
                            samesite="strict", secure=office.settings.secure)
        return response

    async def use(request: Request) -> Response:
        form = await office.form(request)
        if peek_link(office.store, request.path_params["token"], office.now()) is None:
            return office.refuse(request, "office.link_refused", 410)
        if not csrf.valid_pre(request.cookies.get(cookies.PRE_COOKIE), form):
            return office.refuse(request, "office.csrf_refused", 403)
        token = request.path_params["token"]
        # one unit on the link: two presses at once (two workers on PostgreSQL) take it in
        # turn, and the second finds it gone (a read then a delete outside a unit let both in)
        async with office.store.unit(LINK_PREFIX + digest(token[:200])):
            user = take_link(office.store, token, office.now())
            viewer = viewer_of(office.roles, user) if user else None
            session = start_session(office.store, user, office.now(),
                                    office.settings.session_hours) if viewer else None
            await office.store.flush()
        if user is None or viewer is None or session is None:
            return office.refuse(request, "office.link_refused", 410)
        log.info("office: %s signed in", who(user))
        response = office.redirect(request, "/")
        response.set_cookie(cookies.COOKIE, cookies.sign(session.id, office.secret()),
                            max_age=int(office.settings.session_hours * 3600), httponly=True,
                            samesite="lax", secure=office.settings.secure,
                            path=office.base(request) or "/")
        response.delete_cookie(cookies.PRE_COOKIE)
        return response

    @staff(office)
    async def sign_out(request: Request, ctx: Context) -> Response:
        end_session(office.store, ctx.session, office.now())
        await office.store.flush()
        log.info("office: %s signed out", who(ctx.viewer.user))
        response = office.redirect(request, "/keluar")
        response.delete_cookie(cookies.COOKIE, path=office.base(request) or "/")
        return response

    async def signed_out(request: Request) -> Response:
        return office.refuse(request, "office.signed_out", 200)

    return [
        Route("/masuk/{token}", show, methods=["GET"]),
        Route("/masuk/{token}", use, methods=["POST"]),
        Route("/keluar", sign_out, methods=["POST"]),
        Route("/keluar", signed_out, methods=["GET"]),
    ]
