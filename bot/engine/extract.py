"""Babel extractors, so `pybabel extract` finds every message id in flows and code.

Registered in babel.cfg by dotted name. Message ids are symbolic (``order.ask_items``);
in Python code any string literal shaped like one with a known prefix counts, so no call
needs a special marker (dynamic ids are written out in full where they are built).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from bot.engine.loader import read_flow

MESSAGE_ID = re.compile(
    r"^(?!.*\.(?:py|yaml|po|pot|json|csv|png|html|css|js)$)"  # file names are not ids
    r"(engine|main|order|status|coord|exchange|report|link|language|admin|hours|wa|tg)"
    r"\.[a-z0-9_]+(?:\.[a-z0-9_]+)*$"
)

Extracted = tuple[int, str | None, str, list[str]]


def flow_message_ids(text: str, path: str = "<flow>") -> Iterator[tuple[int, str, str]]:
    """(line, message id, where) for every message a flow uses."""
    flow, _ = read_flow(text, path)
    if flow is None:
        return
    for state in flow.states.values():
        where = f"flow {flow.name}, state {state.name}"
        for key in ("say", "ask", "help"):
            message_id = getattr(state, key)
            if message_id:
                yield state.line_of(key), message_id, f"{where} ({key})"
        if state.input is not None:
            for option in state.input.options:
                yield option.line, option.label, f"{where} (option {option.id})"


def extract_flow_yaml(
    fileobj: BinaryIO, keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[Extracted]:
    text = fileobj.read().decode(options.get("encoding", "utf-8"))
    for line, message_id, where in flow_message_ids(text, getattr(fileobj, "name", "<flow>")):
        yield line, None, message_id, [where]


def python_message_ids(source: str) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(source)):
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and MESSAGE_ID.match(node.value):
            yield node.lineno, node.value


def extract_python_ids(
    fileobj: BinaryIO, keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[Extracted]:
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    for line, message_id in python_message_ids(source):
        yield line, None, message_id, []
