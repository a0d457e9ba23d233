"""The shipped config.yaml shows every config key of bot/config.py DEFAULTS: set, or on a
commented line with its default (``  # typing_after: 0.5  # ...``), so an operator sees
what a key does and what it is without it; with those lines uncommented it is still a
valid config."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from bot.config import DEFAULTS, load_config
from bot.config_check import check_config
from tests.chat import ROOT

COMMENTED = re.compile(r"^(\s*)# (\s*[a-z_]+:(?:\s.*)?)$")  # "  # key: value  # what"
ENV = {"DATABASE_URL": "postgresql://pasar@localhost/pasar",
       "OFFICE_SECRET": "a-long-random-secret-for-the-cookie-0123456789"}


def uncommented(text: str) -> str:
    lines = []
    for line in text.splitlines():
        found = COMMENTED.match(line)
        lines.append(found.group(1) + found.group(2) if found else line)
    return "\n".join(lines) + "\n"


def leaves(config: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in config.items():
        if isinstance(value, dict) and value:
            yield from leaves(value, f"{prefix}{key}.")
        else:
            yield prefix + key, value


def test_config_yaml_shows_every_key_and_the_defaults_of_those_left_out(
        tmp_path: Path) -> None:
    shipped = (ROOT / "config.yaml").read_text(encoding="utf-8")
    shown = dict(leaves(yaml.safe_load(uncommented(shipped))))
    missing = sorted(set(dict(leaves(DEFAULTS))) - set(shown))
    assert missing == [], f"config.yaml does not show {missing}"
    defaults = dict(leaves(DEFAULTS))
    left_out = set(shown) - set(dict(leaves(yaml.safe_load(shipped))))
    assert {"telegram.typing_after", "whatsapp.presence", "storage.pool_size"} <= left_out
    for key in sorted(left_out):
        value = shown[key]
        if isinstance(value, str) and ("${" in value or "://" in value):
            continue  # an example (a secret from the environment, an address)
        assert value == defaults[key], f"config.yaml: # {key}: {value!r}, default {defaults[key]!r}"
    # uncommented, it is a valid config (flows, locales and data where the shipped one says)
    path = ROOT / "config.yaml"
    config = load_config(path, env=ENV)
    everything = tmp_path / "config.yaml"
    everything.write_text(uncommented(shipped), encoding="utf-8")
    full = load_config(everything, env=ENV)
    full["base_dir"] = config["base_dir"]
    assert check_config(full) == []
