"""A second bot process on the same data folder is refused with a clear message.

Real processes through ``main.py``: one ``chat --json`` holds the folder and keeps
answering; a second ``chat`` on the same config exits 1 and says who holds it and what to
do; ``doctor`` still runs and reports the lock as information; once the first bot ends,
a new one starts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.chat import ROOT, write_config


def main_py(config: Path, *args: str) -> list[str]:
    return [sys.executable, str(ROOT / "main.py"), "--config", str(config), *args]


def ask(bot: subprocess.Popen, text: str) -> list[dict]:
    assert bot.stdin is not None and bot.stdout is not None
    bot.stdin.write(json.dumps({"user": "u1", "text": text}) + "\n")
    bot.stdin.flush()
    answer = json.loads(bot.stdout.readline())
    assert "replies" in answer, answer
    return answer["replies"]


def test_second_bot_on_the_same_data_folder_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    data = tmp_path / "data"
    first = subprocess.Popen(
        main_py(config, "chat", "--json"),
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert ask(first, "halo"), "the first bot does not answer"  # it holds the folder now

        second = subprocess.run(
            main_py(config, "chat"), cwd=tmp_path, input="halo\n", capture_output=True,
            text=True, timeout=60,
        )
        assert second.returncode == 1, second.stderr
        assert second.stdout == ""
        err = " ".join(second.stderr.split())
        assert err.startswith(
            f"The bot cannot start: Another bot process (pid {first.pid}) is using the data "
            f"folder {data}."
        ), second.stderr
        assert f"kill {first.pid}" in err and "do not delete the .lock file" in err
        assert "Traceback" not in second.stderr

        doctor = subprocess.run(
            main_py(config, "doctor"), cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert f"pid {first.pid}" in doctor.stdout

        assert ask(first, "1"), "the first bot stopped answering"  # not disturbed
    finally:
        _, err = first.communicate(timeout=60)  # closes stdin: the chat ends
    assert first.returncode == 0, err

    third = subprocess.run(
        main_py(config, "chat", "--json"), cwd=tmp_path, input='{"user": "u1", "text": "2"}\n',
        capture_output=True, text=True, timeout=60,
    )
    assert third.returncode == 0, third.stderr  # the lock went with the first bot
    assert "cannot start" not in third.stderr
    assert "replies" in json.loads(third.stdout.splitlines()[0])
