"""`main.py chat --json` as a script drives it: one process, several users, real files.

A resident orders; two coordinators of Kranji Baru are told; one of another market is
refused; the two race for the claim (one wins); the winner shops, prices, sends the
courier, delivers and takes the cash; the head of unit reads the recap.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.chat import write_config

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "Jl. Melati No. 12, RT 03/RW 05, Jatibening, dekat masjid Al-Ikhlas"


def chat(tmp_path: Path, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n"
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--config", str(write_config(tmp_path)),
         "chat", "--json"],
        input=stdin, capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines)  # one line out per line in
    return out


def to(line: dict[str, Any], user: str) -> str:
    return "\n".join(r["text"] for r in line["replies"] if r["to"] == user)


def options(line: dict[str, Any], user: str) -> list[str]:
    menus = [r for r in line["replies"] if r["to"] == user and "options" in r]
    return [o["id"] for o in menus[-1]["options"]] if menus else []


def test_a_whole_order_across_users(tmp_path: Path) -> None:
    hello = [{"user": u, "text": "halo"}
             for u in ("koord-kranji-1", "koord-kranji-2", "koord-harapan-1")]
    order = [{"user": "warga", "text": t} for t in (
        "halo", "1", "kranji baru", "bawang merah 1/4 kg, telur 1 kg", "selesai", ADDRESS,
        "Bu Ani", "0812-3456-7890", "ya")]
    # one process for the whole story: the console numbers its messages from 1 each run
    today = datetime.now(ZoneInfo("Asia/Jakarta")).strftime("%m%d")
    code = f"KRB-{today}-001"
    steps = [
        {"user": "koord-harapan-1", "text": f"ambil {code}"},       # 0 other market
        {"user": "koord-kranji-2", "choice": f"claim:{code}"},      # 1 wins the race
        {"user": "koord-kranji-1", "choice": f"claim:{code}"},      # 2 loses it
        {"user": "koord-kranji-2", "choice": "shop"},               # 3
        {"user": "warga", "text": f"batalkan {code}"},              # 4 too late
        {"user": "koord-kranji-2", "choice": "prices"},             # 5
        {"user": "koord-kranji-2", "text": "12rb"},                 # 6
        {"user": "koord-kranji-2", "text": "Rp28.000"},             # 7
        {"user": "koord-kranji-2", "choice": "courier"},            # 8
        {"user": "koord-kranji-2", "text": "Pak Joko"},             # 9
        {"user": "koord-kranji-2", "text": "0813-1111-2222"},       # 10
        {"user": "koord-kranji-2", "choice": "delivered"},          # 11
        {"user": "koord-kranji-2", "choice": "paid"},               # 12
        {"user": "koord-kranji-2", "text": "40rb"},                 # 13 asks to confirm
        {"user": "kepala-kranji", "text": "rekap"},                 # 14
        {"user": "koord-kranji-2", "text": "ya"},                   # 15 paid
        {"user": "kepala-kranji", "text": "rekap"},                 # 16
    ]
    everything = chat(tmp_path, hello + order + steps)
    first, out = everything[:len(hello + order)], everything[len(hello + order):]
    placed = first[-1]
    assert re.search(r"[A-Z]{3}-\d{4}-\d{3}", to(placed, "warga")).group(0) == code
    # every coordinator of the market on duty hears of it, with a claim button
    for user in ("koord-kranji-1", "koord-kranji-2"):
        assert f"ambil {code}" in to(placed, user)
        assert options(placed, user) == [f"claim:{code}"]
    assert to(placed, "koord-harapan-1") == ""
    assert "Halo Pak Budi" in to(first[0], "koord-kranji-1")
    assert "milik Pasar Kranji Baru" in to(out[0], "koord-harapan-1")
    assert out[0]["replies"] and all(r["to"] == "koord-harapan-1" for r in out[0]["replies"])
    assert "sekarang Anda pegang" in to(out[1], "koord-kranji-2")
    assert "dicatat oleh *Bu Sri*" in to(out[1], "warga")
    assert "sudah diambil oleh Bu Sri" in to(out[1], "koord-kranji-1")
    assert f"{code}* sudah diambil oleh Bu Sri" in to(out[2], "koord-kranji-1")
    assert to(out[2], "warga") == ""  # the loser changed nothing
    assert "sedang membelanjakan" in to(out[3], "warga")
    assert "tidak bisa dibatalkan lagi" in to(out[4], "warga")
    assert "Barang 2 dari 2" in to(out[6], "koord-kranji-2")
    priced = to(out[7], "warga")
    assert "1. bawang merah 1/4 kg — Rp12.000" in priced and "2. telur 1 kg — Rp28.000" in priced
    assert "Total: *Rp40.000*" in priced
    assert "*Pak Joko* (0813-1111-2222)" in to(out[10], "warga")
    assert f"komplain {code}" in to(out[11], "warga")
    assert options(out[11], "warga") == [f"report:{code}"]
    assert "Tandai *KRB" in to(out[13], "koord-kranji-2") and to(out[13], "warga") == ""
    assert "lunas 1" not in to(out[14], "kepala-kranji")  # nothing recorded before "ya"
    assert "Pembayaran Rp40.000" in to(out[15], "warga")
    recap = to(out[16], "kepala-kranji")
    assert "*Pasar Kranji Baru*: 1 pesanan" in recap and "lunas 1" in recap
    assert "nilai belanja Rp40.000 · tunai diterima Rp40.000" in recap

    export = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--config", str(write_config(tmp_path)),
         "orders", "export"], capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    (stored,) = json.loads(export.stdout)
    assert stored["status"] == "paid" and stored["total"] == 40000
