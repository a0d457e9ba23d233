"""Outgoing platform calls through the proxy the environment names, as httpx did.

httpx (python-telegram-bot's default transport, which the adapters used before aiohttp)
honours ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``; aiohttp does so only with
``trust_env=True``, and then looks the variables up again on every request. So a session
trusts the environment only when a proxy variable is set at start: an office network that
needs a proxy keeps working, and the usual direct path pays nothing.
"""

from __future__ import annotations

import os

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


def proxy_in_environment() -> bool:
    """A proxy variable is set (aiohttp sessions then take ``trust_env=True``)."""
    return any(os.environ.get(name) for name in PROXY_VARIABLES)
