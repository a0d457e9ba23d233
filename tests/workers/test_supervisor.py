"""`serve --workers N` (bot/workers.py) is refused on the embedded store. The supervisor's
restarts and stop are in test_orders_across_workers.py (kill -9 while residents order)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.chat import ROOT, write_config
from tests.webhooks.support import free_port


def test_several_workers_are_refused_on_the_embedded_store(tmp_path: Path) -> None:
    config = write_config(tmp_path, whatsapp={"enabled": False})
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "--config", str(config),
                           "serve", "--workers", "2"], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 2
    assert "serve --workers 2: the embedded TinyDB store serves one process" in done.stderr
    assert "storage.backend: postgres" in done.stderr
    assert not (tmp_path / "data").exists()  # refused before the store was opened


def test_workers_that_cannot_start_stop_the_supervisor_with_their_reason(
        tmp_path: Path, pg_dsn: str) -> None:
    """A worker that fails at its first start (here: no messenger enabled) would fail
    again: serve stops the others and exits with its code, not restarting it forever."""
    config = write_config(tmp_path, storage={"backend": "postgres", "dsn": pg_dsn},
                          server={"host": "127.0.0.1", "port": free_port()})
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "--config", str(config),
                           "serve", "--workers", "2"], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 1
    assert "No messenger is enabled" in done.stderr
    assert "could not start (exit 1): stopping" in done.stderr
    assert "starting it again" not in done.stderr
