"""Posting message bodies to the Graph API: ``POST {api_base_url}/{phone_number_id}/messages``.

The transport is an aiohttp session (`new_session`; tests point the adapter's at a local
fake Graph API), not httpx: measured with bench/bot_api_calls.py on the Telegram side, one
call costs ~0.35 ms of CPU through aiohttp against 1.2-1.9 ms through httpx + httpcore, and
outgoing calls are most of the bot's CPU under load (bench/e2e.py). Throughput and
pair-rate limits (130429, 131056), HTTP 429, 5xx and network failures (a refused
connection, a timeout) are retried with a bounded backoff; every other failure is returned
with its Graph error code for the adapter to act on (131047: the user is outside the
24-hour window) or log. Nothing here raises for a failed send, and the access token goes
only in the ``Authorization`` header: never in a log line or a `SendResult`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.adapters.outbound_http import failure, open_session
from bot.messages import user_key
from bot.privacy import who

log = logging.getLogger(__name__)

THROUGHPUT_LIMIT = 130429  # too many messages per second from our number
PAIR_RATE_LIMIT = 131056  # too many messages to one user in a short time
OUTSIDE_WINDOW = 131047  # more than 24 hours since the user last wrote
RETRY_CODES = frozenset({THROUGHPUT_LIMIT, PAIR_RATE_LIMIT})
# Waits before the 2nd, 3rd and 4th attempt. The pair rate allows about one message per
# 6 s to a user sustained, so the waits together outlast one such interval.
RETRY_DELAYS = (1.0, 3.0, 7.0)
# Posts in flight at once, and the connections the adapter's session keeps (see
# `new_session`). A few at once keep the round trips overlapping on kept-alive
# connections; beyond that a post waits in the sender, in order, never in the connector's
# queue (which has no order promise). bench/e2e.py, WhatsApp 200x50, alternated: 8 -> 470
# and 481 msg/s, 4 -> 410 and 448 (as for Telegram, bot/adapters/telegram_setup.py).
MAX_IN_FLIGHT = 8
CONNECT_TIMEOUT = 10.0  # seconds to open a connection to the Graph API
READ_TIMEOUT = 20.0  # seconds the answer may keep us waiting between reads
JSON = {"Content-Type": "application/json"}


def new_session(in_flight: int = MAX_IN_FLIGHT, *, connect_timeout: float = CONNECT_TIMEOUT,
                read_timeout: float = READ_TIMEOUT) -> aiohttp.ClientSession:
    """A session for a sender with ``in_flight`` posts at once (`open_session`)."""
    return open_session(in_flight, timeout=aiohttp.ClientTimeout(
        total=None, sock_connect=connect_timeout, sock_read=read_timeout))


@dataclass(frozen=True)
class SendResult:
    ok: bool
    message_id: str | None = None  # the wamid of what was sent
    code: int | None = None  # Graph API error code
    status: int | None = None  # HTTP status (None: no answer at all)
    detail: str = ""
    attempts: int = 1

    @property
    def outside_window(self) -> bool:
        return self.code == OUTSIDE_WINDOW

    @property
    def retryable(self) -> bool:
        if self.ok:
            return False
        if self.code in RETRY_CODES or self.status == 429:
            return True
        return self.code is None and (self.status is None or self.status >= 500)


def _error(status: int, data: Any) -> SendResult:
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return SendResult(False, status=status, detail=str(data)[:200])
    try:
        code: int | None = int(error.get("code"))
    except (TypeError, ValueError):
        code = None
    details = (error.get("error_data") or {}).get("details") if isinstance(
        error.get("error_data"), dict) else None
    detail = " ".join(str(p) for p in (error.get("message"), details) if p)
    return SendResult(False, code=code, status=status, detail=detail[:300])


class GraphSender:
    """Posts to one phone number's messages endpoint over ``session`` (see `new_session`:
    its connector should allow ``in_flight`` connections). The session is the caller's:
    the sender never closes it."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_base_url: str,
        phone_number_id: str,
        access_token: str,
        *,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self.session = session
        self.url = f"{api_base_url.rstrip('/')}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {access_token}", **JSON}
        self.retry_delays = tuple(retry_delays)
        self._sleep = sleep
        self._slots = asyncio.Semaphore(in_flight)  # posts on the wire at once, in order

    async def post(self, body: dict[str, Any]) -> SendResult:
        """Send one body; retried while the failure is a rate limit or transient."""
        result = SendResult(False)
        for attempt in range(1, len(self.retry_delays) + 2):
            result = await self._once(body)
            if not result.retryable or attempt > len(self.retry_delays):
                break
            delay = self.retry_delays[attempt - 1]
            log.info("whatsapp send to %s: %s (%s), retry %d in %.1f s",
                     who(user_key("whatsapp", str(body.get("to") or ""))),
                     result.code or result.status, result.detail, attempt, delay)
            await self._sleep(delay)
        return SendResult(result.ok, result.message_id, result.code, result.status,
                          result.detail, attempt)

    async def post_once(self, body: dict[str, Any]) -> SendResult:
        """One attempt, no retries (a read receipt: late is as good as never)."""
        return await self._once(body)

    async def _once(self, body: dict[str, Any]) -> SendResult:
        payload = json.dumps(body).encode()
        try:
            async with self._slots, self.session.post(
                    self.url, data=payload, headers=self._headers) as response:
                status, raw = response.status, await response.read()
        except TimeoutError:  # aiohttp's own timeouts are TimeoutErrors too
            return SendResult(False, detail="TimeoutError: no answer in time")
        except aiohttp.ClientError as exc:
            said = failure(exc, "whatsapp.api_base_url")
            return SendResult(False, detail=f"{type(exc).__name__}: {said}")
        try:
            data: Any = json.loads(raw)
        except ValueError:
            data = raw.decode("utf-8", "replace")
        if status >= 400:
            return _error(status, data)
        messages = data.get("messages") if isinstance(data, dict) else None
        wamid = messages[0].get("id") if isinstance(messages, list) and messages and isinstance(
            messages[0], dict) else None
        return SendResult(True, message_id=wamid, status=status)
