"""README.md says what the code does: its two commands come first, every config key it
names (`telegram.typing_after`, `announcements.*_per_second`, the keys of its YAML
examples) is one of bot/config.py's DEFAULTS, and every `main.py` command it shows (with
its action and its --options) is one the CLI has."""

from __future__ import annotations

import argparse
import fnmatch
import re
from collections.abc import Iterator
from typing import Any

import yaml

from bot.cli import build_parser
from bot.config import DEFAULTS
from tests.chat import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCED = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
SPAN = re.compile(r"`([^`\n]+)`")
DOTTED = re.compile(r"(?<![\w./-])([a-z_]+(?:\.[a-z_*]+)+)(?![\w/(-])")
COMMAND = re.compile(r"main\.py((?: [^\s`#;&,]+)*)")  # words one space apart


def dotted_keys(config: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in config.items():
        yield prefix + key
        if isinstance(value, dict):
            yield from dotted_keys(value, f"{prefix}{key}.")


KNOWN = set(dotted_keys(DEFAULTS))


def named_keys(text: str) -> set[str]:
    """`section.key` words whose section is a config section (`data/markets.yaml`,
    `main.py` and `pasar.example.org` are not)."""
    return {word for word in DOTTED.findall(text)
            if isinstance(DEFAULTS.get(word.split(".")[0]), dict)}


def spans_and_blocks() -> list[str]:
    return SPAN.findall(FENCED.sub("", README)) + [body for _, body in FENCED.findall(README)]


def test_the_two_commands_come_first() -> None:
    blocks = [body.strip() for _, body in FENCED.findall(README)]
    commands = [b for b in blocks if b.startswith("python3 ")]
    assert commands[:2] == [
        "python3 -m pip install -r requirements.txt && python3 main.py chat",
        "python3 -m pip install -r requirements-dev.txt && python3 -m pytest",
    ]


def test_every_config_key_the_readme_names_is_a_default() -> None:
    named = set().union(*(named_keys(text) for text in spans_and_blocks()))
    assert {"telegram.typing_after", "storage.pool_size", "whatsapp.presence"} <= named
    unknown = sorted(k for k in named if not fnmatch.filter(KNOWN, k))
    assert unknown == [], f"README names config keys bot/config.py does not have: {unknown}"


def test_every_key_of_the_readmes_config_examples_is_a_default() -> None:
    examples = [yaml.safe_load(body) for lang, body in FENCED.findall(README)
                if lang == "yaml"]
    configs = [e for e in examples if isinstance(e, dict) and set(e) <= set(DEFAULTS)
               and any(isinstance(DEFAULTS[k], dict) for k in e)]
    assert configs, "the README's PostgreSQL example (storage: backend: postgres) is gone"
    for example in configs:
        unknown = sorted(set(dotted_keys(example)) - KNOWN)
        assert unknown == [], f"README example has keys bot/config.py does not: {unknown}"


def _children(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


def test_every_command_the_readme_shows_exists() -> None:
    """`main.py orders export --format ...`: `orders` a command, `export` one of its
    actions (each of `upgrade\\|status\\|copy`), `--format` one of its options."""
    top = build_parser()
    shown = [m for text in spans_and_blocks() for m in COMMAND.findall(text)]
    assert len(shown) > 20
    for line in shown:
        words = re.sub(r"--config \S+", "", line.replace("\\|", "|")).split()
        parser, path, named = top, "main.py", False  # named: a word after the actions
        for word in (w.strip("[]()") for w in words):
            children = _children(parser)
            if word.startswith("-"):
                flag = word.split("=")[0]
                assert flag in _options(parser) | _options(top), f"{path} has no {flag}: {line}"
            elif children and not named:
                missing = [n for n in word.split("|") if n not in children]
                assert missing == [], f"{path} has no command {missing}: {line}"
                parser, path = children[word.split("|")[0]], f"{path} {word.split('|')[0]}"
            else:
                named = True  # an argument: what follows is arguments and options
