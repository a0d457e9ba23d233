"""Where log lines go and how they read: one setup for every command.

Timestamps are in the markets' time zone (data/markets.yaml ``timezone``), with the
offset, whatever the machine's zone. Commands that serve a person at the terminal
(`chat`) write their log to a file under the data folder (``logs/pasar.log``, 0600 in a
0700 folder) so no log line lands in the conversation; `log_to_file` returns a counter
of the warnings written, for one note at the end.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FILE = Path("logs") / "pasar.log"


class ZonedFormatter(logging.Formatter):
    """``2025-11-27 19:03:11+0700``: the time of a line in the configured zone."""

    def __init__(self, fmt: str = FORMAT, tz: tzinfo | None = None) -> None:
        super().__init__(fmt)
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, self.tz).astimezone(self.tz)
        return moment.strftime(datefmt or "%Y-%m-%d %H:%M:%S%z")


class ToStderr(logging.StreamHandler):
    """Writes to the ``sys.stderr`` of the moment (a test may have replaced it)."""

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


class WarningCounter(logging.Handler):
    """Counts the lines at WARNING or above (it writes nothing)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def setup(verbose: bool = False) -> None:
    """Log to stderr at WARNING (INFO with ``verbose``), before the config is read."""
    root = logging.getLogger()
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    if not any(getattr(h, "_pasar", False) for h in root.handlers):
        handler = ToStderr()
        handler._pasar = True  # type: ignore[attr-defined]
        handler.setFormatter(ZonedFormatter())
        root.addHandler(handler)
    # transitions logs every state change at INFO: one line per message under `serve`
    logging.getLogger("transitions").setLevel(logging.WARNING)


def set_timezone(tz: tzinfo) -> None:
    """Stamp every line in ``tz`` from now on."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, ZonedFormatter):
            handler.formatter.tz = tz


def log_to_file(folder: Path) -> tuple[Path, WarningCounter]:
    """Send the log to ``folder/logs/pasar.log`` instead of the terminal.

    The folder is created 0700 and the file 0600 (log lines may name markets and orders).
    """
    path = folder / LOG_FILE
    for directory in (folder, path.parent):
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    path.chmod(0o600)
    root = logging.getLogger()
    zone = None
    for handler in list(root.handlers):
        if getattr(handler, "_pasar", False):
            zone = getattr(handler.formatter, "tz", None)
            root.removeHandler(handler)
            handler.close()
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file._pasar = True  # type: ignore[attr-defined]
    to_file.setFormatter(ZonedFormatter(tz=zone))
    counter = WarningCounter()
    counter._pasar = True  # type: ignore[attr-defined]
    root.addHandler(to_file)
    root.addHandler(counter)
    return path, counter
