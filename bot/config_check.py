"""The config's values checked at start, every problem at once, each naming its key and
the line where the file sets it: ``config.yaml:14: storage.backend: 'tinybd' is not one
of: tinydb, memory``. Unknown keys were found when the file was read (`bot.config`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.config import DEFAULTS, INTERNAL_KEYS, ConfigProblem, ConfigSource, resolve
from bot.ordering.domain.clock import ClockError, parse_clock

CHOICES: dict[str, tuple[str, ...]] = {
    "storage.backend": ("tinydb", "postgres", "memory"),
    "telegram.mode": ("polling", "webhook"),
}


def _positive(value: Any) -> str | None:
    return None if _number(value) and value > 0 else f"must be a number above 0, got {value!r}"


def _not_negative(value: Any) -> str | None:
    return None if _number(value) and value >= 0 else f"must be 0 or more, got {value!r}"


def _port(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536
    return None if ok else f"must be a port number 1-65535, got {value!r}"


def _whole_positive(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return None if ok else f"must be a whole number above 0, got {value!r}"


def _recap_time(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML reads an unquoted 20:00 as the number 1200 (base 60)
        return 'write the time in quotes, like time: "20:00"'
    if not str(value or "").strip():
        return None  # "" turns the daily recap off
    try:
        parse_clock(str(value))
    except ClockError as exc:
        return f'{exc}; use a time like "20:00", or "" for no daily recap'
    return None


def _public_url(value: Any) -> str | None:
    text = str(value or "").strip()
    if not text or text.startswith(("http://", "https://")):
        return None
    return f"must start with http:// or https:// (or be empty), got {value!r}"


def _user_keys(value: Any) -> str | None:
    if not isinstance(value, list):
        return "must be a list of user keys like telegram:123456789"
    bad = [str(v) for v in value if ":" not in str(v)]
    return f"{', '.join(map(repr, bad))}: not a user key like telegram:123456789" if bad else None


def _time_of_day(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return 'write the time in quotes, like "21:00"'
    try:
        parse_clock(str(value))
    except ClockError as exc:
        return f'{exc}; use a time like "21:00"'
    return None


CHECKS: dict[str, Callable[[Any], str | None]] = {
    "sessions.resume_after_hours": _positive,
    "sessions.expire_after_days": _positive,
    "server.port": _port,
    "storage.pool_size": _whole_positive,
    "server.max_body_bytes": _whole_positive,
    "server.public_url": _public_url,
    "office.link_minutes": _positive,
    "office.session_hours": _positive,
    "recap.time": _recap_time,
    "admins": _user_keys,
    "telegram.poll_timeout": _positive,
    "telegram.max_concurrent": _positive,
    "telegram.max_in_flight": _whole_positive,
    "telegram.rate_per_second": _positive,
    "telegram.retries": _not_negative,
    "telegram.retry_backoff": _not_negative,
    "telegram.typing_after": _not_negative,
    "reminders.resident_minutes": _not_negative,
    "reminders.unpaid_minutes": _not_negative,
    "reminders.quiet_from": _time_of_day,
    "reminders.quiet_until": _time_of_day,
    "announcements.days": _positive,
    "announcements.telegram_per_second": _positive,
    "announcements.whatsapp_per_second": _positive,
    "announcements.in_flight": _whole_positive,
}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shape(value: Any, default: Any) -> str | None:
    """A value of the default's kind (a text may be written as a number)."""
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(default, dict):
        return None if isinstance(value, dict) else "must be a section of keys"
    if isinstance(default, list):
        return None if isinstance(value, list) else "must be a list"
    if isinstance(default, str):
        ok = value is None or isinstance(value, str | int | float)  # None: left empty
        return None if ok else "must be a text"
    return None


def check_config(config: dict[str, Any]) -> list[ConfigProblem]:
    """Every problem of ``config``: those found reading its file, then its values."""
    source = config.get("source")
    source = source if isinstance(source, ConfigSource) else ConfigSource()
    problems = list(source.problems)
    reported: set[str] = set()

    def report(key: str, message: str) -> None:
        if key in reported:
            return
        reported.add(key)
        problems.append(ConfigProblem(key, source.line_of(key), f"{key}: {message}"))

    for section, default in DEFAULTS.items():
        if section in INTERNAL_KEYS or section not in config:
            continue
        value = config[section]
        wrong = _shape(value, default)
        if wrong:
            report(section, f"{wrong}, got {value!r}")
            continue
        if not isinstance(default, dict):
            continue
        for key, sub_default in default.items():
            if key in value and (wrong := _shape(value[key], sub_default)):
                report(f"{section}.{key}", f"{wrong}, got {value[key]!r}")
    for key, choices in CHOICES.items():
        section, _, name = key.partition(".")
        value = (config.get(section) or {}).get(name) if isinstance(config.get(section),
                                                                    dict) else None
        if value is not None and value not in choices:
            report(key, f"{value!r} is not one of: {', '.join(choices)}")
    for key, check in CHECKS.items():
        section, _, name = key.partition(".")
        holder = config.get(section) if name else config
        if isinstance(holder, dict) and (name or section) in holder:
            wrong = check(holder[name or section])
            if wrong:
                report(key, wrong)
    language = config.get("language")
    known = languages(config)
    if known and isinstance(language, str) and language not in known:
        report("language", f"{language!r} has no catalog; use one of: {', '.join(known)}")
    return sorted(problems, key=lambda p: p.line)


def languages(config: dict[str, Any]) -> list[str]:
    """The languages with a catalog under ``locales`` (none if it cannot be read)."""
    locales = config.get("locales")
    if not isinstance(locales, str):
        return []
    found = resolve(config, locales).glob("*/LC_MESSAGES/messages.po")
    return sorted(path.parents[1].name for path in found)


def describe(problem: ConfigProblem, config: dict[str, Any]) -> str:
    """``config.yaml:14: storage.backend: ...`` (no file: the message alone)."""
    source = config.get("source")
    path = source.path if isinstance(source, ConfigSource) else None
    return f"{path}:{problem.line}: {problem.message}" if path else problem.message
