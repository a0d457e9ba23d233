"""The flow model: what a YAML flow file means, independent of YAML and of `transitions`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Branch:
    """Where to go: a state of this flow (``to``) or another flow's start (``flow``).

    ``do`` names actions to run first; ``cond`` a condition that must hold (``"not x"``
    negates); ``return_to`` makes the target state, once answered, come back here.
    """

    to: str | None = None
    flow: str | None = None
    do: tuple[str, ...] = ()
    cond: str | None = None
    return_to: str | None = None
    line: int = 0

    @property
    def condition(self) -> tuple[str, bool] | None:
        """(name, wanted truth value), or None when unconditional."""
        if not self.cond:
            return None
        name = self.cond.strip()
        if name.startswith("not "):
            return name[4:].strip(), False
        return name, True


@dataclass(frozen=True)
class StaticOption:
    id: str
    label: str  # a message id
    line: int = 0


@dataclass(frozen=True)
class InputSpec:
    kind: str
    source: str | None = None  # option source registered by the app
    options: tuple[StaticOption, ...] = ()  # or options written in the flow
    params: dict[str, Any] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class State:
    name: str
    line: int = 0
    say: str | None = None  # message id said on entering
    ask: str | None = None  # message id of the question (needs an input)
    help: str | None = None  # message id for `bantuan` in this state
    input: InputSpec | None = None
    save: str | None = None  # slot that receives the answer
    enter: tuple[str, ...] = ()  # actions run on entering, before saying/asking
    view: tuple[str, ...] = ()  # actions that compute display values (ctx.view) each time
    # the state's text is rendered; what they compute is never stored
    next: tuple[Branch, ...] = ()  # tried in order; the first whose condition holds
    # by answer value; an answer's branches are tried in order like `next`
    on: dict[str, tuple[Branch, ...]] = field(default_factory=dict)
    final: bool = False
    key_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def branches(self) -> list[Branch]:
        return [*self.next, *(b for branches in self.on.values() for b in branches)]


@dataclass(frozen=True)
class Flow:
    name: str
    start: str
    states: dict[str, State]
    path: str = "<flow>"
    home: str | None = None  # where `menu`/`batal` return to (default: start)
    line: int = 1
    key_lines: dict[str, int] = field(default_factory=dict)

    @property
    def home_state(self) -> str:
        return self.home or self.start

