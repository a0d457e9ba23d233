"""Announcements: a short text from the market office (any market) or a market unit's head
(their market) to the residents who ordered from that market in the last N days and did
not say ``berhenti`` ("Pasar Kranji tutup besok, Jumat 28/11").

For the web office (and anything else that is not a chat):

    counts = await announce(app, sender, market_id, text, days)

checks that ``sender`` (a user key) may announce to that market (else
`AnnouncementRefused`, whose ``message_id``/``params`` say why in words), sends, and returns
the `Counts` (sent, failed, skipped, of which opted out). Nothing is told to the sender:
the caller shows the counts; `reach_counts(app, market_id, days)` says beforehand how
many it would reach and how many said ``berhenti``. For a page that should not wait, or an
announcement that must survive a restart, ``await queue_announcement(app, sender,
market_id, text, days)`` queues it as ``umumkan`` does (the counts go to the sender in
chat).

In chat, ``umumkan`` (flows/coordinator.yaml) asks for the market and the text, shows how
many will get it, and on "ya" sets a durable timer of kind ``announce``, whose handler
(`Announcer`, bound to the App) sends it in the background, recording its progress in
that timer (a restart resumes it), and tells the sender the counts. Announcements go
straight to the adapters (paced and counted), not through the outbox.

Who gets what:
- everyone in the audience (`audience`) whose session says they stopped broadcasts
  (``berhenti``, `bot.engine.session.wants_broadcasts`) is skipped, and counted so;
- on WhatsApp, a resident whose last message is older than the 24-hour window (the session
  says when; or the app's ``away`` says so) gets the configured template
  (``announcements.whatsapp_template``: its body's {{1}} is the market's name, {{2}} the
  text with the line on how to stop them); without a template they are skipped;
- everyone else gets the text, with the line on how to stop them.

The sends go out at a pace (`bot.pace`): ``announcements.telegram_per_second`` and
``announcements.whatsapp_per_second``, at most ``announcements.in_flight`` on the wire at
once per platform; each platform's run is independent of the other's. A send the adapter
says failed (refused, unreachable after its retries) counts as failed; a resident on a
channel with no running adapter counts as skipped.

The audience reaches back at most ``sessions.expire_after_days``: a resident who said
``berhenti`` is known by their session, which lives that long after their last message.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.engine.context import ActionFailed, Context
from bot.engine.registry import Registry
from bot.engine.session import wants_broadcasts
from bot.messages import Option, Reply, Template, Text, split_key
from bot.ordering.domain.markets import Market
from bot.ordering.domain.repository import Orders
from bot.ordering.understanding.commands import read_command
from bot.pace import Pace, rate_of
from bot.storage.base import Timer

log = logging.getLogger(__name__)

KIND = "announce"  # the durable timer that sends one from chat
LEASE = 300.0  # seconds an announcement being sent holds its timer (renewed every batch)
BATCH = 50  # sends between two records of an announcement's progress
MAX_TEXT = 500  # characters: a short text, one message on every platform
WINDOW = 24 * 3600 - 300  # WhatsApp's free-form window after a user's message, less a margin
DEFAULTS: dict[str, Any] = {
    "days": 30, "telegram_per_second": 20, "whatsapp_per_second": 20, "in_flight": 4,
    "whatsapp_template": "", "whatsapp_template_language": "id",
}
RATE_KEYS = {"telegram": "telegram_per_second", "whatsapp": "whatsapp_per_second"}
OPTED_OUT, NO_TEMPLATE, NO_ADAPTER = "opted_out", "no_template", "no_adapter"


class AnnouncementRefused(Exception):
    """Not sent: ``message_id`` (with ``params``) says why, in the sender's words."""

    def __init__(self, message_id: str, /, **params: Any) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.params = params


@dataclass(frozen=True)
class Counts:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # not sent on purpose (opted out, no template, no adapter running)
    opted_out: int = 0  # of the skipped: said ``berhenti``

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.skipped

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.sent + other.sent, self.failed + other.failed,
                      self.skipped + other.skipped, self.opted_out + other.opted_out)


@dataclass(frozen=True)
class Settings:
    """The ``announcements`` section of the config."""

    days: float = 30
    rates: Mapping[str, float] | None = None  # channel -> messages a second
    in_flight: int = 4
    template: str = ""
    template_language: str = "id"
    max_days: float = 30  # sessions.expire_after_days

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Settings:
        section = {**DEFAULTS, **(config.get("announcements") or {})}
        sessions = config.get("sessions") or {}
        return cls(
            days=max(rate_of(section["days"], 30), 0.0),
            rates={channel: rate_of(section[key], DEFAULTS[key])
                   for channel, key in RATE_KEYS.items()},
            in_flight=max(int(rate_of(section["in_flight"], 4)), 1),
            template=str(section["whatsapp_template"] or ""),
            template_language=str(section["whatsapp_template_language"] or "id"),
            max_days=max(rate_of(sessions.get("expire_after_days", 30), 30), 0.0),
        )


def pacers(settings: Settings) -> dict[str, Pace]:
    """One `Pace` per platform at the configured rates (share them: see `bot.pace`)."""
    return {channel: Pace(rate) for channel, rate in (settings.rates or {}).items()}


# -- who may, to whom -------------------------------------------------------------------
def markets_for(services: Any, sender: str) -> tuple[Market, ...]:
    """The markets ``sender`` may announce to: every market for the office, a head's own."""
    roles = services.roles
    if roles.is_admin(sender):
        return tuple(services.markets.markets)
    return roles.headed(sender)


def check(services: Any, sender: str, market_id: str, text: str) -> tuple[Market, str]:
    """The market and the text, cleaned; raises `AnnouncementRefused` with the reason."""
    allowed = markets_for(services, sender)
    if not allowed:
        services.roles.refused(sender, "announce", market_id)
        raise AnnouncementRefused("announce.not_allowed")
    market = next((m for m in allowed if m.id == market_id), None)
    if market is None:
        services.roles.refused(sender, "announce", market_id)
        raise AnnouncementRefused("announce.not_your_market",
                                  markets=", ".join(m.name for m in allowed))
    cleaned = "\n".join(" ".join(line.split()) for line in str(text or "").strip().splitlines())
    if not cleaned.strip():
        raise AnnouncementRefused("announce.empty")
    if len(cleaned) > MAX_TEXT:
        raise AnnouncementRefused("announce.too_long", max=MAX_TEXT, length=len(cleaned))
    return market, cleaned


def since(now: float, days: float, timezone: Any) -> str:
    """``created_at`` of the oldest order in an audience of ``days`` days (ISO, local)."""
    moment = datetime.fromtimestamp(now, timezone) - timedelta(days=days)
    return moment.isoformat(timespec="seconds")


def audience(orders: Orders, market_id: str, since_iso: str) -> list[str]:
    """The residents (user keys) who ordered from the market since then, first-come order,
    each once."""
    return list(dict.fromkeys(o.user for o in orders.query(market=market_id, since=since_iso)
                              if o.user))


# -- what each one gets ------------------------------------------------------------------
@dataclass(frozen=True)
class Planned:
    user: str
    reply: Reply | None  # None: skipped, ``why``
    why: str = ""


def outside_window(app: Any, user: str, record: Mapping[str, Any] | None, now: float) -> bool:
    """A WhatsApp user we may write to only with a template: no message for a day (the
    session says when they last wrote), or recorded so by the adapter (``away``)."""
    last = float((record or {}).get("updated_at") or 0)
    if now - last > WINDOW:
        return True
    away = getattr(app.services, "away", None)
    try:
        return bool(away(user)) if away is not None else False
    except Exception:  # a hook of the app's: a failure must not stop the announcement
        log.exception("the app's away check failed")
        return False


def plan_one(app: Any, user: str, market: Market, text: str, now: float,
             settings: Settings) -> Planned:
    record = app.store.get_session(user)
    if not wants_broadcasts((record or {}).get("profile")):
        return Planned(user, None, OPTED_OUT)
    i18n = app.engine.i18n
    lang = i18n.resolve((record or {}).get("lang"))
    body = i18n.t(lang, "announce.message", market=market.name, text=text)
    channel, _ = split_key(user)
    if channel == "whatsapp" and outside_window(app, user, record, now):
        if not settings.template:
            return Planned(user, None, NO_TEMPLATE)
        stop = i18n.t(lang, "announce.how_to_stop")
        return Planned(user, Template(to=user, text=body, name=settings.template,
                                      language=settings.template_language,
                                      params=(market.name, f"{text} {stop}")))
    return Planned(user, Text(to=user, text=body))


def plan(app: Any, users: Iterable[str], market: Market, text: str, now: float,
         settings: Settings) -> list[Planned]:
    return [plan_one(app, user, market, text, now, settings) for user in users]


# -- sending ------------------------------------------------------------------------------
async def _send(adapter: Any, reply: Reply) -> bool:
    try:
        return await adapter.send(reply) is not False
    except Exception:
        log.exception("an announcement to one %s user failed", split_key(reply.to)[0])
        return False


async def _send_channel(app: Any, channel: str, replies: list[Reply], pace: Pace,
                        in_flight: int) -> tuple[int, int, int]:
    """(sent, failed, skipped) on one platform: started at ``pace``, ``in_flight`` at once."""
    adapter = app.adapters.get(channel)
    if adapter is None:
        log.warning("announcement: no %s adapter running; %d skipped", channel, len(replies))
        return 0, 0, len(replies)
    slots = asyncio.Semaphore(in_flight)

    async def one(reply: Reply) -> bool:
        try:
            return await _send(adapter, reply)
        finally:
            slots.release()

    tasks = []
    for reply in replies:
        await slots.acquire()
        await pace.wait()
        tasks.append(asyncio.create_task(one(reply)))
    results = await asyncio.gather(*tasks)
    sent = sum(1 for ok in results if ok)
    return sent, len(results) - sent, 0


async def send_planned(app: Any, planned: list[Planned], settings: Settings,
                       paces: Mapping[str, Pace] | None = None) -> Counts:
    """Send what was planned, each platform at its pace; the counts."""
    paces = paces if paces is not None else (getattr(app, "pacers", None) or pacers(settings))
    by_channel: dict[str, list[Reply]] = {}
    for item in planned:
        if item.reply is not None:
            by_channel.setdefault(split_key(item.user)[0], []).append(item.reply)
    runs = await asyncio.gather(*(
        _send_channel(app, channel, replies, paces.get(channel) or Pace(0), settings.in_flight)
        for channel, replies in by_channel.items()))
    skipped = sum(1 for item in planned if item.reply is None)
    return Counts(sent=sum(r[0] for r in runs), failed=sum(r[1] for r in runs),
                  skipped=skipped + sum(r[2] for r in runs),
                  opted_out=sum(1 for item in planned if item.why == OPTED_OUT))


def _orders(services: Any, store: Any) -> Orders:
    found = getattr(services, "orders", None)
    return found if found is not None else Orders(store)


def reach(settings: Settings, days: float | None) -> float:
    """The days an audience reaches back: as asked (the config's when None), at most as
    long as sessions live (they hold who said ``berhenti``)."""
    wanted = settings.days if days is None else max(rate_of(days, settings.days), 0.0)
    return min(wanted, settings.max_days)


def recipients(services: Any, store: Any, settings: Settings, market_id: str,
               days: float | None, now: float) -> list[str]:
    """Who an announcement to the market would reach (before opt-outs)."""
    return audience(_orders(services, store), market_id,
                    since(now, reach(settings, days), services.markets.timezone))


def reach_counts(app: Any, market_id: str, days: float | None = None,
                 now: float | None = None) -> tuple[int, int]:
    """(residents an announcement to the market would be sent to, residents left out
    because they said ``berhenti``): for a page that asks "send to 480?" first."""
    settings = Settings.of(app.config)
    now = app.engine.clock() if now is None else now
    users = recipients(app.services, app.store, settings, market_id, days, now)
    stopped = sum(1 for u in users
                  if not wants_broadcasts((app.store.get_session(u) or {}).get("profile")))
    return len(users) - stopped, stopped


async def announce(app: Any, sender: str, market: str, text: str, days: float | None = None,
                   *, now: float | None = None,
                   paces: Mapping[str, Pace] | None = None) -> Counts:
    """Send ``text`` from ``sender`` to the market's residents of the last ``days`` days
    (config ``announcements.days`` when None); the counts. Raises `AnnouncementRefused`."""
    found, cleaned = check(app.services, sender, market, text)
    settings = Settings.of(app.config)
    now = app.engine.clock() if now is None else now
    users = recipients(app.services, app.store, settings, found.id, days, now)
    counts = await send_planned(app, plan(app, users, found, cleaned, now, settings),
                                settings, paces)
    log.info("announcement to market %s: %d sent, %d failed, %d skipped (%d opted out)",
             found.id, counts.sent, counts.failed, counts.skipped, counts.opted_out)
    return counts


async def queue_announcement(app: Any, sender: str, market: str, text: str,
                             days: float | None = None) -> str:
    """Check and queue an announcement as ``umumkan`` does (durable at once): the App's
    timers send it in the background, resumed after a restart, and its sender is told the
    counts in chat. Raises `AnnouncementRefused`; returns the timer's name."""
    found, cleaned = check(app.services, sender, market, text)
    now = app.engine.clock()
    name = f"{KIND}:{sender}:{now:.3f}"
    payload: dict[str, Any] = {"sender": sender, "market": found.id, "text": cleaned}
    if days is not None:
        payload["days"] = days
    async with app.store.unit(name):
        app.store.set_timer(Timer(name, KIND, now, payload))
        await app.store.flush()
    log.info("an announcement to market %s is queued", found.id)
    return name


def counts_text(app: Any, user: str, market: Market | None, counts: Counts) -> str:
    lang = app.engine.language_of(user)
    return app.engine.i18n.t(lang, "announce.done", market=market.name if market else "-",
                             sent=counts.sent, failed=counts.failed, skipped=counts.skipped,
                             opted_out=counts.opted_out)


class Announcer:
    """Runs the announcements ``umumkan`` queued: its `on_timer` is the handler of the
    ``announce`` timers (the App registers it, bound to itself). The sending goes on in the
    background, so the App's round of timers (and the replies it sends) does not wait for
    hundreds of paced sends; the sender is told the counts at the end.

    While it is sent the timer stays, due ``LEASE`` seconds ahead, and every ``BATCH``
    sends it is written again with who has had it and the counts so far (and its lease
    renewed). When it is done the timer is dropped. A process that dies meanwhile leaves the
    timer: it comes due when the lease runs out, at the next start or on another worker, and
    the rest is sent from there (the last batch of at most ``BATCH`` may go twice: its
    sends were not recorded yet)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.tasks: set[asyncio.Task[Counts | None]] = set()
        self.running: set[str] = set()  # timer names being sent by this process

    def on_timer(self, ctx: Context) -> None:
        timer = ctx.timer
        assert timer is not None
        payload = {**timer.payload, "at": timer.payload.get("at") or ctx.now}
        ctx.set_timer(timer.name, KIND, ctx.now + LEASE, payload)  # held while it is sent
        if timer.name in self.running:  # still being sent here: the lease is renewed
            return
        self.running.add(timer.name)
        # a context of its own: not inside the round's unit of work it was started from
        task = asyncio.create_task(self.run(timer.name, payload), context=contextvars.Context())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        task.add_done_callback(lambda _: self.running.discard(timer.name))

    async def _keep(self, name: str, payload: dict[str, Any] | None) -> None:
        """Record the progress (or, ``None``, drop the timer: done), durably."""
        store = self.app.store
        async with store.unit(name):
            if payload is None:
                store.cancel_timer(name)
            else:
                store.set_timer(Timer(name, KIND, self.app.engine.clock() + LEASE, payload))
            await store.flush()

    async def run(self, name: str, payload: Mapping[str, Any]) -> Counts | None:
        """Send one queued announcement (the part not sent yet), then tell its sender; a
        failure is logged, and its timer left to resume it after the lease."""
        try:
            return await self._run(name, payload)
        except Exception:
            log.exception("an announcement stopped; it resumes after its lease")
            return None

    async def _run(self, name: str, payload: Mapping[str, Any]) -> Counts | None:
        app = self.app
        sender = str(payload.get("sender") or "")
        market_id = str(payload.get("market") or "")
        try:
            market, text = check(app.services, sender, market_id, str(payload.get("text")
                                                                      or ""))
        except AnnouncementRefused as refused:  # the sender's role changed since
            await self._keep(name, None)
            lang = app.engine.language_of(sender)
            await app.deliver([Text(to=sender, text=app.engine.i18n.t(
                lang, refused.message_id, **refused.params))])
            return None
        settings = Settings.of(app.config)
        at = float(payload.get("at") or app.engine.clock())
        users = recipients(app.services, app.store, settings, market.id, payload.get("days"),
                           at)
        done = set(payload.get("done") or ())
        counts = Counts(**(payload.get("counts") or {}))
        todo = [user for user in users if user not in done]
        for start in range(0, len(todo), BATCH):
            batch = todo[start:start + BATCH]
            planned = plan(app, batch, market, text, app.engine.clock(), settings)
            counts = counts + await send_planned(app, planned, settings)
            done.update(batch)
            await self._keep(name, {**payload, "at": at, "done": sorted(done),
                                    "counts": asdict(counts)})
        await self._keep(name, None)
        log.info("announcement to market %s: %d sent, %d failed, %d skipped (%d opted out)",
                 market.id, counts.sent, counts.failed, counts.skipped, counts.opted_out)
        await app.deliver([Text(to=sender, text=counts_text(app, sender, market, counts))])
        return counts

    async def idle(self) -> None:
        """Wait until every announcement started has been sent (tests, shutdown)."""
        while self.tasks:
            await asyncio.wait(set(self.tasks))


# -- ``umumkan`` in chat (flows/coordinator.yaml) -----------------------------------------
def _checked(ctx: Context) -> tuple[Market, str]:
    try:
        return check(ctx.services, ctx.key, str(ctx.slots.get("announce_market") or ""),
                     str(ctx.slots.get("announce_text") or ""))
    except AnnouncementRefused as refused:
        raise ActionFailed(refused.message_id, **refused.params) from None


def wanted(ctx: Context) -> bool:
    """The message that opened the coordinator's menu says ``umumkan``."""
    command = read_command(ctx.incoming)
    return command is not None and command.verb == "announce" and not command.code


def start(ctx: Context) -> None:
    """Who may announce, and to which markets: one market is chosen for them."""
    markets = markets_for(ctx.services, ctx.key)
    for slot in ("announce_market", "announce_text"):
        ctx.slots.pop(slot, None)
    if not markets:
        ctx.services.roles.refused(ctx.key, "announce", "")
        raise ActionFailed("announce.not_allowed")
    if len(markets) == 1:
        ctx.slots["announce_market"] = markets[0].id


def market_options(ctx: Context) -> list[Option]:
    return [m.option() for m in markets_for(ctx.services, ctx.key)]


def describe(ctx: Context) -> None:
    market = ctx.services.markets.get(str(ctx.slots.get("announce_market") or ""))
    ctx.view["market"] = market.name if market else "-"


def preview(ctx: Context) -> None:
    """How many will get it, for the question before sending (what is wrong with the
    market or the text is said when it is sent)."""
    market = ctx.services.markets.get(str(ctx.slots.get("announce_market") or ""))
    settings = Settings.of(getattr(ctx.services, "config", None) or {})
    users = recipients(ctx.services, ctx.store, settings, market.id, None,
                       ctx.now) if market else []
    stopped = sum(1 for u in users
                  if not wants_broadcasts((ctx.store.get_session(u) or {}).get("profile")))
    ctx.view.update(market=market.name if market else "-", count=len(users) - stopped,
                    opted_out=stopped, days=round(reach(settings, None)),
                    text=str(ctx.slots.get("announce_text") or ""))


def queue(ctx: Context) -> None:
    """``ya``: the announcement as a timer due now, durable with this answer."""
    market, text = _checked(ctx)
    ctx.set_timer(f"{KIND}:{ctx.key}:{ctx.now:.3f}", KIND, ctx.now,
                  {"sender": ctx.key, "market": market.id, "text": text})
    ctx.view["market"] = market.name
    log.info("an announcement to market %s is queued", market.id)


def register(registry: Registry) -> None:
    """The chat's names; the ``announce`` timer's handler is the App's `Announcer`."""
    registry.condition("announce_wanted")(wanted)
    registry.action("announce_start")(start)
    registry.options("announce_markets")(market_options)
    registry.action("announce_describe")(describe)
    registry.action("announce_preview")(preview)
    registry.action("announce_queue")(queue)
    registry.condition("announce_market_known")(
        lambda ctx: bool(ctx.slots.get("announce_market")))
    registry.condition("announce_many_markets")(
        lambda ctx: len(markets_for(ctx.services, ctx.key)) > 1
        and not ctx.slots.get("announce_market"))
