"""A list built over several messages (a shopping list): add, `hapus N`, then done.

The app gives the parser (text -> JSON-able entries) and how an entry reads; the engine
keeps the list in the state's slot, shows it numbered after each message, and moves on
when the user says done (never with an empty list).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, InputKind, Invalid, Keep, Result, answer_text
from bot.engine.matching import normalize
from bot.messages import Incoming, Menu, Option, Reply, Text

Parser = Callable[[Context, str], list[dict[str, Any]]]  # text -> new entries
Describer = Callable[[Context, dict[str, Any]], str]  # an entry as the user reads it

DONE_WORDS = {
    "selesai", "sudah", "udah", "cukup", "done", "finish", "lanjut", "itu saja", "itu aja",
}
_REMOVE = re.compile(r"^(?:hapus|hps|delete|del|remove)\s*(?:no\.?\s*|nomor\s*)?(\d{1,3})$")
MAX_ENTRIES = 60
DONE = "done"


class ListKind(InputKind):
    hint = "engine.hint_list"

    def __init__(self, name: str, parser: Parser, describe_entry: Describer) -> None:
        self.name = name  # type: ignore[misc]  # the kind is registered under this name
        self.parser = parser
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
        text = answer_text(msg)
        if msg.choice == DONE or normalize(text) in DONE_WORDS:
            return Accept(entries) if entries else Invalid("engine.list_empty")
        if msg.choice is not None:
            return Invalid("engine.choice_expired")
        removal = _REMOVE.match(normalize(text))
        if removal:
            index = int(removal.group(1))
            if not 1 <= index <= len(entries):
                return Invalid("engine.list_no_such_line", {"number": index, "count": len(entries)})
            removed = entries.pop(index - 1)
            described = self.describe_entry(ctx, removed)
            return Keep(entries, "engine.list_removed", {"entry": described, "number": index})
        added = self.parser(ctx, text) if text else []
        if not added:
            return Invalid("engine.list_nothing_found")
        if len(entries) + len(added) > MAX_ENTRIES:
            return Invalid("engine.list_too_long", {"max": MAX_ENTRIES})
        return Keep(entries + added)

    def describe(self, ctx: Context, value: Any) -> str:
        return self.render(ctx, value) if isinstance(value, list) else ""
