"""``main.py serve``: run every enabled messenger behind one ASGI server."""

from __future__ import annotations

import argparse
import logging
import sys
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


def run(config: dict, args: argparse.Namespace) -> int:
    import uvicorn

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
    host, port = config["server"]["host"], int(config["server"]["port"])
    log.info("serving %s on http://%s:%s", ", ".join(a.name for a in adapters), host, port)
    server = uvicorn.Server(
        uvicorn.Config(build_server(app, adapters), host=host, port=port, log_level="info",
                       lifespan="on")
    )
    try:
        server.run()
    finally:
        app.close()
    return 0
