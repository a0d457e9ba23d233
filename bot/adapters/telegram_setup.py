"""Setting up python-telegram-bot for the adapter: the settings check, the Application
(rate limiter, per-chat ordered update processing), retries, and keeping the token out of
logs. Only `bot.adapters.telegram*` modules import python-telegram-bot."""

from __future__ import annotations

import asyncio
import functools
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.ext import AIORateLimiter, Application, BaseUpdateProcessor, TypeHandler
from telegram.warnings import PTBUserWarning

from bot.adapters.telegram_http import AiohttpRequest
from bot.config import ConfigError
from bot.engine.locks import KeyLocks

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
# Bot API calls in flight at once (all chats), and connections kept to the API. Swept with
# bench/e2e.py on aiohttp (bench/README.md), 1000x200: 1 -> 350 msg/s, 2 -> 403, 4 -> 477-516,
# 8 -> 553, 16 -> 495 (and 2.0 CPU ms/msg at 16 against 1.76 at 8); 200x50, alternated: 8 ->
# 471-475, 4 -> 358-430. A real API's longer round trips only favour more in flight.
MAX_IN_FLIGHT = 8
# python-telegram-bot's loggers that log a failed Bot API call with its traceback
PTB_LOGGERS = ("telegram.ext", "telegram.ext.Updater", "telegram.ext.Application")


def check_settings(settings: dict[str, Any]) -> None:
    """Raise ConfigError, saying what to set, for a telegram section that cannot work."""
    if not str(settings.get("token") or "").strip():
        raise ConfigError(
            "telegram is enabled but telegram.token is empty: set TELEGRAM_BOT_TOKEN to the "
            "token @BotFather gave you (or set telegram.enabled: false)"
        )
    mode = settings.get("mode", "polling")
    if mode not in ("polling", "webhook"):
        raise ConfigError(f"telegram.mode is {mode!r}: use polling or webhook")
    if mode == "webhook":
        if not str(settings.get("webhook_url") or "").startswith(("https://", "http://")):
            raise ConfigError("telegram.mode is webhook: set telegram.webhook_url to the "
                              "public https:// address of this server")
        if not str(settings.get("secret_token") or "").strip():
            raise ConfigError("telegram.mode is webhook: set TELEGRAM_SECRET_TOKEN (1-256 of "
                              "A-Z a-z 0-9 _ -) so only Telegram can post updates")


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Different chats concurrently, one chat's updates one at a time in arrival order."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._chats = KeyLocks()

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await super().process_update(update, coroutine)
            return
        # the lock first, then a concurrency slot: a chat's waiting updates take no slot
        async with self._chats.hold(str(chat.id)):
            await super().process_update(update, coroutine)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


class QuietApiErrors(logging.Filter):
    """A Bot API error logged by python-telegram-bot (an unreachable API while polling, a
    refused token) as one line naming the error, not dozens of lines of httpx frames."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, TelegramError):
            hint = f": {token_refused(error)}" if isinstance(error, InvalidToken) else ""
            record.msg = f"{record.getMessage()} ({describe(error, self.token)}){hint}"
            record.args, record.exc_info, record.exc_text = (), None, None
        return True


def describe(error: BaseException, token: str = "") -> str:
    """``NetworkError: httpx.ConnectError: All connection attempts failed``: one line,
    never the token."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text.replace(token, "<token>") if token else text


def token_refused(error: InvalidToken) -> str:
    """What to do about a token the Bot API refuses (401/404 from getMe). The API's own
    words ("Unauthorized", "Not Found"), not python-telegram-bot's, which hold the token."""
    answer = error.__cause__ if isinstance(error.__cause__, TelegramError) else error
    said = f" ({answer.message})" if "`" not in answer.message else ""  # `token` quoted
    return (f"telegram.token was refused by the Bot API{said}: set TELEGRAM_BOT_TOKEN "
            "(telegram.token in config.yaml) to the token @BotFather gave you, or set "
            "telegram.enabled: false")


async def check_token(settings: dict[str, Any]) -> None:
    """``getMe`` once: ConfigError if the Bot API refuses the token; an API that cannot be
    reached now says nothing here (the adapter keeps trying once the server runs)."""
    try:
        async with _bot(settings):
            pass
    except InvalidToken as error:
        raise ConfigError(token_refused(error)) from None
    except (NetworkError, TimedOut):
        return


def build_application(
    settings: dict[str, Any],
    on_update: Callable[[Update, Any], Awaitable[None]],
    on_error: Callable[[object, Any], Awaitable[None]],
) -> Application:
    """The Application: token and base_url as configured, outgoing calls paced by
    `AIORateLimiter` (which retries ``RetryAfter``), updates through `ChatOrderedProcessor`,
    every update to ``on_update``. No updater in webhook mode (updates come from our route).
    Calls (except getUpdates, which has its own connection) go through `AiohttpRequest`:
    ``max_in_flight`` at once.
    """
    builder = (
        Application.builder()
        .token(str(settings["token"]))
        .base_url(str(settings.get("base_url") or DEFAULT_BASE_URL))
        .request(AiohttpRequest(int(settings.get("max_in_flight", MAX_IN_FLIGHT))))
        .get_updates_request(AiohttpRequest(1))
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=float(settings.get("rate_per_second", 30)),
                max_retries=int(settings.get("retries", 3)),
            )
        )
        .concurrent_updates(ChatOrderedProcessor(int(settings.get("max_concurrent", 64))))
        .job_queue(None)
    )
    if settings.get("mode", "polling") == "webhook":
        builder = builder.updater(None)
    application = builder.build()
    application.add_handler(TypeHandler(Update, on_update))
    application.add_error_handler(on_error)
    return application


# `untyped` calls these through `Bot.do_api_request`, which warns that a typed method exists
UNTYPED = ("sendMessage", "editMessageReplyMarkup")
warnings.filterwarnings("ignore", category=PTBUserWarning,
                        message=rf"Please use 'Bot\.({'|'.join(UNTYPED)})'")


def untyped(bot: Bot, endpoint: str) -> Callable[..., Awaitable[Any]]:
    """``endpoint`` as a call whose answer stays the API's JSON (a dict, or True), with
    everything else of PTB's path (defaults, rate limiter, errors). For the calls the bot
    makes most, whose answer it reads one number of (``message_id``): building PTB's
    `Message` of each answer cost 0.19 of a 0.45 ms call (bench/bot_api_calls.py)."""
    if endpoint not in UNTYPED:
        raise ValueError(f"{endpoint} is not one of {UNTYPED}")

    async def call(**kwargs: Any) -> Any:
        return await bot.do_api_request(endpoint, api_kwargs=kwargs)

    return functools.update_wrapper(call, bot.do_api_request)


def retryable(exc: Exception) -> bool:
    """Timeouts and network errors; not a bad request (BadRequest is a NetworkError)."""
    return isinstance(exc, TimedOut | NetworkError) and not isinstance(exc, BadRequest)


async def call_with_retry(
    what: str,
    method: Callable[..., Awaitable[Any]],
    kwargs: dict[str, Any],
    retries: int,
    backoff: float,
) -> Any:
    """A Bot API call, tried again after ``backoff``, 2x, 4x... at most ``retries`` times."""
    for attempt in range(retries + 1):
        try:
            return await method(**kwargs)
        except (TimedOut, NetworkError) as exc:
            if not retryable(exc) or attempt == retries:
                raise
            delay = backoff * 2**attempt
            log.warning("telegram %s: %s; retry %d of %d in %.2f s", what,
                        type(exc).__name__, attempt + 1, retries, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


async def fetch_bot_username(settings: dict[str, Any]) -> str:
    """The bot's username from ``getMe``, with the configured token and base_url."""
    if not str(settings.get("token") or "").strip():
        raise ConfigError("telegram.token is empty: set TELEGRAM_BOT_TOKEN, or pass "
                          "--bot-username")
    async with _bot(settings) as bot:
        return bot.username


def _bot(settings: dict[str, Any]) -> Bot:
    """A bare `Bot` for one call, on the adapter's transport."""
    return Bot(str(settings["token"]), base_url=str(settings.get("base_url") or DEFAULT_BASE_URL),
               request=AiohttpRequest(1), get_updates_request=AiohttpRequest(1))
