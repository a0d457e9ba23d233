"""Chat transcripts of tests/dialogues/ on the PostgreSQL store: the engine, its units of
work and the ordering app give the same conversations as on TinyDB, restarts included (a
restart is a new store on the same database). A few that cover restarts, the periodic
jobs and two coordinators at once (all 32 pass too, in ~20 s: run with PG_ALL_DIALOGUES=1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.ordering.domain.statuses import STATUSES
from bot.storage.postgres import PostgresStore
from tests.pg import contract_dsn, empty
from tests.test_dialogues import DIALOGUES, run_dialogue

CHOSEN = ("restart_and_resume", "escalation_after_restart", "coord_claim_race")
RUN = [p for p in DIALOGUES if os.environ.get("PG_ALL_DIALOGUES") or p.stem in CHOSEN]


@pytest.mark.parametrize("path", RUN, ids=[p.stem for p in RUN])
def test_dialogue_on_postgres(path: Path) -> None:
    dsn = contract_dsn()  # one database per test process, emptied (~10 ms, not ~300)
    empty(dsn)
    run_dialogue(path, lambda: PostgresStore(dsn, finished=STATUSES.finished, pool_size=2),
                 "postgres")


def test_the_chosen_dialogues_exist() -> None:
    assert len([p for p in DIALOGUES if p.stem in CHOSEN]) == len(CHOSEN)
