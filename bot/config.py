"""config.yaml: embedded defaults, the file merged over them, ``${ENV}`` substituted."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import yaml

DEFAULTS: dict[str, Any] = {
    "language": "id",
    "flows": {"dir": "flows", "entry": "main"},
    "locales": "locales",
    "data": {"markets": "data/markets.yaml", "catalog": "data/catalog.yaml"},
    "storage": {"backend": "tinydb", "path": "data/"},
    "sessions": {"resume_after_hours": 6, "expire_after_days": 30},
    "admins": [],
    "recap": {"time": "20:00"},
    "server": {"host": "127.0.0.1", "port": 8080},
    "telegram": {
        "enabled": False,
        "token": "",
        "base_url": "https://api.telegram.org/bot",
        "mode": "polling",
        "webhook_url": "",
        "secret_token": "",
        "bot_username": "",
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
    },
}

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(ValueError):
    pass


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


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> dict:
    """The defaults, with the file's settings over them (the file is optional).

    Relative paths in the config are resolved against the config file's folder.
    """
    raw: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such config file") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: the config must be a mapping")
        base = path.resolve().parent
    config = substitute(merge(DEFAULTS, raw), env)
    config["base_dir"] = str(base)
    return config


def resolve(config: dict[str, Any], relative: str) -> Path:
    """A path from the config, relative to the config file's folder."""
    path = Path(relative)
    return path if path.is_absolute() else Path(config.get("base_dir", ".")) / path
