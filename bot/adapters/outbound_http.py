"""The aiohttp sessions the adapters call their platform with (the Bot API, the Graph API).

One shape for both: ``in_flight`` connections, all kept alive (the caller lets at most that
many requests out at once, so a request let out never queues for a connection), no cookie
jar (neither API sets cookies), and the proxy the environment names. Why aiohttp and not
httpx: bench/bot_api_calls.py, 0.35 against 1.2-1.9 CPU ms per call.

The proxy: httpx honoured ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``; aiohttp does so only
with ``trust_env=True``, and then looks the variables up again on every request. So a
session trusts the environment only when a proxy variable is set at start: an office
network that needs a proxy keeps working, and the usual direct path pays nothing.
"""

from __future__ import annotations

import os

import aiohttp

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


def proxy_in_environment() -> bool:
    """A proxy variable is set (aiohttp sessions then take ``trust_env=True``)."""
    return any(os.environ.get(name) for name in PROXY_VARIABLES)


def open_session(in_flight: int, *, headers: dict[str, str] | None = None,
                 timeout: aiohttp.ClientTimeout | None = None) -> aiohttp.ClientSession:
    """A session for ``in_flight`` requests at once. Made inside the running event loop
    (aiohttp binds a session to it)."""
    if in_flight < 1:
        raise ValueError("in_flight must be at least 1")
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=in_flight, limit_per_host=in_flight),
        cookie_jar=aiohttp.DummyCookieJar(),
        headers=headers,
        timeout=timeout or aiohttp.ClientTimeout(total=None),
        trust_env=proxy_in_environment(),
    )


def failure(error: aiohttp.ClientError, setting: str = "") -> str:
    """What went wrong, in one line without the URL some aiohttp errors print (it holds a
    token or an id): "cannot connect to host:port (Connection refused)"; ``setting``
    names the config key of the address, for an invalid URL."""
    if isinstance(error, aiohttp.ClientConnectorError):
        cause = error.os_error
        said = os.strerror(cause.errno) if cause.errno else str(cause) or type(cause).__name__
        return f"cannot connect to {error.host}:{error.port} ({said})"
    if isinstance(error, aiohttp.InvalidURL):
        return f"invalid URL ({setting})" if setting else "invalid URL"
    if isinstance(error, aiohttp.ClientResponseError):
        return error.message
    return str(error)
