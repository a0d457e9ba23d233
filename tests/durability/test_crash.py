"""Kill the bot with SIGKILL while residents order: no confirmed order is lost.

A worker process (tests/durability/helpers/place_orders.py) has residents place whole
orders through the engine on a TinyDB store and prints each order code once its
confirmation reply has been returned. The test kills it at a random moment, opens the
store as a restarted bot would (the dead worker's flock must be gone), checks that every
order ever emitted is there and intact, and starts the next worker on the same folder.

Replay and soak: every random choice (early or late kill, the delay before it) comes from
one seed, printed with every failure. ``PASAR_CRASH_SEED=N`` replays those choices (the
process interleaving itself is the OS's, so a replay hits the same moments, not the same
instructions); ``PASAR_CRASH_KILLS=N`` sets the number of kills (default 30, a few
seconds' worth). ``python3 bench/crash_soak.py`` runs the long soak (300 kills).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.app import App
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import ROOT
from tests.chat import test_config as bot_config
from tests.durability.helpers.residents import order_problems, plan

CHILD = Path(__file__).parent / "helpers" / "place_orders.py"
KILLS = 30  # the suite's default; bench/crash_soak.py runs 300
EARLY = 0.2  # this share of the kills hit the worker while it opens the store and the app
EARLY_DELAY = (0.0, 0.15)  # seconds from fork to SIGKILL
DELAY = (0.02, 0.25)  # seconds from "ready" (residents chatting) to SIGKILL


class Worker:
    """The forking helper: `run` starts a worker, lets it live a while, kills it."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.log = log
        with log.open("w") as err:  # a file, not a pipe nobody reads that could fill up
            self.proc = subprocess.Popen(
                [sys.executable, str(CHILD), str(data_dir)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                bufsize=1,
            )

    def line(self) -> str:
        assert self.proc.stdout is not None
        text = self.proc.stdout.readline()
        if not text:
            raise AssertionError(f"the helper process ended: {self.log.read_text()[-3000:]}")
        return text.rstrip("\n")

    def run(self, number: int, delay: float, early: bool) -> tuple[list[tuple[str, str]], int]:
        """Emitted (code, user) pairs of one worker, and the signal that ended it.

        ``delay`` counts from the fork if ``early``, else from the worker's "ready"."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"go {number}\n")
        self.proc.stdin.flush()
        started = self.line().split()
        assert started[:2] == ["started", str(number)], started
        if not early:
            ready = self.line().split()
            assert ready == ["ready", str(number)], ready
        time.sleep(delay)
        with contextlib.suppress(ProcessLookupError):  # it ended by itself: see its last line
            os.kill(int(started[2]), signal.SIGKILL)
        emitted = []
        while True:
            words = self.line().split(maxsplit=3)
            if words[0] == "ready":
                continue
            if words[0] == "order":
                emitted.append((words[1], words[2]))
            elif words[0] == "ended":
                return emitted, os.WTERMSIG(int(words[3]))
            else:
                raise AssertionError(f"worker {number}: {' '.join(words)}")

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        try:
            self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


def crash_settings() -> tuple[int, int]:
    """(kills, seed) from PASAR_CRASH_KILLS and PASAR_CRASH_SEED, or the defaults."""
    kills = int(os.environ.get("PASAR_CRASH_KILLS") or KILLS)
    seed_text = os.environ.get("PASAR_CRASH_SEED")
    seed = int(seed_text) if seed_text else int.from_bytes(os.urandom(4), "big")
    return kills, seed


def test_crash_settings_replay_the_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASAR_CRASH_SEED", "1234")
    monkeypatch.setenv("PASAR_CRASH_KILLS", "7")
    assert crash_settings() == (7, 1234)
    monkeypatch.delenv("PASAR_CRASH_SEED")
    monkeypatch.delenv("PASAR_CRASH_KILLS")
    kills, seed = crash_settings()
    assert kills == KILLS and 0 <= seed < 2**32


def test_sigkill_while_ordering_loses_no_confirmed_order(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    total, seed = crash_settings()
    replay = f"replay: PASAR_CRASH_SEED={seed} PASAR_CRASH_KILLS={total}"
    rng = random.Random(seed)
    app = App(bot_config())  # memory store: only to compute each resident's plan
    emitted: dict[str, str] = {}  # code -> user
    checked = kills = 0
    worker = Worker(data_dir, tmp_path / "helper.log")
    started = time.perf_counter()
    try:
        for number in range(1, total + 1):
            early = rng.random() < EARLY
            pairs, sig = worker.run(number, rng.uniform(*(EARLY_DELAY if early else DELAY)), early)
            assert sig == signal.SIGKILL, f"run {number} ended by signal {sig} ({replay})"
            kills += 1
            for code, user in pairs:
                assert code not in emitted, f"{code} confirmed twice ({replay})"
                emitted[code] = user
            with TinyDBStore(data_dir) as store:  # raises StoreLocked if the flock stayed
                assert store.problems() == [], f"after kill {number} ({replay})"
                for code, user in emitted.items():
                    wrong = order_problems(store.get_order(code), plan(app, user))
                    assert not wrong, f"{code} of {user} after kill {number}: {wrong}"
                    checked += 1
                stored = store.query_orders()
    finally:
        worker.close()
    per_user = Counter(o["user"] for o in stored)
    twice = sum(1 for n in per_user.values() if n > 1)
    print(
        f"\ncrash test: {kills} SIGKILLs, {len(emitted)} confirmed orders each checked after "
        f"every later kill ({checked} checks), {len(stored)} orders in the store; "
        f"{twice} resident(s) got a second order by re-sending 'ya' after a crash; "
        f"{time.perf_counter() - started:.1f} s ({replay})"
    )
    assert kills == total
    # the workers did place orders between kills (a loaded machine places fewer)
    assert len(emitted) >= total // 4
