"""``main.py doctor``'s look at the data folder: read only, unless ``--repair``.

Without ``--repair`` no file is created, changed, renamed or removed (a running bot's
folder included): the files are read as the store reads them at start (see
`bot.storage.inspect`) and every finding says what the bot or ``--repair`` would do.
With ``--repair`` (bot stopped) the store is opened as the bot opens it, which sets
unreadable files and damaged journal lines aside, removes a crash's temp files, folds
the journal in, raises sequences behind an order code and makes the folder private;
each thing it did is printed, then the folder is looked at again.

Also: free disk space (a full disk means orders cannot be saved), and every order the
app could not show, tried the way the coordinators' list, the order card and the
resident's status line show it, in every language.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.ordering.domain.statuses import STATUSES
from bot.storage.base import Record
from bot.storage.inspect import Inspection, inspect_folder
from bot.storage.recovery import describe, read_held

if TYPE_CHECKING:
    from bot.cli.doctor import Report

MANY_LIVE_ORDERS = 5_000  # orders.json is rewritten at every compaction
DEFAULT_MIN_FREE = 200 * 1000 * 1000
MAX_LISTED = 20  # findings of one kind printed one by one; the rest counted
STALE_REPLY = 3600.0  # seconds a reply may wait in the outbox before doctor calls it a problem
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def byte_size(text: str) -> int:
    """``200MB``, ``1.5G``, ``500k``, ``1000`` -> bytes (argparse type)."""
    import argparse

    found = _SIZE.match(text)
    if not found:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (for example 200MB or 2GB)")
    return int(float(found.group(1)) * _UNITS[found.group(2).lower()])


def check_data(config: dict, report: Report, *, repair: bool, min_free: int,
               loaded: Any) -> None:
    from bot.config import resolve

    storage = config.get("storage") or {}
    if storage.get("backend", "tinydb") == "postgres":
        from bot.cli.doctor_postgres import check_postgres

        check_postgres(storage, report)
    if storage.get("backend", "tinydb") != "tinydb":
        return
    folder = resolve(config, storage.get("path", "data/"))
    report.section(f"Data files ({folder})")
    if not folder.exists():
        parent = next((p for p in folder.parents if p.exists()), None)
        if parent is not None and not _writable(parent):
            report.problem(f"{folder} does not exist and {parent} is not writable.",
                           f"create {folder} and let the bot's user write to it.")
        else:
            report.note(f"{folder} does not exist yet: the bot creates it at its first start.")
        return
    if not folder.is_dir():
        report.problem(f"{folder} is not a folder.", "point storage.path at a folder.")
        return
    check_disk(folder, report, min_free)
    if not _writable(folder) or not _writable(folder / "archive"):
        report.problem(f"the bot cannot write in {folder}.",
                       f"give the bot's user write access: chown -R <user> {folder}")
        return
    found = inspect_folder(folder)
    if found.running is not None:
        who = f"pid {found.running}" if found.running else "a process"
        report.note(f"a bot is running ({who}) and holds this folder: its files were only "
                    "read (as always without --repair).")
    if repair:
        if found.running is not None:
            report.problem("--repair was not done: a bot holds this folder.",
                           "stop the bot, then run doctor --repair again.")
        else:
            run_repair(folder, report)
            found = inspect_folder(folder)
    report_folder(found, report)
    report_waiting(folder, report)
    check_orders(found, loaded, report)


def check_disk(folder: Path, report: Report, min_free: int) -> None:
    try:
        usage = shutil.disk_usage(folder)
    except OSError as exc:
        report.problem(f"the free space of {folder}'s disk cannot be read: {exc}",
                       "check the disk (df -h).")
        return
    if usage.free < min_free:
        report.problem(
            f"only {_size(usage.free)} free on the disk of {folder} (less than "
            f"{_size(min_free)}): when it is full, orders cannot be saved and residents "
            "are told so.",
            "free space on that disk (old logs, backups) or move storage.path to a bigger "
            "disk. (doctor --min-free sets this threshold.)")
    else:
        report.ok(f"free disk space: {_size(usage.free)} of {_size(usage.total)}")


def run_repair(folder: Path, report: Report) -> None:
    """Open and close the store as the bot does; print what that changed."""
    from bot.storage.base import StoreError
    from bot.storage.journal import NAME, OLD_NAME
    from bot.storage.tinydb_store import TinyDBStore

    journals = [name for name in (OLD_NAME, NAME) if (folder / name).exists()]
    did: list[str] = []
    handler = _Collect(did)
    logger = logging.getLogger("bot.storage")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False  # printed below as "did", not twice
    logger.addHandler(handler)
    try:
        TinyDBStore(folder, finished=STATUSES.finished).close()
    except (StoreError, OSError) as exc:
        report.problem(f"--repair could not open the data: {exc}",
                       "fix what is named above (permissions, disk), then run it again.")
        return
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
    if journals and not any((folder / name).exists() for name in journals):
        did.append(f"folded {' and '.join(journals)} into the snapshot files")
    for text in did:
        report.did(text)
    if not did:
        report.ok("--repair: nothing needed repairing")


class _Collect(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.INFO)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


def report_folder(found: Inspection, report: Report) -> None:
    folder = found.folder
    if any(files for _, files, _ in found.counts.values()):
        for label, (count, files, size) in found.counts.items():
            report.ok(f"{label}: {count:,} ({files} file(s), {_size(size)})")
    else:
        report.ok("no data yet: no conversation or order stored")
    finished = sum(1 for o, _ in found.orders.values() if STATUSES.finished_record(o))
    report.ok(f"orders as the bot has them (its journal included): "
              f"{len(found.orders) - finished:,} open, {finished:,} finished")
    live = found.counts.get("live orders", (0, 0, 0))[0]
    if live > MANY_LIVE_ORDERS:
        report.note(f"{live:,} orders are still open: orders.json is rewritten at every "
                    "compaction and held in memory. Mark finished orders paid or cancelled "
                    "so they move to the monthly archive.")
    if found.temps:
        report.note(f"{len(found.temps)} temp file(s): writes in progress, or leftovers of a "
                    "crash that the bot (or doctor --repair) removes at its next start (no "
                    "data is in them).")
    for path, why in found.unreadable:
        report.problem(f"{path} cannot be read ({why}). At its next start the bot sets it "
                       "aside as a .corrupt file and starts that file empty.",
                       "stop the bot and run doctor --repair (or start the bot): the file "
                       "is kept as .corrupt; then restore what it held from that copy.")
    for path, damaged in found.damaged_values:
        report.problem(f"{path} holds {damaged} damaged conversation(s); the rest of the file "
                       "reads. The bot drops only those conversations when it reads them "
                       "(those residents start over).",
                       "nothing to restore: a conversation holds no confirmed order.")
    for damage in found.damaged:
        report.problem(
            f"{damage.path} {damage.lines} ({damage.size} bytes) {damage.reason}; "
            f"{describe(damage.held, found.order)}. Every other line is applied.",
            "stop the bot and run doctor --repair (or start the bot): the damaged lines are "
            "copied to a .corrupt file, the rest is kept; then check those orders with the "
            "coordinators.")
    for path, size in found.torn:
        report.note(f"{path} ends with an unfinished write of {size} bytes (a crash during a "
                    "write; it was never confirmed): cut off at the next start.")
    for path in found.set_aside:
        report.problem(f"{path} is an unreadable file set aside earlier{_held(path, found)}.",
                       "keep the .corrupt file until someone has looked at it: if it held "
                       "records still needed, have them repaired and put back into the file "
                       "named there while the bot is stopped; otherwise delete it. Then run "
                       "doctor again.")
    for name, (has, least) in sorted(found.behind.items())[:MAX_LISTED]:
        report.note(f"sequence {name} is at {has} but order codes up to {least} exist: the "
                    "bot raises it at its next start (no code is given twice).")
    if found.loose:
        names = ", ".join(str(p.relative_to(folder)) for p in found.loose[:MAX_LISTED])
        report.problem(
            f"{len(found.loose)} file(s) or folder(s) in {folder} can be read by other users "
            f"of this machine, and they hold names, phone numbers and addresses: {names}"
            + (" ..." if len(found.loose) > MAX_LISTED else ""),
            f"run doctor --repair or start the bot (it makes the folder 0700 and its files "
            f"0600), or: chmod -R go-rwx {folder}")


def report_waiting(folder: Path, report: Report, now: float | None = None) -> None:
    """Replies waiting in the outbox (how many, the oldest's age, failed sends) and webhook
    deliveries waiting in the inboxes: what the bot sends or handles at its next start."""
    import time

    from bot.storage.waiting import waiting_in

    found = waiting_in(folder)
    now = time.time() if now is None else now
    if found.replies:
        age = _age(now - found.oldest) if found.oldest is not None else "?"
        retry = (f"; {found.retrying} after failed sends ("
                 + ", ".join(f"{e}: {n}" for e, n in sorted(found.errors.items())) + ")"
                 if found.retrying else "")
        text = (f"outbox: {found.replies:,} repl(ies) waiting to be sent, the oldest queued "
                f"{age} ago{retry}. A running bot sends them (retrying failed sends); a "
                "stopped one at its next start.")
        if found.oldest is not None and now - found.oldest > STALE_REPLY:
            report.problem(text, "check that the bot runs and reaches the messengers (its "
                           "log says why a send failed: a token, the network, a rate limit).")
        else:
            report.note(text)
    else:
        report.ok("outbox: no reply waiting to be sent")
    if found.inbox:
        report.note("inbox: webhook deliveries answered and not yet handled: "
                    + ", ".join(f"{ch} {n:,}" for ch, n in sorted(found.inbox.items()))
                    + " (a running bot is handling them; a stopped one does at its next start).")
    else:
        report.ok("inbox: no webhook delivery waiting")


def _age(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _held(path: Path, found: Inspection) -> str:
    """What the damaged journal lines in a set-aside journal copy held, if it is one."""
    if not path.name.startswith("journal"):
        return ""
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return f" (journal lines: {describe(read_held(data), found.order)})"


def check_orders(found: Inspection, loaded: Any, report: Report) -> None:
    """Every order shown as the app shows it; those that fail, by code and file."""
    markets, i18n = getattr(loaded, "markets", None), getattr(loaded, "i18n", None)
    if markets is None or i18n is None:
        report.note("orders were not checked for display: the markets or locales did not "
                    "load (see below).")
        return
    failing = []
    for code, (order, where) in sorted(found.orders.items()):
        why = why_not_shown(order, lambda o, lang: _show(o, markets, lang, i18n),
                            i18n.languages)
        if why is not None:
            failing.append((code, where, why))
    for code, where, why in failing[:MAX_LISTED]:
        report.problem(f"order {code} in {where} cannot be shown ({why}): lists that hold it "
                       "(the coordinators' open orders, the resident's status) fail.",
                       f"correct that record by hand in {where} (bot stopped; for a journal "
                       "line: run doctor --repair first, then edit the snapshot file).")
    if len(failing) > MAX_LISTED:
        report.problem(f"... and {len(failing) - MAX_LISTED} more order(s) that cannot be "
                       "shown.", "the same, for each.")
    if found.orders and not failing:
        report.ok(f"every order can be shown ({len(found.orders):,} checked)")


def why_not_shown(order: Record, show: Callable[[Record, str], None],
                  languages: list[str]) -> str | None:
    """None if ``order`` can be listed and shown in every language, else why not."""
    from bot.ordering.domain.order import record_problems

    wrong = record_problems(order)
    if wrong:
        return "; ".join(wrong)
    status = order.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        return f"status {str(status)[:20]!r} is not one of {', '.join(STATUSES.names)}"
    try:
        for lang in languages:
            show(order, lang)
    except Exception as exc:  # any failure is what doctor reports
        return f"{type(exc).__name__}: {str(exc)[:80]}"
    return None


def _show(record: Record, markets: Any, lang: str, i18n: Any) -> None:
    from bot.ordering.domain.order import Order
    from bot.ordering.reports import views

    order = Order.from_record(record)
    views.list_line(order, markets, lang, i18n)
    views.resident_line(order, markets, lang, i18n)
    views.card(order, markets, lang, i18n, lambda user: str(user))


def _writable(path: Path) -> bool:
    return not path.exists() or os.access(path, os.W_OK | os.X_OK)


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n / 1000:,.1f} kB"
