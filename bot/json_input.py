"""JSON from outside (a webhook body, a `chat --json` line) read without surprises.

`json.loads` accepts ``NaN``, ``Infinity`` and ``1e999`` (read as infinity), which strict
JSON readers refuse, and raises RecursionError (not ValueError) on an array nested a
thousand deep. `json_object` turns every kind of bad input into one `BadJSON` whose
message says what is wrong (never the input itself, which may hold personal data), and
gives back only an object no deeper than `MAX_DEPTH`, so nothing downstream recurses into
a hostile structure.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 64  # a WhatsApp or Telegram update is about 8 deep


class BadJSON(ValueError):
    """Input that is not one JSON object we can take."""


def _no_constants(name: str) -> Any:
    raise BadJSON(f"{name} is not a JSON number")


def _finite(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):  # 1e999
        raise BadJSON("a number too large for a float")
    return number


def json_object(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """``raw`` (UTF-8 bytes or text) as a JSON object, or `BadJSON` saying why not."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text, parse_constant=_no_constants, parse_float=_finite)
    except BadJSON:
        raise
    except UnicodeDecodeError:
        raise BadJSON("not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadJSON(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise BadJSON(f"nested more than {max_depth} deep") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise BadJSON(f"not valid JSON: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise BadJSON("a JSON object {...} was expected")
    if _deeper_than(data, max_depth):
        raise BadJSON(f"nested more than {max_depth} deep")
    return data


def _deeper_than(data: Any, limit: int) -> bool:
    """Is any value nested more than ``limit`` levels deep? (no recursion)"""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, dict | list))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, dict | list))
    return False
