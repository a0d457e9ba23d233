"""Umumkan: an announcement from the web office (issue 16), as ``umumkan`` in chat: the
market office to any market, a head of unit to theirs (`announcements.markets_for`). The
first POST shows how many residents it will reach (`reach_counts`) and asks again; the
second queues it (`queue_announcement`: durable, sent by the App's timers at the
platforms' pace) and the counts come to the sender in chat."""

from __future__ import annotations

import math
import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.office.guard import Context, staff
from bot.office.links import ONCE_PREFIX, digest
from bot.office.web import Office
from bot.ordering.chat import announcements
from bot.ordering.chat.announcements import AnnouncementRefused


def issue_once(office: Office, ctx: Context) -> str:
    """A token for the confirmation form, taken by its one send."""
    token = secrets.token_urlsafe(16)
    office.store.put_session(ONCE_PREFIX + digest(token), {
        "user": ctx.viewer.user, "updated_at": office.now()})
    return token


def routes(office: Office) -> list[Route]:
    def page(request: Request, ctx: Context, status: int = 200, **shown: object) -> Response:
        settings = announcements.Settings.of(office.app.config)
        markets = announcements.markets_for(office.app.services, ctx.viewer.user)
        return ctx.render(request, "announce.html", status=status, markets=markets,
                          max_text=announcements.MAX_TEXT,
                          days=math.ceil(announcements.reach(settings, None)), **shown)

    @staff(office)
    async def show(request: Request, ctx: Context) -> Response:
        if not announcements.markets_for(office.app.services, ctx.viewer.user):
            return office.refuse(request, "office.announce_not_allowed", 403, ctx.viewer)
        return page(request, ctx)

    @staff(office)
    async def post(request: Request, ctx: Context) -> Response:
        services, lang = office.app.services, office.lang(request)
        market_id, text = ctx.form.get("market", ""), ctx.form.get("text", "")
        try:
            market, cleaned = announcements.check(services, ctx.viewer.user, market_id, text)
        except AnnouncementRefused as refused:
            if refused.message_id == "announce.not_allowed":
                return office.refuse(request, "office.announce_not_allowed", 403, ctx.viewer)
            return page(request, ctx, 409, market=market_id, text=text,
                        error=office.app.i18n.t(lang, refused.message_id, **refused.params))
        if ctx.form.get("step") != "send":
            count, stopped = announcements.reach_counts(office.app, market.id)
            return page(request, ctx, market=market.id, text=cleaned, confirm=True,
                        count=count, stopped=stopped, market_name=market.name,
                        once=issue_once(office, ctx))
        # the confirmation goes once: a double click, or the browser sending the form
        # again on a reload, queued it again (every resident got it twice)
        key = ONCE_PREFIX + digest(ctx.form.get("once", "")[:100])
        async with office.store.unit(key):
            record = office.store.get_session(key)
            if not isinstance(record, dict) or record.get("user") != ctx.viewer.user:
                return page(request, ctx, 409, error=office.app.i18n.t(
                    lang, "office.announce_sent_already"))
            office.store.delete_session(key)
            await announcements.queue_announcement(office.app, ctx.viewer.user, market.id,
                                                   cleaned)
        return page(request, ctx, queued=market.name)

    return [Route("/umumkan", show, methods=["GET"]), Route("/umumkan", post, methods=["POST"])]
