"""Changing a shopping list already shown: "hapus 1, 3", "hapus 2-4", "hapus bawang",
"ga jadi telurnya", "ganti no 2 jadi cabe 15rb", "yang telur jadi 2 kg", "hapus semua".

`read_edit` returns what the message does to the list (a `ListUpdate`), or None when the
message is not an edit (then it is read as new items). A name finds the line called exactly
that first, then the one line whose name holds those words ("hapus bawang" with only
"bawang merah" on the list); two such lines are asked about, never guessed. The words are
data (data/vocabulary/*.yaml).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from bot.engine.inputs.listing import ListUpdate
from bot.ordering.understanding.items import Item, Names, describe, read_list
from bot.ordering.understanding.vocabulary import ABBREVIATIONS, VOCABULARY, phrases_in

_W = VOCABULARY.words
REMOVE = _W("remove_words")
CANCEL = phrases_in(_W("cancel_phrases"))
REPLACE = _W("replace_words")
BECOMES = _W("becomes_words")
NUMBER = _W("number_words")
RANGE = _W("range_words")
ALL = _W("all_words")
THE = _W("the_words")
JOIN = _W("joiners") | {","}
FILLERS = _W("trail_fillers") - _W("in_names")

_TOKEN = re.compile(r"[0-9]+(?:[.,/][0-9]+)*|[^\W\d_]+(?:-[^\W\d_]+)*|[-,&+]")
_INDEX = re.compile(r"[0-9]{1,3}")


def _tokens(text: str) -> list[tuple[str, int]]:
    """Words, numbers and the marks "-" "," with where each starts."""
    return [(m.group(), m.start()) for m in _TOKEN.finditer(text)]


def _numbers(words: list[str]) -> list[int] | None:
    """ "1, 3", "1 dan 3", "2-4", "no 1 sampai 3": the line numbers, or None if not only that."""
    found: list[int] = []
    pending_range = False
    for w in words:
        if w in NUMBER or w in JOIN or w == "no.":
            continue
        if w in RANGE:
            if not found:
                return None
            pending_range = True
            continue
        if not _INDEX.fullmatch(w):
            return None
        n = int(w)
        if pending_range:
            start = found[-1]
            if n < start or n - start > 100:
                return None
            found += list(range(start + 1, n + 1))
            pending_range = False
        else:
            found.append(n)
    return found if found and not pending_range else None


def _strip(words: list[str]) -> list[str]:
    """A name as typed in an edit: without "yang", fillers and the "-nya" of "telurnya"."""
    while words and words[0] in THE:
        words = words[1:]
    while words and words[-1] in FILLERS:
        words = words[:-1]
    words = [ABBREVIATIONS.get(w, w) for w in words]
    if words and len(words[-1]) > 5 and words[-1].endswith("nya"):
        words = [*words[:-1], words[-1][:-3]]
    return words


def find_lines(entries: list[dict[str, Any]], name: str, names: Names | None = None) -> list[int]:
    """Indexes of the lines a name means: the exact name first, else every line holding it."""
    wanted = name.split()
    if not wanted:
        return []
    own = [str(e.get("name") or "").lower() for e in entries]
    exact = [i for i, n in enumerate(own) if n == name]
    if exact:
        return exact
    holding = [i for i, n in enumerate(own) if _holds(n.split(), wanted)]
    if holding or names is None:
        return holding
    meant, _ = names.resolve(name)  # "hapus tmt": the name it is short for
    return [i for i, n in enumerate(own) if meant != name and n == meant]


def _holds(words: list[str], wanted: list[str]) -> bool:
    k = len(wanted)
    return any(words[i : i + k] == wanted for i in range(len(words) - k + 1))


def _listed(entries: list[dict[str, Any]], indexes: list[int]) -> str:
    return "; ".join(f"{i + 1}. {describe(Item.from_dict(entries[i]))}" for i in indexes)


def _remove(entries: list[dict[str, Any]], indexes: list[int]) -> ListUpdate:
    gone = sorted(set(indexes))
    kept = [e for i, e in enumerate(entries) if i not in set(gone)]
    if len(gone) == 1:
        entry = describe(Item.from_dict(entries[gone[0]]))
        return ListUpdate(entries=kept, say="engine.list_removed",
                          params={"entry": entry, "number": gone[0] + 1})  # fmt: skip
    return ListUpdate(entries=kept, say="order.list_removed",
                      params={"entries": _listed(entries, gone)})  # fmt: skip


def _by_name(entries: list[dict[str, Any]], words: list[str], names: Names | None) -> ListUpdate:
    name = " ".join(_strip(words))
    if not name:
        return ListUpdate(ask="order.list_edit_unclear")
    found = find_lines(entries, name, names)
    if not found:
        return ListUpdate(ask="order.list_not_on_list", params={"name": name})
    if len(found) > 1:
        return ListUpdate(ask="order.list_which", params={"name": name,
                                                           "lines": _listed(entries, found)})
    return _remove(entries, found)


def _check_numbers(entries: list[dict[str, Any]], numbers: list[int]) -> ListUpdate | None:
    for n in numbers:
        if not 1 <= n <= len(entries):
            return ListUpdate(ask="engine.list_no_such_line",
                              params={"number": n, "count": len(entries)})  # fmt: skip
    return None


def _change(entries: list[dict[str, Any]], index: int, rest: str, names: Names | None
            ) -> ListUpdate:  # fmt: skip
    """Line ``index`` becomes what ``rest`` says: a new amount ("2 kg") or a new item."""
    old = Item.from_dict(entries[index])
    first = rest.split()[0] if rest.split() else ""
    new: list[Item] = []
    if first[:1].isdigit() or first.startswith("se"):  # "2 kg", "setengah": a new amount
        amount = read_list(f"{old.name} {rest}", names).items
        if len(amount) == 1 and amount[0].name == old.name and amount[0].has_amount:
            new = [replace(amount[0], note=amount[0].note or old.note)]
    if not new:
        new = read_list(rest, names).items
    if not new:
        return ListUpdate(ask="order.list_edit_unclear")
    after = [*entries[:index], *(i.to_dict() for i in new), *entries[index + 1 :]]
    shown = "; ".join(describe(i) for i in new)
    return ListUpdate(entries=after, say="order.list_changed",
                      params={"number": index + 1, "entry": shown})  # fmt: skip


def read_edit(text: str, entries: list[dict[str, Any]], names: Names | None = None
              ) -> ListUpdate | None:  # fmt: skip
    """What an editing message does to the list, or None when it is not an edit."""
    if not isinstance(text, str) or not text.strip():
        return None
    low = " ".join(text.lower().split())
    toks = _tokens(low)
    words = [w for w, _ in toks]
    if not words:
        return None
    if len(words) == 1 and (words[0] in REMOVE or words[0] in REPLACE):
        return ListUpdate(ask="order.list_edit_unclear")  # "hapus" alone: which line?
    if words[0] in REMOVE and len(words) > 1:
        rest = words[1:]
        if _strip(rest) and all(w in ALL for w in _strip(rest)):
            return ListUpdate(entries=[], say="order.list_cleared")
        numbers = _numbers(rest)
        if numbers is not None:
            return _check_numbers(entries, numbers) or _remove(entries, [n - 1 for n in numbers])
        return _by_name(entries, rest, names)
    cancelled = _cancel(words)
    if cancelled is not None:
        return _by_name(entries, cancelled, names) if cancelled else None
    return _replace(low, toks, entries, names)


def _cancel(words: list[str]) -> list[str] | None:
    """ "ga jadi telurnya", "tomatnya ga jadi": the name, [] if none, None if not a cancel."""
    for phrase in CANCEL:
        k = len(phrase)
        if tuple(words[:k]) == phrase:
            return words[k:]
        for i in range(1, len(words) - k + 1):
            if tuple(words[i : i + k]) == phrase and all(w in FILLERS for w in words[i + k :]):
                return words[:i]
    return None


def _replace(low: str, toks: list[tuple[str, int]], entries: list[dict[str, Any]],
             names: Names | None) -> ListUpdate | None:  # fmt: skip
    """ "ganti no 2 jadi cabe 15rb", "no 3 jadi 2 ikat", "yang telur jadi 2 kg"."""
    words = [w for w, _ in toks]
    start = 1 if words[0] in REPLACE else 0
    pivots = (k for k in range(start + 1, len(words))
              if words[k] in BECOMES or (start == 0 and words[k] in REPLACE))  # fmt: skip
    pivot = next(pivots, None)
    if pivot is None and start == 1:
        # "ganti 2 cabe 15rb": the number, then the new item
        k = start + (1 if start < len(words) and words[start] in NUMBER else 0)
        if k < len(words) and _INDEX.fullmatch(words[k]) and k + 1 < len(words):
            pivot = k + 1
            rest = low[toks[pivot][1] :]
            return _to_line(entries, words[start:pivot], rest, names)
        return None
    if pivot is None or pivot + 1 >= len(words):
        return None
    target = words[start:pivot]
    rest = low[toks[pivot + 1][1] :]
    marked = (target[0] in THE or target[0] in NUMBER or target[-1].endswith("nya")
              or _numbers(target) is not None)  # fmt: skip
    if start == 0 and not marked and len(find_lines(entries, " ".join(_strip(target)))) != 1:
        return None  # "cabe jadi 2" with no cabe listed: not about a line already there
    return _to_line(entries, target, rest, names)


def _to_line(entries: list[dict[str, Any]], target: list[str], rest: str,
             names: Names | None) -> ListUpdate:  # fmt: skip
    rest = " ".join(w for w in rest.split() if w not in {"aja", "saja", "ya"})
    numbers = _numbers(target)
    if numbers is not None:
        if len(numbers) != 1:
            return ListUpdate(ask="order.list_edit_unclear")
        return _check_numbers(entries, numbers) or _change(entries, numbers[0] - 1, rest, names)
    name = " ".join(_strip(target))
    found = find_lines(entries, name, names) if name else []
    if not found:
        return ListUpdate(ask="order.list_not_on_list", params={"name": name or rest})
    if len(found) > 1:
        return ListUpdate(ask="order.list_which", params={"name": name,
                                                           "lines": _listed(entries, found)})
    return _change(entries, found[0], rest, names)
