"""What every page handler needs: the running App, the templates, the session and viewer of
a request, its language, form reading with the CSRF check, and rendering.

Forms are read from the urlencoded body with the standard library (Starlette's
``request.form()`` needs python-multipart, which the office does not need otherwise).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import jinja2
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.i18n import long_date, rupiah
from bot.office import cookies, display
from bot.office.links import WebSession, cookie_secret, load_session
from bot.office.permissions import Viewer, viewer_of
from bot.office.settings import Settings
from bot.ordering.domain.orders import now_local, status_label
from bot.ordering.domain.statuses import STATUSES
from bot.ordering.reports.report import duration

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LANG_COOKIE = "office_lang"
MAX_FORM = 64 * 1024
Handler = Callable[[Request], Awaitable[Response]]


_BOLD = re.compile(r"\*([^*\n]+)\*")


def chat_text(text: str) -> Markup:
    """A chat message on a page: escaped, its *bold* bold, its lines kept."""
    escaped = str(escape(text or ""))
    return Markup(_BOLD.sub(r"<strong>\1</strong>", escaped).replace("\n", "<br>"))


class Office:
    """The office's shared parts, one per built web app."""

    def __init__(self, app: Any, clock: Callable[[], float] | None = None) -> None:
        self.app = app
        self.settings = Settings.from_config(app.config)
        self._clock = clock
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(HERE / "templates")),
            autoescape=jinja2.select_autoescape(("html",)),
            trim_blocks=True, lstrip_blocks=True)
        self.env.filters["chat"] = chat_text

    # -- time ---------------------------------------------------------------------------
    def now(self) -> float:
        clock = self._clock or self.app.engine.clock
        return float(clock())

    def local(self, value: float | None = None) -> datetime:
        return now_local(self.now() if value is None else value, self.app.markets.timezone)

    @property
    def store(self) -> Any:
        return self.app.store

    @property
    def roles(self) -> Any:
        return self.app.services.roles

    def name_of(self, lang: str) -> Callable[[str], str]:
        """How the pages in ``lang`` name people: their given name, else their role's label
        (never a raw user key: `display.person_name`)."""
        i18n = self.app.i18n
        return lambda user: display.person_name(self.roles, user,
                                                lambda message_id: i18n.t(lang, message_id))

    # -- who asks -------------------------------------------------------------------------
    def secret(self) -> bytes:
        return cookie_secret(self.store, self.settings.secret, self.now())

    def session_of(self, request: Request) -> WebSession | None:
        session_id = cookies.unsign(request.cookies.get(cookies.COOKIE), self.secret())
        return load_session(self.store, session_id or "", self.now()) if session_id else None

    def viewer_of(self, session: WebSession | None) -> Viewer | None:
        return viewer_of(self.roles, session.user) if session is not None else None

    def lang(self, request: Request) -> str:
        asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
        i18n = self.app.i18n
        return asked if asked in i18n.catalogs else i18n.resolve(self.settings.language)

    # -- forms ----------------------------------------------------------------------------
    async def form(self, request: Request) -> dict[str, str]:
        """The urlencoded form of a POST (first value of each field)."""
        body = await request.body()
        if len(body) > MAX_FORM:
            return {}
        try:
            parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
        except (UnicodeDecodeError, ValueError):
            return {}
        return {k: v[0] for k, v in parsed.items() if v}

    # -- rendering ------------------------------------------------------------------------
    def base(self, request: Request) -> str:
        """The path the office is mounted at (``/office``)."""
        return str(request.scope.get("root_path") or "").rstrip("/")

    def render(self, request: Request, template: str, status: int = 200,
               **context: Any) -> HTMLResponse:
        lang = context.pop("lang", None) or self.lang(request)
        i18n = self.app.i18n
        locale = i18n.locale(lang)

        def t(message_id: str, **params: Any) -> str:
            return i18n.t(lang, message_id, **params)

        base = self.base(request)
        page = {
            "t": t, "lang": lang, "languages": i18n.languages, "base": base,
            "money": lambda amount: rupiah(amount or 0, locale),
            "long_date": lambda day: long_date(day, locale),
            "when": lambda stamp: display.when(stamp, locale),
            "clock": lambda hhmm: display.clock_time(hhmm, locale),
            "phone": display.phone_link,
            "name_of": self.name_of(lang),
            "query": lambda **kw: urlencode({k: v for k, v in kw.items() if v}),
            "static": f"{base}/static",
            "statuses": STATUSES.names,
            "status_label": lambda status: status_label(i18n, lang, status),
            "wait": lambda minutes: duration(minutes, lang, i18n),
        }
        html = self.env.get_template(template).render(**page, **context)
        response = HTMLResponse(html, status_code=status)
        response.headers["Referrer-Policy"] = "no-referrer"  # sign-in tokens stay here
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cache-Control"] = "no-store"
        if request.query_params.get("lang") == lang:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True,
                                samesite="lax", secure=self.settings.secure)
        return response

    def redirect(self, request: Request, path: str) -> RedirectResponse:
        return RedirectResponse(self.base(request) + path, status_code=303)

    def refuse(self, request: Request, message_id: str, status: int,
               viewer: Viewer | None = None, **params: Any) -> HTMLResponse:
        return self.render(request, "message.html", status=status, viewer=viewer,
                           message_id=message_id, params=params)
