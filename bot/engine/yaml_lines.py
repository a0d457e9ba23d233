"""YAML loading that remembers the line of every key and refuses duplicate keys.

Mapping keys are kept as the text written (YAML 1.1 would read the keys ``on`` and
``yes`` as booleans; a flow author means the words).

A flow validator must say ``flows/order.yaml:42: unknown state 'adress'``: plain
``yaml.safe_load`` forgets lines and silently keeps the last of two equal keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class LineDict(dict):
    """A mapping from YAML that knows its own line and the line of each key."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    line: int = 0
    item_lines: list


@dataclass(frozen=True)
class YamlProblem:
    line: int
    message: str


class _Builder:
    def __init__(self) -> None:
        self.problems: list[YamlProblem] = []
        self._scalars = yaml.SafeLoader("")

    def build(self, node: yaml.Node) -> Any:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            result = LineDict()
            result.line, result.key_lines = line, {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problems.append(YamlProblem(key_node.start_mark.line + 1, "bad key"))
                    continue
                # keys stay the text written: `on:` and `yes:` are words here, not booleans
                key = key_node.value
                key_line = key_node.start_mark.line + 1
                if key in result:
                    first = result.key_lines[key]
                    self.problems.append(
                        YamlProblem(key_line, f"duplicate key {key!r} (first at line {first})")
                    )
                    continue
                result[key] = self.build(value_node)
                result.key_lines[key] = key_line
            return result
        if isinstance(node, yaml.SequenceNode):
            items = LineList(self.build(child) for child in node.value)
            items.line = line
            items.item_lines = [child.start_mark.line + 1 for child in node.value]
            return items
        return self._scalars.construct_object(node, deep=True)


# libyaml's parser when PyYAML was built with it: the same nodes and marks, composed about 8x
# faster (0.49 s -> 0.06 s for the flows and data files read at every start)
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> tuple[Any, list[YamlProblem]]:
    """Parse one YAML document; returns (data, problems). Data is None on a syntax error."""
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [YamlProblem(line, f"YAML syntax error: {problem}")]
    if node is None:
        return None, []
    builder = _Builder()
    return builder.build(node), builder.problems
