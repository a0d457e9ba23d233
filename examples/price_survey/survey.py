"""survey.yaml: the markets and the items of the weekly price survey, checked at start."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.engine.yaml_lines import LineDict, LineList, load_yaml

ID = re.compile(r"^[a-z][a-z0-9-]*$")
TIMEZONE = ZoneInfo("Asia/Jakarta")


def week_of(now: float) -> str:
    """The ISO week in Bekasi: ``2026-W49``."""
    year, week, _ = datetime.fromtimestamp(now, TIMEZONE).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Market:
    id: str
    name: str


@dataclass(frozen=True)
class Item:
    id: str  # its name is the message survey.item_<id>
    unit: str


@dataclass(frozen=True)
class Survey:
    markets: tuple[Market, ...]
    items: tuple[Item, ...]
    traders: tuple[str, ...] = ()  # user keys invited each week
    invite_day: int = 1  # ISO weekday: 1 = Monday
    invite_minute: int = 7 * 60  # minutes after midnight, Bekasi time

    def market(self, market_id: str) -> Market | None:
        return next((m for m in self.markets if m.id == market_id), None)


class SurveyError(Exception):
    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


def _entries(data: LineDict, key: str, fields: tuple[str, ...], path: str) -> list[dict]:
    raw = data.get(key)
    if not isinstance(raw, LineList) or not raw:
        raise SurveyError(path, data.line_of(key) if key in data else 1,
                          f"'{key}' must be a list of {{{', '.join(fields)}}}")
    found, seen = [], set()
    for entry, line in zip(raw, raw.item_lines, strict=True):
        if not isinstance(entry, LineDict) or any(not str(entry.get(f) or "").strip()
                                                  for f in fields):
            raise SurveyError(path, line, f"each of '{key}' needs {', '.join(fields)}")
        ident = str(entry["id"])
        if not ID.match(ident) or ident in seen:
            raise SurveyError(path, line, f"id {ident!r}: use a-z, 0-9 and -, once each")
        seen.add(ident)
        found.append({f: str(entry[f]).strip() for f in fields})
    return found


def load_survey(path: Path) -> Survey:
    """The survey file, or a SurveyError naming the line that is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SurveyError(str(path), 1, f"cannot read: {exc.strerror}") from None
    data, problems = load_yaml(text)
    if problems:
        raise SurveyError(str(path), problems[0].line, problems[0].message)
    if not isinstance(data, LineDict):
        raise SurveyError(str(path), 1, "the survey is a mapping with markets and items")
    markets = _entries(data, "markets", ("id", "name"), str(path))
    items = _entries(data, "items", ("id", "unit"), str(path))
    traders = data.get("traders") or []
    if not isinstance(traders, list) or any(":" not in str(t) for t in traders):
        raise SurveyError(str(path), data.line_of("traders") if "traders" in data else 1,
                          "'traders' is a list of user keys like telegram:123456789")
    day, minute = _invite(data, str(path))
    return Survey(tuple(Market(**m) for m in markets), tuple(Item(**i) for i in items),
                  tuple(str(t) for t in traders), day, minute)


def _invite(data: LineDict, path: str) -> tuple[int, int]:
    invite = data.get("invite") or {}
    line = data.line_of("invite") if "invite" in data else 1
    day, time = invite.get("day", 1), str(invite.get("time", "07:00"))
    clock = re.fullmatch(r"(\d{1,2})[:.](\d{2})", time)
    if not isinstance(day, int) or not 1 <= day <= 7 or not clock:
        raise SurveyError(path, line, 'invite: {day: 1-7 (1 = Monday), time: "07:00"}')
    hour, minute = int(clock.group(1)), int(clock.group(2))
    if hour > 23 or minute > 59:
        raise SurveyError(path, line, f"invite time {time!r} is not a time of day")
    return day, hour * 60 + minute
