"""``main.py office``: the market office's web pages alone, for an office that runs no
messenger (``main.py serve`` serves them too, under /office/, beside the webhooks).

It opens the store as ``serve`` does (the TinyDB data folder is one process's: stop
``serve`` first, or let ``serve`` serve the pages). Sign-in links are sent by the bot in
chat, so someone must run the bot somewhere on the same store (PostgreSQL) for new
sign-ins; sessions already started keep working.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

log = logging.getLogger(__name__)


def add_parser(sub: Any, name: str) -> None:
    parser = sub.add_parser(
        name,
        help="serve only the market office's web pages (/office/)",
        description="Serve the market office's pages on server.host:server.port under "
        "/office/ (and / redirects there), without any messenger. Stop with Ctrl-C.",
    )
    parser.set_defaults(run=run)


def build(app: Any) -> Any:
    """The ASGI app: /office/ and a redirect from /, each body capped as in ``serve``."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import RedirectResponse
    from starlette.routing import Route

    from bot.body_limit import BodyLimit, body_limit
    from bot.office.app import PREFIX, office_mount

    async def home(request: Request) -> RedirectResponse:
        return RedirectResponse(PREFIX + "/", status_code=307)

    return Starlette(routes=[Route("/", home), office_mount(app)],
                     middleware=[Middleware(BodyLimit, limit=body_limit(app.config))])


def run(config: dict, args: argparse.Namespace) -> int:
    from bot.cli.common import open_app
    from bot.cli.serve import graceful_server

    logging.getLogger().setLevel(logging.INFO)
    app = open_app(config)
    if app is None:
        return 1
    if app.markets is None:
        print("office: the market office's pages belong to the ordering app", file=sys.stderr)
        app.close()
        return 1
    host, port = config["server"]["host"], int(config["server"]["port"])
    log.info("serving the market office on http://%s:%s/office/", host, port)
    import uvicorn

    server = graceful_server(uvicorn.Config(build(app), host=host, port=port,
                                            log_level="info", log_config=None))
    try:
        server.run()
    finally:
        app.close()
    return 0
