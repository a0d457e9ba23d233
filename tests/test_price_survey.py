"""The engine is a framework: a second app (examples/price_survey, `app:` in its config)
runs on it, imports nothing of the ordering app, and talks as its dialogues say.

The dialogues in examples/price_survey/dialogues/ use the format of tests/dialogues/
(send / choose / restart, checked with says / options / state / slots)."""

from __future__ import annotations

import ast
import asyncio
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import App, load
from bot.config import load_config
from bot.engine.loader import FlowLoadError
from bot.messages import Reply
from bot.storage.memory import MemoryStore
from bot.storage.tinydb_store import TinyDBStore
from examples.price_survey import week_of
from examples.price_survey.answers import AnswerFile
from examples.price_survey.survey import TIMEZONE
from tests.chat import ChatBot, Clock, Console
from tests.test_dialogues import check_step

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "price_survey"
DIALOGUES = sorted((EXAMPLE / "dialogues").glob("*.yaml"))


def survey_config(data_dir: Path, **overrides: Any) -> dict[str, Any]:
    """The example's own config.yaml, its files under ``data_dir``."""
    config = load_config(EXAMPLE / "config.yaml", env={})
    config["storage"] = {"backend": "tinydb", "path": str(data_dir)}
    config.update(overrides)
    return config


def run_survey(path: Path, data_dir: Path) -> ChatBot:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    config = survey_config(data_dir)
    bot = ChatBot(store=TinyDBStore(data_dir), config=config)
    try:
        for number, step in enumerate(spec["steps"], 1):
            user = str(step.get("user", "warga"))
            if step.get("restart"):  # a new process on the same files
                bot.store.close()
                bot = ChatBot(store=TinyDBStore(data_dir), config=config, clock=bot.clock)
            if "send" in step:
                bot.push(user, str(step["send"]))
            elif "choose" in step:
                bot.push(user, choice=str(step["choose"]))
            check_step(bot, step, user, f"{path.name} step {number}")
    finally:
        bot.store.close()
    return bot


@pytest.mark.parametrize("path", DIALOGUES, ids=[p.stem for p in DIALOGUES])
def test_survey_dialogue(path: Path, tmp_path: Path) -> None:
    run_survey(path, tmp_path / "data")


def test_sent_answers_are_on_disk_and_the_weeks_latest_counts(tmp_path: Path) -> None:
    run_survey(EXAMPLE / "dialogues" / "weekly_answer.yaml", tmp_path / "data")
    answers = AnswerFile(tmp_path / "data" / "price-survey.jsonl")
    sent = answers.read()
    assert [r["prices"] for r in sent] == [
        {"beras": 16000, "minyak": 14000, "telur": 0, "cabai": 65000},
        {"beras": 17000, "minyak": 14000, "telur": 28000, "cabai": 60000},
    ]
    assert {r["market"] for r in sent} == {"bantar-gebang"}
    [latest] = answers.latest(week_of(Clock().now))
    assert latest["prices"]["beras"] == 17000


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_example_imports_nothing_of_the_ordering_app() -> None:
    files = sorted(EXAMPLE.rglob("*.py"))
    assert files
    for path in files:
        ordering = {m for m in imports_of(path) if m == "bot.ordering"
                    or m.startswith("bot.ordering.")}
        assert not ordering, f"{path.relative_to(ROOT)} imports {sorted(ordering)}"


def test_an_app_that_cannot_be_imported_is_a_start_problem(tmp_path: Path) -> None:
    config = survey_config(tmp_path, app="examples.no_such_app")
    errors = [str(e) for e in load(config).errors]
    assert any("app: cannot import 'examples.no_such_app'" in e for e in errors), errors
    with pytest.raises(FlowLoadError):
        ChatBot(config=config)


def test_main_py_chat_runs_the_example(tmp_path: Path) -> None:
    """`python3 main.py --config <the example's config> chat`, as the README says."""
    config = yaml.safe_load((EXAMPLE / "config.yaml").read_text(encoding="utf-8"))
    config["flows"]["dir"] = str(EXAMPLE / "flows")
    config["locales"] = str(EXAMPLE / "locales")
    config["storage"]["path"] = str(tmp_path / "data")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    lines = ["halo", "3", "12000", "15000", "27000", "55000", "ya"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--config", str(path), "chat", "--json"],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60,
        cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    texts = ["\n".join(r["text"] for r in a["replies"]) for a in answers]
    assert "Anda berdagang di pasar mana?" in texts[0]
    assert "Rp55.000 per kg" in texts[5]
    assert "Harga dari Pasar Sumber Arta" in texts[6]
    assert len(AnswerFile(tmp_path / "data" / "price-survey.jsonl").read()) == 1


def invitations(config: dict[str, Any], now: float) -> list[Reply]:
    """The app's periodic jobs run once at ``now`` in a new app on the same files."""
    app = App(config, store=MemoryStore())
    outbox = Console()
    app.attach(outbox)
    results = asyncio.run(app.run_jobs(now))
    assert results["weekly invitation"] == len(outbox.sent)
    return outbox.sent


def test_traders_are_invited_once_a_week_across_a_restart(tmp_path: Path) -> None:
    """The app's job (Setup.jobs): Monday from 07:00 Bekasi time, once per week."""
    config = survey_config(tmp_path / "data")
    monday = datetime(2026, 11, 30, 7, 5, tzinfo=TIMEZONE).timestamp()
    assert invitations(config, monday - 3600) == []  # 06:05: not yet
    sent = invitations(config, monday)
    assert [r.to for r in sent] == ["console:pedagang-1", "console:pedagang-2"]
    assert "survei harga minggu 2026-W49" in sent[0].text
    assert invitations(config, monday + 3 * 3600) == []  # a restart: already invited
    assert len(invitations(config, monday + 2 * 86400)) == 0  # later that week
    assert len(invitations(config, monday + 7 * 86400)) == 2  # the next week
