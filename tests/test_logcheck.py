"""The session-wide log check (tests/logcheck.py) is real: a planted leak fails a run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.chat import ROOT
from tests.logcheck import leaks_in

CONFTEST = "from tests.logcheck import pytest_runtest_logstart, pytest_sessionfinish, " \
           "pytest_sessionstart  # noqa\n"


def run_inner(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    """A pytest run of ``body`` with the log check; its planted log files removed after
    (they are under this run's temporary folder, which this run's check reads too)."""
    tmp_path.mkdir()
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (tmp_path / "test_inner.py").write_text(body, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
         str(tmp_path), "--basetemp", str(tmp_path / "base"), str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    shutil.rmtree(tmp_path)
    return done


def test_the_patterns() -> None:
    for leaked in ("whatsapp:6281234567890", "0812-3456-7890", "+62 812 3456 7890",
                   "Jl. Melati No. 12", "RT 03/RW 05", "/bot123456:TEST-token-not-real/getMe",
                   "?hub.verify_token=test-verify-token", "secret test-app-secret"):
        assert leaks_in(leaked), leaked
    for clean in ("refused: u-3f9a1c0b7e (resident) tried 'recap'", "KRB-1127-001",
                  "telegram:601", "1764200000.0", "2025-11-27 06:33:11+0700", "rw05-jatibening"):
        assert not leaks_in(clean), clean


def test_a_planted_leak_fails_the_run_and_a_clean_run_passes(tmp_path: Path) -> None:
    leaky = run_inner(tmp_path / "leaky", """
import logging

def test_logs_a_number():
    logging.getLogger("bot.somewhere").info("sent to %s", "whatsapp:6281234567890")

def test_writes_a_log_file(tmp_path):
    (tmp_path / "pasar.log").write_text("WARNING x: Jl. Melati No. 12\\n")
""")
    assert leaky.returncode != 0, leaky.stdout + leaky.stderr
    out = leaky.stdout
    assert "2 passed" in out  # the tests themselves pass: the log check fails the run
    assert "phone number in test_inner.py::test_logs_a_number" in out
    assert "address in " in out and "pasar.log:1" in out
    clean = run_inner(tmp_path / "clean", """
import logging

def test_logs_a_pseudonym():
    logging.getLogger("bot.somewhere").warning("refused: %s", "u-3f9a1c0b7e")
""")
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_a_cli_run_in_this_process_does_not_hide_later_leaks(tmp_path: Path) -> None:
    body = """
import logging
from bot import privacy

def test_runs_the_cli():
    privacy.install({})  # as bot.cli.main does

def test_logs_a_number_after_it():
    logging.getLogger("bot.later").warning("to %s", "whatsapp:6281234567890")
"""
    leaky = run_inner(tmp_path / "after_cli", body)
    assert leaky.returncode != 0 and "test_logs_a_number_after_it" in leaky.stdout, \
        leaky.stdout + leaky.stderr
