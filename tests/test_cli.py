"""The CLI as a user runs it: real subprocesses, real files under a temporary data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.chat import write_config

ROOT = Path(__file__).resolve().parents[1]


def run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--config", str(write_config(tmp_path)), *args],
        input=stdin, capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_chat_json_places_a_whole_order(tmp_path: Path) -> None:
    lines = [
        {"user": "u1", "text": "halo"},
        {"user": "u1", "choice": "order"},
        {"user": "u1", "text": "kranji baru"},
        {"user": "u1", "text": "bawang merah 1/4 kg\ncabe rawit 5rb"},
        {"user": "u1", "choice": "done"},
        {"user": "u1", "location": {"latitude": -6.24, "longitude": 106.99}},
        {"user": "u1", "text": "no 12 pagar hijau, dekat masjid"},
        {"user": "u1", "text": "Bu Ani"},
        {"user": "u1", "text": "0812 3456 7890"},
        {"user": "u1", "choice": "yes"},
    ]
    stdin = "\n".join(json.dumps(x) for x in lines) + "\n{not json\n{\"user\": 5}\n"
    result = run(tmp_path, "chat", "--json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines) + 2  # one line per input line
    assert [o["id"] for o in out[0]["replies"][-1]["options"]] == ["order", "status", "help"]
    assert all(r["to"] == "u1" for o in out[:-2] for r in o["replies"])
    assert "KRB-" in out[9]["replies"][0]["text"]
    assert "error" in out[-2] and "error" in out[-1]
    # the order is on disk: the export finds it
    export = run(tmp_path, "orders", "export", "--format", "json")
    orders = json.loads(export.stdout)
    assert len(orders) == 1
    order = orders[0]
    assert order["market"] == "kranji-baru" and order["status"] == "new"
    assert order["items"][1] == {"name": "cabe rawit", "quantity": None, "unit": None,
                                 "budget": 5000, "note": ""}
    assert order["address"]["text"] == "no 12 pagar hijau, dekat masjid"
    assert order["resident"] == {"name": "Bu Ani", "phone": "+6281234567890"}
    assert order["channel"] == "console" and order["created_at"]
    csv_out = run(tmp_path, "orders", "export", "--format", "csv", "--market", "kranji-baru")
    assert csv_out.stdout.splitlines()[0].startswith("code,market,status,items")
    assert "cabe rawit Rp5.000" in csv_out.stdout


def test_chat_with_piped_text(tmp_path: Path) -> None:
    result = run(tmp_path, "chat", stdin="halo\n1\n")
    assert result.returncode == 0, result.stderr
    assert "Selamat datang" in result.stdout
    assert "1. Pasar Harapan Jaya" in result.stdout


def test_validate_the_shipped_flows(tmp_path: Path) -> None:
    result = run(tmp_path, "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok:")


def test_validate_reports_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("flow: broken\nstart: a\nstates:\n  a:\n    say: nope.nothing\n"
                      "    next: b\n")
    result = run(tmp_path, "validate", str(broken))
    assert result.returncode == 1
    assert f"{broken}:6: unknown state 'b'" in result.stdout
    assert f"{broken}:5: message id 'nope.nothing' missing from" in result.stdout


def test_graph_prints_mermaid(tmp_path: Path) -> None:
    result = run(tmp_path, "graph", "order")
    assert result.returncode == 0, result.stderr
    assert "stateDiagram-v2" in result.stdout
    assert "confirm --> placed" in result.stdout
    assert run(tmp_path, "graph", "nope").returncode == 1


def test_every_command_has_help(tmp_path: Path) -> None:
    for command in ("chat", "validate", "graph", "orders"):
        result = run(tmp_path, command, "--help")
        assert result.returncode == 0 and "usage:" in result.stdout


def test_a_restarted_chat_answers_its_first_lines(tmp_path: Path) -> None:
    """Regression: terminal lines once carried ids 1, 2, ... per process, so a second run
    on the same data folder took its first lines for duplicates and answered nothing."""
    first = run(tmp_path, "chat", "--json", stdin="halo\n1\n")
    second = run(tmp_path, "chat", "--json", stdin="menu\nhalo\n")
    for result in (first, second):
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(lines) == 2 and all(line["replies"] for line in lines), result.stdout
