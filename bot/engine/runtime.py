"""The engine: one message in, a list of replies out.

Per message: take the conversation's lock and open a unit of work on its key, load its
session, route the input (a global command, a pending built-in question, or the current
state's input kind), fire the transition on the flow's machine, run the named actions,
save the session, mark the message id processed, queue the replies in the outbox, flush
the store, and only then return the replies, so whatever they confirm is already durable
and a crash before they are sent loses none of them (the App's sender sends what is
queued and not marked sent, see bot/delivery.py). Durable timers: bot/engine/timers.py.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.engine import timers
from bot.engine.commands import RESUBSCRIBE_WORDS, STOP_WORDS, Command, parse_command
from bot.engine.context import ActionFailed, Context
from bot.engine.flow import Flow, InputSpec, State
from bot.engine.inputs.base import Accept, Invalid, Keep
from bot.engine.inputs.phone import normalize_phone
from bot.engine.locks import KeyLocks
from bot.engine.machines import (
    HOME,
    NEXT,
    OUT,
    START,
    Cursor,
    answer_trigger,
    back_trigger,
    build_machine,
    fire,
)
from bot.engine.matching import Matched, match_choice, normalize
from bot.engine.presses import Press, classify, stamp
from bot.engine.registry import Registry
from bot.engine.replies import coalesce
from bot.engine.session import BROADCASTS_OFF, Session, wants_broadcasts
from bot.engine.turns import took_turn
from bot.engine.unsent import Answer
from bot.i18n import I18n
from bot.messages import Incoming, Menu, Option, Reply, Text
from bot.privacy import message_ref
from bot.storage.base import SessionStore, StoreError

log = logging.getLogger(__name__)

MAX_HISTORY = 30
BUILTIN_OPTIONS = {"continue": "engine.opt_continue", "restart": "engine.opt_restart",
                   "drop": "engine.opt_drop"}
RESUME = "continue"  # pressed away from its menu (a reminder's button): ask where they left
# the built-in questions (`Session.pending`) with a menu of built-in options: its text, answers
QUESTIONS = {"resume": ("engine.resume_question", ("continue", "restart")),
             "aside": ("engine.aside_question", ("continue", "drop"))}
MAX_PASS_THROUGH = 20


class Engine:
    def __init__(
        self,
        flows: dict[str, Flow],
        registry: Registry,
        i18n: I18n,
        store: SessionStore,
        *,
        entry: str = "main",
        services: Any = None,
        resume_after: float = 6 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.flows, self.registry, self.i18n, self.store = flows, registry, i18n, store
        self.entry, self.services = entry, services
        self.resume_after, self.clock = resume_after, clock
        self.machines = {name: build_machine(flow, registry.conditions)
                         for name, flow in flows.items()}
        self.locks = KeyLocks()
        # queues a message's replies in the outbox (the App's: `bot.delivery`); their ids
        self.outbox: Callable[[list[Reply], float], list[int]] | None = None

    # -- public -----------------------------------------------------------------------
    async def handle(self, msg: Incoming) -> Answer:
        """Handle one incoming message; the replies may address other users too. With an
        outbox (`outbox`, set by the App) they are queued there in the message's unit of
        work, with the session and the processed message id, and their ids returned with
        them (`Answer.queued`) for the App to send and mark sent."""
        async with self.locks.hold(msg.key), self.store.unit(msg.key):
            took_turn()  # the conversation is this message's (an adapter may wait for it)
            return await self._handle(msg)

    async def _handle(self, msg: Incoming) -> Answer:
        if msg.message_id and self.store.seen_message(msg.channel, msg.message_id):
            log.info("duplicate message %s on %s skipped", message_ref(msg.message_id),
                     msg.channel)
            return Answer()
        now = self.clock()
        session = Session.from_record(msg.key, self.store.get_session(msg.key))
        ctx = Context(self, session, msg, now=now)
        flow_before = session.flow
        await self._arrived(ctx)  # what waited for this user goes out first, come what may
        arrived = list(ctx.replies)
        try:
            await self._route(ctx)
            self._offer_set_aside(ctx)
        except Exception:
            log.exception("error handling a message of %s", msg.channel)
            session = Session.from_record(msg.key, self.store.get_session(msg.key))
            ctx = Context(self, session, msg, now=now)
            ctx.replies.extend(arrived)  # delivered (and recorded so) before the failure
            ctx.say("engine.error")
        await self._turn_ended(ctx, flow_before)
        session.updated_at = now
        session.turn += 1  # the menus of this turn are the ones a press answers now
        replies = stamp(coalesce(ctx.replies), msg.key, session.turn)
        self.store.put_session(msg.key, session.to_record())
        if msg.message_id:
            self.store.mark_message(msg.channel, msg.message_id, now)
        # in the same write: a crash before the sends loses none, and sends none twice
        queued = self.outbox(replies, now) if self.outbox is not None and replies else []
        try:
            await self.store.flush()
        except StoreError:
            # nothing may be confirmed that is not on disk: send only an apology
            log.exception("the store could not write; replies withheld")
            if queued:
                self.store.mark_sent(queued)  # withdrawn, with the rest of the change
            return Answer([Text(to=msg.key, text=ctx.t("engine.storage_error"))])
        return Answer(replies, queued)

    async def fire_timers(self, now: float, limit: int = 100) -> tuple[Answer, int]:
        """Take the timers due at ``now`` (at most ``limit``) and run their handlers, in
        one unit of work with the replies they make queued (bot/engine/timers.py); those
        replies, and how many timers were taken."""
        async with self.store.unit("timers"):
            taken = self.store.take_due_timers(now, limit)
            if not taken:
                return Answer(), 0
            replies = await timers.fire(self, taken, now)
            queued = self.outbox(replies, now) if self.outbox is not None and replies else []
            await self.store.flush()
        return Answer(replies, queued), len(taken)

    def language_of(self, user: str) -> str:
        record = self.store.get_session(user) or {}
        return self.i18n.resolve(record.get("lang"))

    def current_spec(self, session: Session) -> InputSpec:
        state = self._state(session)
        return state.input if state and state.input else InputSpec(kind="text")

    # -- routing ----------------------------------------------------------------------
    async def _route(self, ctx: Context) -> None:
        msg, session = ctx.incoming, ctx.session
        assert msg is not None
        self._remember_profile(session, msg)
        command = parse_command(msg.text) if msg.choice is None else None
        if command is not None:
            command = self._stop_word(session, command)
        if command is not None and command.name in self._takes(session):
            command = None  # the question reads this word itself (its input's `takes:`)
        if command is None and self._opens_conversation(session, msg):
            command = Command("start", msg.text or "")  # a referral link's message
        if command is not None:
            await self._command(ctx, command)
            return
        press = classify(session, msg, self.registry.standing)
        if press is Press.STANDING:
            await self._standing(ctx)
            return
        if press is Press.STALE:
            await self._superseded(ctx)
            return
        if session.pending == "language" and await self._choose_language(ctx):
            return
        if session.pending == "resume":
            await self._resume_answer(ctx)
            return
        if session.pending == "aside":
            await self._aside_answer(ctx)
            return
        state = self._state(session)
        if state is None:
            await self._start(ctx, greet=True)
            return
        if msg.choice == RESUME and RESUME not in session.shown and session.pending is None:
            await self._reprompt(ctx)  # a reminder's "continue": the question they left
            return
        if ctx.now - session.updated_at > self.resume_after and session.history:
            self._ask_builtin(ctx, "resume")
            return
        if state.input is None:
            await self._enter(ctx, state)
            return
        kind = self.registry.kinds[state.input.kind]
        if msg.unsupported and not kind.accepts_media:
            ctx.say("engine.unsupported", what=ctx.t(kind.hint))
            await self._ask(ctx, state)
            return
        value = session.slots.get(state.save) if state.save else None
        before = dict(session.slots)  # what a refused answer leaves (values are replaced)
        result = kind.parse(ctx, state.input, msg, value)
        if isinstance(result, Invalid):
            await self._invalid(ctx, state, result)
        elif isinstance(result, Keep):
            if state.save:
                session.slots[state.save] = result.value
            if result.note:
                ctx.say(result.note, **result.params)
            await self._ask(ctx, state)
        elif isinstance(result, Accept):
            await self._answered(ctx, state, result.value, before)

    async def _arrived(self, ctx: Context) -> None:
        """The app's arrival hooks (`Registry.on_arrival`); one that fails is logged and
        does not keep the message from its answer."""
        for hook in self.registry.arrivals:
            try:
                outcome = hook(ctx)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:
                log.exception("an arrival hook failed on %s", ctx.incoming.channel
                              if ctx.incoming else "?")

    async def _turn_ended(self, ctx: Context, flow_before: str | None) -> None:
        """The app's turn hooks (`Registry.on_turn_end`), before the session is written
        (what they write goes to disk with it); one that fails is logged."""
        for hook in self.registry.turn_ends:
            try:
                outcome = hook(ctx, flow_before)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:
                log.exception("a turn hook failed")

    def _busy(self, session: Session) -> bool:
        """In the middle of something: in a flow, away from the entry flow's home."""
        return session.in_flow and (session.flow, session.state) != self._home()

    def _stop_word(self, session: Session, command: Command) -> Command:
        """``stop`` cancels what is in progress; with nothing in progress it is what people
        answer a broadcast with on every platform: no more broadcasts."""
        if command.word in STOP_WORDS and not self._busy(session):
            return Command("unsubscribe", word=command.word)
        return command

    def _takes(self, session: Session) -> tuple[str, ...]:
        """Global commands the current question reads as an answer instead (``takes:
        [cancel]`` on an order's card: ``batal`` there means "cancel this order?")."""
        state = self._state(session) if session.in_flow else None
        takes = state.input.params.get("takes") if state and state.input else None
        return tuple(str(t) for t in takes) if isinstance(takes, list) else ()

    def _remember_profile(self, session: Session, msg: Incoming) -> None:
        if msg.profile_name and not session.profile.get("name"):
            session.profile["name"] = " ".join(msg.profile_name.split())[:80]
        if msg.profile_phone and not session.profile.get("phone"):
            phone = normalize_phone(msg.profile_phone)
            if phone:
                session.profile["phone"] = phone
        referral = self.registry.referral_tag(msg.referral)
        if referral:
            session.referral = referral

    def _opens_conversation(self, session: Session, msg: Incoming) -> bool:
        """A referral tag typed (or put there by a wa.me link) as the first message of a
        conversation, or at the main menu: it starts the conversation as ``/start <tag>``
        would, on every channel. Elsewhere a tag is an answer like any other text."""
        if msg.choice is not None or self.registry.referral_tag(msg.text) is None:
            return False
        return not session.in_flow or (session.flow, session.state) == self._home()

    async def _command(self, ctx: Context, command: Command) -> None:
        session = ctx.session
        session.pending = None
        if command.name == "start":
            if command.word in RESUBSCRIBE_WORDS and not wants_broadcasts(session.profile):
                session.profile.pop(BROADCASTS_OFF, None)
                log.info("broadcasts turned on again by their recipient")
                ctx.say("engine.resubscribed")
            referral = self.registry.referral_tag(command.argument)
            if referral:
                session.referral = referral
            session.end_flow()
            await self._start(ctx, greet=True)
        elif command.name == "cancel":
            busy = self._busy(session)
            ctx.say("engine.cancelled" if busy else "engine.nothing_to_cancel")
            if command.word in STOP_WORDS:  # it may have meant "no more announcements"
                ctx.say("engine.stop_hint")
            session.end_flow()
            await self._start(ctx, greet=False)
        elif command.name == "back":
            await self._back(ctx)
        elif command.name == "help":
            state = self._state(session)
            kind = self.registry.kinds[state.input.kind] if state and state.input else None
            hint = ctx.t(kind.hint) if kind else ""
            ctx.say(state.help if state and state.help else "engine.help_generic", hint=hint)
            await self._reprompt(ctx)
        elif command.name == "language":
            session.pending = "language"
            ctx.send(self._language_menu(ctx))
        elif command.name == "unsubscribe":
            if wants_broadcasts(session.profile):
                session.profile[BROADCASTS_OFF] = ctx.now  # recorded, with when
                log.info("broadcasts stopped by their recipient")
            ctx.say("engine.unsubscribed")
            if self._busy(session):
                await self._reprompt(ctx)  # nothing in progress is dropped

    # -- pressed options (bot/engine/presses.py) -------------------------------------
    async def _standing(self, ctx: Context) -> None:
        """An option with its own meaning, pressed away from its menu: the entry flow
        starts as for a first message asking for it; ``kembali`` returns to where it was."""
        session = ctx.session
        back = [*session.history, session.snapshot()] if session.in_flow else []
        if self._busy(session) and session.pending is None:
            # kept, said, and offered back once the pressed option's business is done
            session.set_aside = {**session.snapshot(), "history": list(session.history),
                                 "at": ctx.now}
            ctx.say("engine.set_aside")
        session.end_flow()
        await self._start(ctx, greet=True)
        if back and session.in_flow:
            session.history = [*back, *session.history][-MAX_HISTORY:]

    def _offer_set_aside(self, ctx: Context) -> None:
        """The flow a standing press left, offered back once the conversation is at rest
        (its flow ended, or at the entry's home); dropped after ``resume_after``."""
        session = ctx.session
        aside = session.set_aside
        if aside is None or session.pending is not None or self._busy(session):
            return
        if ctx.now - float(aside.get("at") or 0) > self.resume_after:
            session.set_aside = None
            return
        self._ask_builtin(ctx, "aside")

    async def _aside_answer(self, ctx: Context) -> None:
        """``continue``: back to the question that was left, as it was; ``drop``: gone."""
        session = ctx.session
        answer = self._builtin_answer(ctx)
        if answer is None:
            return
        aside, session.set_aside, session.pending = session.set_aside or {}, None, None
        if answer == "drop":
            ctx.say("engine.aside_dropped")
            await self._start(ctx, greet=False)
            return
        session.flow, session.state = aside.get("flow"), aside.get("state")
        session.slots, session.return_to = dict(aside.get("slots") or {}), aside.get("return_to")
        session.history = list(aside.get("history") or [])
        state = self._state(session)
        if state is None or state.input is None:  # a flow or state that is no more
            session.end_flow()
            await self._start(ctx, greet=False)
            return
        await self._ask(ctx, state)

    async def _superseded(self, ctx: Context) -> None:
        """A press on a menu the conversation has moved past: said, and asked again."""
        ctx.say("engine.choice_expired")
        if ctx.session.pending == "language":
            ctx.send(self._language_menu(ctx))
        elif ctx.session.pending in QUESTIONS:
            self._ask_builtin(ctx, ctx.session.pending)
        else:
            await self._reprompt(ctx)

    # -- built-in questions -----------------------------------------------------------
    def _language_menu(self, ctx: Context) -> Menu:
        options = [Option(lang, self.i18n.language_name(lang)) for lang in self.i18n.languages]
        ctx.session.shown = [o.id for o in options]
        return Menu(to=ctx.key, text=ctx.t("engine.choose_language"), options=tuple(options))

    async def _choose_language(self, ctx: Context) -> bool:
        msg = ctx.incoming
        assert msg is not None
        options = self._language_menu(ctx).options
        found = Matched(msg.choice) if msg.choice else match_choice(msg.text or "", options)
        if not isinstance(found, Matched):
            found = self._language_by_name(msg.text or "")
        ctx.session.pending = None
        if not isinstance(found, Matched) or found.option_id not in self.i18n.catalogs:
            return False  # not an answer: handle the message normally
        ctx.session.lang = found.option_id
        ctx.say("engine.language_set", language=self.i18n.language_name(found.option_id))
        state = self._state(ctx.session)
        if state is not None and state.input is not None:
            await self._ask(ctx, state)
        return True

    def _language_by_name(self, text: str) -> Matched | None:
        """``indonesia``, ``inggris``, ``english``: a language named in any language we speak."""
        wanted = normalize(text)
        for lang, catalog in self.i18n.catalogs.items():
            names = {lang, normalize(self.i18n.language_name(lang))}
            for other in self.i18n.catalogs.values():
                names.add(normalize(catalog.locale.get_display_name(other.locale) or ""))
            if wanted and any(wanted == n or wanted in n.split() for n in names):
                return Matched(lang)
        return None

    def _menu(self, ctx: Context, message_id: str, answers: list[str]) -> Menu:
        options = tuple(Option(a, ctx.t(BUILTIN_OPTIONS[a])) for a in answers)
        ctx.session.shown = list(answers)
        return Menu(to=ctx.key, text=ctx.t(message_id), options=options)

    def _ask_builtin(self, ctx: Context, pending: str) -> None:
        """Ask the built-in question ``pending`` (a key of `QUESTIONS`)."""
        ctx.session.pending = pending
        question, answers = QUESTIONS[pending]
        ctx.send(self._menu(ctx, question, list(answers)))

    def _builtin_answer(self, ctx: Context) -> str | None:
        """The option the answer to the pending built-in question picks (pressed or typed),
        or None: the question is asked again."""
        msg, pending = ctx.incoming, str(ctx.session.pending)
        assert msg is not None
        question, answers = QUESTIONS[pending]
        options = self._menu(ctx, question, list(answers)).options
        found = Matched(msg.choice) if msg.choice else match_choice(msg.text or "", options)
        if not isinstance(found, Matched) or found.option_id not in answers:
            self._ask_builtin(ctx, pending)
            return None
        return found.option_id

    async def _resume_answer(self, ctx: Context) -> None:
        answer = self._builtin_answer(ctx)
        if answer is None:
            return
        ctx.session.pending = None
        if answer == "restart":
            ctx.session.end_flow()
            await self._start(ctx, greet=False)
        else:
            await self._reprompt(ctx)

    # -- moving through a flow --------------------------------------------------------
    def _home(self) -> tuple[str, str]:
        flow = self.flows[self.entry]
        return flow.name, flow.home_state

    def _state(self, session: Session) -> State | None:
        flow = self.flows.get(session.flow or "")
        return flow.states.get(session.state or "") if flow else None

    async def _start(self, ctx: Context, *, greet: bool) -> None:
        cursor = fire(self.machines[self.entry], START if greet else HOME, OUT, ctx)
        assert cursor is not None, f"flow {self.entry} has no start"
        await self._enter(ctx, self._settle(ctx.session, self.entry, cursor))

    def _settle(self, session: Session, flow: str, cursor: Cursor) -> State:
        """Where the machine put the conversation: the one place its flow and state are
        set (`Session.end_flow` aside, which leaves every flow)."""
        session.flow, session.state = flow, cursor.state
        return self.flows[flow].states[cursor.state]

    async def _reprompt(self, ctx: Context) -> None:
        state = self._state(ctx.session)
        if state is not None and state.input is not None:
            await self._ask(ctx, state)
        else:
            ctx.session.end_flow()
            await self._start(ctx, greet=False)

    def _params(self, ctx: Context) -> dict[str, Any]:
        return {**ctx.session.profile, **ctx.session.slots, **ctx.view}

    async def _view(self, ctx: Context, state: State) -> None:
        """Run the state's view actions: display values for its text, never stored."""
        await self._run(ctx, state.view)

    async def _ask(self, ctx: Context, state: State, text: str | None = None) -> None:
        assert state.input is not None and state.ask is not None
        await self._view(ctx, state)
        kind = self.registry.kinds[state.input.kind]
        value = ctx.session.slots.get(state.save) if state.save else None
        reply = kind.prompt(ctx, state.input, ctx.t(state.ask, **self._params(ctx)), value)
        if text:
            reply = replace(reply, text=f"{text}\n\n{reply.text}")
        ctx.session.shown = [o.id for o in reply.options] if isinstance(reply, Menu) else []
        ctx.send(reply)

    async def _invalid(self, ctx: Context, state: State, result: Invalid) -> None:
        problem = ctx.t(result.message_id, **result.params)
        if result.options:
            ctx.session.shown = [o.id for o in result.options]
            ctx.send(Menu(to=ctx.key, text=problem, options=result.options))
        else:
            await self._ask(ctx, state, text=problem)

    async def _run(self, ctx: Context, actions: tuple[str, ...]) -> None:
        for name in actions:
            outcome = self.registry.actions[name](ctx)
            if inspect.isawaitable(outcome):
                await outcome

    async def _answered(self, ctx: Context, state: State, value: Any,
                        before: dict[str, Any] | None = None) -> None:
        session = ctx.session
        if state.save:
            session.slots[state.save] = value
        snapshot = session.snapshot()
        if not await self._follow(ctx, state, value, before):
            return
        session.history = [*session.history, snapshot][-MAX_HISTORY:]

    async def _follow(self, ctx: Context, state: State, value: Any,
                      before: dict[str, Any] | None = None) -> bool:
        """Take the branch for ``value`` from ``state``; False if it could not be taken.
        An action that refuses (`ActionFailed`) leaves the slots as ``before`` (as they
        were before the answer): a refused order code does not replace the order shown."""
        session = ctx.session
        flow = session.flow or ""
        trigger = answer_trigger(value) if isinstance(value, str) and value in state.on else NEXT
        cursor = fire(self.machines[flow], trigger, state.name, ctx)  # the machine decides
        step = cursor.step if cursor is not None else None
        if cursor is None or step is None:
            # the answer's type, not the answer: it may be what a resident typed
            log.error("no transition from %s.%s for a %s answer", session.flow, state.name,
                      type(value).__name__)
            await self._ask(ctx, state, text=ctx.t("engine.invalid_choice"))
            return False
        try:
            await self._run(ctx, step.do)
        except ActionFailed as failed:
            if before is not None:
                session.slots = before
            ctx.say(failed.message_id, **failed.params)
            if state.input is not None:
                await self._ask(ctx, state)
            return False
        if step.flow is not None:
            session.slots, session.return_to = {}, None
            cursor = fire(self.machines[step.flow], START, OUT, ctx)
            assert cursor is not None, f"flow {step.flow} has no start"
            flow = step.flow
        elif step.returned:
            session.return_to = None
        if step.return_to:
            session.return_to = step.return_to
        await self._enter(ctx, self._settle(session, flow, cursor))
        return True

    async def _enter(self, ctx: Context, state: State, depth: int = 0) -> None:
        if depth > MAX_PASS_THROUGH:
            raise RuntimeError(f"flow {ctx.session.flow} loops through {state.name}")
        try:
            await self._run(ctx, state.enter)
        except ActionFailed as failed:
            ctx.say(failed.message_id, **failed.params)
        if state.say:
            await self._view(ctx, state)
            ctx.say(state.say, **self._params(ctx))
        if state.final:
            ctx.session.end_flow()
        elif state.input is not None:
            await self._ask(ctx, state)
        elif await self._follow(ctx, state, None) is False:
            raise RuntimeError(f"no way out of {ctx.session.flow}.{state.name}")

    async def _back(self, ctx: Context) -> None:
        session = ctx.session
        if not session.history:
            ctx.say("engine.cannot_go_back")
            await self._reprompt(ctx)
            return
        previous = session.history[-1]
        session.history = session.history[:-1]
        session.slots, session.return_to = previous["slots"], previous.get("return_to")
        machine = self.machines.get(previous["flow"] or "")
        cursor = fire(machine, back_trigger(previous["state"] or ""), OUT, ctx) if machine \
            else None
        if cursor is None:  # a step of a flow or state that is no more
            session.end_flow()
            await self._start(ctx, greet=False)
            return
        state = self._settle(session, previous["flow"], cursor)
        if state.input is None:
            await self._reprompt(ctx)
            return
        value = session.slots.get(state.save) if state.save else None
        described = self.registry.kinds[state.input.kind].describe(ctx, value) if value else ""
        note = ctx.t("engine.back_previous", answer=described) if described else None
        await self._ask(ctx, state, text=note)

