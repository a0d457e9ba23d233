"""One ASGI app for `main.py serve`: /healthz, each enabled adapter's webhook routes and the
market office's pages under /office/ (`bot.office`; ``office.enabled``).

Adapters own their routes (and their signature checks); this module only mounts them, and
starts and stops the adapters with the server, so a SIGINT/SIGTERM lets every update in
hand finish and the store flush before the process exits. Every request body is capped
while it streams in (`bot.body_limit`, ``server.max_body_bytes``), before a route sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.adapters.base import BaseAdapter
from bot.body_limit import BodyLimit, body_limit

log = logging.getLogger(__name__)

HOUSEKEEPING_EVERY = 3600.0
JOBS_EVERY = 60.0  # periodic jobs (the daily recap) are looked at once a minute


def build_server(app: Any, adapters: list[BaseAdapter]) -> Starlette:
    started = time.time()
    max_body = body_limit(app.config)  # every body is capped while it streams in

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "status": "ok",
                "adapters": [a.name for a in adapters],
                "uptime_s": round(time.time() - started),
            }
        )

    async def housekeeping() -> None:
        while True:
            await asyncio.sleep(HOUSEKEEPING_EVERY)
            try:
                dropped = app.housekeeping()
                await app.store.flush()
                log.info("housekeeping: dropped %s", dropped)
            except Exception:
                log.exception("housekeeping failed")

    async def jobs() -> None:
        while True:
            await asyncio.sleep(JOBS_EVERY)
            await app.run_jobs()

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        sender = getattr(app, "sender", None)
        if sender is not None:  # what a dead process left queued goes out first (delivery.py)
            sender.claim()
        for adapter in adapters:
            await adapter.start()
            log.info("%s adapter started", adapter.name)
        if hasattr(app, "start_background"):
            app.start_background()  # waiting replies, retries and due timers
        task = asyncio.create_task(housekeeping())
        ticker = asyncio.create_task(jobs()) if hasattr(app, "run_jobs") else None
        try:
            yield
        finally:
            task.cancel()
            if ticker is not None:
                ticker.cancel()
            if hasattr(app, "stop_background"):
                await app.stop_background()  # what it is sending first: adapters still run
            for adapter in reversed(adapters):
                try:
                    await adapter.stop()
                except Exception:
                    log.exception("stopping the %s adapter failed", adapter.name)
            await app.store.flush()
            log.info("stopped; the store is flushed")

    routes = [Route("/healthz", healthz, methods=["GET"])]
    for adapter in adapters:
        routes.extend(adapter.routes())
    if (app.config.get("office") or {}).get("enabled", True) and getattr(app, "markets", None):
        from bot.office.app import office_mount  # the market office's pages, /office/

        routes.append(office_mount(app))
    return Starlette(routes=routes, lifespan=lifespan,
                     middleware=[Middleware(BodyLimit, limit=max_body)])
