"""Apps on the engine: the entry point an app module offers, and what it hands back.

``app: examples.price_survey`` in config.yaml names a module (importable from the folder
``main.py`` runs in) with one function::

    def register(registry: Registry, config: dict) -> Setup

It registers the actions, conditions, option sources and input kinds its flows name, reads
its own data, and returns a `Setup`. Everything else (flows, locales, the session store,
the adapters, the CLI's ``chat``, ``serve`` and ``validate``) is the framework's and is
configured in config.yaml. The ordering app (``app: bot.ordering``, the default) is wired by
`bot.app` itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.engine.registry import Registry

ORDERING = "bot.ordering"


@dataclass
class Setup:
    """What an app hands the framework at start-up."""

    # what actions see as ``ctx.services`` (the app's data, files, settings)
    services: Any = None
    # problems found reading the app's data, as (file, line, message): the bot then does
    # not start, and ``main.py validate`` lists them with the flows' problems
    problems: list[tuple[str, int, str]] = field(default_factory=list)
    # periodic jobs by name: ``await job(app, now)`` every minute (each decides if it is due)
    jobs: dict[str, Callable[[Any, float], Awaitable[Any]]] = field(default_factory=dict)


class AppError(Exception):
    """The configured app cannot be loaded (not importable, or no ``register``)."""


def app_name(config: dict[str, Any]) -> str:
    return str(config.get("app") or ORDERING)


def register_app(name: str, registry: Registry, config: dict[str, Any]) -> Setup:
    """Import the app module ``name`` and let it register its names."""
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        raise AppError(f"app: cannot import {name!r}: {exc}") from None
    register = getattr(module, "register", None)
    if not callable(register):
        raise AppError(f"app: {name!r} has no register(registry, config) function")
    setup = register(registry, config)
    if not isinstance(setup, Setup):
        raise AppError(f"app: {name}.register must return a bot.plugin.Setup")
    return setup
