"""Flows as `transitions` machines: built once at start-up, fired per message on a cursor.

Per message the engine fires ``machine.events[trigger].trigger(cursor)`` on a tiny object
holding the session's state (about 10 us); it never adds or removes models per message.
"""

from __future__ import annotations

from transitions import Machine
from transitions.extensions import GraphMachine

from bot.engine.flow import Flow


class Cursor:
    """The model `transitions` moves: only a state name."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def edges(flow: Flow) -> list[dict[str, str]]:
    """Every (trigger, source, dest) of a flow, including the way back from an edit."""
    found: dict[tuple[str, str], dict[str, str]] = {}

    def add(source: str, dest: str) -> None:
        found.setdefault(
            (source, dest), {"trigger": flow.trigger(source, dest), "source": source, "dest": dest}
        )

    returns = {b.return_to for s in flow.states.values() for b in s.branches() if b.return_to}
    for state in flow.states.values():
        for branch in state.branches():
            if branch.to in flow.states:
                add(state.name, branch.to)
        if state.input is not None:
            for target in returns:
                if target in flow.states:
                    add(state.name, target)
    return list(found.values())


def build_machine(flow: Flow) -> Machine:
    return Machine(
        model=None,
        states=list(flow.states),
        transitions=edges(flow),
        initial=flow.start if flow.start in flow.states else None,
        auto_transitions=False,
    )


def move(machine: Machine, flow: Flow, source: str, dest: str) -> str:
    """Fire the edge source -> dest; returns the new state (raises MachineError if none)."""
    cursor = Cursor(source)
    machine.events[flow.trigger(source, dest)].trigger(cursor)
    return cursor.state


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
