"""How well the bot understands what people type: exact matches per test set and category.

    python3 bench/understanding.py [--root DIR] [--show-wrong] [--repeat N]
    python3 bench/understanding.py --before DIR [--rounds N]   # before/after, one run

One section per hand-written test set under tests/data/; each prints, per category, how
many cases were read exactly as a person would read them, and the parser's cost in
microseconds per case (best of ``--repeat`` timed passes, in CPU time of this process, so
other work on a shared machine disturbs it less than wall time). ``--root`` runs the same sets
against another checkout (``git worktree add /tmp/old <commit>``) for before/after figures
from one run of this script; what an old checkout cannot do is scored as it behaved then.

``--before DIR`` measures DIR and this checkout in turns (``--rounds``, each in a fresh
process, best time kept per checkout), so both figures come from the same minutes of a
shared machine, and prints them side by side with the ratio after/before.

To add a test set: write a function ``section_<name>(code) -> list[Row]`` below and add it
to ``SECTIONS``; ``code`` is the checkout's modules (see ``Code``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent.parent
DATA = HERE / "tests" / "data"


@dataclass
class Row:
    """One category of one test set."""

    section: str
    category: str
    total: int = 0
    exact: int = 0
    seconds: float = 0.0  # best timed pass over the category's cases
    wrong: list[str] = field(default_factory=list)

    @property
    def pct(self) -> float:
        return 100 * self.exact / self.total if self.total else 0.0

    @property
    def us_per_case(self) -> float:
        return 1e6 * self.seconds / self.total if self.total else 0.0


class Code(SimpleNamespace):
    """The modules of the checkout under test, with fallbacks for an older one."""


def load_code(root: Path) -> Code:
    sys.path.insert(0, str(root))
    items = _module("understanding.items")
    catalog_mod = _module("understanding.catalog")
    pricing = _module("understanding.pricing")
    catalog = catalog_mod.load_catalog(root / "data" / "catalog.yaml")
    return Code(root=root, items=items, catalog=catalog, pricing=pricing,
                edits=_optional("understanding.list_edits"),
                courier=_optional("understanding.courier"))  # fmt: skip


def _module(name: str) -> Any:
    """``bot.ordering.<package>.<module>``, or ``bot.ordering.<module>`` in a checkout from
    before bot/ordering was split into sub-packages."""
    try:
        return importlib.import_module(f"bot.ordering.{name}")
    except ModuleNotFoundError:
        return importlib.import_module(f"bot.ordering.{name.rpartition('.')[2]}")


def _optional(name: str) -> Any:
    try:
        return _module(name)
    except ImportError:
        return None


def _timed(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


# -- shopping lines --------------------------------------------------------------------------
FIELDS = ("name", "quantity", "unit", "budget")


def _want_items(case: dict) -> list[dict]:
    return [{k: item.get(k) for k in FIELDS} for item in case["items"]]


def _got_items(items: list[Any]) -> list[dict]:
    return [{k: item.to_dict()[k] for k in FIELDS} for item in items]


def _read(code: Code, text: str) -> dict[str, Any]:
    """What the checkout makes of one message: items, done, order note, asides."""
    read_list = getattr(code.items, "read_list", None)
    if read_list is None:  # before read_list: items only, nothing else understood
        items = code.items.parse_items(text)
        for item in items:  # what the app did then for each item: ask the catalog
            code.catalog.suggest(item.name)
        return {"items": items, "done": False, "order_note": False, "aside": None}
    reading = read_list(text, code.catalog)
    return {
        "items": reading.items,
        "done": reading.done,
        "order_note": bool(reading.notes),
        "aside": reading.asides[0][0] if reading.asides else None,
    }


def _score_lines(code: Code, section: str, groups: dict[str, list[dict]], repeat: int,
                 with_catalog: bool = True) -> list[Row]:  # fmt: skip
    rows = []
    for category, cases in groups.items():
        row = Row(section, category, total=len(cases))
        for case in cases:
            if with_catalog:
                got = _read(code, case["line"])
            else:
                got = {"items": code.items.parse_items(case["line"]), "done": False,
                       "order_note": False, "aside": None}  # fmt: skip
            want = {"items": _want_items(case), "done": bool(case.get("done")),
                    "order_note": bool(case.get("order_note")),
                    "aside": case.get("aside")}  # fmt: skip
            mine = {**got, "items": _got_items(got["items"])}
            if mine == want:
                row.exact += 1
            else:
                diff = {k: (want[k], mine[k]) for k in want if want[k] != mine[k]}
                row.wrong.append(f"{case['line']!r}: want/got {diff}")
        if with_catalog:
            row.seconds = _timed(lambda cs=cases: [_read(code, c["line"]) for c in cs], repeat)
        else:
            row.seconds = _timed(
                lambda cs=cases: [code.items.parse_items(c["line"]) for c in cs], repeat)
        rows.append(row)
    return rows


def section_shopping(code: Code, repeat: int) -> list[Row]:
    """tests/data/shopping_lines.yaml (the first set, parser only) and shopping_written.yaml."""
    first = yaml.safe_load((DATA / "shopping_lines.yaml").read_text(encoding="utf-8"))
    rows = _score_lines(code, "shopping", {"first set (parse_items)": first}, repeat,
                        with_catalog=False)
    written = yaml.safe_load((DATA / "shopping_written.yaml").read_text(encoding="utf-8"))
    return rows + _score_lines(code, "shopping", written, repeat)


# -- list edits ------------------------------------------------------------------------------
def _edit(code: Code, listed: str, send: str) -> tuple[list[str], bool]:
    items = code.items.parse_items(listed)
    entries = [item.to_dict() for item in items]
    if code.edits is None:  # before: only "hapus N" was an edit; the rest were new items
        import re

        m = re.fullmatch(r"(?:hapus|hps|delete|del|remove)\s*(?:no\.?\s*|nomor\s*)?(\d{1,3})",
                         " ".join(send.lower().split()))
        if m:
            n = int(m.group(1))
            if not 1 <= n <= len(entries):
                return [code.items.describe(i) for i in items], True
            entries.pop(n - 1)
        else:
            entries += [i.to_dict() for i in code.items.parse_items(send)]
        return [code.items.describe(code.items.Item.from_dict(e)) for e in entries], False
    change = code.edits.read_edit(send, entries, code.catalog)
    if change is None:  # not an edit: new items
        reading = code.items.read_list(send, code.catalog)
        entries += [i.to_dict() for i in reading.items]
        return [code.items.describe(code.items.Item.from_dict(e)) for e in entries], False
    after = change.entries if change.entries is not None else entries
    shown = [code.items.describe(code.items.Item.from_dict(e)) for e in after]
    return shown, change.ask is not None


def section_edits(code: Code, repeat: int) -> list[Row]:
    cases = yaml.safe_load((DATA / "list_edits.yaml").read_text(encoding="utf-8"))
    row = Row("list edits", "all", total=len(cases))
    for case in cases:
        got = _edit(code, case["list"], case["send"])
        want = (case["after"], bool(case.get("ask")))
        if got == want:
            row.exact += 1
        else:
            row.wrong.append(f"{case['send']!r}: want {want} got {got}")
    row.seconds = _timed(lambda: [_edit(code, c["list"], c["send"]) for c in cases], repeat)
    return [row]


# -- coordinators ----------------------------------------------------------------------------
def _price(code: Code, text: str) -> Any:
    read_price = getattr(code.pricing, "read_price", None)
    if read_price is not None:
        return read_price(text)
    import re

    norm = " ".join(text.lower().split())
    if norm in code.pricing.UNAVAILABLE:
        return {"unavailable": True}
    amount = code.pricing.parse_rupiah(text)
    if amount is not None:
        return {"price": amount}
    swap = re.match(r"^(?:ganti|diganti|pengganti|substitute|sub)\s+(.+?)\s+(\S+)$", norm)
    if swap and code.pricing.parse_rupiah(swap.group(2)) is not None:
        return {"substitute": swap.group(1), "price": code.pricing.parse_rupiah(swap.group(2))}
    return None


def _courier(code: Code, text: str) -> Any:
    if code.courier is None:  # before: the whole text was the name, the number asked next
        return {"name": text.strip(), "phone": None}
    found = code.courier.read_courier(text)
    return None if found is None else {"name": found.name, "phone": found.phone}


def _cash(code: Code, text: str) -> Any:
    read_cash = getattr(code.pricing, "read_cash", None)
    return read_cash(text) if read_cash is not None else code.pricing.parse_rupiah(text)


def section_coordinator(code: Code, repeat: int) -> list[Row]:
    sets = yaml.safe_load((DATA / "coordinator_typing.yaml").read_text(encoding="utf-8"))
    readers = {"price": _price, "courier": _courier, "cash": _cash}
    rows = []
    for category, cases in sets.items():
        reader = readers[category]
        row = Row("coordinator", category, total=len(cases))
        for case in cases:
            got = reader(code, case["send"])
            if got == case["want"]:
                row.exact += 1
            else:
                row.wrong.append(f"{case['send']!r}: want {case['want']} got {got}")
        row.seconds = _timed(lambda cs=cases, r=reader: [r(code, c["send"]) for c in cs], repeat)
        rows.append(row)
    return rows


# -- markets (issue 11 item 3) ------------------------------------------------------------
def _market_result(code: Code, markets: Any, text: str) -> Any:
    """What the checkout makes of a market name: ("market", id), ("ask", [ids]),
    ("not_open", id) or ("none",)."""
    result = code.market_match.match_market(text, markets)
    kind = type(result).__name__
    if kind == "Matched":
        return ("market", result.option_id)
    if kind == "Ambiguous":
        return ("ask", [o.id for o in result.candidates])
    if kind == "Unavailable":
        name = result.params.get("market")
        return ("not_open", next((m.id for m in markets.markets if m.name == name), name))
    return ("none",)


def _market_wanted(case: dict) -> Any:
    for key in ("market", "ask", "not_open"):
        if key in case:
            return (key, case[key])
    return ("none",)


def section_markets(code: Code, repeat: int) -> list[Row]:
    """tests/data/markets_phrasings.yaml: the market a resident names (µs per match)."""
    code.market_match = _module("understanding.market_match")
    markets_mod = _module("domain.markets")
    markets = markets_mod.load_markets(code.root / "data" / "markets.yaml")
    cases = yaml.safe_load((DATA / "markets_phrasings.yaml").read_text(encoding="utf-8"))
    groups: dict[str, list[dict]] = {}
    for case in cases["cases"]:
        groups.setdefault(_market_wanted(case)[0], []).append(case)
    rows = []
    for category, group in groups.items():
        row = Row("markets", category, total=len(group))
        for case in group:
            got, want = _market_result(code, markets, case["text"]), _market_wanted(case)
            if got == want:
                row.exact += 1
            else:
                row.wrong.append(f"{case['text']!r}: want {want} got {got}")
        row.seconds = _timed(
            lambda g=group: [code.market_match.match_market(c["text"], markets) for c in g],
            repeat)
        rows.append(row)
    return rows


# -- addresses (issue 11 item 4) ----------------------------------------------------------
def section_addresses(code: Code, repeat: int) -> list[Row]:
    """tests/data/addresses.yaml: RT, RW and kelurahan right ("rt/rw/kelurahan"), and what
    the bot asks for and whether it warns of an address outside Kota Bekasi ("asked");
    µs per address parse. A checkout without `read_address` read no RT/RW or kelurahan."""
    address = _module("understanding.address")
    cases = yaml.safe_load((DATA / "addresses.yaml").read_text(encoding="utf-8"))["cases"]
    read = getattr(address, "read_address", None)
    parts = {"street": "order.address_street", "rtrw": "order.address_rtrw",
             "area": "order.address_area"}
    found = Row("addresses", "rt/rw/kelurahan", total=len(cases))
    asked = Row("addresses", "asked + outside", total=len(cases))
    for case in cases:
        want_missing = sorted(parts[m] for m in case["missing"])
        if read is None:
            got_missing = sorted(address.check_address(case["text"], False))
            got, outside = (None, None, None), False
        else:
            reading = read(case["text"])
            a = reading.address
            got = (a.rt, a.rw, a.kelurahan or None)
            got_missing, outside = sorted(reading.missing), bool(a.outside)
        want = (case["rt"], case["rw"], case["kelurahan"])
        if got == want:
            found.exact += 1
        else:
            found.wrong.append(f"{case['text']!r}: want {want} got {got}")
        if (got_missing, outside) == (want_missing, bool(case.get("outside"))):
            asked.exact += 1
        else:
            asked.wrong.append(f"{case['text']!r}: want {want_missing} got {got_missing}")
    if read is None:
        seconds = _timed(lambda: [address.check_address(c["text"], False) for c in cases],
                         repeat)
    else:
        seconds = _timed(lambda: [read(c["text"]) for c in cases], repeat)
    found.seconds = asked.seconds = seconds
    return [found, asked]


SECTIONS: list[Callable[[Code, int], list[Row]]] = [
    section_shopping,
    section_edits,
    section_coordinator,
    section_markets,
    section_addresses,
]


def _measure(root: Path, repeat: int) -> list[dict[str, Any]]:
    """One checkout's rows, measured in a fresh process (a checkout's modules are its own)."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--root", str(root), "--repeat",
         str(repeat), "--json"], capture_output=True, text=True, check=True, cwd=HERE,
    ).stdout  # fmt: skip
    return json.loads(out)


def compare(before: Path, rounds: int, repeat: int) -> int:
    best: dict[tuple[Path, str, str], dict[str, Any]] = {}
    order: list[tuple[str, str]] = []
    for _ in range(rounds):
        for root in (before, HERE):
            for row in _measure(root, repeat):
                key = (root, row["section"], row["category"])
                if (row["section"], row["category"]) not in order:
                    order.append((row["section"], row["category"]))
                if key not in best or row["us"] < best[key]["us"]:
                    best[key] = row
    print(f"before: {before}\nafter:  {HERE}\n(best of {rounds} rounds x {repeat} passes each)")
    print(f"{'section':<12} {'category':<26} {'before':>9} {'after':>9} "
          f"{'µs before':>10} {'µs after':>9} {'ratio':>6}")  # fmt: skip
    for section, category in order:
        old, new = best.get((before, section, category)), best.get((HERE, section, category))
        if old is None or new is None:
            continue
        ratio = new["us"] / old["us"] if old["us"] else 0.0
        print(f"{section:<12} {category:<26} {old['exact']:>4}/{old['total']:<4} "
              f"{new['exact']:>4}/{new['total']:<4} {old['us']:>10.1f} {new['us']:>9.1f} "
              f"{ratio:>6.2f}")  # fmt: skip
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=HERE, help="checkout to measure")
    parser.add_argument("--show-wrong", action="store_true", help="print every miss")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes (best kept)")
    parser.add_argument("--before", type=Path, help="an older checkout to compare with")
    parser.add_argument("--rounds", type=int, default=3, help="turns per checkout (--before)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.before is not None:
        return compare(args.before.resolve(), args.rounds, args.repeat)
    code = load_code(args.root.resolve())
    if args.json:
        rows = [{"section": r.section, "category": r.category, "exact": r.exact,
                 "total": r.total, "us": r.us_per_case}
                for section in SECTIONS for r in section(code, args.repeat)]  # fmt: skip
        print(json.dumps(rows))
        return 0
    print(f"checkout: {code.root}")
    print(f"{'section':<12} {'category':<26} {'exact':>9} {'%':>6} {'µs/case':>9}")
    totals: dict[str, list[int]] = {}
    for section in SECTIONS:
        for row in section(code, args.repeat):
            print(f"{row.section:<12} {row.category:<26} {row.exact:>4}/{row.total:<4} "
                  f"{row.pct:>6.1f} {row.us_per_case:>9.1f}")  # fmt: skip
            got = totals.setdefault(row.section, [0, 0])
            got[0] += row.exact
            got[1] += row.total
            if args.show_wrong:
                for miss in row.wrong:
                    print(f"    WRONG {miss}")
    for section, (exact, total) in totals.items():
        print(f"{section:<12} {'TOTAL':<26} {exact:>4}/{total:<4} {100 * exact / total:>6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
