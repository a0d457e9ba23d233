"""The session-wide log check (tests/logcheck.py) is real: planted leaks fail a run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.chat import ROOT
from tests.logcheck import leaks_in

CONFTEST = "from tests.logcheck import pytest_runtest_logstart, pytest_sessionfinish, " \
           "pytest_sessionstart, pytest_testnodedown  # noqa\n"
PLANTED = """
import logging
from bot import privacy

def test_clean():
    logging.getLogger("bot.somewhere").warning("refused: %s", "u-3f9a1c0b7e")

def test_logs_a_number():
    logging.getLogger("bot.somewhere").info("sent to %s", "whatsapp:6281234567890")

def test_writes_a_log_file(tmp_path):
    (tmp_path / "pasar.log").write_text("WARNING x: Jl. Melati No. 12\\n")

def test_runs_the_cli():
    privacy.install({})  # as bot.cli.main does: redaction from here in this process

def test_logs_a_token_after_it():
    logging.getLogger("bot.later").warning("GET /bot123456:TEST-token-not-real/getMe")
"""


def test_the_patterns() -> None:
    for leaked in ("whatsapp:6281234567890", "0812-3456-7890", "+62 812 3456 7890",
                   "Jl. Melati No. 12", "RT 03/RW 05", "/bot123456:TEST-token-not-real/getMe",
                   "?hub.verify_token=test-verify-token", "secret test-app-secret",
                   "message wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjk5OUZBQkNEAA== failed"):
        assert leaks_in(leaked), leaked
    for clean in ("refused: u-3f9a1c0b7e (resident) tried 'recap'", "KRB-1127-001",
                  "telegram:601", "1764200000.0", "2025-11-27 06:33:11+0700", "rw05-jatibening",
                  "wamid.TEST00000001", "wamid.FAKE000017"):
        assert not leaks_in(clean), clean


@pytest.mark.parametrize("parallel", [[], ["-p", "xdist.plugin", "-n", "2"]],
                         ids=["one process", "xdist workers"])
def test_planted_leaks_fail_the_run(tmp_path: Path, parallel: list[str]) -> None:
    """A record with a number, a log file with an address, and a token logged after a test
    ran the CLI's redaction in the process: each named; the tests themselves pass. With
    pytest-xdist (the suite's default) the workers hand what they found to the controller."""
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (inner / "test_inner.py").write_text(PLANTED, encoding="utf-8")
    base = Path(os.environ.get("TMPDIR", "/tmp")) / f"logcheck-{os.getpid()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *parallel, "--rootdir",
         str(inner), "--basetemp", str(base), str(inner)],
        cwd=inner, env=env, capture_output=True, text=True, timeout=120)
    shutil.rmtree(base, ignore_errors=True)  # outside this run's folder: its check skips it
    out = done.stdout
    assert done.returncode != 0 and "5 passed" in out, out + done.stderr
    assert "phone number in test_inner.py::test_logs_a_number" in out
    assert "address in " in out and "pasar.log:1" in out
    assert "bot token in test_inner.py::test_logs_a_token_after_it" in out
    assert "test_clean" not in out and "test_runs_the_cli" not in out
