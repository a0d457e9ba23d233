"""The markets of Kota Bekasi, as the market office keeps them in data/markets.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import unknown_key
from bot.engine.yaml_lines import LineDict, LineList, load_yaml
from bot.messages import Option
from bot.ordering.domain.clock import ClockError, parse_span
from bot.ordering.domain.codes import MARKET_CODE


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
    aliases: tuple[str, ...] = ()  # other names residents use ("Pasar Proyek")
    substitutes: str = "ask"  # ask: the resident accepts a substitute first; allowed: not

    def staff_name(self, user: str) -> str:
        return next((name for key, name in self.names if key == user), "")

    @property
    def is_open(self) -> bool:
        """Residents can order here: open, and someone to take the orders (an order for a
        market without coordinators would wait forever)."""
        return self.status == "open" and self.staffed

    @property
    def staffed(self) -> bool:
        return bool(self.coordinators or self.group)

    @property
    def unstaffed(self) -> bool:
        """Open by the market office's word, but no coordinator to take orders yet."""
        return self.status == "open" and not self.staffed

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
        """Markets not taken orders for: coming ones, and open ones without coordinators."""
        return tuple(m for m in self.markets if not m.is_open)

    @property
    def unstaffed(self) -> tuple[Market, ...]:
        return tuple(m for m in self.markets if m.unstaffed)

    def coordinated_by(self, user_key: str) -> tuple[Market, ...]:
        return tuple(m for m in self.markets if user_key in m.coordinators)

    def headed_by(self, user_key: str) -> tuple[Market, ...]:
        return tuple(m for m in self.markets if user_key == m.head)


MARKET_KEYS = ("id", "name", "code", "kecamatan", "status", "hours", "coordinators", "head",
               "group", "aliases", "substitutes")
TOP_KEYS = ("timezone", "default_hours", "markets")
PERSON_KEYS = ("user", "name")
STATUSES = ("open", "coming")
SUBSTITUTES = ("ask", "allowed")
CODE = re.compile(MARKET_CODE)  # the letters of its order codes (KRB-0427-013)


@dataclass(frozen=True)
class MarketProblem:
    line: int
    message: str


class MarketDataError(ValueError):
    """Everything wrong in a markets file, each problem with its line."""

    def __init__(self, path: str | Path, problems: list[MarketProblem]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{path}:{p.line}: {p.message}" for p in problems))


class _Reader:
    """Reads the markets of one file, keeping every problem (not only the first)."""

    def __init__(self) -> None:
        self.problems: list[MarketProblem] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append(MarketProblem(line, message))

    def keys(self, data: LineDict, known: tuple[str, ...], where: str) -> None:
        for key in data:
            if key not in known:
                self.problem(data.line_of(key), f"{where}unknown key {unknown_key(key, known)}")

    def hours(self, text: object, line: int, where: str) -> tuple[time, time] | None:
        try:
            return parse_span(str(text))
        except ClockError as exc:
            self.problem(line, f"{where}{exc}")
            return None

    def person(self, entry: object, line: int, where: str) -> tuple[str, str]:
        """A coordinator or head: ``telegram:123`` or ``{user: telegram:123, name: Pak
        Budi}``."""
        if isinstance(entry, dict):
            if isinstance(entry, LineDict):
                self.keys(entry, PERSON_KEYS, where)
            user, name = str(entry.get("user") or ""), str(entry.get("name") or "")
        else:
            user, name = str(entry or ""), ""
        if user and ":" not in user:
            self.problem(line, f"{where}{user!r} is not a user key like telegram:123456789")
        return user, name

    def market(self, entry: object, line: int, default: tuple[time, time]) -> Market | None:
        if not isinstance(entry, LineDict) or not entry.get("id") or not entry.get("name"):
            self.problem(line, "each market needs an id and a name")
            return None
        where = f"market {entry['id']}: "
        self.keys(entry, MARKET_KEYS, where)
        status = entry.get("status", "open")
        if status not in STATUSES:
            self.problem(entry.line_of("status"), f"{where}status must be one of "
                         f"{', '.join(STATUSES)}, got {status!r}")
        code = str(entry.get("code") or str(entry["id"])[:3]).upper()
        if not CODE.fullmatch(code):
            self.problem(entry.line_of("code" if "code" in entry else "id"),
                         f"{where}code {code!r}: three letters A-Z (the start of its "
                         "order codes)")
        hours = default
        if "hours" in entry:
            hours = self.hours(entry["hours"], entry.line_of("hours"), where) or default
        coordinators = entry.get("coordinators") or LineList()
        if not isinstance(coordinators, LineList):
            self.problem(entry.line_of("coordinators"), f"{where}coordinators must be a list")
            coordinators = LineList()
        lines = getattr(coordinators, "item_lines", [])
        people = [self.person(c, at, where) for c, at in zip(coordinators, lines, strict=True)]
        head = self.person(entry.get("head"), entry.line_of("head"), where)
        substitutes = str(entry.get("substitutes") or "ask")
        if substitutes not in SUBSTITUTES:
            self.problem(entry.line_of("substitutes"), f"{where}substitutes must be one of "
                         f"{', '.join(SUBSTITUTES)}, got {substitutes!r}")
            substitutes = "ask"
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip()
                                                    for a in aliases):
            self.problem(entry.line_of("aliases"), f"{where}aliases must be a list of names")
            aliases = []
        return Market(
            id=str(entry["id"]),
            name=str(entry["name"]),
            code=code,
            status=str(status),
            kecamatan=str(entry.get("kecamatan") or ""),
            opens=hours[0],
            closes=hours[1],
            coordinators=tuple(user for user, _ in people),
            head=head[0],
            group=str(entry.get("group") or ""),
            names=tuple((user, name) for user, name in (*people, head) if user and name),
            aliases=tuple(str(a).strip() for a in aliases),
            substitutes=substitutes,
        )

    def timezone(self, raw: LineDict) -> ZoneInfo:
        name = str(raw.get("timezone", "Asia/Jakarta"))
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem(raw.line_of("timezone"), f"timezone {name!r} is not a time zone "
                         "(e.g. Asia/Jakarta)")
            return ZoneInfo("Asia/Jakarta")


def load_markets(path: str | Path) -> Markets:
    """Read and check data/markets.yaml; raises MarketDataError with every problem found,
    each with its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MarketDataError(path, [MarketProblem(1, f"cannot read: {exc}")]) from None
    raw, found = load_yaml(text)
    reader = _Reader()
    reader.problems.extend(MarketProblem(p.line, p.message) for p in found)
    if raw is None and not found:
        raw = LineDict()
        raw.line, raw.key_lines = 1, {}
    if not isinstance(raw, LineDict):
        if not found:
            reader.problem(1, "the file must be a mapping with a list under markets:")
        raise MarketDataError(path, reader.problems)
    reader.keys(raw, TOP_KEYS, "")
    default = (time(5, 0), time(14, 0))
    if "default_hours" in raw:
        default = reader.hours(raw["default_hours"], raw.line_of("default_hours"),
                               "default_hours: ") or default
    entries = raw.get("markets") or []
    if not isinstance(entries, LineList):
        reader.problem(raw.line_of("markets"), "markets: must be a list of markets")
        entries = LineList()
        entries.line, entries.item_lines = raw.line_of("markets"), []
    markets: list[Market] = []
    ids: dict[str, int] = {}
    codes: dict[str, tuple[str, int]] = {}
    for entry, line in zip(entries, entries.item_lines, strict=True):
        market = reader.market(entry, line, default)
        if market is None:
            continue
        if market.id in ids:
            reader.problem(entry.line_of("id"), f"duplicate market id {market.id!r} (first "
                           f"at line {ids[market.id]})")
            continue
        ids[market.id] = entry.line_of("id")
        if market.code in codes:
            other, first = codes[market.code]
            reader.problem(entry.line_of("code" if "code" in entry else "id"),
                           f"market {market.id}: code {market.code!r} is already the code "
                           f"of {other} (line {first}); order codes must tell markets apart")
        codes.setdefault(market.code, (market.id, entry.line_of("code")))
        markets.append(market)
    timezone = reader.timezone(raw)
    if not markets and not reader.problems:
        reader.problem(raw.line_of("markets"), "no markets")
    if reader.problems:
        raise MarketDataError(path, sorted(reader.problems, key=lambda p: p.line))
    return Markets(tuple(markets), timezone)
