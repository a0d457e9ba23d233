"""The contract of an input kind: parse what the user sent in a state, or say what's wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.messages import Incoming, Option, Reply, Text


@dataclass(frozen=True)
class Accept:
    """A complete answer: it is saved and the flow moves on."""

    value: Any


@dataclass(frozen=True)
class Keep:
    """A partial answer (a list growing, a pin without a written detail): saved, state stays."""

    value: Any
    note: str | None = None  # message id said before the prompt is shown again
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Invalid:
    """Not acceptable: say why (a message id), and ask again. The state stays."""

    message_id: str
    params: dict[str, Any] = field(default_factory=dict)
    options: tuple[Option, ...] | None = None  # offer these instead of the usual options


Result = Accept | Keep | Invalid


class InputKind:
    """Base class. Subclasses set ``name`` and implement ``parse``."""

    name: ClassVar[str] = ""
    answers: ClassVar[tuple[str, ...]] = ()  # fixed answer values, for `on:` checks
    accepts_media: ClassVar[bool] = False
    hint: ClassVar[str] = "engine.hint_text"  # what the bot understands in this state

    def check(self, spec: InputSpec) -> list[str]:
        """Problems with the spec's parameters (for the validator)."""
        return []

    def options(self, ctx: Context, spec: InputSpec) -> list[Option]:
        """Options offered with the prompt (and accepted as answers)."""
        return []

    def prompt(self, ctx: Context, spec: InputSpec, text: str, value: Any = None) -> Reply:
        """The reply that asks. ``value`` is what is saved so far for this state."""
        return Text(to=ctx.key, text=text)

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        raise NotImplementedError

    def describe(self, ctx: Context, value: Any) -> str:
        """A saved answer as the user would recognise it (shown after `kembali`)."""
        return "" if value is None else str(value)


def answer_text(msg: Incoming) -> str:
    return (msg.text or "").strip()
