"""A list built over several messages (a shopping list): add, change, remove, then done.

The app gives the reader (what one message does to the list: a `ListUpdate`) and how an
entry reads; the engine keeps the list in the state's slot, shows it numbered after each
message, and moves on when the user says done (never with an empty list). The words people
use (``hapus 2``, ``udah itu aja``) are the app's: the engine knows only the done button.

A list longer than ``MAX_ENTRIES`` keeps what fits and says what was left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, InputKind, Invalid, Keep, Result, answer_text
from bot.messages import Incoming, Menu, Option, Reply, Text


@dataclass(frozen=True)
class ListUpdate:
    """What one message does to a list."""

    entries: list[dict[str, Any]] | None = None  # the whole list afterwards; None: unchanged
    done: bool = False  # the user closed the list ("that's all")
    say: str | None = None  # message id said before the list is shown again
    params: dict[str, Any] = field(default_factory=dict)
    ask: str | None = None  # nothing changes: say this (a message id) and ask again


Reader = Callable[[Context, str, list[dict[str, Any]]], ListUpdate]  # text, list -> update
Describer = Callable[[Context, dict[str, Any]], str]  # an entry as the user reads it

MAX_ENTRIES = 60
DONE = "done"


class ListKind(InputKind):
    hint = "engine.hint_list"

    def __init__(self, name: str, reader: Reader, describe_entry: Describer) -> None:
        self.name = name  # type: ignore[misc]  # the kind is registered under this name
        self.reader = reader
        self.describe_entry = describe_entry

    def options(self, ctx: Context, spec: InputSpec) -> list[Option]:
        return [Option(DONE, ctx.t("engine.opt_done"))]

    def render(self, ctx: Context, entries: list[dict[str, Any]]) -> str:
        lines = [f"{i}. {self.describe_entry(ctx, e)}" for i, e in enumerate(entries, 1)]
        return "\n".join(lines)

    def prompt(self, ctx: Context, spec: InputSpec, text: str, value: Any = None) -> Reply:
        entries = value if isinstance(value, list) else []
        if not entries:
            return Text(to=ctx.key, text=text)
        body = ctx.t("engine.list_so_far", list=self.render(ctx, entries), count=len(entries))
        options = tuple(self.options(ctx, spec))
        return Menu(to=ctx.key, text=body, options=options)

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        entries = list(value) if isinstance(value, list) else []
        if msg.choice == DONE:
            return Accept(entries) if entries else Invalid("engine.list_empty")
        if msg.choice is not None:
            return Invalid("engine.choice_expired")
        text = answer_text(msg)
        update = self.reader(ctx, text, entries) if text else ListUpdate(ask="engine.list_empty")
        if update.ask is not None:
            return Invalid(update.ask, dict(update.params))
        after = list(update.entries) if update.entries is not None else entries
        if len(after) > MAX_ENTRIES:
            left_out = after[MAX_ENTRIES:]
            after = after[:MAX_ENTRIES]
            described = "; ".join(self.describe_entry(ctx, e) for e in left_out)
            ctx.say("engine.list_too_long_kept", max=MAX_ENTRIES, count=len(left_out),
                    left_out=described)  # fmt: skip
        if update.done:
            if update.say:
                ctx.say(update.say, **update.params)
            return Accept(after) if after else Invalid("engine.list_empty")
        if update.entries is None and update.say is None:
            return Invalid("engine.list_nothing_found")
        return Keep(after, update.say, dict(update.params))

    def describe(self, ctx: Context, value: Any) -> str:
        return self.render(ctx, value) if isinstance(value, list) else ""
