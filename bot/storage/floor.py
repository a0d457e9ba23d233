"""No order code twice: every sequence is kept at least as high as any code found.

The app numbers its orders from `Store.next_sequence` and names each order
``<sequence name>-<number>`` (``KRB-1127-013`` comes from sequence ``KRB-1127``). If
``sequences.json`` is lost, or a damaged journal line held a sequence's last step, the
counter would restart below codes already given to residents. So at open the store
raises each sequence to the highest number of any code it can find in its folder: the
orders it holds (live and archived, journal included), the damaged journal lines it set
aside, and every file set aside earlier (read as bytes: a damaged file is not JSON).

The store knows nothing else of the codes' shape: a code counts if it ends in ``-`` and
digits. A number above `MAX_DIGITS` digits is not a code of ours and is ignored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.storage.docfile import DocFile

log = logging.getLogger(__name__)

MAX_DIGITS = 9
_STRING = rb'"([^"\\]{1,80})"'
_CODE_FIELD = re.compile(rb'"code"\s*:\s*' + _STRING)  # an order document
_ORDER_ENTRY = re.compile(_STRING + rb'\s*:\s*\[\s*"[^"\\]{0,16}"\s*,\s*\{')  # journal "o"
_SEQUENCES = re.compile(rb'"q"\s*:\s*\{([^{}]*)\}')  # journal "q"
_PAIR = re.compile(_STRING + rb"\s*:\s*(\d{1,%d})\b" % MAX_DIGITS)
_DOCUMENT = re.compile(rb'"key"\s*:\s*' + _STRING + rb'\s*,\s*"value"\s*:\s*(\d{1,%d})\b'
                       % MAX_DIGITS)  # sequences.json


def numbered(code: str) -> tuple[str, int] | None:
    """``("KRB-1127", 13)`` for ``KRB-1127-013``; None if it does not end in a number."""
    name, dash, digits = code.rpartition("-")
    if not dash or not name or not digits.isdigit() or len(digits) > MAX_DIGITS:
        return None
    return name, int(digits)


def order_codes_in(data: bytes) -> set[str]:
    """Order codes written in ``data`` (an order file or journal bytes, damaged or not)."""
    found = {m.group(1) for m in _CODE_FIELD.finditer(data)}
    found |= {m.group(1) for m in _ORDER_ENTRY.finditer(data)}
    return {c.decode("utf-8", "replace") for c in found}


def sequences_in(data: bytes, *, documents: bool = False) -> dict[str, int]:
    """Sequence numbers written in journal bytes (``"q"``), and with ``documents`` in a
    ``sequences.json`` (``{"key": name, "value": n}``)."""
    found: dict[str, int] = {}
    pairs = [p for block in _SEQUENCES.finditer(data) for p in _PAIR.finditer(block.group(1))]
    if documents:
        pairs += list(_DOCUMENT.finditer(data))
    for pair in pairs:
        name = pair.group(1).decode("utf-8", "replace")
        found[name] = max(found.get(name, 0), int(pair.group(2)))
    return found


class Floor:
    """The lowest value each sequence may have, from what was found."""

    def __init__(self) -> None:
        self.least: dict[str, int] = {}

    def code(self, code: str) -> None:
        found = numbered(code)
        if found is not None:
            self.number(*found)

    def number(self, name: str, number: int) -> None:
        if number > self.least.get(name, 0):
            self.least[name] = number

    def codes(self, codes: Iterable[str]) -> None:
        """As `code` for each (inline: every order code of the folder at each start)."""
        best: dict[str, int] = {}
        for code in codes:
            name, dash, digits = code.rpartition("-")
            if dash and name and digits.isdigit() and len(digits) <= MAX_DIGITS:
                number = int(digits)
                if number > best.get(name, 0):
                    best[name] = number
        for name, number in best.items():
            self.number(name, number)

    def read(self, data: bytes, *, documents: bool = False) -> None:
        """Codes and sequence numbers written in raw bytes (a damaged or set-aside file)."""
        self.codes(order_codes_in(data))
        for name, number in sequences_in(data, documents=documents).items():
            self.number(name, number)

    def read_file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            log.warning("could not read %s for order codes (%s)", path, exc)
            return
        self.read(data, documents=path.name.startswith("sequences."))

    def below(self, sequences: dict[str, int]) -> dict[str, int]:
        """Sequences (name -> least value) now below a number found."""
        return {n: v for n, v in self.least.items() if _held(sequences.get(n)) < v}

    def raise_(self, sequences: DocFile) -> dict[str, int]:
        """Raise every sequence below a number found; returns name -> (old value)."""
        raised = {}
        for name, least in sorted(self.below(sequences.data).items()):
            raised[name] = _held(sequences.data.get(name))
            sequences.data[name] = least
            sequences.dirty = True
        if raised:
            log.warning(
                "raised %d sequence(s) to the highest order code found (sequences.json was "
                "behind: lost, older, or its last steps set aside): %s", len(raised),
                ", ".join(f"{n} {old}->{sequences.data[n]}" for n, old in list(raised.items())[:10])
                + (", ..." if len(raised) > 10 else ""),
            )
        return raised


def _held(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
