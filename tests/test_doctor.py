"""``main.py doctor``: healthy, a corrupt data file, a broken flow, a missing token, a
running bot holding the data, leftovers of a crash, a damaged journal line, low disk
space, an order the app cannot show; doctor only reads, ``--repair`` acts and says so."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from bot.cli import main
from bot.ordering.domain.statuses import STATUSES
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import ROOT, write_config

SHIPPED_FLOWS = sorted(p.stem for p in (ROOT / "flows").glob("*.yaml"))


def order(code: str, status: str = "new", created_at: str = "2026-11-05T08:00:00+07:00") -> dict:
    return {
        "code": code,
        "market": "kranji-baru",
        "status": status,
        "created_at": created_at,
        "user": "console:warga",
        "items": [{"name": "telur", "quantity": "1", "unit": "kg"}],
        "address": {"text": "Jl. Melati No. 12, RT 03/RW 05, Jatibening"},
    }


def with_data(tmp_path: Path) -> Path:
    with TinyDBStore(tmp_path / "data", finished=STATUSES.finished) as store:
        store.create_order(order("KRB-1105-001"))
        store.create_order(order("KRB-1005-001", "paid", "2026-10-05T08:00:00+07:00"))
        store.put_session("console:warga", {"flow": "main", "state": "menu", "updated_at": 1})
    return tmp_path / "data"


def doctor(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str]:
    code = main(["--config", str(config), "doctor", *args])
    return code, capsys.readouterr().out


def files_of(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file and folder under ``folder``: its bytes (files) and mode."""
    return {
        str(p): (p.read_bytes() if p.is_file() else b"", stat.S_IMODE(p.lstat().st_mode))
        for p in sorted([folder, *folder.rglob("*")])
    }


def did(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.strip().startswith("did ")]


def problems(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.strip().startswith("PROBLEM")]


def test_healthy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with_data(tmp_path)
    code, out = doctor(capsys, write_config(tmp_path))
    assert code == 0, out
    assert problems(out) == []
    assert "live orders: 1 (1 file(s)" in out
    assert "archived orders: 1 (1 file(s)" in out
    assert "sessions: 1 " in out
    assert f"{len(SHIPPED_FLOWS)} flows ({', '.join(SHIPPED_FLOWS)})" in out
    assert "open market(s)" in out
    assert "Healthy" in out


def test_corrupt_data_file_is_reported_and_set_aside_only_by_repair(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = with_data(tmp_path)
    (data / "orders.json").write_text('{"orders": {"1": {"code": "KRB-11', encoding="utf-8")
    config = write_config(tmp_path)
    before = files_of(data)
    code, out = doctor(capsys, config)
    assert code == 1
    [found] = problems(out)
    assert "orders.json cannot be read (not valid JSON" in found
    assert "the bot sets it aside" in found and "doctor --repair" in out
    assert files_of(data) == before  # reported, not moved

    code, out = doctor(capsys, config, "--repair")
    assert code == 1
    assert any("orders.json could not be read" in d and ".corrupt-" in d for d in did(out))
    [found] = problems(out)
    assert "set aside earlier" in found and "keep the .corrupt file" in out
    assert len(list(data.glob("orders.json.corrupt-*"))) == 1  # kept, never overwritten
    code, out = doctor(capsys, config)  # still reported until someone deals with it
    assert code == 1 and "set aside earlier" in out
    for aside in data.glob("orders.json.corrupt-*"):
        aside.unlink()
    assert doctor(capsys, config)[0] == 0


def test_broken_flow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    text = (flows / "order.yaml").read_text(encoding="utf-8")
    (flows / "order.yaml").write_text(text.replace("next: address", "next: adress"), "utf-8")
    code, out = doctor(capsys, write_config(tmp_path, flows={"dir": str(flows), "entry": "main"}))
    assert code == 1
    assert any("order.yaml:" in p and "adress" in p for p in problems(out)), out
    assert "python3 main.py validate" in out
    assert "Markets" in out  # the other checks still ran


def test_missing_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("WHATSAPP_APP_SECRET", raising=False)
    config = write_config(
        tmp_path,
        telegram={"enabled": True, "token": "${TELEGRAM_BOT_TOKEN}"},
        whatsapp={"enabled": True, "access_token": "EAAB", "phone_number_id": "1065",
                  "app_secret": "${WHATSAPP_APP_SECRET}", "verify_token": "v"},
    )
    code, out = doctor(capsys, config)
    assert code == 1
    found = problems(out)
    assert len(found) == 2, out
    assert "telegram.token is empty" in found[0]
    assert "set the environment variable TELEGRAM_BOT_TOKEN" in out
    assert "whatsapp.app_secret is empty" in found[1]
    assert "WHATSAPP_APP_SECRET" in out

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:ABC-def_ghi")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "s3cret")
    assert doctor(capsys, config)[0] == 0


def test_running_bot_is_information_not_a_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = with_data(tmp_path)
    with TinyDBStore(data, finished=STATUSES.finished) as running:  # as a running bot holds it
        running.create_order(order("KRB-1127-777"))  # only in its journal so far
        running.flush_sync()
        code, out = doctor(capsys, write_config(tmp_path))
        before = files_of(data)
        refused = doctor(capsys, write_config(tmp_path), "--repair")
        assert files_of(data) == before
    assert refused[0] == 1 and "--repair was not done: a bot holds this folder" in refused[1]
    assert code == 0, out
    assert "a bot is running" in out and "holds this folder" in out
    assert "live orders: 1 " in out  # the snapshot file, counted read-only
    assert "(its journal included): 2 open, 1 finished" in out
    assert f"{len(SHIPPED_FLOWS)} flows" in out


def test_leftover_temp_files_are_noted_and_removed_only_by_repair(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = with_data(tmp_path)
    leftover = data / ".orders.json.tmp-4242-deadbeef"
    leftover.write_text('{"orders": {', encoding="utf-8")
    config = write_config(tmp_path)
    code, out = doctor(capsys, config)
    assert code == 0, out
    assert "1 temp file(s)" in out and leftover.exists()
    code, out = doctor(capsys, config, "--repair")
    assert code == 0, out
    assert any("removed 1 unfinished temp file(s)" in d for d in did(out))
    assert not leftover.exists()


def test_doctor_only_reads_and_repair_says_what_it_did(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder with every kind of trouble: doctor reports each and leaves every file
    byte-identical (same names, same modes); --repair fixes what can be fixed."""
    data = tmp_path / "data"
    with TinyDBStore(data, finished=STATUSES.finished) as store:
        for _ in range(3):
            store.create_order(order(f"KRB-1105-{store.next_sequence('KRB-1105'):03d}"))
            store.flush_sync()
        lines = (data / "journal.jsonl").read_bytes().splitlines(keepends=True)
        image = tmp_path / "image"
        shutil.copytree(data, image, ignore=shutil.ignore_patterns(".lock"))
    shutil.rmtree(data)
    image.rename(data)  # the journal as a crash left it, with one byte flipped in line 2
    pos = lines[1].index(b"Melati")
    lines[1] = lines[1][:pos] + b"N" + lines[1][pos + 1 :]
    (data / "journal.jsonl").write_bytes(b"".join(lines))
    (data / "sessions-03.json").write_text("{broken", encoding="utf-8")
    (data / ".sessions-03.json.tmp-1-abcd").write_text("{", encoding="utf-8")
    for path in [data, *data.rglob("*")]:  # as an older version left them
        path.chmod(0o755 if path.is_dir() else 0o644)
    config = write_config(tmp_path)
    before = files_of(data)

    code, out = doctor(capsys, config)
    assert files_of(data) == before
    assert code == 1 and "Healthy" not in out
    found = "\n".join(problems(out))
    assert "journal.jsonl line 2 (" in found and "orders KRB-1105-002 v1" in found
    assert "sessions-03.json cannot be read" in found
    assert "can be read by other users" in found
    assert "1 temp file(s)" in out
    assert "(its journal included): 2 open, 0 finished" in out
    assert did(out) == []

    code, out = doctor(capsys, config, "--repair")
    done = "\n".join(did(out))
    assert "journal.jsonl had damaged lines" in done
    assert "Set aside, byte for byte, in journal.jsonl.corrupt-" in done
    assert "line 2 (" in done and "KRB-1105-002 v1" in done
    assert "sessions-03.json could not be read" in done
    assert "removed 1 unfinished temp file(s)" in done
    assert "readable by other users" in done
    assert "folded journal.jsonl into the snapshot files" in done
    assert code == 1  # the set-aside files stay problems until someone has looked at them
    assert all("set aside earlier" in p for p in problems(out)), problems(out)
    assert len(problems(out)) == 2
    with TinyDBStore(data, finished=STATUSES.finished) as store:
        assert store.next_sequence("KRB-1105") == 4  # KRB-1105-002 is never given again


def test_low_disk_space_is_a_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with_data(tmp_path)
    config = write_config(tmp_path)
    free = shutil.disk_usage(tmp_path).free
    code, out = doctor(capsys, config, "--min-free", str(free * 2))
    assert code == 1 and "Healthy" not in out
    [found] = problems(out)
    assert "free on the disk of" in found and "orders cannot be saved" in found


def test_an_order_the_app_cannot_show_is_a_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = with_data(tmp_path)
    with TinyDBStore(data, finished=STATUSES.finished) as store:
        store.create_order({**order("KRB-1105-002"), "resident": "Bu Ani"})  # not an object
    config = write_config(tmp_path)
    # and one only in a running bot's journal
    with TinyDBStore(data, finished=STATUSES.finished) as running:
        running.create_order({**order("KRB-1105-003"), "items": 7})
        running.flush_sync()
        code, out = doctor(capsys, config)
    assert code == 1 and "Healthy" not in out
    found = problems(out)
    assert len(found) == 2, found
    assert ("order KRB-1105-002 in orders.json cannot be shown (resident is str, not an object"
            in found[0])
    assert ("order KRB-1105-003 in journal.jsonl line 1 cannot be shown (items is int, not a list"
            in found[1])
    assert "every order can be shown" not in out


def test_a_damaged_conversation_is_reported_as_one_not_as_its_whole_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The store drops only a damaged session value (tests/storage/test_open_lazily.py);
    doctor says that, not that the whole file is unreadable and set aside."""
    data = with_data(tmp_path)
    with TinyDBStore(data, finished=STATUSES.finished) as store:
        store.put_session("console:tetangga", {"flow": "main", "state": "menu",
                                               "updated_at": 2, "slots": {"name": "Bu Tetangga"}})
    [path] = [p for p in data.glob("sessions-*.json") if b"Bu Tetangga" in p.read_bytes()]
    raw = path.read_bytes()
    start = raw.index(b'"Bu Tetangga"')  # damaged in place, same length: a bad disk block
    path.write_bytes(raw[:start] + b"\x00\xff garbage!!" + raw[start + 13:])
    before = files_of(data)
    code, out = doctor(capsys, write_config(tmp_path))
    assert code == 1, out
    [problem] = problems(out)
    assert path.name in problem and "1 damaged conversation(s)" in problem
    assert "cannot be read" not in out and "tetangga" not in out
    assert files_of(data) == before  # doctor only reads
