"""The CLI as a user runs it: real subprocesses, real files under a temporary data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.config import DEFAULTS
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
    assert order["items"][1] == {"number": 2, "name": "cabe rawit", "quantity": None,
                                 "unit": None, "budget": 5000, "note": "", "price": None,
                                 "unavailable": False, "substitute": None}
    assert order["history"][0]["from"] is None and order["history"][0]["to"] == "new"
    assert order["address"]["text"] == "no 12 pagar hijau, dekat masjid"
    assert order["resident"] == {"name": "Bu Ani", "phone": "+6281234567890"}
    assert order["channel"] == "console" and order["created_at"]
    csv_out = run(tmp_path, "orders", "export", "--format", "csv", "--market", "kranji-baru")
    assert csv_out.stdout.splitlines()[0].startswith("\ufeffcode;market;status;created_at")
    assert ";cabe rawit;;;5000;" in csv_out.stdout  # name, quantity, unit, budget


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


# -- the command line itself (issue 10, items 19-23 and 25) --------------------------------
def main_py(tmp_path: Path, *args: str, stdin: str = "", stdout: int | None = None,
            **env: str) -> subprocess.CompletedProcess:
    """``main.py ARGS`` as typed (the test places --config), in ``tmp_path``."""
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args], input=stdin, text=True,
        stdout=stdout if stdout is not None else subprocess.PIPE, stderr=subprocess.PIPE,
        timeout=120, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )


def test_config_option_is_read_before_or_after_the_command(tmp_path: Path) -> None:
    """Item 19: `main.py graph order --config FILE` once stopped at "unrecognized
    arguments". The file here has a key the start check refuses: proof it was read."""
    config = write_config(tmp_path, sessions={"resume_after_hours": 6, "idle": 1})
    for args in (("graph", "order", "--config", str(config)),
                 ("--config", str(config), "graph", "order")):
        result = main_py(tmp_path, *args)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"{config}:") and "unknown key 'sessions.idle'" in (
            result.stderr)


def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """Item 20: `orders export | head`, `graph | head`, `doctor | head` once ended in a
    BrokenPipeError traceback. The reader here is gone before the first write."""
    config = str(write_config(tmp_path))
    for args in (("orders", "export"), ("graph", "order"), ("doctor",)):
        read_end, write_end = os.pipe()
        os.close(read_end)
        try:
            result = main_py(tmp_path, "--config", config, *args, stdout=write_end)
        finally:
            os.close(write_end)
        assert result.returncode in (0, 141), (args, result.returncode, result.stderr)
        assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, args


def test_links_prints_what_it_can_without_a_token(tmp_path: Path) -> None:
    """Item 21: `links --referral rw05-jatibening` once failed without a Telegram token.
    No token here, and the Bot API address is closed: nothing may go over the network."""
    telegram = {"token": "", "base_url": "http://127.0.0.1:9/bot"}
    named = write_config(tmp_path, telegram={**telegram, "bot_username": "PasarDaringBot"})
    result = main_py(tmp_path, "--config", str(named), "links", "--referral", "rw05-jatibening")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("https://t.me/PasarDaringBot?start=rw05-jatibening\n")
    assert "whatsapp.display_number" in result.stderr and "Traceback" not in result.stderr
    numbered = write_config(tmp_path, telegram=telegram,
                            whatsapp={"display_number": "0811-0000-1111"})
    result = main_py(tmp_path, "--config", str(numbered), "links", "--referral",
                     "rw05-jatibening")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("https://wa.me/6281100001111?text=rw05-jatibening\n")
    assert "--bot-username" in result.stderr and "telegram.bot_username" in result.stderr


def test_unknown_values_are_refused_with_the_valid_ones(tmp_path: Path) -> None:
    """Item 22: an unknown --status once listed nothing; storage.backend: tinybd once
    ended `chat` in a ValueError traceback. Now exit 2 and one line naming the valid ones;
    the bot's own word for a status (lunas) is taken for it."""
    config = str(write_config(tmp_path))
    wrong = main_py(tmp_path, "--config", config, "orders", "list", "--status", "paidd")
    assert wrong.returncode == 2
    assert wrong.stderr.count("\n") == 1 and "'paid'" in wrong.stderr
    assert "new, claimed, shopping" in wrong.stderr and "cancelled" in wrong.stderr
    alias = main_py(tmp_path, "--config", config, "orders", "list", "--status", "lunas")
    assert alias.returncode == 0 and "(paid)" in alias.stderr, alias.stderr
    typo = write_config(tmp_path, storage={"backend": "tinybd", "path": str(tmp_path)})
    chat = main_py(tmp_path, "--config", str(typo), "chat", stdin="halo\n")
    assert chat.returncode == 2 and "Traceback" not in chat.stderr
    line = typo.read_text().splitlines().index("  backend: tinybd") + 1
    assert chat.stderr == (f"{typo}:{line}: storage.backend: 'tinybd' is not one of: tinydb, "
                           "postgres, memory\n")


def test_config_and_markets_problems_stop_the_start_all_with_their_lines(
        tmp_path: Path) -> None:
    """Item 23: every problem of config.yaml and markets.yaml at once, each at its line,
    before anything starts (recap.time "8 malam" once failed every minute as a job)."""
    markets = tmp_path / "markets.yaml"
    markets.write_text(
        "timezone: Asia/Jakarta\n"                      # 1
        "default_hours: 05.00-14.00\n"                  # 2  as the bot writes hours
        "markets:\n"                                    # 3
        "  - id: kranji-baru\n"                         # 4
        "    name: Pasar Kranji Baru\n"                 # 5
        "    code: KRB\n"                               # 6
        "  - id: kranji-lama\n"                         # 7
        "    nama: Pasar Kranji Lama\n"                 # 8
        "    name: Pasar Kranji Lama\n"                 # 9
        "    code: KRB\n"                               # 10
        "    hours: 06.00-13.30\n", encoding="utf-8")   # 11
    config = tmp_path / "prod.yaml"
    config.write_text(
        f"locales: {ROOT / 'locales'}\n"               # 1
        f"flows: {{dir: {ROOT / 'flows'}}}\n"          # 2
        f"data: {{markets: {markets}}}\n"              # 3
        f"storage: {{path: {tmp_path / 'data'}}}\n"    # 4
        "session:\n"                                   # 5
        "  resume_after_hours: 6\n"                    # 6
        "recap:\n"                                     # 7
        "  time: 8 malam\n", encoding="utf-8")         # 8
    result = main_py(tmp_path, "--config", str(config), "serve")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{config}:5: unknown key 'session' (did you mean 'sessions'? known: "
        f"{', '.join(DEFAULTS)})",  # every section bot/config.py knows, in its order
        f"{config}:8: recap.time: '8 malam' is not a time like 20:00 or 20.00; use a time "
        'like "20:00", or "" for no daily recap',
        f"{markets}:8: market kranji-lama: unknown key 'nama' (did you mean 'name'? known: "
        "id, name, code, kecamatan, status, hours, coordinators, head, group, aliases, "
        "substitutes)",
        f"{markets}:10: market kranji-lama: code 'KRB' is already the code of kranji-baru "
        "(line 6); order codes must tell markets apart",
        "4 problems in the config and data: nothing was started",
    ]


def test_chat_in_the_terminal_keeps_log_lines_out_of_the_conversation(tmp_path: Path) -> None:
    """Item 25: a warning (a resident asking for the staff's recap is logged) once printed
    a log line into the chat. It goes to data/logs/pasar.log (0600 in a 0700 folder),
    stamped in the markets' time zone whatever the machine's; the terminal gets one note."""
    result = main_py(tmp_path, "--config", str(write_config(tmp_path)), "chat",
                     stdin="halo\nrekap\n", TZ="UTC")
    assert result.returncode == 0, result.stderr
    log = tmp_path / "data" / "logs" / "pasar.log"
    assert "refused" not in result.stdout + result.stderr and "WARNING" not in result.stderr
    assert result.stderr == f"(1 warning(s) during the chat, see {log})\n"
    assert "+0700 WARNING bot.ordering.domain.roles: refused:" in log.read_text(encoding="utf-8")
    assert log.stat().st_mode & 0o777 == 0o600 and log.parent.stat().st_mode & 0o777 == 0o700
