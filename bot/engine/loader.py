"""Reading flow files into `Flow` objects, reporting every structural problem with its line.

Semantic checks that need the app's registry and the locale catalogs (unknown action,
missing message id, unreachable state, ...) live in `bot.engine.validator`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.engine.flow import Branch, Flow, InputSpec, State, StaticOption
from bot.engine.yaml_lines import LineDict, LineList, load_yaml

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
STATE_KEYS = {"say", "ask", "help", "input", "save", "enter", "view", "next", "on", "final"}
BRANCH_KEYS = {"to", "flow", "do", "if", "return"}
FLOW_KEYS = {"flow", "start", "home", "states", "description"}


@dataclass(frozen=True, order=True)
class FlowError:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class FlowLoadError(Exception):
    def __init__(self, errors: list[FlowError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[FlowError] = []

    def error(self, line: int, message: str) -> None:
        self.errors.append(FlowError(self.path, line, message))

    def names(self, value: Any, line: int, what: str) -> tuple[str, ...]:
        """One name or a list of names (actions)."""
        items = value if isinstance(value, list) else [value]
        result = []
        for item in items:
            if isinstance(item, str) and item.strip():
                result.append(item.strip())
            else:
                self.error(line, f"{what} must be a name or a list of names, got {item!r}")
        return tuple(result)

    def branch(self, value: Any, line: int) -> Branch | None:
        if isinstance(value, str):
            return Branch(to=value, line=line)
        if not isinstance(value, LineDict):
            self.error(line, f"a transition must be a state name or a mapping, got {value!r}")
            return None
        for key in value:
            if key not in BRANCH_KEYS:
                known = ", ".join(sorted(BRANCH_KEYS))
                self.error(value.line_of(key), f"unknown key {key!r} in transition ({known})")
        to, flow = value.get("to"), value.get("flow")
        if to is None and flow is None:
            self.error(value.line, "a transition needs 'to' (a state) or 'flow' (another flow)")
        if to is not None and flow is not None:
            self.error(value.line, "a transition has either 'to' or 'flow', not both")
        do = self.names(value["do"], value.line_of("do"), "'do'") if "do" in value else ()
        cond = value.get("if")
        if cond is not None and not isinstance(cond, str):
            self.error(value.line_of("if"), f"'if' must be a condition name, got {cond!r}")
            cond = None
        return Branch(
            to=str(to) if to is not None else None,
            flow=str(flow) if flow is not None else None,
            do=do,
            cond=cond,
            return_to=str(value["return"]) if value.get("return") else None,
            line=value.line,
        )

    def next_branches(self, value: Any, line: int) -> tuple[Branch, ...]:
        if isinstance(value, LineList):
            found = (self.branch(v, ln) for v, ln in zip(value, value.item_lines, strict=True))
            return tuple(b for b in found if b is not None)
        single = self.branch(value, line)
        return (single,) if single else ()

    def input_spec(self, value: Any, line: int) -> InputSpec | None:
        if isinstance(value, str):
            return InputSpec(kind=value, line=line)
        if not isinstance(value, LineDict) or not isinstance(value.get("kind"), str):
            self.error(line, "'input' needs a kind: input: {kind: text}")
            return None
        source, options = None, []
        raw = value.get("options")
        if isinstance(raw, str):
            source = raw
        elif isinstance(raw, LineList):
            for item, item_line in zip(raw, raw.item_lines, strict=True):
                if isinstance(item, LineDict) and item.get("id") and item.get("label"):
                    options.append(StaticOption(str(item["id"]), str(item["label"]), item_line))
                else:
                    self.error(item_line, "an option needs an id and a label: {id: x, label: y}")
        elif raw is not None:
            self.error(value.line_of("options"), "'options' is a source name or a list")
        params = {k: v for k, v in value.items() if k not in ("kind", "options")}
        return InputSpec(value["kind"], source, tuple(options), params, value.line)

    def state(self, name: str, raw: Any, line: int) -> State | None:
        if not NAME.match(str(name)):
            self.error(line, f"state name {name!r}: use lowercase letters, digits and _")
        if not isinstance(raw, LineDict):
            self.error(line, f"state {name!r} must be a mapping")
            return None
        for key in raw:
            if key not in STATE_KEYS:
                known = ", ".join(sorted(STATE_KEYS))
                self.error(raw.line_of(key), f"unknown key {key!r} in state {name!r} ({known})")
        spec = self.input_spec(raw["input"], raw.line_of("input")) if "input" in raw else None
        on: dict[str, tuple[Branch, ...]] = {}
        if "on" in raw:
            if isinstance(raw["on"], LineDict):
                for answer, target in raw["on"].items():
                    # one branch, or a list tried in order like `next`
                    branches = self.next_branches(target, raw["on"].line_of(answer))
                    if branches:
                        on[str(answer)] = branches
            else:
                self.error(raw.line_of("on"), "'on' maps answers to transitions")
        message_keys = ("say", "ask", "help", "save")
        for key in message_keys:
            if key in raw and not isinstance(raw[key], str):
                self.error(raw.line_of(key), f"{key!r} must be a message id or name")
        enter = self.names(raw["enter"], raw.line_of("enter"), "'enter'") if "enter" in raw else ()
        view = self.names(raw["view"], raw.line_of("view"), "'view'") if "view" in raw else ()
        nxt = self.next_branches(raw["next"], raw.line_of("next")) if "next" in raw else ()
        return State(
            name=str(name),
            line=line,
            say=raw.get("say") if isinstance(raw.get("say"), str) else None,
            ask=raw.get("ask") if isinstance(raw.get("ask"), str) else None,
            help=raw.get("help") if isinstance(raw.get("help"), str) else None,
            input=spec,
            save=raw.get("save") if isinstance(raw.get("save"), str) else None,
            enter=enter,
            view=view,
            next=nxt,
            on=on,
            final=bool(raw.get("final", False)),
            key_lines=dict(raw.key_lines),
        )

    def flow(self, data: Any) -> Flow | None:
        if not isinstance(data, LineDict):
            self.error(1, "a flow file is a mapping with flow, start and states")
            return None
        for key in data:
            if key not in FLOW_KEYS:
                known = ", ".join(sorted(FLOW_KEYS))
                self.error(data.line_of(key), f"unknown key {key!r} ({known})")
        name, start = data.get("flow"), data.get("start")
        if not isinstance(name, str) or not NAME.match(name):
            self.error(data.line_of("flow"), "'flow' must name the flow (lowercase, e.g. order)")
            name = Path(self.path).stem
        if not isinstance(start, str):
            self.error(data.line_of("start"), "'start' must name the first state")
            start = ""
        raw_states = data.get("states")
        if not isinstance(raw_states, LineDict) or not raw_states:
            self.error(data.line_of("states"), "'states' must map state names to states")
            raw_states = LineDict()
            raw_states.key_lines = {}
        states = {}
        for state_name, raw in raw_states.items():
            state = self.state(str(state_name), raw, raw_states.line_of(state_name))
            if state:
                states[state.name] = state
        home = data.get("home")
        return Flow(
            name=name,
            start=start,
            states=states,
            path=self.path,
            home=str(home) if home else None,
            key_lines=dict(data.key_lines),
        )


def read_flow(text: str, path: str) -> tuple[Flow | None, list[FlowError]]:
    """Parse one flow file's text; returns the flow (if it could be built) and problems."""
    reader = _Reader(path)
    data, problems = load_yaml(text)
    for problem in problems:
        reader.error(problem.line, problem.message)
    if data is None:
        if not problems:
            reader.error(1, "the flow file is empty")
        return None, reader.errors
    return reader.flow(data), reader.errors


def read_flow_files(paths: list[Path]) -> tuple[dict[str, Flow], list[FlowError]]:
    flows: dict[str, Flow] = {}
    errors: list[FlowError] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(FlowError(str(path), 1, f"cannot read: {exc}"))
            continue
        flow, found = read_flow(text, str(path))
        errors.extend(found)
        if flow is None:
            continue
        if flow.name in flows:
            other = flows[flow.name].path
            errors.append(FlowError(str(path), flow.line, f"flow {flow.name!r} is also in {other}"))
            continue
        flows[flow.name] = flow
    return flows, errors
