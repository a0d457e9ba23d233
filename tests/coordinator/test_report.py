"""The market office's report against a known set of orders; the CLI and its chart."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.i18n import I18n
from bot.ordering.domain.markets import load_markets
from bot.ordering.domain.repository import Orders
from bot.ordering.reports.report import collect, recap_text, render
from bot.storage.memory import MemoryStore
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import write_config
from tests.coordinator.sample import BOTH_DAYS, DAY, fill

ROOT = Path(__file__).resolve().parents[2]
MARKETS = load_markets(ROOT / "data" / "markets.yaml")
I18N = I18n.load(ROOT / "locales")
D27, D28 = date(2025, 11, 27), date(2025, 11, 28)


@pytest.fixture(scope="module")
def store() -> MemoryStore:
    store = MemoryStore()
    fill(store)
    return store


def test_figures_of_one_day(store: MemoryStore) -> None:
    report = collect(Orders(store), MARKETS.markets, D27, D27)
    every = report.all
    assert (every.orders, every.value, every.cash) == (DAY["orders"], DAY["value"], DAY["cash"])
    assert every.median_wait == DAY["median"]
    assert (every.exchanges, every.cancellations) == (DAY["exchanges"], DAY["cancellations"])
    assert dict(every.referrals) == DAY["referrals"]
    per = {f.market: f for f in report.markets}
    assert len(per) == len(MARKETS.markets)  # every market listed, busy or not
    for market, wanted in DAY["markets"].items():
        got = per[market]
        assert got.orders == wanted["orders"], market
        assert (got.value, got.cash, got.median_wait) == (
            wanted["value"], wanted["cash"], wanted["median"]), market
        assert {k: v for k, v in got.statuses.items() if v} == wanted["statuses"], market
    assert per["jatiasih"].orders == 0 and per["jatiasih"].median_wait is None


def test_a_range_and_one_market(store: MemoryStore) -> None:
    both = collect(Orders(store), MARKETS.markets, D27, D28).all
    assert (both.orders, both.value, both.cash, both.median_wait) == (
        BOTH_DAYS["orders"], BOTH_DAYS["value"], BOTH_DAYS["cash"], BOTH_DAYS["median"])
    kranji = collect(Orders(store), (MARKETS.get("kranji-baru"),), D28, D28)
    assert kranji.all.orders == 1 and kranji.all.value == 10000


def test_the_text(store: MemoryStore) -> None:
    text = render(collect(Orders(store), MARKETS.markets, D27, D27), "id", I18N, skip_empty=True)
    assert text.startswith("📊 Rekap Pasar Daring · Kamis, 27 November 2025")
    assert "*Pasar Kranji Baru*: 5 pesanan" in text
    assert "menunggu koordinator 1 · sedang dibelanjakan 1 · lunas 2 · dibatalkan 1" in text
    assert "nilai belanja Rp75.000 · tunai diterima Rp75.000" in text
    assert "median pesan sampai diantar 1 jam 10 menit · penukaran 1 · batal 1" in text
    assert "*Pasar Rawalumbu*: 1 pesanan" in text and "Jatiasih" not in text
    assert "*Semua pasar*: 9 pesanan" in text
    assert "nilai belanja Rp240.000 · tunai diterima Rp155.000" in text
    assert "Pesanan per link RT/RW: tanpa link 5 · rw05-jatibening 3 · rw03-jakasampurna 1" in text
    english = render(collect(Orders(store), MARKETS.markets, D27, D28), "en", I18N, skip_empty=True)
    assert "Thursday, November 27, 2025 – Friday, November 28, 2025" in english
    assert "*All markets*: 10 orders" in english and "Rp250,000" in english


def test_the_recap_of_one_head(store: MemoryStore) -> None:
    text = recap_text(Orders(store), MARKETS.headed_by("console:kepala-harapan"), D27, "id", I18N)
    assert "*Pasar Harapan Jaya*: 3 pesanan" in text and "Kranji" not in text
    assert "median pesan sampai diantar 2 jam" in text
    assert "Semua pasar" not in text
    assert recap_text(Orders(store), (), D27, "id", I18N).startswith("Belum ada pasar")


def report(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--config", str(write_config(tmp_path)),
         "report", *args], capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)})


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_the_command_and_its_chart(tmp_path: Path) -> None:
    with TinyDBStore(tmp_path / "data") as disk:
        fill(disk)
        disk.flush_sync()
    chart = tmp_path / "rekap.png"
    result = report(tmp_path, "--date", "2025-11-27", "--chart", str(chart))
    assert result.returncode == 0, result.stderr
    assert "Semua pasar: 9 pesanan" in result.stdout and "*" not in result.stdout
    assert "Rp240.000" in result.stdout
    width, height = png_size(chart)
    assert width >= 1200 and height >= 800
    assert chart.stat().st_size > 30_000  # bars, labels and a legend, not an empty canvas
    one = report(tmp_path, "--from", "2025-11-27", "--to", "2025-11-28", "--market",
                 "kranji-baru", "--lang", "en")
    assert one.returncode == 0, one.stderr
    assert "Pasar Kranji Baru: 6 orders" in one.stdout and "Harapan" not in one.stdout


def test_the_command_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    assert report(tmp_path, "--market", "pasar-ikan").returncode == 2
    assert report(tmp_path, "--to", "2025-11-27").returncode == 2
    assert report(tmp_path, "--from", "2025-11-28", "--to", "2025-11-27").returncode == 2
    assert report(tmp_path, "--date", "kemarin").returncode == 2
    empty = report(tmp_path, "--date", "2025-11-27", "--chart", str(tmp_path / "empty.png"))
    assert empty.returncode == 0 and "Belum ada pesanan" in empty.stdout
    assert (tmp_path / "empty.png").exists()
