"""``main.py serve``: run every enabled messenger behind one ASGI server.

Stopping: SIGTERM or Ctrl-C (SIGINT) asks uvicorn to stop; it stops accepting requests,
lets the ones in hand finish and runs the app's shutdown (the adapters finish the updates
in hand, the store is flushed), then the store is closed (snapshot written, lock released)
and the process exits 0. `graceful_server` keeps uvicorn from raising the caught signal
again once it has stopped (uvicorn does that so an embedding program sees it; here it
would kill the process before the store is closed, or end Ctrl-C in a traceback). A
second Ctrl-C stops at once without waiting for requests in hand; the store is still
closed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)


def add_parser(sub: Any, name: str) -> None:
    parser = sub.add_parser(
        name,
        help="run the bot on the messengers enabled in config.yaml",
        description="Run every messenger enabled in config.yaml (telegram, whatsapp) in one "
        "process: one HTTP server on server.host:server.port with GET /healthz and the "
        "webhooks. Stop with Ctrl-C or SIGTERM.",
    )
    parser.set_defaults(run=run)


def build(config: dict) -> tuple[Any, list[Any]]:
    """The app and its enabled adapters (raises on bad config)."""
    from bot.adapters import adapter_class, enabled_adapters
    from bot.cli.common import open_app

    app = open_app(config)
    if app is None:
        raise SystemExit(1)
    adapters = []
    for name in enabled_adapters(config):
        adapter = adapter_class(name)(app, config[name])
        app.attach(adapter)
        adapters.append(adapter)
    return app, adapters


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def graceful_server(config: Any) -> Any:
    """A `uvicorn.Server` that stops on SIGINT/SIGTERM without re-raising the signal."""
    import uvicorn

    class GracefulServer(uvicorn.Server):
        stopped_by: str | None = None

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield  # signals reach only the main thread: the embedding program's affair
                return
            original = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

        def handle_exit(self, sig: int, frame: Any) -> None:
            self.stopped_by = signal.Signals(sig).name
            super().handle_exit(sig, frame)

    return GracefulServer(config)


def run(config: dict, args: argparse.Namespace) -> int:
    from bot.config import ConfigError
    from bot.server import build_server

    logging.getLogger().setLevel(logging.INFO)
    try:
        app, adapters = build(config)
    except ConfigError as exc:  # an enabled messenger without its token, say
        print(f"config: {exc}", file=sys.stderr)
        return 2
    if not adapters:
        print("No messenger is enabled: set telegram.enabled or whatsapp.enabled in "
              "config.yaml (python3 main.py chat needs none).", file=sys.stderr)
        app.close()
        return 1
    try:  # a token the platform refuses stops here, in one line (not unreachable: retried)
        for adapter in adapters:
            asyncio.run(adapter.preflight())
    except ConfigError as exc:
        print(f"config: {exc}", file=sys.stderr)
        app.close()
        return 2
    host, port = config["server"]["host"], int(config["server"]["port"])
    log.info("serving %s on http://%s:%s", ", ".join(a.name for a in adapters), host, port)
    import uvicorn

    server = graceful_server(
        uvicorn.Config(build_server(app, adapters), host=host, port=port, log_level="info",
                       lifespan="on", log_config=None)  # through our handlers, redacted
    )
    try:
        server.run()
    finally:
        app.close()
    log.info("%s; the store is closed", f"stopped by {server.stopped_by}"
             if server.stopped_by else "stopped")
    return 0
