"""What enters at the edges (issue 10, items 4, 5 and 8, and the terminal fuzz): deep or
odd JSON, text no UTF-8 writer accepts, impossible location pins. `main.py chat --json` is
a real subprocess on a real data folder; the later outputs are real `orders` commands."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.address import AddressKind
from bot.engine.inputs.base import Accept, Invalid, Keep
from bot.engine.inputs.basic import LocationKind
from bot.engine.session import Session
from bot.messages import AskLocation, Contact, Incoming, Location
from tests.chat import ADDRESS, ChatBot, drive, write_config
from tests.engine.test_robustness import ERROR_TEXT

ROOT = Path(__file__).resolve().parents[1]
SURROGATE = "\ud800"
IMPOSSIBLE = [(math.nan, 106.99), (-6.24, math.inf), (-math.inf, 0.0), (91.0, 106.99),
              (-6.24, 180.5), (-90.01, 0.0)]


def main_py(tmp_path: Path, *args: str, stdin: bytes = b"",
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--config", str(write_config(tmp_path)), *args],
        input=stdin, capture_output=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def chat_json(tmp_path: Path, lines: list[str], **env: str) -> list[dict[str, Any]]:
    """Feed ``lines`` to one `chat --json` process: it must live to the end and answer
    each line with exactly one JSON line."""
    stdin = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    result = main_py(tmp_path, "chat", "--json", stdin=stdin, env=env)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    out = result.stdout.decode("utf-8").splitlines()
    assert len(out) == len(lines), (len(out), len(lines))
    return [json.loads(line) for line in out]


def texts(line: dict[str, Any]) -> str:
    return "\n".join(r["text"] for r in line.get("replies", []))


# -- item 4: bad JSON of any shape ----------------------------------------------------------
def test_deep_or_undecodable_lines_are_error_lines_and_the_chat_goes_on(tmp_path: Path) -> None:
    """A line nested 1,000 deep ended the process with a RecursionError; under a strict
    decoder (PYTHONIOENCODING=utf-8:strict, as under most locales) so did one invalid byte."""
    deep = [
        '{"text": ' + "[" * 1000 + "]" * 1000 + "}",
        '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"user": "a", "location": ' + '{"x": ' * 500 + "1" + "}" * 500 + "}",
        '{"a": ' + "[" * 70 + "]" * 70 + "}",              # within Python's limit, still too deep
    ]
    stdin = ("\n".join(deep) + "\n").encode() + b'\xff\xfe halo\n{"text": "menu \xc3"}\n'
    result = main_py(tmp_path, "chat", "--json", stdin=stdin + b'{"text": "halo"}\n',
                     env={"PYTHONIOENCODING": "utf-8:strict"})
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    out = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert len(out) == len(deep) + 3  # one line out per line in
    assert all("nested more than" in line["error"] for line in out[:len(deep)])
    assert all("replies" in line for line in out[len(deep):])  # U+FFFD for the bad bytes
    assert "Apa yang ingin Anda lakukan?" in texts(out[-1])


# -- item 5: text no UTF-8 writer accepts -------------------------------------------------
def test_lone_surrogates_in_user_name_and_text_are_stored_clean(tmp_path: Path) -> None:
    user = f"ani{SURROGATE}"
    said = ["halo", "1", "kranji baru", f"bayam{SURROGATE} 2 ikat\ntelur 1 kg", "selesai",
            f"{ADDRESS} {SURROGATE}", f"Bu {SURROGATE}Ani", "0812-3456-7890", "ya"]
    lines = [json.dumps({"user": user, "text": t}) for t in said]  # \ud800 escapes
    lines.append(f"{SURROGATE} raw \udcff bytes, read as surrogates")  # plain text line
    out = chat_json(tmp_path, lines)
    assert "KRB-" in texts(out[-2]), texts(out[-2])
    assert all(r["to"] == "ani\ufffd" for r in out[0]["replies"])
    # a later output that shows the order (the CSV export died on the name) works
    csv_out = main_py(tmp_path, "orders", "export", "--format", "csv")
    assert csv_out.returncode == 0, csv_out.stderr.decode(errors="replace")[-2000:]
    assert "Bu \ufffdAni" in csv_out.stdout.decode("utf-8")
    assert f"{ADDRESS} \ufffd" in csv_out.stdout.decode("utf-8")
    assert "replies" in out[-1]  # the plain text line after the order


def test_incoming_cleans_every_field_whatever_the_adapter() -> None:
    msg = Incoming(channel="whatsapp", user=f"62812{SURROGATE}", text=f"a\x00b\n{SURROGATE}",
                   choice=f"c\x1b[2J{SURROGATE}", profile_name=f"Bu\n{SURROGATE}",
                   referral="\ud83d\ude00", contact=Contact(f"0812{SURROGATE}", "N\x00ama"),
                   location=Location(-6.2, 106.9, f"Ru{SURROGATE}mah", "Jl.\r\nMelati"))
    assert msg.user == "62812\ufffd" and msg.key == "whatsapp:62812\ufffd"
    assert msg.text == "ab\n\ufffd"  # a message keeps its line breaks
    assert msg.choice == "c[2J\ufffd" and msg.profile_name == "Bu \ufffd"
    assert msg.referral == "😀"  # a valid pair is one character
    assert msg.contact == Contact("0812\ufffd", "Nama")
    assert msg.location == Location(-6.2, 106.9, "Ru\ufffdmah", "Jl.  Melati")
    assert len(Incoming(channel="console", user="u", text="x" * 100_000).text or "") == 16_384
    for value in (msg.user, msg.text, msg.choice, msg.profile_name):
        (value or "").encode("utf-8")  # no UnicodeEncodeError


# -- item 8: impossible location pins ---------------------------------------------------
def test_an_impossible_pin_is_refused_with_a_re_prompt() -> None:
    bot = ChatBot()
    drive(bot, "order.address")
    for pin in IMPOSSIBLE:
        replies = bot.push("warga", location=pin)
        assert "tidak mungkin ada di peta" in bot.text(), (pin, bot.text())
        assert isinstance(replies[-1], AskLocation)  # asked again, with the button
        assert bot.state() == "order.address"
        json.dumps(bot.store.get_session("console:warga"), allow_nan=False)  # nothing kept
    bot.push("warga", location=(-6.24, 106.99))  # a real pin is taken
    assert "Lokasi diterima" in bot.text()
    for said in ("no 12 pagar hijau, dekat masjid", "Bu Ani", "0812-3456-7890", "ya"):
        bot.say(said)
    [order] = bot.orders()
    assert order["address"]["location"] == {"latitude": -6.24, "longitude": 106.99}
    json.dumps(order, allow_nan=False)  # what the export writes: strict JSON


def test_the_location_kind_refuses_an_impossible_pin_too() -> None:
    bot = ChatBot()
    ctx = Context(bot.app.engine, Session(key="console:warga"))
    spec = InputSpec(kind="location")
    for pin in IMPOSSIBLE:
        msg = Incoming(channel="console", user="warga", location=Location(*pin))
        assert LocationKind().parse(ctx, spec, msg) == Invalid("engine.location_impossible")
        assert AddressKind().parse(ctx, spec, msg) == Invalid("engine.location_impossible")
    real = Incoming(channel="console", user="warga", location=Location(-90.0, 180.0))
    assert isinstance(LocationKind().parse(ctx, spec, real), Accept)
    assert isinstance(AddressKind().parse(ctx, spec, real), Keep)


# -- the terminal fuzz: many odd lines into one process -----------------------------------
def _odd_lines(rng: random.Random) -> list[str]:
    values: list[Any] = [None, True, 0, -1, 1.5, 10**30, "", "x" * 5000, [], [1, [2]], {},
                         {"latitude": 1}, "\ud800", "\udfff\ud800", "a\x00b", "\u202e",
                         "🇮🇩" * 50, {"latitude": "NaN", "longitude": 0},
                         {"latitude": 10**400, "longitude": 0}, {"latitude": True, "longitude": 0}]
    fields = ["user", "text", "choice", "location", "contact", "referral", "unsupported"]
    lines = [
        "5", "null", "[]", "[1, 2]", '"text"', "true", "-0.5", "{", "}", "{}", "{ }",
        '{"text": NaN}', '{"text": Infinity}', '{"text": 1e999}', '{"text": "\\ud800"}',
        '{"user": "\\udfff", "text": "halo"}', '{"user": ":"}', '{"user": "\\u0000"}',
        '{"text": ' + "[" * 3000 + "]" * 3000 + "}", "[" * 5000, "{" * 5000,
        '{"a": ' + '{"a": ' * 2000 + "1" + "}" * 2001, "\ud800 \udcff", "\x00\x1b[2J",
        '{"text": "' + "9" * 5000 + '"}', '{"text": ' + "9" * 5000 + "}",
        '{"location": {"latitude": -6.2, "longitude": 106.9}}',
        '{"location": {"latitude": "-6.2", "longitude": []}}', '{"location": [1, 2]}',
        '{"contact": 812}', '{"choice": {"id": "order"}}', '{"text": "halo", "extra": [[]]}',
    ]
    for _ in range(250):
        chosen = rng.sample(fields, rng.randint(1, 3))
        line = {name: rng.choice(values) for name in chosen}
        lines.append(json.dumps(line, ensure_ascii=rng.random() < 0.5))
    rng.shuffle(lines)
    return lines


def test_fuzzed_json_lines_never_end_the_chat_and_each_gets_one_answer(tmp_path: Path) -> None:
    seed = int(os.environ.get("PASAR_FUZZ_SEED", "20261130"))
    lines = _odd_lines(random.Random(seed))
    out = chat_json(tmp_path, lines, PYTHONIOENCODING="utf-8:strict")
    assert all(("replies" in line) != ("error" in line) for line in out), f"seed {seed}"
    errors = sum("error" in line for line in out)
    assert 0 < errors < len(out), f"seed {seed}: {errors} errors of {len(out)}"
    assert not any("could not handle" in line.get("error", "") for line in out), f"seed {seed}"
    assert not any(ERROR_TEXT in texts(line) for line in out), f"seed {seed}"
