"""Flows as `transitions` machines that steer: built once at start-up, fired per message.

Each flow is one `Machine` (``auto_transitions=False``, ``send_event=True``) whose triggers
are what can happen in a state:

- ``on:<answer>`` for each of a state's answers (``on:`` keys) and ``next`` for its
  ``next:``; a ``next:`` list (or an answer given several branches) is several
  transitions under one trigger, tried in order, each with the flow's ``if:`` as its
  ``conditions`` (or ``unless`` for ``if: not x``), so the first branch whose condition
  holds is the one the machine takes. While an edit is answered (the session has a
  ``return_to``) a state's ``next`` goes back to where the edit began: each ``next``
  branch is preceded by one transition per return target, conditioned on it;
- ``@start``, ``@home`` and ``@back:<state>`` enter the flow from ``@out`` (a
  conversation not in this flow: a new one, another flow, a step taken back);
- a branch to another flow ends in that flow's exit state ``@flow:<name>``; the engine
  then fires ``@start`` on that flow's machine.

A transition's ``after`` callback (sync) records what the engine must do once the machine
has moved (a `Step`: the ``do:`` actions, a return to set or used up, a flow to switch
to); the engine awaits the actions afterwards, so no `AsyncMachine` is needed (8x slower).
Per message the engine fires ``machine.events[trigger].trigger(cursor)`` on a `Cursor`, a
tiny object holding the session's state and the message's context (about 10 us); it never
adds or removes models per message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from transitions import EventData, Machine
from transitions.extensions import GraphMachine

from bot.engine.flow import Branch, Flow, State

OUT = "@out"  # the cursor of a conversation that is not in this flow
START, HOME, NEXT = "@start", "@home", "next"
Check = Callable[[Any], bool]  # a registered condition: reads the Context (session, answer)


def answer_trigger(answer: str) -> str:
    """The trigger of a state's answer (an ``on:`` key)."""
    return f"on:{answer}"


def back_trigger(state: str) -> str:
    """The trigger that puts a conversation back in ``state`` (``kembali``)."""
    return f"@back:{state}"


def exit_state(flow: str) -> str:
    """The state a branch to another flow ends in, in the flow it leaves."""
    return f"@flow:{flow}"


@dataclass(frozen=True)
class Step:
    """What a transition asks of the engine once the machine has taken it."""

    do: tuple[str, ...] = ()  # actions to await (registered names)
    return_to: str | None = None  # the target, once answered, comes back here
    returned: bool = False  # this answer came back from an edit: the return is used up
    flow: str | None = None  # switch to this flow (its machine's @start)


class Cursor:
    """The model `transitions` moves: a state name, the message's context, and the step
    of the transition taken."""

    __slots__ = ("ctx", "state", "step")

    def __init__(self, state: str, ctx: Any = None) -> None:
        self.state, self.ctx = state, ctx
        self.step: Step | None = None


def _recorder(step: Step) -> Callable[[EventData], None]:
    def record(event: EventData) -> None:
        event.model.step = step

    return record


def _condition(conditions: Mapping[str, Check], name: str) -> Callable[[EventData], bool]:
    def check(event: EventData) -> bool:
        return bool(conditions[name](event.model.ctx))  # looked up when fired

    return check


def _returning(target: str) -> Callable[[EventData], bool]:
    def check(event: EventData) -> bool:
        return event.model.ctx.session.return_to == target

    return check


def returns(flow: Flow) -> list[str]:
    """The states an edit comes back to, in the flow's order."""
    found = {b.return_to for s in flow.states.values() for b in s.branches() if b.return_to}
    return [name for name in flow.states if name in found]


def _transition(trigger: str, state: State, branch: Branch,
                conditions: Mapping[str, Check], *, back_to: str | None = None) -> dict:
    if branch.flow is not None:
        dest, step = exit_state(branch.flow), Step(branch.do, flow=branch.flow)
    elif back_to is not None:
        dest, step = back_to, Step(branch.do, branch.return_to, returned=True)
    else:
        dest, step = branch.to or state.name, Step(branch.do, branch.return_to)
    spec: dict[str, Any] = {"trigger": trigger, "source": state.name, "dest": dest,
                            "after": _recorder(step)}
    checks: list[Callable[[EventData], bool]] = []
    if back_to is not None:
        checks.append(_returning(back_to))  # cheap, and first: most answers are not edits
    condition = branch.condition
    if condition is not None:
        name, wanted = condition
        if wanted:
            checks.append(_condition(conditions, name))
        else:
            spec["unless"] = [_condition(conditions, name)]
    if checks:
        spec["conditions"] = checks
    return spec


def transitions_of(flow: Flow, conditions: Mapping[str, Check]) -> list[dict]:
    """Every transition of a flow's machine, in the order the machine tries them."""
    found: list[dict] = []
    targets = [t for t in returns(flow) if t in flow.states]
    for state in flow.states.values():
        for answer, branches in state.on.items():
            found.extend(_transition(answer_trigger(answer), state, b, conditions)
                         for b in branches)
        for branch in state.next:
            if state.input is not None and branch.flow is None:
                found.extend(_transition(NEXT, state, branch, conditions, back_to=target)
                             for target in targets)
            found.append(_transition(NEXT, state, branch, conditions))
    entries = {START: flow.start, HOME: flow.home_state}
    for trigger, dest in entries.items():
        if dest in flow.states:
            found.append({"trigger": trigger, "source": OUT, "dest": dest,
                          "after": _recorder(Step())})
    found.extend({"trigger": back_trigger(name), "source": OUT, "dest": name,
                  "after": _recorder(Step())} for name in flow.states)
    return found


def exits(flow: Flow) -> list[str]:
    return sorted({exit_state(b.flow) for s in flow.states.values() for b in s.branches()
                   if b.flow is not None})


def build_machine(flow: Flow, conditions: Mapping[str, Check] | None = None) -> Machine:
    """The flow's machine; ``conditions`` (the registry's, by name) are read when fired."""
    return Machine(
        model=None,
        states=[OUT, *flow.states, *exits(flow)],
        transitions=transitions_of(flow, conditions if conditions is not None else {}),
        initial=OUT,
        auto_transitions=False,
        send_event=True,
    )


def fire(machine: Machine, trigger: str, source: str, ctx: Any = None) -> Cursor | None:
    """Let the machine decide: the cursor after ``trigger`` from ``source``, or None when
    the state has no such trigger or no transition's conditions hold."""
    event = machine.events.get(trigger)
    if event is None or source not in event.transitions:
        return None
    cursor = Cursor(source, ctx)
    return cursor if event.trigger(cursor) else None


def edges(flow: Flow) -> list[dict[str, str]]:
    """Every (trigger, source, dest) of a flow between its own states, for a diagram: the
    answers and ``next`` of each state, and the way back from an edit."""
    found: dict[tuple[str, str, str], dict[str, str]] = {}
    for spec in transitions_of(flow, {}):
        source, dest = spec["source"], spec["dest"]
        if source in flow.states and dest in flow.states:
            label = spec["trigger"].removeprefix("on:")  # the answer, as the flow says it
            found.setdefault((label, source, dest), {
                "trigger": label, "source": source, "dest": dest})
    return list(found.values())


def to_mermaid(flow: Flow) -> str:
    """The flow as a Mermaid state diagram (transitions' mermaid engine)."""
    holder = type("FlowDiagram", (), {})()
    GraphMachine(
        model=holder,
        states=list(flow.states),
        transitions=edges(flow),
        initial=flow.start,
        auto_transitions=False,
        graph_engine="mermaid",
        title=f"flow {flow.name}",
        show_conditions=False,
    )
    return holder.get_graph().draw(None)  # type: ignore[attr-defined]
