"""config.yaml: embedded defaults, the file merged over them, ``${ENV}`` substituted.

Every key has a default in DEFAULTS: a key of the file that is not there is reported with
its line (`bot.config_check` checks the values)."""

from __future__ import annotations

import copy
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.engine.yaml_lines import LineDict, load_yaml

DEFAULTS: dict[str, Any] = {
    "app": "bot.ordering",  # the app on the engine: a module with register() (bot/plugin.py)
    "language": "id",
    "flows": {"dir": "flows", "entry": "main"},
    "locales": "locales",
    "data": {"markets": "data/markets.yaml", "catalog": "data/catalog.yaml"},
    # postgres: dsn like postgresql://bot:secret@localhost/pasar or ${DATABASE_URL};
    # pool_size: connections per worker (one per conversation being handled at once)
    "storage": {"backend": "tinydb", "path": "data/", "dsn": "", "pool_size": 10},
    "sessions": {"resume_after_hours": 6, "expire_after_days": 30},
    "admins": [],
    "recap": {"time": "20:00"},
    "escalation": {"claim_minutes": 60, "office_minutes": 120, "substitute_minutes": 30},
    "complaints": {"days": 3},
    # issue 16: a resident who stopped mid-order, an order delivered and not paid (minutes;
    # 0: off), never in the quiet hours (the markets' time zone); bot/ordering/chat/reminders.py
    "reminders": {"resident_minutes": 120, "unpaid_minutes": 180,
                  "quiet_from": "21:00", "quiet_until": "07:00"},
    # `umumkan`: to the residents of the last `days` days, at a pace per platform, as the
    # WhatsApp template outside the 24-hour window; bot/ordering/announcing/
    "announcements": {"days": 30, "telegram_per_second": 20, "whatsapp_per_second": 20,
                      "in_flight": 4, "whatsapp_template": "",
                      "whatsapp_template_language": "id"},
    "server": {"host": "127.0.0.1", "port": 8080, "max_body_bytes": 1_048_576,
               "public_url": ""},  # the office's address in sign-in links ("": host:port)
    # the market office's web pages (bot/office/): a sign-in link lasts link_minutes, a
    # session session_hours; secret signs the cookie ("": one kept in the store)
    "office": {"enabled": True, "link_minutes": 10, "session_hours": 12, "secret": ""},
    "telegram": {
        "enabled": False,
        "token": "",
        "base_url": "https://api.telegram.org/bot",
        "mode": "polling",
        "webhook_url": "",
        "secret_token": "",
        "bot_username": "",
        "poll_timeout": 30,
        "max_concurrent": 64,
        "max_in_flight": 8,  # swept with bench/e2e.py (bot/adapters/telegram_setup.py)
        "mark_pressed": True,
        # "typing..." for a reply that takes longer than this (seconds); 0: never
        "typing_after": 0.5,
        "retries": 3,
        "retry_backoff": 0.5,
        "reconnect_max": 60,
        "rate_per_second": 30,
    },
    "whatsapp": {
        "enabled": False,
        "access_token": "",
        "phone_number_id": "",
        "app_secret": "",
        "verify_token": "",
        "api_base_url": "https://graph.facebook.com/v21.0",
        "display_number": "",
        "template_name": "",
        "template_language": "id",
        # mark a message read and show "typing..." while its reply is prepared
        "presence": True,
    },
}

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in the config: the key (dotted), its line in the file, what."""

    key: str
    line: int
    message: str


@dataclass(frozen=True)
class ConfigSource:
    """Where the config came from (``config["source"]``): the file, the line of each key
    written in it (``storage.backend`` -> 14) and the problems found reading it."""

    path: str | None = None
    lines: dict[str, int] = field(default_factory=dict)
    problems: tuple[ConfigProblem, ...] = ()

    def line_of(self, key: str) -> int:
        """The line of ``key``, or of the nearest section written (0: not in the file)."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key.rpartition(".")[0]
        return 0


INTERNAL_KEYS = ("base_dir", "source")  # set by load_config, never written in the file


def unknown_key(key: object, known: tuple[str, ...] | list[str]) -> str:
    """``'nama' (did you mean 'name'? known: id, name, ...)``: the message's key part."""
    close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return f"{str(key)!r} ({guess}known: {', '.join(known)})"


def _read_keys(raw: LineDict, defaults: dict[str, Any], prefix: str, lines: dict[str, int],
               problems: list[ConfigProblem]) -> None:
    """Record the line of every key written; report those DEFAULTS does not know."""
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        lines[dotted] = raw.line_of(key)
        if key not in defaults:
            known = [f"{prefix}{k}" for k in defaults]
            problems.append(ConfigProblem(dotted, raw.line_of(key),
                                          f"unknown key {unknown_key(dotted, known)}"))
        elif isinstance(defaults[key], dict) and isinstance(value, LineDict):
            _read_keys(value, defaults[key], f"{dotted}.", lines, problems)


def substitute(value: Any, env: dict[str, str] | None = None) -> Any:
    """Replace ``${NAME}`` (or ``${NAME:-default}``) in every string, recursively."""
    env = os.environ if env is None else env
    if isinstance(value, str):
        return _ENV.sub(lambda m: env.get(m.group(1), m.group(2) or ""), value)
    if isinstance(value, dict):
        return {k: substitute(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, env) for v in value]
    return value


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _without_empty(raw: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """``telegram:`` or ``admins:`` written with nothing under it keeps its default (a
    section whose keys are all commented out is not an error)."""
    kept = {}
    for key, value in raw.items():
        default = defaults.get(key)
        if key in INTERNAL_KEYS or (value is None and isinstance(default, dict | list)):
            continue
        if isinstance(value, dict) and isinstance(default, dict):
            value = _without_empty(value, default)
        kept[key] = value
    return kept


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> dict:
    """The defaults, with the file's settings over them (the file is optional).

    Relative paths in the config are resolved against the config file's folder.
    """
    raw: dict[str, Any] = {}
    base = Path.cwd()
    source = ConfigSource()
    if path is not None:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such config file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from None
        data, found = load_yaml(text)
        if data is None and found:  # a syntax error: nothing else can be read
            raise ConfigError("\n".join(f"{path}:{p.line}: {p.message}" for p in found))
        if data is not None and not isinstance(data, LineDict):
            raise ConfigError(f"{path}:1: the config must be a mapping of keys")
        problems = [ConfigProblem("", p.line, p.message) for p in found]
        lines: dict[str, int] = {}
        if data is not None:
            _read_keys(data, DEFAULTS, "", lines, problems)
            raw = _without_empty(data, DEFAULTS)
        source = ConfigSource(str(path), lines, tuple(problems))
        base = path.resolve().parent
    config = substitute(merge(DEFAULTS, raw), env)
    config["base_dir"] = str(base)
    config["source"] = source
    return config


def resolve(config: dict[str, Any], relative: str) -> Path:
    """A path from the config, relative to the config file's folder."""
    path = Path(relative)
    return path if path.is_absolute() else Path(config.get("base_dir", ".")) / path
