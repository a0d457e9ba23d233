"""The whole test run's logs hold no personal data and no secret (issue 10, "what it must
show"): a handler on the root logger reads every record emitted in the test process, and at
the end of the session the log files the run wrote (a subprocess's stderr kept in a file,
``data/logs/pasar.log``...) under pytest's temporary folder are read too. A phone number,
a test address, a Bot API token or a secret the tests use fails the session, naming the
test and the line.

In the test process the records are read as the call sites wrote them: `bot.privacy`'s
redaction is installed by ``main.py`` (the CLI), not by the tests, and undone before the
next test when a test ran the CLI in this process, so a leak at a call site shows here
instead of being hidden by the safety net. The ``bot`` loggers log at INFO
during the run (retries, the 24-hour window and refusals are INFO/WARNING lines).

`tests/conftest.py` imports the hooks; `tests/test_logcheck.py` shows a planted leak fails.
"""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# written here on their own (not bot.privacy's), so the check does not share its blind spots
LEAKS: dict[str, re.Pattern[str]] = {
    "phone number": re.compile(r"(?<!\d)(?:\+\s?62|62|0)[\s.-]?8\d(?:[\s.-]?\d){6,11}(?!\d)"),
    "address": re.compile(r"\bJl\.\s+[A-Z][a-z]+|\bJalan\s+[A-Z][a-z]+\s+[A-Z]|"
                          r"\bRT\s*0?\d{1,3}\s*/\s*RW\s*0?\d{1,3}\b"),
    "bot token": re.compile(r"\d{5,12}:[A-Za-z0-9_-]{10,}"),
    "secret": re.compile(re.escape("test-access-token") + "|" + re.escape("test-app-secret")
                         + "|" + re.escape("test-verify-token") + "|"
                         + re.escape("rahasia_Webhook-123") + "|" + re.escape("s3cret")
                         + "|" + re.escape("TEST-token-not-real")),
}
LOG_FILES = ("*.log", "*.err", "*stderr*")
# a WhatsApp message id is base64 that holds the number: wamid.HBgNNjI4MTIzNDU2Nzg5...
WAMID = re.compile(r"wamid\.([A-Za-z0-9+/_-]{8,}=*)")
NUMBER_INSIDE = re.compile(rb"(?:62|08)\d{8,}")


@dataclass(frozen=True)
class Leak:
    where: str
    kind: str
    line: str


def leaks_in(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) of every leak in ``text``."""
    found = [(kind, m.group(0)) for kind, pattern in LEAKS.items()
             for m in pattern.finditer(text)]
    for m in WAMID.finditer(text):
        body = m.group(1).rstrip("=")
        try:
            raw = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_")
        except ValueError:
            continue
        if NUMBER_INSIDE.search(raw):
            found.append(("phone number (in a WhatsApp message id)", m.group(0)))
    return found


class LeakCollector(logging.Handler):
    """Every record of the run, formatted with its traceback, checked for leaks."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.test = "(collection)"
        self.found: list[Leak] = []
        self.records = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a record that cannot be formatted: its parts, as given
            line = f"{record.msg!r} % {record.args!r}"
        self.records += 1
        for kind, _ in leaks_in(line):
            self.found.append(Leak(self.test, kind, line[:400]))


_collector = LeakCollector()
_bot_level: int | None = None
_factory = logging.getLogRecordFactory()


def _undo_redaction() -> None:
    """A test that ran ``main.py`` in this process (``bot.cli.main``) installed the
    redaction; the next tests' records are read as their call sites wrote them again."""
    from bot import privacy

    if logging.getLogRecordFactory() is not _factory:
        logging.setLogRecordFactory(_factory)
        privacy._installed = False


def pytest_sessionstart(session: pytest.Session) -> None:
    global _bot_level, _factory
    _factory = logging.getLogRecordFactory()
    logging.getLogger().addHandler(_collector)
    bot = logging.getLogger("bot")
    _bot_level = bot.level
    bot.setLevel(logging.INFO)


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    _undo_redaction()
    _collector.test = nodeid


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    logging.getLogger().removeHandler(_collector)
    _undo_redaction()
    if _bot_level is not None:
        logging.getLogger("bot").setLevel(_bot_level)
    found = list(_collector.found)
    base = _basetemp(session)
    if base is not None:
        for pattern in LOG_FILES:
            for path in sorted(base.rglob(pattern)):
                if path.is_file():
                    text = path.read_text(encoding="utf-8", errors="replace")
                    for number, line in enumerate(text.splitlines(), 1):
                        found += [Leak(f"{path}:{number}", kind, line[:400])
                                  for kind, _ in leaks_in(line)]
    lines = [f"log leak: {leak.kind} in {leak.where}: {leak.line}" for leak in found]
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:  # a pytest-xdist worker: the controller reports them
        worker_output["log_leaks"] = lines
        return
    lines += _from_workers
    if not lines:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    shown = lines[:50] + ([f"... and {len(lines) - 50} more"] if len(lines) > 50 else [])
    if reporter is not None:
        reporter.section("personal data or secrets in the logs", sep="=", red=True)
        for line in shown:
            reporter.line(line, red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


_from_workers: list[str] = []  # on the pytest-xdist controller: what the workers found


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist (controller): a worker finished; keep the leaks its session found."""
    _from_workers.extend(getattr(node, "workeroutput", {}).get("log_leaks", []))


def _basetemp(session: pytest.Session) -> Path | None:
    factory = getattr(session.config, "_tmp_path_factory", None)
    try:
        return factory.getbasetemp() if factory is not None else None
    except Exception:
        return None
