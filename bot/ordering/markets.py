"""The markets of Kota Bekasi, as the market office keeps them in data/markets.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.messages import Option

_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


class MarketDataError(ValueError):
    pass


@dataclass(frozen=True)
class Market:
    id: str
    name: str
    code: str
    status: str = "open"  # open | coming
    kecamatan: str = ""
    opens: time = time(5, 0)
    closes: time = time(14, 0)
    coordinators: tuple[str, ...] = ()
    head: str = ""
    group: str = ""
    names: tuple[tuple[str, str], ...] = ()  # (user key, name) of coordinators and head

    def staff_name(self, user: str) -> str:
        return next((name for key, name in self.names if key == user), "")

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def short_name(self) -> str:
        """The name without the leading "Pasar " (for tight buttons)."""
        return self.name.removeprefix("Pasar ").strip()

    def option(self) -> Option:
        return Option(self.id, self.name, self.kecamatan)

    def is_open_at(self, moment: datetime) -> bool:
        return self.opens <= moment.time() < self.closes

    def next_opening(self, moment: datetime) -> datetime:
        """When the market next opens at or after ``moment`` (same tz as ``moment``)."""
        today = moment.replace(
            hour=self.opens.hour, minute=self.opens.minute, second=0, microsecond=0
        )
        return today if moment < today else today + timedelta(days=1)


@dataclass(frozen=True)
class Markets:
    markets: tuple[Market, ...]
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Jakarta"))

    def get(self, market_id: str) -> Market | None:
        return next((m for m in self.markets if m.id == market_id), None)

    @property
    def open(self) -> tuple[Market, ...]:
        return tuple(m for m in self.markets if m.is_open)

    @property
    def coming(self) -> tuple[Market, ...]:
        return tuple(m for m in self.markets if not m.is_open)

    def coordinated_by(self, user_key: str) -> tuple[Market, ...]:
        return tuple(m for m in self.markets if user_key in m.coordinators)

    def headed_by(self, user_key: str) -> tuple[Market, ...]:
        return tuple(m for m in self.markets if user_key == m.head)


def _parse_hours(text: str, where: str) -> tuple[time, time]:
    m = _HOURS.match(str(text).strip())
    if not m:
        raise MarketDataError(f"{where}: hours must look like 05:00-14:00, got {text!r}")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    try:
        opens, closes = time(h1, m1), time(h2, m2)
    except ValueError as exc:
        raise MarketDataError(f"{where}: {exc}") from None
    if closes <= opens:
        raise MarketDataError(f"{where}: closing time must be after opening time")
    return opens, closes


def _person(entry: object, where: str) -> tuple[str, str]:
    """A coordinator or head: ``telegram:123`` or ``{user: telegram:123, name: Pak Budi}``."""
    if isinstance(entry, dict):
        user, name = str(entry.get("user") or ""), str(entry.get("name") or "")
    else:
        user, name = str(entry or ""), ""
    if user and ":" not in user:
        raise MarketDataError(f"{where}: {user!r} is not a user key like telegram:123456789")
    return user, name


def load_markets(path: str | Path) -> Markets:
    """Read and check data/markets.yaml; raises MarketDataError naming what is wrong."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise MarketDataError(f"{path}: cannot read: {exc}") from None
    default_hours = raw.get("default_hours", "05:00-14:00")
    seen: set[str] = set()
    markets = []
    for index, entry in enumerate(raw.get("markets") or []):
        where = f"{path}: markets[{index}]"
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("name"):
            raise MarketDataError(f"{where}: each market needs an id and a name")
        if entry["id"] in seen:
            raise MarketDataError(f"{where}: duplicate market id {entry['id']!r}")
        seen.add(entry["id"])
        status = entry.get("status", "open")
        if status not in ("open", "coming"):
            raise MarketDataError(f"{where}: status must be open or coming, got {status!r}")
        opens, closes = _parse_hours(entry.get("hours", default_hours), where)
        people = [_person(c, where) for c in entry.get("coordinators") or ()]
        head = _person(entry.get("head"), where)
        markets.append(
            Market(
                id=str(entry["id"]),
                name=str(entry["name"]),
                code=str(entry.get("code") or entry["id"][:3]).upper(),
                status=status,
                kecamatan=str(entry.get("kecamatan") or ""),
                opens=opens,
                closes=closes,
                coordinators=tuple(user for user, _ in people),
                head=head[0],
                group=str(entry.get("group") or ""),
                names=tuple((user, name) for user, name in (*people, head) if user and name),
            )
        )
    if not markets:
        raise MarketDataError(f"{path}: no markets")
    return Markets(tuple(markets), ZoneInfo(raw.get("timezone", "Asia/Jakarta")))
