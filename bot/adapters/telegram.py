"""Telegram: the engine's conversations on a python-telegram-bot (v22) `Application`.

The adapter composes an Application (never subclasses it) and hands it one handler for
every update. Updates arrive by long polling or by webhook (``POST /webhooks/telegram``,
served by `bot.server`); either way they go through the Application's update queue, so one
path handles both. Of several workers on one store, only the one that leads polls
(``leadership``, `bot.leader`); any worker takes webhooks. A webhook update is written to
the store's inbox (`bot.storage.inbox`, its raw body) before it is answered 200, and
marked done there once handled; `start()` queues again whatever a dead process left in the
inbox (Telegram does not deliver an update again after a 200).

Order and concurrency: updates of different chats run concurrently (up to
``max_concurrent``); updates of one chat run one at a time in the order Telegram sent them.
`ChatOrderedProcessor` (in telegram_setup) takes a per-chat FIFO lock (asyncio.Lock wakes
its waiters first come, first served) as the first thing each update's task does, before
anything can suspend, and tasks start in the order the updates were queued; the engine's
own per-user lock then sees them in that same order.

Duplicates: each Incoming carries ``u<update_id>``; the engine drops one it has seen.
Buttons: a press goes to the engine with the prompt of its menu, whatever message it is
on; the engine alone decides whether it still counts (bot/engine/presses.py): a notice's
claim button works for as long as the order can be claimed, a second "ya" places nothing.
Sending: `AIORateLimiter` paces outgoing calls and retries ``RetryAfter``; timeouts and
network errors are retried here with a bounded backoff. A failed send is logged by the app
and never stops the update loop. At most ``max_in_flight`` calls are on the wire at once
(`AiohttpRequest`); a press's answerCallbackQuery and its menu's ✓ mark go out beside the
engine's handling, never before the reply's turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import CallbackQuery, Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError, TimedOut

from bot.adapters.base import BaseAdapter
from bot.adapters.takeover import take_over_forever
from bot.adapters.telegram_parse import (
    CHANNEL,
    addressed_command,
    message_id,
    parse_message,
)
from bot.adapters.telegram_render import (
    CHOSEN,
    Labels,
    Outgoing,
    Pressed,
    chosen_keyboard,
    keyboard_labels,
    parse_callback,
    render,
    text_only,
)
from bot.adapters.telegram_setup import (
    PTB_LOGGERS,
    QuietApiErrors,
    build_application,
    call_with_retry,
    check_settings,
    check_token,
    describe,
    token_refused,
    untyped,
)
from bot.config import ConfigError
from bot.engine.presses import Press, judge
from bot.engine.turns import announcing, in_turn
from bot.json_input import json_object
from bot.leader import AlwaysLeader, Leadership
from bot.messages import Incoming, Option, Reply, split_key, user_key
from bot.storage.base import StoreError
from bot.storage.inbox import Delivery, Inbox

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
REMEMBERED_MENUS = 10_000  # menus with ``i:<index>`` buttons remembered, oldest forgotten
TURN_WAIT = 20.0  # seconds a webhook update waits for its chat's turn before a 503

# A coordinators' group chat (issue 7) plugs in here: set `TelegramAdapter.group_handler`.
# It is called with each group message, or pressed ``c:<id>`` button, as an Incoming whose
# user is the group's chat id (replies to "telegram:<group id>" go to the group), and the
# sender's user key; it returns True when it handled a message.
GroupHandler = Callable[[Incoming, str], Awaitable[bool]]



class TelegramAdapter(BaseAdapter):
    name = CHANNEL

    def __init__(self, app: Any, settings: dict[str, Any]) -> None:
        check_settings(settings)
        self.app = app
        self.settings = settings
        self.mode: str = settings.get("mode", "polling")
        self.retries = int(settings.get("retries", 3))
        self.backoff = float(settings.get("retry_backoff", 0.5))
        self._secret = str(settings.get("secret_token") or "").encode()
        self.group_handler: GroupHandler | None = None
        # (chat, message) -> options of a menu whose buttons carry indexes (long ids)
        self._menus: OrderedDict[tuple[int, int], tuple[Option, ...]] = OrderedDict()
        self._keyboards: set[int] = set()  # chats with a location/contact keyboard showing
        self._token = str(settings["token"])
        self._quiet = QuietApiErrors(self._token)
        self.reconnect_max = float(settings.get("reconnect_max", 60))
        # mark a pressed question's menu "✓ choice" (one editMessageReplyMarkup per press; off:
        # the buttons stay and a press on them is refused by the engine, one call fewer)
        self.mark_pressed = bool(settings.get("mark_pressed", True))
        # "typing..." for a reply that takes longer than this (seconds; 0: never)
        self.typing_after = float(settings.get("typing_after", 0.5) or 0)
        self._typing: dict[int, asyncio.TimerHandle] = {}  # chat -> its pending "typing..."
        self._connecting: asyncio.Task[None] | None = None  # reaching the Bot API again
        # polling among several workers: only the one that leads polls (`bot.leader`);
        # `serve` hands in the store's leadership, named after the bot (its id, public)
        self.leadership: Leadership = AlwaysLeader()
        self.lead_name = f"telegram polling {self._token.split(':', 1)[0]}"
        self._leading: asyncio.Task[None] | None = None  # polling while leading
        self._taking_over: asyncio.Task[None] | None = None  # a dead worker's updates
        self._inbox: Inbox | None = None
        self._inboxed: dict[int, list[int]] = {}  # update_id -> its inbox entries not done
        self._replayed: set[int] = set()  # update_ids handed over again from the inbox
        self._turns: dict[int, list[asyncio.Future[None]]] = {}  # webhook updates' turns
        self._asides: set[asyncio.Task[None]] = set()  # calls nothing waits for (_aside)
        self.application = build_application(settings, self._on_update, self._on_error)
        # the calls made most, answered as the API's JSON (no PTB Message built of each)
        self._send_message = untyped(self.application.bot, "sendMessage")
        self._edit_reply_markup = untyped(self.application.bot, "editMessageReplyMarkup")

    # -- lifecycle ------------------------------------------------------------------
    async def preflight(self) -> None:
        await check_token(self.settings)

    async def start(self) -> None:
        """Reach the Bot API (getMe checks the token), then poll or set the webhook. A
        refused token is a ConfigError; an API that cannot be reached (no network, DNS,
        refused, 5xx) is said in one line and tried again in the background, the wait
        doubling up to ``reconnect_max`` seconds, while the server runs."""
        for name in PTB_LOGGERS:
            logging.getLogger(name).addFilter(self._quiet)
        try:
            await self._connect()
        except InvalidToken as error:
            raise ConfigError(token_refused(error)) from None
        except (NetworkError, TimedOut) as error:
            self._unreachable(error, self.backoff)
            self._connecting = asyncio.create_task(self._keep_connecting(self.backoff))

    async def _connect(self) -> None:
        """Each step once; a step already done is not done again by a later attempt."""
        bot = self.application.bot
        await self.application.initialize()  # getMe; nothing once it has succeeded
        url = str(self.settings.get("webhook_url") or "").rstrip("/") + WEBHOOK_PATH
        if self.mode == "webhook":
            try:
                await bot.set_webhook(url, secret_token=self._secret.decode(),
                                      allowed_updates=ALLOWED_UPDATES)
            except BadRequest as error:
                raise ConfigError(f"telegram.webhook_url {url} was refused by the Bot API "
                                  f"({describe(error)})") from None
        if not self.application.running:
            await self.application.start()
            await self._requeue()
        if self.mode == "webhook":
            log.info("telegram: @%s receives updates by webhook at %s", bot.username, url)
            return
        if self.leadership.always:  # the only process on the store
            await self._start_polling()
        elif self._leading is None:  # one of several workers: polls while it leads
            self._leading = asyncio.create_task(self._lead())

    async def _start_polling(self) -> None:
        assert self.application.updater is not None
        await self.application.updater.start_polling(
            timeout=int(self.settings.get("poll_timeout", 30)),
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=0,  # failures come back here: one line each, and our backoff
            drop_pending_updates=False,
            error_callback=self._polling_failed,
        )
        log.info("telegram: @%s polling %s", self.application.bot.username, self._api_host())

    async def _lead(self) -> None:
        """Poll while this worker leads (`bot.leader`): the lead is tried for, or
        confirmed, every ``leadership.every`` seconds; polling starts once it is ours and
        stops as soon as it is not. A start that fails is tried again after a wait that
        doubles up to ``reconnect_max``."""
        updater = self.application.updater
        assert updater is not None
        said_follower = False
        retry_at, delay = 0.0, self.backoff
        loop = asyncio.get_running_loop()
        while True:
            leads = await self.leadership.check()
            if leads and not updater.running and loop.time() >= retry_at:
                try:
                    await self._start_polling()
                    log.info("telegram: this worker leads: it polls for every worker")
                    said_follower, delay = False, self.backoff
                except TelegramError as error:
                    self._unreachable(error, delay)
                    retry_at, delay = loop.time() + delay, min(delay * 2, self.reconnect_max)
            elif not leads and updater.running:
                log.warning("telegram: this worker no longer leads: its polling stops")
                await self._stop_polling()
            elif not leads and not said_follower:
                log.info("telegram: another worker polls; this one takes over if it stops")
                said_follower = True
            await asyncio.sleep(self.leadership.every)

    async def _stop_polling(self) -> None:
        updater = self.application.updater
        if updater is not None and updater.running:
            try:
                await updater.stop()
            except TelegramError as error:  # what ended the polling (a revoked token)
                log.warning("telegram: polling had stopped (%s)", describe(error, self._token))

    async def _keep_connecting(self, delay: float) -> None:
        while True:
            await asyncio.sleep(delay)
            try:
                await self._connect()
                return
            except InvalidToken as error:
                log.error("%s; Telegram is off until the bot is restarted",
                          token_refused(error))
                return
            except ConfigError as error:
                log.error("%s; Telegram is off until the bot is restarted", error)
                return
            except (NetworkError, TimedOut) as error:
                delay = min(delay * 2, self.reconnect_max)
                self._unreachable(error, delay)
            except Exception:  # not the network's doing: a bug, with its traceback, once
                log.exception("telegram: connecting to the Bot API failed; Telegram is off "
                              "until the bot is restarted")
                return

    def _unreachable(self, error: Exception, delay: float) -> None:
        log.warning("telegram: the Bot API at %s is not available (%s); trying again in "
                    "%g s", self._api_host(), describe(error, self._token), delay)

    def _polling_failed(self, error: TelegramError) -> None:
        """Called by python-telegram-bot once per failed poll; it waits longer after each
        (up to 30 s) before the next."""
        log.warning("telegram: polling the Bot API at %s failed (%s); trying again",
                    self._api_host(), describe(error, self._token))

    async def stop(self) -> None:
        """Stop fetching, let every update in hand finish, close the HTTP clients."""
        for task in (self._connecting, self._leading, self._taking_over):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._stop_polling()
        await self.leadership.release()  # after the last poll: another worker takes over
        if self.application.running:
            await self.application.stop()  # waits for queued and running updates
        idle = getattr(self.app, "idle", None)  # their replies, on the App's sender
        if idle is not None and not await idle(30.0):
            log.warning("telegram: replies still going out at shutdown (sent after restart)")
        while self._asides:  # answers and menu marks still going out
            await asyncio.gather(*self._asides, return_exceptions=True)
        await self.application.shutdown()
        for name in PTB_LOGGERS:
            logging.getLogger(name).removeFilter(self._quiet)
        log.info("telegram: stopped")

    def _api_host(self) -> str:
        base = str(self.settings.get("base_url") or "")
        return base.split("/bot", 1)[0] or base

    # -- webhook --------------------------------------------------------------------
    def routes(self) -> list[Any]:
        if self.mode != "webhook":
            return []
        return [Route(WEBHOOK_PATH, self._webhook, methods=["POST"])]

    def secret_ok(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(str(given).encode(), self._secret)

    async def _webhook(self, request: Request) -> Response:
        if not self.secret_ok(request.headers.get(SECRET_HEADER)):
            log.warning("telegram webhook: a request without the right secret token refused")
            return Response(status_code=403)
        if not self.application.running:
            return Response(status_code=503)  # Telegram delivers it again later
        body = await request.body()
        try:
            update = Update.de_json(json_object(body), self.application.bot)
        except Exception:
            log.warning("telegram webhook: a body that is not an update refused")
            return Response(status_code=400)
        inbox = self.inbox()
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._turns.setdefault(update.update_id, []).append(turn)
        try:
            self._inboxed.setdefault(update.update_id, []).append(
                inbox.add(body, [key] if (key := conversation(update)) else []))
            await self.application.update_queue.put(update)
            await inbox.sync()  # on disk before the 200: a crash now loses nothing
        except StoreError:
            log.exception("telegram webhook: the inbox could not be written; answered 500")
            return Response(status_code=500)  # Telegram delivers it again later
        # on a store shared by several workers: answered once it holds its chat, so the
        # chat's next update is handled after it wherever it arrives (bot/engine/turns.py)
        if self.app.store.shared and not await in_turn([turn], TURN_WAIT):
            log.warning("telegram webhook: update %s did not get its chat's turn in %g s; "
                        "answered 503", update.update_id, TURN_WAIT)
            return Response(status_code=503)  # kept in the inbox: handled once all the same
        return JSONResponse({"ok": True})

    def inbox(self) -> Inbox:
        """The store's Telegram inbox: webhook updates answered 200 and not yet handled."""
        if self._inbox is None:
            self._inbox = self.app.store.inbox(CHANNEL)
        return self._inbox

    async def _requeue(self) -> None:
        """Queue, in arrival order, the webhook updates a dead process left unhandled;
        on a shared store, look for a dead worker's every few seconds from then on."""
        left = self.inbox().pending()
        await self._queue_left(left)
        if left:
            log.info("telegram: handling %d update(s) left in the inbox", len(left))
        if self.app.store.shared and self._taking_over is None:
            self._taking_over = asyncio.create_task(
                take_over_forever(self.inbox, self._queue_left, CHANNEL))

    async def _queue_left(self, left: list[Delivery]) -> None:
        inbox = self.inbox()
        for delivery in left:
            try:
                update = Update.de_json(json_object(delivery.body), self.application.bot)
            except Exception:
                log.error("telegram: inbox entry %d is not an update; dropped", delivery.number)
                inbox.done(delivery.number)
                continue
            self._inboxed.setdefault(update.update_id, []).append(delivery.number)
            self._replayed.add(update.update_id)
            await self.application.update_queue.put(update)

    # -- incoming -------------------------------------------------------------------
    async def _on_update(self, update: Update, context: Any) -> None:
        """Every update; a webhook update's inbox entry is done once it was handled
        (after a failure too: handling it again would fail again at every start). One
        handed over again from the inbox that was handled before the crash is skipped:
        its replies were queued in the outbox with it (the App's sender sends them).
        A webhook update's turn is set once the engine holds its chat (its webhook
        waits for that on a shared store: `bot.engine.turns`)."""
        turns = self._turns.get(update.update_id)
        turn = turns.pop(0) if turns else None
        if turns == []:
            del self._turns[update.update_id]
        try:
            with announcing(turn) if turn is not None else contextlib.nullcontext():
                async with self._in_order(update):
                    if not self._answered_before(update):
                        await self._handle_update(update)
        finally:
            entries = self._inboxed.get(update.update_id)
            if entries:
                self.inbox().done(entries.pop(0))
                if not entries:
                    del self._inboxed[update.update_id]

    @contextlib.asynccontextmanager
    async def _in_order(self, update: Update) -> AsyncIterator[None]:
        """On a shared store, a webhook update of a private chat is handled holding its
        conversation, after that chat's older updates still in the inbox, whichever
        worker has them (one killed between its 200 and its commit left one); those
        handled already are skipped by their ids."""
        entries = self._inboxed.get(update.update_id)
        key = conversation(update)
        if not (entries and key and self.app.store.shared):
            yield
            return
        async with self.app.store.unit(key):  # the engine's own unit joins this one
            for delivery in self.inbox().before(key, entries[0]):
                try:
                    older = Update.de_json(json_object(delivery.body), self.application.bot)
                except Exception:
                    continue  # not an update: its worker (or the taker) drops it
                if older is None or older.update_id == update.update_id:
                    continue
                if not self.app.store.seen_message(CHANNEL, message_id(older.update_id)):
                    try:  # its own worker (or the taker) tries it again if it failed
                        await self._handle_update(older)
                    except Exception:
                        log.exception("telegram: handling an earlier update failed")
            yield

    def _answered_before(self, update: Update) -> bool:
        """A replayed update handled before the crash (True): nothing to do again."""
        if update.update_id not in self._replayed:
            return False
        self._replayed.discard(update.update_id)
        seen = message_id(update.update_id)
        return self.app.store.seen_message(CHANNEL, seen)

    async def _handle_update(self, update: Update) -> None:
        if update.callback_query is not None:
            await self._on_callback(update.callback_query, update.update_id)
            return
        if update.edited_message is not None:
            log.debug("telegram: edited message in update %s ignored", update.update_id)
            return
        message = update.message
        if message is None:
            log.debug("telegram: update %s has nothing we handle", update.update_id)
            return
        if message.chat.type != "private":
            await self._on_group(update)
            return
        incoming = parse_message(message, update.update_id)
        if incoming is None:
            log.debug("telegram: service message in update %s ignored", update.update_id)
            return
        await self._receive(incoming, message.chat.id)

    async def _on_group(self, update: Update) -> None:
        """Residents order in private chats. In a group the bot answers only a command
        addressed to it by name, pointing to the private chat. Coordinators' groups are
        issue 7's: it sets `group_handler`, which sees every group message first."""
        message = update.message
        assert message is not None
        if self.group_handler is not None:
            incoming = parse_message(message, update.update_id)
            sender = message.from_user
            if (
                incoming is not None
                and sender is not None
                and await self.group_handler(incoming, user_key(CHANNEL, str(sender.id)))
            ):
                return
        if addressed_command(message, self.application.bot.username or "") is None:
            log.debug("telegram: group message in update %s ignored", update.update_id)
            return
        text = self.app.i18n.t(None, "tg.group_private", bot=self.application.bot.username)
        await self._call("sendMessage", self.application.bot.send_message,
                         chat_id=message.chat.id, text=text)

    async def _on_callback(self, query: CallbackQuery, update_id: int) -> None:
        """A pressed inline button goes to the engine with its menu's prompt, whatever
        message it is on: the engine decides whether it still counts (a notice's claim
        button while the order can be claimed; never a second "ya"). A question's menu is
        then marked with the choice; a notice keeps its buttons."""
        message = query.message
        chat = message.chat if message is not None else None
        data = parse_callback(query.data)
        if message is None or chat is None or data is None or data.kind == CHOSEN:
            await self._answer(query)
            return
        if chat.type != "private":
            await self._answer(query)
            sender = query.from_user
            if self.group_handler is not None and data.kind == "c" and sender is not None:
                await self.group_handler(Incoming(
                    channel=CHANNEL, user=str(chat.id), choice=data.value, prompt=data.prompt,
                    message_id=message_id(update_id), profile_name=sender.first_name,
                ), user_key(CHANNEL, str(sender.id)))
            return
        choice = self._resolve(data, (chat.id, message.message_id))
        if choice is None:  # an index into a menu sent before a restart: we cannot read it
            lang = self.app.engine.language_of(user_key(CHANNEL, str(chat.id)))
            await self._answer(query, self.app.i18n.t(lang, "tg.button_expired"))
            await self._edit_markup(chat.id, message.message_id, None)
            return
        # the answer and the menu's mark go out while the engine handles the press: the
        # reply waits for neither (they take their place in the calls in flight first)
        self._aside(self._answer(query))
        sender = query.from_user
        incoming = Incoming(
            channel=CHANNEL, user=str(chat.id), choice=choice, prompt=data.prompt,
            message_id=message_id(update_id),
            profile_name=sender.first_name if sender else None,
        )
        # a question's menu is marked with the choice, unless the press does not count
        # (the engine says why); a notice keeps its buttons
        if (self.mark_pressed and data.prompt is not None
                and judge(self.app.engine, incoming) is not Press.STALE):
            label = keyboard_labels(message.reply_markup).get(query.data or "", choice)
            self._aside(self._edit_markup(chat.id, message.message_id, chosen_keyboard(label)))
        await self._receive(incoming, chat.id)

    async def _receive(self, incoming: Incoming, chat_id: int) -> None:
        """`App.receive`, with "typing..." shown in the chat if no reply has started after
        ``typing_after`` seconds (renewed every 4 s, as Telegram shows it for 5)."""
        if self.typing_after > 0:
            self._schedule_typing(chat_id, self.typing_after)
        try:
            await self.app.receive(incoming)
        finally:
            self._stop_typing(chat_id)

    def _schedule_typing(self, chat_id: int, delay: float) -> None:
        loop = asyncio.get_running_loop()
        self._typing[chat_id] = loop.call_later(delay, self._typing_due, chat_id)

    def _typing_due(self, chat_id: int) -> None:
        if chat_id not in self._typing:
            return
        self._aside(self._chat_action(chat_id))
        self._schedule_typing(chat_id, 4.0)

    def _stop_typing(self, chat_id: int) -> None:
        handle = self._typing.pop(chat_id, None)
        if handle is not None:
            handle.cancel()

    async def _chat_action(self, chat_id: int) -> None:
        """One ``sendChatAction typing``, no retries: late is as good as never."""
        try:
            await self.application.bot.send_chat_action(chat_id=chat_id, action="typing")
        except TelegramError as exc:
            log.debug("telegram sendChatAction failed: %s", type(exc).__name__)

    def _aside(self, call: Coroutine[Any, Any, None]) -> None:
        """A call that nothing waits for (it logs its own failure); `stop` lets it end."""
        task = asyncio.create_task(call)
        self._asides.add(task)
        task.add_done_callback(self._asides.discard)

    def _resolve(self, data: Pressed, pressed: tuple[int, int]) -> str | None:
        """The option id a button stands for; None for an index into a menu we do not know
        (sent before a restart)."""
        if data.kind == "c":
            return data.value
        options = self._menus.get(pressed, ())
        return options[int(data.value)].id if int(data.value) < len(options) else None

    async def _on_error(self, update: object, context: Any) -> None:
        where = update.update_id if isinstance(update, Update) else "-"
        if isinstance(context.error, TelegramError):  # the API's answer says it all
            log.error("telegram: handling update %s failed (%s)", where,
                      describe(context.error, self._token))
            return
        log.error("telegram: handling update %s failed", where, exc_info=context.error)

    # -- outgoing -------------------------------------------------------------------
    def _labels(self, to: str) -> Labels:
        lang = self.app.engine.language_of(to)
        t = self.app.i18n.t
        return Labels(t(lang, "tg.share_location"), t(lang, "tg.share_contact"),
                      t(lang, "tg.choose"))

    async def send(self, reply: Reply) -> bool:
        """False when the Bot API refused it or could not be reached (logged)."""
        channel, user = split_key(reply.to)
        if channel != CHANNEL:
            raise ValueError(f"not a telegram user: {channel}")
        chat_id = int(user)
        self._stop_typing(chat_id)  # the reply itself ends "typing..."
        outgoing = render(reply, chat_id, keyboard_showing=chat_id in self._keyboards,
                          labels=self._labels(reply.to))
        for item in outgoing:
            try:
                sent = await self._send_one(item, reply, chat_id)
            except TelegramError as error:  # retried already: the API's answer says it all
                log.error("telegram: a reply was not sent (%s)", describe(error, self._token))
                return False
            if sent is None:
                continue
            if item.reply_keyboard is True:
                self._keyboards.add(chat_id)
            elif item.reply_keyboard is False:
                self._keyboards.discard(chat_id)
            if item.menu and _indexed(item):
                self._remember(self._menus, (chat_id, sent), item.menu)
        return True

    async def _send_one(self, item: Outgoing, reply: Reply, chat_id: int) -> int | None:
        """The message_id of what was sent (the last part, if several); None: nothing."""
        if item.method != "sendPhoto":
            return int((await self._call("sendMessage", self._send_message,
                                         **item.kwargs))["message_id"])
        try:
            sent = await self._call("sendPhoto", self.application.bot.send_photo,
                                    **item.kwargs)
            return int(sent.message_id)
        except BadRequest as exc:  # not a file_id of this bot (say, a WhatsApp picture)
            log.info("telegram sendPhoto refused (%s): sending the caption alone", exc.message)
            if "caption" not in item.kwargs:
                return None  # the text follows in its own messages
            message = None
            for text in text_only(reply, chat_id):
                message = await self._call("sendMessage", self._send_message, **text.kwargs)
            return int(message["message_id"]) if message else None

    async def _call(self, what: str, method: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
        return await call_with_retry(what, method, kwargs, self.retries, self.backoff)

    async def _answer(self, query: CallbackQuery, text: str | None = None) -> None:
        try:
            await self._call("answerCallbackQuery", query.answer, text=text)
        except TelegramError as exc:
            log.info("telegram answerCallbackQuery failed: %s", type(exc).__name__)

    async def _edit_markup(self, chat_id: int, message: int, markup: Any) -> None:
        try:
            await self._call("editMessageReplyMarkup", self._edit_reply_markup,
                             chat_id=chat_id, message_id=message, reply_markup=markup)
        except TelegramError as exc:  # e.g. "message is not modified", or too old to edit
            log.info("telegram editMessageReplyMarkup failed: %s", type(exc).__name__)

    @staticmethod
    def _remember(table: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > REMEMBERED_MENUS:
            table.popitem(last=False)


def _indexed(item: Outgoing) -> bool:
    """Some button of this message names its option by index (the id was too long)."""
    rows = getattr(item.kwargs.get("reply_markup"), "inline_keyboard", None) or ()
    return any(str(b.callback_data).startswith("i:") for row in rows for b in row)


def conversation(update: Update) -> str | None:
    """The conversation key of a private chat's update (None: a group's, or no chat)."""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return None
    return user_key(CHANNEL, str(chat.id))
