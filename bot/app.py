"""Wiring: config -> store, locales, flows, the ordering app's names, the engine, adapters."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import privacy
from bot.config import resolve
from bot.delivery import SEND_EVERY, Sender, outgoing
from bot.engine.flow import Flow
from bot.engine.loader import FlowError, FlowLoadError, read_flow_files
from bot.engine.phrases import load_phrasebook
from bot.engine.registry import Registry
from bot.engine.runtime import Engine
from bot.engine.unsent import Answer
from bot.engine.validator import validate_flows
from bot.i18n import I18n
from bot.messages import Incoming, Reply, split_key
from bot.ordering.chat import (
    announcements,
    coordinator,
    daily,
    escalation,
    group,
    reminders,
    resident,
    sign_in,
    wishes,
)
from bot.ordering.chat.resident import Ordering
from bot.ordering.domain.markets import MarketDataError, Markets, load_markets
from bot.ordering.domain.repository import Orders
from bot.ordering.domain.statuses import STATUSES
from bot.ordering.understanding.catalog import Catalog, load_catalog
from bot.ordering.understanding.market_match import read_market_words
from bot.ordering.understanding.vocabulary import check_folder as check_vocabulary
from bot.ordering.understanding.wilayah import Wilayah, WilayahError, load_wilayah
from bot.plugin import ORDERING, AppError, Setup, app_name, register_app
from bot.storage.base import Store

log = logging.getLogger(__name__)

MESSAGE_ID_DAYS = 7  # platforms retry a delivery for hours, not for days
TIMERS_EVERY = 5.0  # seconds between looks for due timers (the background sender's)
TIMERS_AT_ONCE = 100  # timers taken in one unit of work


def open_store(config: dict[str, Any]) -> Store:
    storage = config["storage"]
    backend = storage.get("backend", "tinydb")
    if backend == "memory":
        from bot.storage.memory import MemoryStore

        return MemoryStore(finished=STATUSES.finished)
    if backend == "tinydb":
        from bot.storage.tinydb_store import TinyDBStore

        # the store archives the orders the app says are finished (it knows no statuses)
        return TinyDBStore(resolve(config, storage.get("path", "data/")),
                           finished=STATUSES.finished)
    if backend == "postgres":
        from bot.storage.postgres import PostgresStore

        return PostgresStore(str(storage.get("dsn") or ""), finished=STATUSES.finished,
                             pool_size=int(storage.get("pool_size", 10)))
    raise ValueError(f"storage.backend {backend!r}: use tinydb, postgres or memory")


def office_url(config: dict[str, Any]) -> str:
    """Where sign-in links point (``server.public_url``); "" when the office is off."""
    from bot.office.links import public_url

    return public_url(config) if (config.get("office") or {}).get("enabled", True) else ""


def build_registry() -> Registry:
    registry = Registry()
    resident.register(registry)
    coordinator.register(registry)
    wishes.register(registry)
    reminders.register(registry)  # a resident who stops mid-order (a turn hook)
    announcements.register(registry)  # `umumkan`
    sign_in.register(registry)  # `masuk`: staff get a link to the office's pages
    return registry


def flow_files(config: dict[str, Any]) -> list[Path]:
    return sorted(resolve(config, config["flows"]["dir"]).glob("*.yaml"))


@dataclass
class Loaded:
    """Everything read from disk at start-up, and every problem found doing it."""

    i18n: I18n | None = None
    flows: dict[str, Flow] = field(default_factory=dict)
    markets: Markets | None = None
    catalog: Catalog | None = None
    wilayah: Wilayah | None = None
    registry: Registry = field(default_factory=build_registry)
    errors: list[FlowError] = field(default_factory=list)
    setup: Setup | None = None  # another app than ordering (`app:` in config, bot/plugin.py)


def config_errors(config: dict[str, Any]) -> list[FlowError]:
    """The config's problems (unknown keys, bad values), as ``file:line: message``."""
    from bot.config_check import check_config

    source = config.get("source")
    path = getattr(source, "path", None) or "config"
    return [FlowError(path, p.line, p.message) for p in check_config(config)]


def _load_ordering(config: dict[str, Any], loaded: Loaded) -> None:
    """The ordering app's data: markets, their names, wilayah, catalog, vocabulary."""
    markets_path = resolve(config, config["data"]["markets"])
    try:
        loaded.markets = load_markets(markets_path)
    except MarketDataError as exc:
        loaded.errors.extend(FlowError(str(markets_path), p.line, p.message)
                             for p in exc.problems)
    _, problems = read_market_words()  # data/market_words.yaml: how markets are named
    loaded.errors.extend(FlowError(p.path, p.line, p.message) for p in problems)
    wilayah_path = markets_path.parent / "wilayah.yaml"  # beside markets.yaml; else the
    try:  # shipped data/wilayah.yaml is read when an address is
        loaded.wilayah = load_wilayah(wilayah_path) if wilayah_path.exists() else None
    except WilayahError as exc:
        loaded.errors.extend(FlowError(exc.path, p.line, p.message) for p in exc.problems)
    catalog_path = resolve(config, config["data"]["catalog"])
    if catalog_path.exists():
        try:
            loaded.catalog = load_catalog(catalog_path)
        except (ValueError, OSError) as exc:
            loaded.errors.append(FlowError(str(catalog_path), 1, str(exc)))
    # the words of shopping lists and coordinators, as the parser reads them (data/vocabulary/)
    loaded.errors.extend(FlowError(p.path, p.line, p.message) for p in check_vocabulary())


# the engine's own messages (engine.*, language.*) and words (intents.yaml): another app's
# locales need only their own messages, and may override these
FRAMEWORK_LOCALES = Path(__file__).resolve().parents[1] / "locales"
ENGINE_MESSAGES = ("engine.", "language.")


def _load_app(config: dict[str, Any], loaded: Loaded, locales: Path) -> None:
    """Another app than ordering (`app:` in config): a registry of its own names, filled by
    its ``register``; the engine's messages and words where its locales have none."""
    registry = Registry()
    registry.phrasebook = loaded.registry.phrasebook
    if not registry.phrasebook.languages:
        registry.phrasebook, _ = load_phrasebook(FRAMEWORK_LOCALES, loaded.registry.phrasebook
                                                 .default)
    loaded.registry = registry
    if loaded.i18n is not None and locales.resolve() != FRAMEWORK_LOCALES:
        framework = I18n.load(FRAMEWORK_LOCALES, "id")
        for language, catalog in loaded.i18n.catalogs.items():
            base = framework.catalogs.get(language) or framework.catalogs["id"]
            for message_id, text in base.messages.items():
                if message_id.startswith(ENGINE_MESSAGES):
                    catalog.messages.setdefault(message_id, text)
    source = config.get("source")
    where = getattr(source, "path", None) or "config"
    try:
        loaded.setup = register_app(app_name(config), registry, config)
    except AppError as exc:
        line = source.line_of("app") if hasattr(source, "line_of") else 1
        loaded.errors.append(FlowError(where, line or 1, str(exc)))
        return
    loaded.errors.extend(FlowError(path, line, message)
                         for path, line, message in loaded.setup.problems)


def load(config: dict[str, Any], files: list[Path] | None = None) -> Loaded:
    """Read locales, data and flows, and validate the flows against them."""
    loaded = Loaded()
    loaded.errors.extend(config_errors(config))
    locales = resolve(config, config["locales"])
    try:
        loaded.i18n = I18n.load(locales, config.get("language", "id"))
    except ValueError as exc:
        loaded.errors.append(FlowError(str(locales), 1, str(exc)))
    phrasebook, problems = load_phrasebook(locales, config.get("language", "id"))
    loaded.registry.phrasebook = phrasebook  # what plain words mean at each menu
    loaded.errors.extend(FlowError(p.path, p.line, p.message) for p in problems)
    if app_name(config) == ORDERING:
        _load_ordering(config, loaded)
    else:
        _load_app(config, loaded, locales)
    loaded.flows, errors = read_flow_files(files if files is not None else flow_files(config))
    loaded.errors.extend(errors)
    if loaded.i18n is not None:
        entry = config["flows"]["entry"] if files is None else None
        loaded.errors.extend(validate_flows(loaded.flows, loaded.registry, loaded.i18n, entry))
    return loaded


class App:
    """The running bot: an engine plus the adapters that carry its replies."""

    def __init__(self, config: dict[str, Any], store: Store | None = None) -> None:
        loaded = load(config)
        if loaded.errors:
            raise FlowLoadError(loaded.errors)
        assert loaded.i18n is not None
        assert loaded.markets is not None or loaded.setup is not None
        self.config = config
        self.setup = loaded.setup  # None: the ordering app
        self.i18n = loaded.i18n
        self.markets = loaded.markets
        self.store = store if store is not None else open_store(config)
        folder = getattr(self.store, "path", None)
        if isinstance(folder, Path):  # a data folder: its lasting pseudonyms in the logs
            privacy.use_folder(folder)
        elif hasattr(self.store, "pseudonym_key"):  # a shared store: one key, every worker
            privacy.use_key(self.store.pseudonym_key())
        self.services = Ordering(
            markets=loaded.markets,
            catalog=loaded.catalog,
            wilayah=loaded.wilayah,
            admins=frozenset(str(a) for a in config.get("admins") or ()),
            bot_username=str((config.get("telegram") or {}).get("bot_username") or ""),
            wa_number=str((config.get("whatsapp") or {}).get("display_number") or ""),
            complaint_days=int((config.get("complaints") or {}).get("days", 3) or 0),
            orders=Orders(self.store),
            config=config,
            away=self.away,  # a messenger's rule keeps the bot from writing (adapters say)
            office_url=office_url(config),
            office_link_minutes=float((config.get("office") or {}).get("link_minutes") or 10),
        )
        if loaded.setup is not None:  # another app than ordering: the services it made
            self.services = loaded.setup.services
        else:  # an order's change sets or drops its reminders (in the same unit of work)
            self.services.orders.watchers.append(
                reminders.order_watcher(self.services, self.store))
            # `umumkan`: sent in the background when its timer fires, at a pace shared
            # by every announcement (one Pace per platform)
            self.announcer = announcements.Announcer(self)
            self.pacers = announcements.pacers(announcements.Settings.of(config))
            loaded.registry.timer(announcements.KIND)(self.announcer.on_timer)
        self.engine = Engine(
            loaded.flows,
            loaded.registry,
            loaded.i18n,
            self.store,
            entry=config["flows"]["entry"],
            services=self.services,
            resume_after=float(config["sessions"]["resume_after_hours"]) * 3600,
        )
        self.adapters: dict[str, Any] = {}
        # the outbox: every reply is queued in the unit of work that made it and sent
        # once that is durable (bot/delivery.py); the engine queues a message's replies
        self.sender = Sender(self.store, self._send, self.engine.clock,
                             reaches=lambda to: split_key(to)[0] in self.adapters)
        self.engine.outbox = self.sender.queue
        self._background: asyncio.Task[None] | None = None
        self._stopping: asyncio.Event | None = None
        # periodic jobs (name -> coroutine function taking the app and the clock value);
        # the server calls `run_jobs` every minute, each job decides whether it is due
        self.jobs: dict[str, Callable[[App, float], Awaitable[Any]]] = {
            "daily recap": daily.send_daily_recap,
            "escalation": escalation.escalate_due,  # orders nobody claimed (durable timers)
        }
        if loaded.setup is not None:
            self.jobs = dict(loaded.setup.jobs)

    async def run_jobs(self, now: float | None = None) -> dict[str, Any]:
        """Run every periodic job once; one failing job does not stop the others."""
        now = self.engine.clock() if now is None else now
        results: dict[str, Any] = {}
        for name, job in self.jobs.items():
            try:
                results[name] = await job(self, now)
            except Exception:
                log.exception("periodic job %r failed", name)
                results[name] = None
        return results

    def attach(self, adapter: Any) -> None:
        self.adapters[adapter.name] = adapter
        # an adapter that carries group chats: the ordering app's coordinators' groups
        if hasattr(adapter, "group_handler") and self.setup is None:
            adapter.group_handler = functools.partial(group.handle, self)

    def away(self, key: str) -> bool:
        """Whether ``key``'s messenger keeps the bot from writing to them now (WhatsApp's
        24-hour window since their last message), as that channel's adapter says; False
        where the adapter has no such rule."""
        channel, user = split_key(key)
        check = getattr(self.adapters.get(channel), "away", None)
        if check is None:
            return False
        record = self.store.get_session(key) or {}
        return bool(check(user, float(record.get("updated_at") or 0)))

    async def receive(self, msg: Incoming) -> list[Reply]:
        """What an adapter calls for each incoming message: handle it (its replies queued
        in the outbox with its changes), then hand the replies to the sender, which sends
        them in order and marks each sent (`idle` waits for that). It returns once the
        message is handled: the conversation's next message need not wait for the wire."""
        answer = await self.engine.handle(msg)
        self.sender.post(outgoing(answer))
        return answer

    async def idle(self, timeout: float | None = None) -> bool:
        """Wait until every reply handed to the sender went out (or was put back for a
        retry); False if ``timeout`` seconds passed first."""
        return await self.sender.idle(timeout)

    def housekeeping(self, now: float | None = None) -> dict[str, int]:
        """Drop idle sessions and old message ids (the server runs this every hour)."""
        now = self.engine.clock() if now is None else now
        days = float(self.config["sessions"]["expire_after_days"])
        return {
            "sessions": self.store.expire_sessions(now - days * 86400),
            "messages": self.store.expire_messages(now - MESSAGE_ID_DAYS * 86400),
        }

    async def deliver(self, replies: list[Reply]) -> None:
        """Send replies made outside a message (a job, the web office, a reminder): queued
        in the outbox in a unit of work of their own, durable, then sent and marked sent;
        what a crash keeps from going out is sent after the restart. Not for use inside
        a unit of work: there, `queue` them with its changes and `dispatch` after it."""
        if not replies:
            return
        async with self.store.unit(f"outbox:{replies[0].to}"):
            answer = self.queue(replies)
            await self.store.flush()
        await self.dispatch(answer)

    def queue(self, replies: list[Reply], now: float | None = None) -> Answer:
        """Queue ``replies`` in the outbox in the caller's unit of work (durable with its
        other changes at its flush); `dispatch` the answer once that unit is done."""
        now = self.engine.clock() if now is None else now
        return Answer(replies, self.sender.queue(list(replies), now))

    async def dispatch(self, answer: list[Reply]) -> None:
        """Send replies queued by `queue` (or an engine `Answer`), marking each sent."""
        await self.sender.send(outgoing(answer))

    def sent(self, answer: list[Reply]) -> None:
        """The caller sent (or showed) these queued replies itself: mark them sent."""
        queued = getattr(answer, "queued", None)
        if queued:
            self.store.mark_sent(queued)

    async def run_timers(self, now: float | None = None) -> int:
        """Fire every durable timer due at ``now`` (bot/engine/timers.py): each taken,
        run and its replies queued in one unit of work, then the replies sent; a timer
        fires once across restarts and workers. Returns how many fired."""
        now = self.engine.clock() if now is None else now
        fired = 0
        while True:
            answer, taken = await self.engine.fire_timers(now, TIMERS_AT_ONCE)
            fired += taken
            await self.dispatch(answer)
            if taken < TIMERS_AT_ONCE:
                return fired

    # -- the background sender: waiting replies and due timers -------------------------
    def start_background(self) -> None:
        """Claim what waits in the outbox now (a dead process's replies, sent ahead of
        any newer reply to the same person), then send waiting replies and fire due
        timers every second or so until `stop_background`. Start it before the adapters
        start handling messages."""
        if self._background is not None:
            return
        self._stopping = asyncio.Event()
        self.sender.claim()
        self._background = asyncio.create_task(self._run_background())

    async def stop_background(self, timeout: float = 10.0) -> None:
        """Let the background sender finish what it is sending, then stop it."""
        task, self._background = self._background, None
        if task is None or self._stopping is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(task, timeout)
        except (TimeoutError, asyncio.CancelledError):
            log.warning("the background sender did not stop in %.0f s", timeout)

    async def _run_background(self) -> None:
        timers_at = 0.0
        stopping = self._stopping
        assert stopping is not None
        while not stopping.is_set():
            try:
                await self.sender.send_waiting()
                now = self.engine.clock()
                if now >= timers_at:
                    timers_at = now + TIMERS_EVERY
                    await self.run_timers(now)
            except Exception:
                log.exception("the background sender failed; it goes on")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), SEND_EVERY)

    async def _send(self, reply: Reply) -> bool | None:
        """One reply through the adapter of its recipient's channel: False if it was not
        sent (the sender tries again later; it sends only where an adapter runs)."""
        channel, _ = split_key(reply.to)
        adapter = self.adapters.get(channel)
        if adapter is None:
            log.warning("no %s adapter running: a reply was not sent", channel)
            return False
        return await adapter.send(reply)

    def close(self) -> None:
        self.store.close()
