"""The survey's answers: one JSON line per answer sent, appended and synced to disk before
the trader is thanked. A trader who answers again in the same week replaces the earlier
answer for that market (the last line counts: ``latest``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class AnswerFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: set[tuple[str, str, str]] | None = None  # (trader, market, week)

    def _index(self) -> set[tuple[str, str, str]]:
        if self._seen is None:
            self._seen = {(r["trader"], r["market"], r["week"]) for r in self.read()}
        return self._seen

    def has(self, trader: str, market: str, week: str) -> bool:
        return (trader, market, week) in self._index()

    def add(self, record: dict[str, Any]) -> None:
        """Append ``record`` durably (the line, then fsync); raises OSError if it cannot."""
        seen = self._index()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
        new = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:  # the file's name in its folder is durable too
            folder = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        seen.add((record["trader"], record["market"], record["week"]))

    def read(self) -> list[dict[str, Any]]:
        """Every answer, oldest first (a torn last line, from a crash mid-write, skipped)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        found = []
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and {"trader", "market", "week"} <= record.keys():
                found.append(record)
        return found

    def latest(self, week: str) -> list[dict[str, Any]]:
        """The answers of ``week``, one per trader and market (the last sent)."""
        last = {(r["trader"], r["market"]): r for r in self.read() if r["week"] == week}
        return list(last.values())
