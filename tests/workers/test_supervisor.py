"""`serve --workers N` (bot/workers.py): refused on the embedded store; a supervisor that
starts a killed worker again on its socket and stops them all on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.chat import ROOT, write_config
from tests.webhooks.support import served_graph
from tests.whatsapp.fake_graph import FakeGraph
from tests.workers.cluster import Cluster


@pytest.fixture
def graph() -> Iterator[tuple[FakeGraph, str]]:
    yield from served_graph()


def test_several_workers_are_refused_on_the_embedded_store(tmp_path: Path) -> None:
    config = write_config(tmp_path, whatsapp={"enabled": False})
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "--config", str(config),
                           "serve", "--workers", "2"], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 2
    assert "serve --workers 2: the embedded TinyDB store serves one process" in done.stderr
    assert "storage.backend: postgres" in done.stderr
    assert not (tmp_path / "data").exists()  # refused before the store was opened



async def test_supervisor_starts_a_killed_worker_again_and_stops_them_all_on_sigterm(
        tmp_path: Path, pg_dsn: str, graph: tuple[FakeGraph, str]) -> None:
    """`serve --workers 2`: a worker killed -9 is replaced on its socket while the other
    answers; SIGTERM stops both (each closes its store) and the supervisor exits 0."""
    _, url = graph
    cluster = Cluster(tmp_path, pg_dsn, url, 2, supervised=True)
    await cluster.start()
    supervisor = cluster.processes[0]
    try:
        first = cluster.children()
        assert len(first) == 2
        os.kill(first[0], 9)
        async with httpx.AsyncClient(base_url=supervisor.url, timeout=10) as client:
            for _ in range(6):  # new connections, spread over both sockets: none refused
                assert (await client.get("/healthz", headers={"connection": "close"})
                        ).status_code == 200
        for _ in range(400):
            now = cluster.children()
            if len(now) == 2 and first[0] not in now and supervisor.stderr().count(
                    " serving\n") >= 3:
                break
            await asyncio.sleep(0.05)
        assert first[1] in now and first[0] not in now and len(now) == 2
    finally:
        code = await supervisor.stop()
    assert code == 0
    log = supervisor.stderr()
    assert log.count("stopped by SIGTERM; the store is closed") == 2
    assert "worker 1 (pid" in log or "worker 2 (pid" in log
    assert all(not Path(f"/proc/{pid}").exists() for pid in now)
