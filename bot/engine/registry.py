"""Names flows may use: actions, conditions, option sources and input kinds.

The app registers them in Python; flows refer to them by name; the validator refuses a
flow that names something unregistered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.engine.context import Context
from bot.engine.inputs.address import AddressKind
from bot.engine.inputs.base import InputKind
from bot.engine.inputs.basic import LocationKind, NumberKind, TextKind
from bot.engine.inputs.choice import ChoiceKind, ConfirmKind
from bot.engine.inputs.phone import PhoneKind
from bot.engine.matching import ChoiceMatch
from bot.engine.phrases import Phrasebook
from bot.messages import Option

Action = Callable[[Context], Awaitable[None] | None]
Condition = Callable[[Context], bool]
Provider = Callable[[Context], Sequence[Option]]
Matcher = Callable[[Context, str, Sequence[Option]], ChoiceMatch]
TimerHandler = Callable[[Context], Awaitable[None] | None]  # see bot/engine/timers.py
TurnHook = Callable[[Context, "str | None"], Awaitable[None] | None]


@dataclass(frozen=True)
class OptionSource:
    provide: Provider
    matcher: Matcher | None = None


def builtin_kinds() -> list[InputKind]:
    return [TextKind(), NumberKind(), PhoneKind(), ChoiceKind(), ConfirmKind(),
            LocationKind(), AddressKind()]


class Registry:
    def __init__(self) -> None:
        self.actions: dict[str, Action] = {}
        # built in: ``set_aside``, a flow left by a standing press waits to be offered back
        # (the engine offers it once the conversation is at rest: a final state, or home)
        self.conditions: dict[str, Condition] = {
            "set_aside": lambda ctx: ctx.session.set_aside is not None}
        self.sources: dict[str, OptionSource] = {}
        self.kinds: dict[str, InputKind] = {k.name: k for k in builtin_kinds()}
        # what plain words mean at a menu, per language (locales/<lang>/intents.yaml)
        self.phrasebook: Phrasebook = Phrasebook()
        # option ids that carry their own meaning (an action and what it is on), valid
        # from any state for as long as that action is possible (bot/engine/presses.py)
        self.standing: Callable[[str], bool] = lambda option_id: False
        # what a referral tag is (the app's rule; none unless it registers one): the tag
        # of a whole text, or None
        self.referral_tag: Callable[[str | None], str | None] = lambda text: None
        # what each kind of durable timer does (bot/engine/timers.py)
        self.timers: dict[str, TimerHandler] = {}
        # run after every message, before its session is written (`on_turn_end`)
        self.turn_ends: list[TurnHook] = []
        # run first on every message a user sends (after duplicates are dropped), before
        # it is routed: what waited for this user to write goes out ahead of the answer
        self.arrivals: list[Action] = []

    def action(self, name: str) -> Callable[[Action], Action]:
        def register(fn: Action) -> Action:
            self.actions[name] = fn
            return fn

        return register

    def condition(self, name: str) -> Callable[[Condition], Condition]:
        def register(fn: Condition) -> Condition:
            self.conditions[name] = fn
            return fn

        return register

    def options(self, name: str, matcher: Matcher | None = None) -> Callable[[Provider], Provider]:
        def register(fn: Provider) -> Provider:
            self.sources[name] = OptionSource(fn, matcher)
            return fn

        return register

    def timer(self, kind: str) -> Callable[[TimerHandler], TimerHandler]:
        """Register what a durable timer of ``kind`` does when it is due: ``fn(ctx)``
        with ``ctx.timer`` the timer (see bot/engine/timers.py)."""
        def register(fn: TimerHandler) -> TimerHandler:
            self.timers[kind] = fn
            return fn

        return register

    def standing_options(self, test: Callable[[str], bool]) -> Callable[[str], bool]:
        """Say which option ids stand on their own (``claim:KRB-1127-001``): pressed on
        any message, however old, they start the entry flow as a first message would."""
        self.standing = test
        return test

    def referral_tags(
        self, read: Callable[[str | None], str | None]
    ) -> Callable[[str | None], str | None]:
        """Say what a referral tag is: ``read(text)`` gives the tag of a text that is one
        (a /start payload, an adapter's referral, a typed first message), else None."""
        self.referral_tag = read
        return read

    def on_arrival(self, fn: Action) -> Action:
        """Run ``fn(ctx)`` on every message before it is routed (a failure is logged and
        the message handled all the same)."""
        self.arrivals.append(fn)
        return fn

    def on_turn_end(self, fn: TurnHook) -> TurnHook:
        """Run ``fn(ctx, flow_before)`` after every message is handled, before the session
        is written (what it writes, a timer say, is made durable with it): ``flow_before``
        is the flow the message found the conversation in, ``ctx.session`` where it is now.
        A failure is logged and the message answered all the same."""
        self.turn_ends.append(fn)
        return fn

    def kind(self, kind: InputKind) -> InputKind:
        """Add an input kind, or replace a built-in one of the same name."""
        self.kinds[kind.name] = kind
        return kind

    def describe(self) -> dict[str, Any]:
        return {
            "actions": sorted(self.actions),
            "conditions": sorted(self.conditions),
            "options": sorted(self.sources),
            "kinds": sorted(self.kinds),
        }
