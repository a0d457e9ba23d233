"""The flow loader and validator: every kind of error, with its file and line, all at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.app import build_registry
from bot.engine.loader import read_flow, read_flow_files
from bot.engine.validator import validate_flows
from bot.i18n import I18n

ROOT = Path(__file__).resolve().parents[2]
I18N = I18n.load(ROOT / "locales")

GOOD = """\
flow: demo
start: ask_name
states:
  ask_name:
    ask: order.ask_name
    input: {kind: text}
    save: name
    next: done
  done:
    say: order.cancelled
    final: true
"""


def problems(text: str, extra_flows: dict | None = None) -> list[str]:
    text = textwrap.dedent(text)
    flow, errors = read_flow(text, "demo.yaml")
    flows = {"demo": flow} if flow else {}
    flows.update(extra_flows or {})
    errors += validate_flows(flows, build_registry(), I18N)
    return [f"{e.line}: {e.message}" for e in errors]


def test_a_good_flow_has_no_problems() -> None:
    assert problems(GOOD) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("next: done", "next: dnoe"), "8: unknown state 'dnoe'"),
        (("kind: text", "kind: txt"), "6: unknown input kind 'txt'"),
        (("say: order.cancelled", "say: order.no_such_text"),
         "10: message id 'order.no_such_text' missing from"),
        (("next: done", "next: {to: done, do: send_fax}"), "8: unknown action 'send_fax'"),
        (("    save: name\n", "    save: name\n    view: draw_map\n"),
         "8: unknown action 'draw_map'"),
        (("next: done", "next: [{to: done, if: is_raining}, {to: done}]"),
         "8: unknown condition 'is_raining'"),
        (("input: {kind: text}", "input: {kind: choice, options: planets}"),
         "6: unknown option source 'planets'"),
        (("    final: true\n", "    final: false\n"),
         "9: state 'done' is not final and has no way out"),
        (("    save: name\n", "    save: name\n    save: nama\n"),
         "8: duplicate key 'save' (first at line 7)"),
        (("    say: order.cancelled\n", "    sya: order.cancelled\n"),
         "10: unknown key 'sya' in state 'done'"),
        (("next: done", "next: [{to: done, if: name_unknown}]"),
         "8: state 'ask_name': the last 'next' needs no condition"),
    ],
)
def test_each_problem_is_reported_with_its_line(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in GOOD
    found = problems(GOOD.replace(old, new, 1))
    assert any(p.startswith(expected) for p in found), found


def test_unreachable_state_is_reported_at_its_line() -> None:
    text = GOOD + "  lonely:\n    say: order.cancelled\n    final: true\n"
    assert "12: state 'lonely' is unreachable" in problems(text)


def test_every_error_is_reported_at_once() -> None:
    text = GOOD.replace("next: done", "next: nowhere").replace("kind: text", "kind: txt")
    text = text.replace("say: order.cancelled", "say: order.nope")
    found = problems(text)
    assert len(found) >= 3, found
    assert any("unknown state 'nowhere'" in p for p in found)
    assert any("unknown input kind 'txt'" in p for p in found)
    assert any("'order.nope' missing" in p for p in found)


def test_button_label_over_the_platform_limit(tmp_path: Path) -> None:
    text = GOOD.replace(
        "input: {kind: text}",
        "input:\n      kind: choice\n      options:\n        - {id: a, label: order.ask_edit}",
    )
    # order.ask_edit is a whole question: too long for a WhatsApp list row
    assert any("button label" in p and "WhatsApp allows 24" in p for p in problems(text))


def test_yaml_syntax_error_has_a_line() -> None:
    flow, errors = read_flow("flow: x\nstart: a\nstates:\n  a: [unclosed\n", "bad.yaml")
    assert flow is None
    assert errors and errors[0].line >= 4 and "YAML syntax error" in errors[0].message


def test_unknown_flow_target_and_entry() -> None:
    text = GOOD.replace("next: done", "next: {flow: checkout}")
    assert any("unknown flow 'checkout'" in p for p in problems(text))


def test_errors_name_their_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(GOOD.replace("next: done", "next: dnoe"))
    flows, _errors = read_flow_files([path])
    found = validate_flows(flows, build_registry(), I18N)
    assert str(found[0]).startswith(f"{path}:8: unknown state")


def test_keys_on_and_yes_are_words_not_booleans() -> None:
    text = GOOD.replace(
        "    input: {kind: text}\n    save: name\n    next: done\n",
        "    input: {kind: confirm}\n    on:\n      yes: done\n      edit: done\n"
        "      cancel: done\n",
    ).replace("ask: order.ask_name", "ask: order.summary")
    assert problems(text) == []


def test_shipped_flows_are_valid() -> None:
    from bot.app import load
    from tests.chat import test_config

    loaded = load(test_config())
    assert [str(e) for e in loaded.errors] == []
    assert {"main", "order"} <= set(loaded.flows)
