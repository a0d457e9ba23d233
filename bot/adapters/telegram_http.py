"""The Bot API's HTTP transport for python-telegram-bot: `AiohttpRequest`, a `BaseRequest`
(PTB's documented extension point for the transport) on aiohttp.

Why not PTB's default `HTTPXRequest`: measured with bench/bot_api_calls.py (one process,
a local server in another, the same `Bot.send_message` calls), httpx + httpcore + anyio +
h11 cost 1.2-1.9 ms of CPU per call here, aiohttp (C-parsed HTTP/1.1, no per-request
timeout scopes or pool scans) 0.35 ms: x0.29 with 4 calls wanting out at once, x0.20 with
50. Outgoing calls were two thirds of the bot's CPU under load (bench/e2e.py), so the
transport is where the bot's time went.

What it keeps of `HTTPXRequest`: at most ``slots`` requests on the wire, on as many
kept-alive connections (a call beyond that waits here, first come first served, for as
long as it takes: never a pool timeout); the default timeouts (5 s connect and read, 20 s
for an upload); PTB's errors (`TimedOut`, `NetworkError`), so PTB's own handling (retry
after 429, polling back-off) and ours (`call_with_retry`) work unchanged. Parameters go
as a JSON body (the Bot API takes ``application/json``); a call with a file goes as
``multipart/form-data``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.adapters.outbound_http import failure, open_session

DEFAULT_TIMEOUT = 5.0  # seconds: connect, read (PTB's defaults)
UPLOAD_TIMEOUT = 20.0  # seconds to read the answer to a call carrying a file
JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """PTB requests over one aiohttp session: ``slots`` at once, as many connections."""

    def __init__(self, slots: int = 4, *, connect_timeout: float = DEFAULT_TIMEOUT,
                 read_timeout: float = DEFAULT_TIMEOUT) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self._slots_count = slots
        self._slots = asyncio.Semaphore(slots)
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = open_session(self._slots_count,
                                         headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = _given(read_timeout, UPLOAD_TIMEOUT if files else self._read_timeout)
        write = _given(write_timeout, UPLOAD_TIMEOUT if files else None)
        if write is not None and read is not None:
            read = max(read, write)  # aiohttp times the whole exchange after connecting
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=_given(connect_timeout, self._connect_timeout),
            sock_read=read)
        body, headers = _body(request_data, files)
        try:
            async with self._slots, session.request(
                    method, url, data=body, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's timeouts are TimeoutErrors too
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # the class name, never the URL (it carries the token)
            said = failure(err, "telegram.base_url")
            raise NetworkError(f"aiohttp.{type(err).__name__}: {said}") from err


def _given(value: Any, default: float | None) -> float | None:
    """A timeout PTB passed, or ours when it passed none (`DefaultValue`)."""
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


def _body(request_data: RequestData | None,
          files: dict[str, Any] | None) -> tuple[Any, dict[str, str] | None]:
    if request_data is None:
        return None, None
    if not files:
        # `parameters`, not PTB's `json_payload`, which holds nested objects as JSON strings
        return json.dumps(request_data.parameters).encode(), JSON
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None
