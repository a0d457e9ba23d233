"""The flow's `transitions` machine decides where a conversation goes (issue 12, item 2):
answers and `next:` are triggers, `if:` are the transitions' conditions, `do:` is
collected by the transition for the engine to await; start, home, back and flow
switches are triggers of the machine too."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.engine.flow import Flow
from bot.engine.loader import read_flow
from bot.engine.machines import (
    HOME,
    NEXT,
    OUT,
    START,
    answer_trigger,
    back_trigger,
    build_machine,
    exit_state,
    fire,
)
from bot.engine.session import Session

FLOW = """
flow: survey
start: market
home: market
states:
  market:
    ask: q.market
    input: text
    save: market
    next:
      - {to: big, if: is_big, do: [count_big]}
      - {to: small, if: not is_open}
      - {to: price, do: note}
  price:
    ask: q.price
    input: confirm
    on:
      yes:
        - {to: done, if: is_big, do: store}
        - {to: price, do: [warn], return: market}
      no: {flow: other}
  big:
    say: q.big
    next: done
  small:
    say: q.small
    next: done
  done:
    say: q.done
    final: true
"""


@dataclass
class Ctx:
    """What conditions read: the session (its slots hold the answers)."""

    session: Session = field(default_factory=lambda: Session("console:t"))

    @property
    def slots(self) -> dict[str, Any]:
        return self.session.slots


CONDITIONS = {
    "is_big": lambda ctx: bool(ctx.slots.get("big")),
    "is_open": lambda ctx: ctx.slots.get("open", True),
}


def flow() -> Flow:
    loaded, errors = read_flow(FLOW, "survey.yaml")
    assert loaded is not None and not errors, errors
    return loaded


def test_next_branches_are_one_trigger_tried_in_order_with_the_flows_conditions() -> None:
    machine = build_machine(flow(), CONDITIONS)
    tried = machine.events[NEXT].transitions["market"]
    # each branch, preceded by its way back to where an edit began ("market" here)
    assert [t.dest for t in tried] == ["market", "big", "market", "small", "market", "price"]
    assert [len(t.conditions) for t in tried] == [2, 1, 2, 1, 1, 0]  # unless counts too
    ctx = Ctx()
    ctx.slots.update(big=True, open=False)
    cursor = fire(machine, NEXT, "market", ctx)
    assert cursor is not None and cursor.state == "big"
    assert cursor.step is not None and cursor.step.do == ("count_big",)
    ctx.slots["big"] = False  # `if: not is_open` holds
    cursor = fire(machine, NEXT, "market", ctx)
    assert cursor is not None and (cursor.state, cursor.step.do) == ("small", ())
    ctx.slots["open"] = True  # the unconditional last branch
    cursor = fire(machine, NEXT, "market", ctx)
    assert cursor is not None and (cursor.state, cursor.step.do) == ("price", ("note",))


def test_an_answer_with_several_branches_is_decided_by_the_machine() -> None:
    machine = build_machine(flow(), CONDITIONS)
    ctx = Ctx()
    ctx.slots["big"] = True
    cursor = fire(machine, answer_trigger("yes"), "price", ctx)
    assert cursor is not None and cursor.state == "done" and cursor.step.do == ("store",)
    ctx.slots["big"] = False
    cursor = fire(machine, answer_trigger("yes"), "price", ctx)
    assert cursor is not None and cursor.state == "price"
    assert cursor.step.do == ("warn",) and cursor.step.return_to == "market"
    cursor = fire(machine, answer_trigger("no"), "price", ctx)
    assert cursor is not None and cursor.state == exit_state("other")
    assert cursor.step.flow == "other"
    assert fire(machine, answer_trigger("maybe"), "price", ctx) is None  # no such answer
    assert fire(machine, answer_trigger("yes"), "market", ctx) is None  # not from here


def test_an_edit_answered_goes_back_through_the_machine() -> None:
    machine = build_machine(flow(), CONDITIONS)
    ctx = Ctx()
    ctx.session.return_to = "market"  # "price" was reached to edit; now "market" again
    ctx.slots["open"] = True
    cursor = fire(machine, NEXT, "market", ctx)
    assert cursor is not None and cursor.state == "market" and cursor.step.returned
    assert cursor.step.do == ("note",)  # the branch's actions still run


def test_start_home_and_back_are_triggers_from_outside_the_flow() -> None:
    machine = build_machine(flow(), CONDITIONS)
    for trigger, state in ((START, "market"), (HOME, "market"), (back_trigger("price"), "price")):
        cursor = fire(machine, trigger, OUT, Ctx())
        assert cursor is not None and cursor.state == state
    assert fire(machine, back_trigger("gone"), OUT, Ctx()) is None  # a state no more


def test_the_engine_has_no_edge_lookup_triggers_left() -> None:
    machine = build_machine(flow(), CONDITIONS)
    assert not [name for name in machine.events if "->" in name]


def test_an_answers_last_branch_must_always_apply() -> None:
    """As for `next`: an answer whose every branch has a condition could find no way on."""
    from pathlib import Path

    from bot.engine.registry import Registry
    from bot.engine.validator import validate_flows
    from bot.i18n import I18n

    text = FLOW.replace("- {to: price, do: [warn], return: market}",
                        "- {to: price, do: [warn], return: market, if: is_open}")
    loaded, errors = read_flow(text, "survey.yaml")
    assert loaded is not None and not errors
    registry = Registry()
    for name in CONDITIONS:
        registry.condition(name)(CONDITIONS[name])
    i18n = I18n.load(Path(__file__).resolve().parents[2] / "locales")
    found = [str(e) for e in validate_flows({"survey": loaded}, registry, i18n, None)]
    assert any("the last branch of answer 'yes' needs no condition" in e for e in found), found
