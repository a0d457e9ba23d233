"""`serve --workers N` (bot/workers.py) is refused on the embedded store. The supervisor's
restarts and stop are in test_orders_across_workers.py (kill -9 while residents order)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.chat import ROOT, write_config


def test_several_workers_are_refused_on_the_embedded_store(tmp_path: Path) -> None:
    config = write_config(tmp_path, whatsapp={"enabled": False})
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "--config", str(config),
                           "serve", "--workers", "2"], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 2
    assert "serve --workers 2: the embedded TinyDB store serves one process" in done.stderr
    assert "storage.backend: postgres" in done.stderr
    assert not (tmp_path / "data").exists()  # refused before the store was opened
