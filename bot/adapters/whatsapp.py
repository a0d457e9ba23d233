"""WhatsApp over the Cloud API: the webhook routes, message handling and sending.

- ``GET /webhooks/whatsapp``: Meta's verify handshake (``hub.verify_token`` -> ``hub.challenge``).
- ``POST /webhooks/whatsapp``: checked against ``X-Hub-Signature-256`` (403 and nothing
  handled when it is missing or wrong), parsed (`whatsapp_parse`). A body with work in it
  (messages, a failed status) is written to the store's inbox (`bot.storage.inbox`) and
  answered 200 only once it is on disk (500 if it cannot be written: Meta delivers it
  again); it is marked done there when handled, and `start()` handles again whatever a
  dead process left in the inbox. On a store shared by several workers the 200 also
  waits until each of its messages holds its conversation (`bot.engine.turns`), so a
  conversation's messages are handled in the order they were answered, whichever worker
  got them; the inbox row names its conversations, a message is handled holding its
  conversation after that conversation's older rows not done (a worker killed between
  its 200 and its commit leaves one: `Inbox.before`), and every worker takes over a
  dead one's rows within seconds (`Inbox.take_over`). The inbox keeps the raw body,
  parsed again after a restart, so the platform JSON stays in these modules and status
  events come back too.
  Each message is handled in a background task; one user's tasks run one after another in
  arrival order, different users in parallel; `stop()` waits for them. Message ids are
  remembered by the engine in the store, so a retried delivery, or one handled again from
  the inbox, is handled once.
- `send()`: renders a reply (`whatsapp_render`) and posts it (`whatsapp_send`). A user
  outside the 24-hour window (131047) is recorded (`whatsapp_window`); what we send them
  waits until they write again, and a configured template (``whatsapp.template_name``)
  tells them something is waiting.

Platform JSON lives in these ``whatsapp*`` modules and nowhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.adapters.base import BaseAdapter
from bot.adapters.takeover import take_over_forever
from bot.adapters.whatsapp_parse import (
    CHANNEL,
    Parsed,
    StatusEvent,
    parse_payload,
    valid_signature,
)
from bot.adapters.whatsapp_render import (
    Translate,
    check_limits,
    is_paged,
    menu_token,
    page_request,
    read_body,
    render,
    render_menu,
    template_body,
)
from bot.adapters.whatsapp_send import (
    OUTSIDE_WINDOW,
    RETRY_DELAYS,
    GraphSender,
    new_session,
)
from bot.adapters.whatsapp_window import WINDOW, WindowBook
from bot.config import ConfigError
from bot.engine.turns import announcing, in_turn
from bot.json_input import BadJSON, json_object
from bot.links import whatsapp_link  # noqa: F401  (re-exported: the adapter's link format)
from bot.messages import Incoming, Menu, Reply, Template, Text, split_key, user_key
from bot.privacy import message_ref, who
from bot.storage.base import StoreError
from bot.storage.inbox import Delivery, Inbox

log = logging.getLogger(__name__)


def _who(user: str) -> str:
    """How a log line names the WhatsApp user ``user`` (digits): a pseudonym."""
    return who(user_key(CHANNEL, user))


WEBHOOK_PATH = "/webhooks/whatsapp"
REQUIRED = ("access_token", "phone_number_id", "app_secret", "verify_token")
REMEMBER_SENT = 2000  # recent sends kept to hold one again if its status says 131047
TURN_WAIT = 20.0  # seconds a delivery waits for its conversation's turn before a 503


class WhatsAppAdapter(BaseAdapter):
    name = CHANNEL

    def __init__(
        self,
        app: Any,
        settings: dict[str, Any],
        *,
        session: aiohttp.ClientSession | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        stop_timeout: float = 30.0,
    ) -> None:
        missing = [k for k in REQUIRED if not str(settings.get(k) or "").strip()]
        if missing:
            names = ", ".join(f"whatsapp.{k} (WHATSAPP_{k.upper()})" for k in missing)
            raise ConfigError(f"WhatsApp is enabled but these settings are empty: {names}")
        self.app = app
        self.settings = dict(settings)
        self.phone_number_id = str(settings["phone_number_id"])
        self.app_secret = str(settings["app_secret"])
        self.verify_token = str(settings["verify_token"])
        self.template_name = str(settings.get("template_name") or "")
        self.template_language = str(settings.get("template_language") or "id")
        self.retry_delays = tuple(retry_delays)
        self.stop_timeout = stop_timeout
        self.turn_wait = TURN_WAIT
        self.window = WindowBook(app.store)
        # mark each message read and show "typing..." while its reply is prepared
        self.presence = bool(settings.get("presence", True))
        self._receipts: set[asyncio.Task[None]] = set()  # read receipts in flight
        # the Graph API transport: given (then the giver closes it), or made by `sender()`
        # in the running loop and closed by `stop()`
        self._session = session
        self._own_session = session is None
        self._sender: GraphSender | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._menus: dict[str, Menu] = {}  # the last paged menu shown to each user
        self._sent: OrderedDict[str, tuple[str, Reply]] = OrderedDict()
        self._inbox: Inbox | None = None
        self._unfinished: dict[int, int] = {}  # inbox entry -> its works not yet done
        self._taking_over: asyncio.Task[None] | None = None  # a dead worker's deliveries

    # -- lifecycle ----------------------------------------------------------------------
    def routes(self) -> list[Any]:
        return [Route(WEBHOOK_PATH, self.verify, methods=["GET"]),
                Route(WEBHOOK_PATH, self.webhook, methods=["POST"])]

    async def start(self) -> None:
        self.sender()
        left = self.inbox().pending()
        for delivery in left:  # answered 200 by a process that died before handling it
            self._take(self._parse(delivery.body), delivery.number, replay=True)
        if left:
            log.info("whatsapp: handling %d delivery(ies) left in the inbox", len(left))
        if self.app.store.shared and self._taking_over is None:
            self._taking_over = asyncio.create_task(
                take_over_forever(self.inbox, self._take_left, "whatsapp"))

    async def _take_left(self, left: list[Delivery]) -> None:
        for delivery in left:  # answered 200 by a worker that died before handling it
            self._take(self._parse(delivery.body), delivery.number, replay=True)

    async def stop(self) -> None:
        """Wait for the messages in hand (their replies included), then close."""
        if self._taking_over is not None:
            self._taking_over.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._taking_over
            self._taking_over = None
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=self.stop_timeout)
            if pending:
                log.warning("whatsapp: %d messages still in hand at shutdown", len(pending))
        if self._receipts:
            await asyncio.wait(set(self._receipts), timeout=5)
        await self._replies_out(self.stop_timeout)
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session, self._sender = None, None

    def inbox(self) -> Inbox:
        """The store's WhatsApp inbox: deliveries answered 200 and not yet handled."""
        if self._inbox is None:
            self._inbox = self.app.store.inbox(CHANNEL)
        return self._inbox

    def sender(self) -> GraphSender:
        """The Graph API sender; made on first use (in `start()`), with its own aiohttp
        session unless one was given, as aiohttp wants it made in the running loop."""
        if self._sender is None:
            if self._session is None:
                self._session = new_session()
            self._sender = GraphSender(
                self._session, str(self.settings.get("api_base_url") or ""),
                self.phone_number_id, str(self.settings["access_token"]),
                retry_delays=self.retry_delays)
        return self._sender

    async def idle(self) -> None:
        """Wait until every message received so far is handled and its replies are out
        (tests, shutdown)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))
        await self._replies_out()

    async def _replies_out(self, timeout: float | None = None) -> None:
        """Wait for the App's sender to send what it was handed (bot/delivery.py)."""
        idle = getattr(self.app, "idle", None)
        if idle is not None and not await idle(timeout):
            log.warning("whatsapp: replies still going out at shutdown (sent after restart)")

    def away(self, user: str, last_seen: float) -> bool:
        """Outside the 24-hour window: recorded so (a send failed with 131047), or the
        user's last message (``last_seen``, epoch seconds) is older than the window."""
        return self.window.is_closed(user) or self._now() - last_seen > WINDOW

    def _mark_read(self, msg: Incoming) -> None:
        """Blue ticks and "typing..." for ``msg`` (``whatsapp.presence``): a post of its
        own that nothing waits for, so it can neither delay nor fail the reply."""
        if not self.presence or not msg.message_id:
            return
        task = asyncio.create_task(self._post_receipt(msg.message_id))
        self._receipts.add(task)
        task.add_done_callback(self._receipts.discard)

    async def _post_receipt(self, message_id: str) -> None:
        try:
            result = await self.sender().post_once(read_body(message_id))
        except Exception as exc:  # a receipt is a courtesy: never more than a log line
            log.debug("whatsapp: read receipt not sent (%s)", type(exc).__name__)
            return
        if not result.ok:
            log.debug("whatsapp: read receipt refused: code %s, HTTP %s", result.code,
                      result.status)

    # -- webhook ------------------------------------------------------------------------
    async def verify(self, request: Request) -> Response:
        query = request.query_params
        token = query.get("hub.verify_token", "")
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(
                token.encode("utf-8"), self.verify_token.encode("utf-8")):
            return PlainTextResponse(query.get("hub.challenge", ""))
        log.warning("whatsapp: webhook verification refused")
        return PlainTextResponse("forbidden", status_code=403)

    async def webhook(self, request: Request) -> Response:
        body = await request.body()  # capped while it streams in (`bot.body_limit`)
        if not valid_signature(self.app_secret, body, request.headers.get("x-hub-signature-256")):
            log.warning("whatsapp: webhook POST with a missing or wrong signature refused")
            return PlainTextResponse("forbidden", status_code=403)
        try:
            payload = json_object(body)
        except BadJSON as exc:  # too deep, NaN, not UTF-8, not an object...
            log.warning("whatsapp: a signed webhook body refused: %s", exc)
            return PlainTextResponse("not JSON", status_code=400)
        parsed = parse_payload(payload, self.phone_number_id)
        for problem in parsed.problems:
            log.info("whatsapp webhook: %s", problem)
        if not self._works(parsed):
            self._take(parsed, None)  # statuses only: logged, nothing to keep
            return PlainTextResponse("ok")
        inbox = self.inbox()
        try:
            number = inbox.add(body, conversations(parsed))
            turns = self._take(parsed, number)  # queued in arrival order; may start first
            await inbox.sync()
        except StoreError:
            log.exception("whatsapp: the inbox could not be written; answered 500")
            return PlainTextResponse("not stored", status_code=500)
        # on a store shared by several workers: answered once each message holds its
        # conversation, so the next one is handled after it wherever it arrives
        if self.app.store.shared and not await in_turn(turns, self.turn_wait):
            log.warning("whatsapp: a delivery did not get its conversation's turn in %g s; "
                        "answered 503", self.turn_wait)  # kept: handled once all the same
            return PlainTextResponse("busy", status_code=503)
        return PlainTextResponse("ok")

    def _parse(self, body: bytes) -> Parsed:
        try:
            payload = json_object(body)
        except BadJSON:
            payload = None  # cannot happen: only bodies read by json_object are kept
        return parse_payload(payload, self.phone_number_id)

    @staticmethod
    def _works(parsed: Parsed) -> int:
        """How many tasks ``parsed`` makes: its messages and its window-closing statuses."""
        return len(parsed.messages) + sum(
            1 for e in parsed.statuses if e.status == "failed" and OUTSIDE_WINDOW in e.codes)

    def _take(self, parsed: Parsed, number: int | None, *,
              replay: bool = False) -> list[asyncio.Future[None]]:
        """Queue the work of one delivery; inbox entry ``number`` is done after all of it.
        ``replay``: handed over again from the inbox after a restart. Returns, per message,
        its turn: set once its handling holds the conversation (`bot.engine.turns`)."""
        turns: list[asyncio.Future[None]] = []
        if number is not None:
            self._unfinished[number] = self._works(parsed)
            if not self._unfinished[number]:
                self._unfinished[number] = 1
                self._done(number)
        for event in parsed.statuses:
            self._status(event, number)
        for msg in parsed.messages:
            turn = asyncio.get_running_loop().create_future()
            turns.append(turn)
            self._enqueue(msg.user,
                          lambda m=msg, t=turn: self._take_turn(m, replay, t, number), number)
        return turns

    async def _take_turn(self, msg: Incoming, replay: bool, turn: asyncio.Future[None],
                         number: int | None) -> None:
        with announcing(turn):  # set when the engine holds the conversation
            if number is not None and self.app.store.shared:
                await self._in_order(msg, replay, number)
            else:
                await self._handle(msg, replay)

    async def _in_order(self, msg: Incoming, replay: bool, number: int) -> None:
        """On a shared store: handle ``msg`` holding its conversation, after the messages
        of that conversation in older deliveries not done yet, whichever worker has them
        (one killed after its 200 and before its commit left one): skipped by their ids
        if handled already, so each is handled once and in the order it was answered."""
        key = user_key(CHANNEL, msg.user)
        async with self.app.store.unit(key):  # the engine's own unit joins this one
            for delivery in self.inbox().before(key, number):
                for older in self._parse(delivery.body).messages:
                    if older.user == msg.user and older.message_id != msg.message_id:
                        try:  # its own worker (or the taker) tries it again if it failed
                            await self._handle(older, replay=True)
                        except Exception:
                            log.exception("whatsapp: handling an earlier message failed")
            await self._handle(msg, replay)

    def _enqueue(self, user: str, work: Callable[[], Awaitable[None]],
                 number: int | None = None) -> None:
        previous = self._tails.get(user)
        task = asyncio.create_task(self._after(previous, work, number))
        self._tasks.add(task)
        self._tails[user] = task
        task.add_done_callback(lambda t, u=user: self._finished(u, t))

    async def _after(self, previous: asyncio.Task[None] | None,
                     work: Callable[[], Awaitable[None]], number: int | None) -> None:
        if previous is not None:
            await asyncio.wait({previous})
        try:
            await work()
        except Exception:
            log.exception("whatsapp: handling an update failed")
        # done after a failure too: handling it again would fail again at every start
        self._done(number)

    def _done(self, number: int | None) -> None:
        if number is None or number not in self._unfinished:
            return
        self._unfinished[number] -= 1
        if self._unfinished[number] <= 0:
            del self._unfinished[number]
            self.inbox().done(number)

    def _finished(self, user: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._tails.get(user) is task:
            del self._tails[user]

    def _status(self, event: StatusEvent, number: int | None = None) -> None:
        if event.status != "failed":
            log.debug("whatsapp: message %s to %s %s", message_ref(event.message_id),
                      _who(event.user),
                      event.status)
            return
        log.warning("whatsapp: message %s to %s failed: %s", message_ref(event.message_id),
                    _who(event.user),
                    "; ".join(f"{code} {title}" for code, title in event.errors) or "no reason")
        if OUTSIDE_WINDOW in event.codes:
            self._enqueue(event.user, lambda: self._outside_window(event), number)

    async def _outside_window(self, event: StatusEvent) -> None:
        self.window.close(event.user, self._now())
        sent = self._sent.pop(event.message_id, None)
        if sent is not None:
            await self._hold(event.user, sent[1])
        else:
            await self.app.store.flush()

    # -- handling one message -------------------------------------------------------------
    async def _handle(self, msg: Incoming, replay: bool = False) -> None:
        store = self.app.store
        if msg.message_id and store.seen_message(CHANNEL, msg.message_id):
            # handled already (before a crash, if ``replay``): its replies were queued in
            # the outbox with it, and what did not go out is sent by the App's sender
            log.info("whatsapp: %s message %s skipped", "handled" if replay else "duplicate",
                     message_ref(msg.message_id))
            return
        self._mark_read(msg)
        await self._reopen(msg.user)
        wanted = page_request(msg.choice)
        if wanted is not None and await self._show_page(msg, *wanted):
            return
        await self.app.receive(msg)  # a wa.me link's tag: the engine's referral rule

    async def _reopen(self, user: str) -> None:
        if not self.window.is_closed(user):
            return
        async with self.app.store.unit(user_key(CHANNEL, user)):
            held = self.window.reopen(user)  # moved to the outbox in one write
            answer = self.app.queue(held)
            await self.app.store.flush()
        log.info("whatsapp: %s wrote again; sending %d held replies", _who(user), len(held))
        await self.app.dispatch(answer)

    async def _show_page(self, msg: Incoming, token: str, page: int) -> bool:
        """A "more" / "back" row of a long list: the adapter shows that page itself."""
        menu = self._menus.get(msg.user)
        if menu is None or menu_token(menu) != token:
            return False  # an old list: the engine says so and asks again
        await self._deliver(msg.user, menu, page)
        if msg.message_id:
            self.app.store.mark_message(CHANNEL, msg.message_id, self._now())
            await self.app.store.flush()
        return True

    # -- sending ------------------------------------------------------------------------
    async def send(self, reply: Reply) -> bool:
        """False when it was not sent (refused, or the Graph API unreachable; logged); a
        reply held for a user outside the window counts as sent: it goes when they write.
        A `Template` is sent outside the window too: that is what templates are for."""
        channel, user = split_key(reply.to)
        if channel != CHANNEL or not user:
            log.warning("whatsapp: cannot send to %s", who(reply.to))
            return False
        if self.window.is_closed(user) and not isinstance(reply, Template):
            await self._hold(user, reply)
            return True
        return await self._deliver(user, reply)

    def _translator(self, key: str) -> Translate:
        language = self.app.engine.language_of(key)
        i18n = self.app.i18n
        return lambda message_id, **params: i18n.t(language, message_id, **params)

    async def _deliver(self, user: str, reply: Reply, page: int = 0) -> bool:
        t = self._translator(reply.to)
        if isinstance(reply, Menu):
            bodies = render_menu(reply, user, t, page)
            if is_paged(reply):
                self._menus[user] = reply
            else:
                self._menus.pop(user, None)
        else:
            bodies = render(reply, user, t)
        for body in bodies:
            problems = check_limits(body)
            if problems:
                log.error("whatsapp: a reply to %s breaks limits: %s", _who(user), problems)
            result = await self.sender().post(body)
            if result.ok:
                self._remember(result.message_id, user, reply)
                continue
            if result.outside_window and not isinstance(reply, Template):
                self.window.close(user, self._now())
                await self._hold(user, reply)
                return True
            if body["type"] == "image" and reply.text.strip():
                log.warning("whatsapp: a picture to %s failed (code %s); its caption goes as "
                            "text", _who(user), result.code)
                return await self._deliver(user, Text(to=reply.to, text=reply.text))
            log.error("whatsapp: sending to %s failed: code %s, HTTP %s, after %d "
                      "attempts: %s", _who(user), result.code, result.status, result.attempts,
                      result.detail)
            return False
        return True

    def _remember(self, message_id: str | None, user: str, reply: Reply) -> None:
        if message_id:
            self._sent[message_id] = (user, reply)
            while len(self._sent) > REMEMBER_SENT:
                self._sent.popitem(last=False)

    async def _hold(self, user: str, reply: Reply) -> None:
        nudge = self.window.hold(user, reply, self._now())
        await self.app.store.flush()
        log.info("whatsapp: %s is outside the 24-hour window; a reply waits", _who(user))
        if nudge and self.template_name:
            result = await self.sender().post(
                template_body(user, self.template_name, self.template_language))
            if not result.ok:
                log.warning("whatsapp: template %s to %s failed: code %s: %s",
                            self.template_name, _who(user), result.code, result.detail)

    def _now(self) -> float:
        return float(self.app.engine.clock())


def conversations(parsed: Parsed) -> list[str]:
    """The conversation keys ``parsed`` holds messages of, as its inbox row records them."""
    return list(dict.fromkeys(user_key(CHANNEL, msg.user) for msg in parsed.messages))
