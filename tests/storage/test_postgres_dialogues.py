"""Chat transcripts of tests/dialogues/ on the PostgreSQL store: the engine, its units of
work and the ordering app give the same conversations as on TinyDB, restarts included (a
restart is a new store on the same database). A few that cover restarts, the periodic
jobs and two coordinators at once (all 32 pass too, in ~20 s: run with PG_ALL_DIALOGUES=1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from bot.ordering.domain.statuses import STATUSES
from bot.storage.postgres import PostgresStore
from tests.chat import ChatBot, test_config
from tests.pg import contract_dsn, empty
from tests.test_dialogues import DIALOGUES, check_step

CHOSEN = ("restart_and_resume", "escalation_after_restart", "coord_claim_race")
RUN = [p for p in DIALOGUES if os.environ.get("PG_ALL_DIALOGUES") or p.stem in CHOSEN]


def run_on_postgres(path: Path, dsn: str) -> None:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    config = test_config(**(spec.get("config") or {}))

    def store() -> PostgresStore:
        return PostgresStore(dsn, finished=STATUSES.finished, pool_size=2)

    bot = ChatBot(store=store(), config=config)
    try:
        for number, step in enumerate(spec["steps"], 1):
            where = f"{path.name} step {number} (postgres)"
            user = str(step.get("user", "warga"))
            if step.get("restart"):
                bot.store.close()
                bot = ChatBot(store=store(), config=config, clock=bot.clock)
            if "wait_hours" in step:
                bot.clock.advance(float(step["wait_hours"]) * 3600)
            if step.get("tick"):
                bot.tick()
            if "send" in step:
                bot.push(user, str(step["send"]))
            elif "choose" in step:
                bot.push(user, choice=str(step["choose"]))
            elif "location" in step:
                bot.push(user, location=tuple(step["location"]))
            check_step(bot, step, user, where)
    finally:
        bot.store.close()


@pytest.mark.parametrize("path", RUN, ids=[p.stem for p in RUN])
def test_dialogue_on_postgres(path: Path) -> None:
    dsn = contract_dsn()  # one database per test process, emptied (~10 ms, not ~300)
    empty(dsn)
    run_on_postgres(path, dsn)


def test_the_chosen_dialogues_exist() -> None:
    assert len([p for p in DIALOGUES if p.stem in CHOSEN]) == len(CHOSEN)
