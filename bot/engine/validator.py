"""Checking flows against the app's registry and the locale catalogs, before the bot starts.

Every problem is reported with its file and line, all at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.engine.flow import Flow, State
from bot.engine.inputs.choice import ConfirmKind
from bot.engine.loader import NAME, FlowError
from bot.engine.registry import Registry
from bot.i18n import I18n

# The tightest label limit a menu must fit on every platform we render to (a WhatsApp
# list row title); adapters still shorten what does not fit a reply button (20).
LABEL_MAX = 24
OPTION_ID_MAX = 32  # bytes; Telegram callback_data is 64 with our prefix


class _Checker:
    def __init__(self, flows: dict[str, Flow], registry: Registry, i18n: I18n) -> None:
        self.flows, self.registry, self.i18n = flows, registry, i18n
        self.errors: list[FlowError] = []

    def error(self, flow: Flow, line: int, message: str) -> None:
        self.errors.append(FlowError(flow.path, line, message))

    def message(self, flow: Flow, line: int, message_id: str) -> None:
        for language, catalog in self.i18n.catalogs.items():
            if message_id not in catalog.messages:
                where = catalog.path or language
                self.error(flow, line, f"message id {message_id!r} missing from {where}")

    def names(self, flow: Flow, line: int, names: Iterable[str], known: dict, what: str) -> None:
        for name in names:
            if name not in known:
                listed = ", ".join(sorted(known)) or "none registered"
                self.error(flow, line, f"unknown {what} {name!r} (known: {listed})")

    def branch_targets(self, flow: Flow, state: State) -> None:
        for branch in state.branches():
            if branch.to is not None and branch.to not in flow.states:
                self.error(flow, branch.line, f"unknown state {branch.to!r}")
            if branch.flow is not None and branch.flow not in self.flows:
                self.error(flow, branch.line, f"unknown flow {branch.flow!r}")
            if branch.return_to is not None and branch.return_to not in flow.states:
                self.error(flow, branch.line, f"unknown state {branch.return_to!r} in 'return'")
            self.names(flow, branch.line, branch.do, self.registry.actions, "action")
            condition = branch.condition
            if condition is not None:
                self.names(flow, branch.line, [condition[0]], self.registry.conditions, "condition")

    def answers(self, flow: Flow, state: State) -> list[str] | None:
        """The fixed set of answers a state can get, when the flow itself says it."""
        spec = state.input
        if spec is None:
            return None
        kind = self.registry.kinds.get(spec.kind)
        if isinstance(kind, ConfirmKind):
            return kind.allowed(spec)
        if spec.kind == "choice" and spec.options:
            return [o.id for o in spec.options]
        return None

    def input_spec(self, flow: Flow, state: State) -> None:
        spec = state.input
        if spec is None:
            return
        kind = self.registry.kinds.get(spec.kind)
        if kind is None:
            known = ", ".join(sorted(self.registry.kinds))
            self.error(flow, spec.line, f"unknown input kind {spec.kind!r} (known: {known})")
            return
        for problem in kind.check(spec):
            self.error(flow, spec.line, problem)
        if spec.source and spec.source not in self.registry.sources:
            self.names(flow, spec.line, [spec.source], self.registry.sources, "option source")
        if spec.kind == "choice" and not spec.source and not spec.options:
            self.error(flow, spec.line, "a choice needs options (a list or a source name)")
        for option in spec.options:
            self.message(flow, option.line, option.label)
            if len(option.id.encode()) > OPTION_ID_MAX:
                self.error(flow, option.line, f"option id {option.id!r} over {OPTION_ID_MAX} bytes")
            for catalog in self.i18n.catalogs.values():
                label = catalog.messages.get(option.label, "")
                if len(label) > LABEL_MAX:
                    self.error(
                        flow,
                        option.line,
                        f"button label {label!r} ({catalog.language}) is {len(label)} "
                        f"characters; WhatsApp allows {LABEL_MAX}",
                    )

    def state(self, flow: Flow, state: State) -> None:
        for key in ("say", "ask", "help"):
            message_id = getattr(state, key)
            if message_id:
                self.message(flow, state.line_of(key), message_id)
        if state.save is not None and not NAME.match(state.save):
            self.error(flow, state.line_of("save"), f"slot name {state.save!r}: use a-z, 0-9, _")
        if state.input is not None and not state.ask:
            self.error(flow, state.line, f"state {state.name!r} has an input but no 'ask'")
        if state.ask and state.input is None:
            self.error(flow, state.line_of("ask"), f"state {state.name!r} asks but has no 'input'")
        self.input_spec(flow, state)
        self.names(flow, state.line_of("enter"), state.enter, self.registry.actions, "action")
        self.names(flow, state.line_of("view"), state.view, self.registry.actions, "action")
        self.branch_targets(flow, state)
        if state.final:
            if state.branches() or state.input is not None:
                self.error(flow, state.line, f"final state {state.name!r} cannot have a way out")
            return
        if not state.branches():
            self.error(flow, state.line, f"state {state.name!r} is not final and has no way out")
            return
        if state.next and state.next[-1].condition is not None:
            self.error(
                flow,
                state.next[-1].line,
                f"state {state.name!r}: the last 'next' needs no condition, so one always applies",
            )
        answers = self.answers(flow, state)
        for key, branches in state.on.items():
            if branches[-1].condition is not None:
                self.error(flow, branches[-1].line, f"state {state.name!r}: the last branch "
                           f"of answer {key!r} needs no condition, so one always applies")
        if state.on and answers is not None:
            for key in state.on:
                if key not in answers:
                    line = state.on[key][0].line
                    self.error(flow, line, f"{key!r} is not an answer of this state")
            if not state.next:
                for answer in answers:
                    if answer not in state.on:
                        self.error(flow, state.line, f"answer {answer!r} has no transition")

    def reachable(self, flow: Flow) -> set[str]:
        seen: set[str] = set()
        todo = [s for s in (flow.start, flow.home_state) if s in flow.states]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for branch in flow.states[name].branches():
                for target in (branch.to, branch.return_to):
                    if target in flow.states and target not in seen:
                        todo.append(target)
        return seen

    def flow(self, flow: Flow) -> None:
        if flow.start not in flow.states:
            self.error(flow, flow.key_lines.get("start", 1), f"start state {flow.start!r} unknown")
        if flow.home and flow.home not in flow.states:
            self.error(flow, flow.key_lines.get("home", 1), f"home state {flow.home!r} unknown")
        for state in flow.states.values():
            self.state(flow, state)
        if flow.start in flow.states:
            reached = self.reachable(flow)
            for state in flow.states.values():
                if state.name not in reached:
                    self.error(flow, state.line, f"state {state.name!r} is unreachable")


def validate_flows(
    flows: dict[str, Flow], registry: Registry, i18n: I18n, entry: str | None = None
) -> list[FlowError]:
    checker = _Checker(flows, registry, i18n)
    for flow in flows.values():
        checker.flow(flow)
    if entry is not None and entry not in flows:
        checker.errors.append(FlowError("config.yaml", 1, f"entry flow {entry!r} not found"))
    return sorted(set(checker.errors))
