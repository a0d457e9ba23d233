"""``main.py serve``: run every enabled messenger behind one ASGI server.

Stopping: SIGTERM or Ctrl-C (SIGINT) asks uvicorn to stop; it stops accepting requests,
lets the ones in hand finish and runs the app's shutdown (the adapters finish the updates
in hand, the store is flushed), then the store is closed (snapshot written, lock released)
and the process exits 0. `graceful_server` keeps uvicorn from raising the caught signal
again once it has stopped (uvicorn does that so an embedding program sees it; here it
would kill the process before the store is closed, or end Ctrl-C in a traceback). A
second Ctrl-C stops at once without waiting for requests in hand; the store is still
closed.

``--workers N`` (a shared store only): this process supervises N workers on one port
(`bot.workers`); each worker is this same command, handed its listening socket.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
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
        "webhooks; with --workers N (on PostgreSQL), N processes on that port. Stop with "
        "Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--port", type=int, default=None,
                        help="listen on this port instead of server.port (several serve "
                        "processes behind one reverse proxy)")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="N worker processes on server.port (needs storage.backend: "
                        "postgres; see bot/workers.py)")
    # a worker started by `serve --workers N` (bot/workers.py): its socket, its ready pipe
    for hidden in ("--socket-fd", "--ready-fd", "--worker-slot"):
        parser.add_argument(hidden, type=int, default=None, help=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def build(config: dict) -> tuple[Any, list[Any]]:
    """The app and its enabled adapters (raises on bad config)."""
    from bot.adapters import adapter_class, enabled_adapters
    from bot.cli.common import open_app
    from bot.leader import leadership

    app = open_app(config)
    if app is None:
        raise SystemExit(1)
    adapters = []
    for name in enabled_adapters(config):
        adapter = adapter_class(name)(app, config[name])
        if hasattr(adapter, "lead_name"):  # polls: one worker at a time (bot/leader.py)
            adapter.leadership = leadership(config, adapter.lead_name)
        app.attach(adapter)
        adapters.append(adapter)
    return app, adapters


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def graceful_server(config: Any, ready_fd: int | None = None) -> Any:
    """A `uvicorn.Server` that stops on SIGINT/SIGTERM without re-raising the signal (and,
    as a worker of `serve --workers`, says on ``ready_fd`` when it serves)."""
    import uvicorn

    class GracefulServer(uvicorn.Server):
        stopped_by: str | None = None

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started and ready_fd is not None:
                from bot.workers import announce_ready

                announce_ready(ready_fd)

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
    if getattr(args, "port", None) is not None:
        if not 0 < args.port < 65536:
            print(f"serve --port {args.port}: a port number is 1-65535", file=sys.stderr)
            return 2
        config["server"]["port"] = args.port
    if getattr(args, "workers", 1) < 1:
        print(f"serve --workers {args.workers}: at least 1", file=sys.stderr)
        return 2
    from bot.cli.db import schema_problem

    problem = schema_problem(config)  # postgres: a schema behind is refused, with the fix
    if problem:
        print(problem, file=sys.stderr)
        return 1
    if getattr(args, "workers", 1) > 1:  # this process supervises; the workers serve
        from bot.workers import supervise

        return supervise(config, args)
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
    slot = getattr(args, "worker_slot", None)
    log.info("%sserving %s on http://%s:%s", f"worker {slot}: " if slot else "",
             ", ".join(a.name for a in adapters), host, port)
    import uvicorn

    server = graceful_server(
        uvicorn.Config(build_server(app, adapters), host=host, port=port, log_level="info",
                       lifespan="on", log_config=None),  # through our handlers, redacted
        ready_fd=getattr(args, "ready_fd", None),
    )
    fd = getattr(args, "socket_fd", None)  # a worker: the supervisor's listening socket
    try:
        server.run(sockets=[socket.socket(fileno=fd)] if fd is not None else None)
    finally:
        app.close()
    log.info("%s; the store is closed", f"stopped by {server.stopped_by}"
             if server.stopped_by else "stopped")
    return 0
