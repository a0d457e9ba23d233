"""The market office's export (issue 12 item 9): the whole order in JSON, the same as
flat columns in a CSV that a spreadsheet set to Indonesian opens as it is (UTF-8 with a
byte order mark, ``;``), and ``--until`` inclusive like ``report --to``."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.cli import main
from bot.ordering.domain.lifecycle import LIFECYCLE
from bot.ordering.domain.markets import load_markets
from bot.ordering.domain.order import Order
from bot.ordering.domain.repository import Orders
from bot.ordering.domain.roles import Roles
from bot.ordering.reports.export import BOM, COLUMNS, as_json, write_csv
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import write_config

ROOT = Path(__file__).resolve().parents[1]
ROLES = Roles(load_markets(ROOT / "data" / "markets.yaml"))
WIB = ZoneInfo("Asia/Jakarta")
K1, WARGA = "console:koord-kranji-1", "console:warga"
START = datetime(2025, 11, 27, 7, 0, tzinfo=WIB)


def new(code: str, day: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    at = START.replace(day=day).isoformat()
    return {
        "code": code, "market": "kranji-baru", "status": "new", "user": WARGA,
        "channel": "console", "items": [{"name": i["name"], "quantity": i.get("quantity"),
                                         "unit": i.get("unit"), "budget": i.get("budget"),
                                         "note": i.get("note", "")} for i in items],
        "address": {"text": "Jl. Kemuning Raya 21; RT 004/RW 005", "rt": "004", "rw": "005",
                    "kelurahan": "Jakasetia", "kecamatan": "Bekasi Selatan"},
        "resident": {"name": "Bu Ani \"Warung\"", "phone": "+6281234567890"},
        "referral": None, "estimate": 40000, "created_at": at, "updated_at": at,
        "history": [{"at": at, "by": WARGA, "from": None, "to": "new"}],
    }


def fill(orders: Orders) -> None:
    """Three orders: one paid with a price, an unavailable item and a substitute; one with
    a complaint; one cancelled the next day."""
    items = [{"name": "bawang merah", "quantity": "0.25", "unit": "kg"},
             {"name": "cabe rawit", "budget": 5000, "note": "yang merah; pedas"},
             {"name": "minyak goreng", "quantity": "1", "unit": "l"}]
    for code, day in (("KRB-1127-001", 27), ("KRB-1127-002", 27), ("KRB-1128-001", 28)):
        orders.create(Order.from_record(new(code, day, items)))
    prices = [{"price": 12000}, {"unavailable": True}, {"price": 19500, "substitute": "Bimoli"}]
    steps: list[tuple[str, str, str, dict[str, Any]]] = [
        (code, event, K1, data) for code in ("KRB-1127-001", "KRB-1127-002")
        for event, data in (("claim", {}), ("start_shopping", {}),
                            ("record_prices", {"prices": prices}),
                            ("send_courier", {"courier": {"name": "Mas Anto",
                                                          "phone": "+6281299887766"}}),
                            ("deliver", {}))]
    steps += [("KRB-1127-001", "pay", K1, {"cash": 31500}),
              ("KRB-1127-002", "request_exchange", WARGA, {"items": [1], "note": "layu"}),
              ("KRB-1128-001", "cancel_by_resident", WARGA, {"reason": "salah pasar"})]
    for minute, (code, event, who, data) in enumerate(steps):
        LIFECYCLE.change(orders, code, event, who, START + timedelta(minutes=minute),
                         ROLES.judge(who), **data)


def read_csv(text: str) -> list[dict[str, str]]:
    """As a spreadsheet set to Indonesian reads it: UTF-8 after the mark, ``;`` between."""
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(BOM)), delimiter=";"))


def test_csv_and_json_round_trip_the_items_and_amounts(tmp_path: Path) -> None:
    with TinyDBStore(tmp_path / "data", finished=LIFECYCLE.statuses.finished) as store:
        orders = Orders(store)
        fill(orders)
        every = orders.query()
    out = io.StringIO()
    write_csv(every, out, ROLES.display_name)
    rows = read_csv(out.getvalue())
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == 9  # one per item
    for order in every:
        mine = [r for r in rows if r["code"] == order.code]
        assert [r["item_name"] for r in mine] == [i.name for i in order.items]
        assert [r["item_price"] for r in mine] == [
            "" if i.price is None else str(i.price) for i in order.items]
        assert [r["item_unavailable"] == "ya" for r in mine] == [i.unavailable for i in order.items]
        assert [r["item_substitute"] or None for r in mine] == [i.substitute for i in order.items]
        assert [r["item_budget"] for r in mine] == ["", "5000", ""]
        first = mine[0]
        assert first["total"] == ("" if order.total is None else str(order.total))
        assert first["cash"] == ("" if order.cash is None else str(order.cash))
        assert first["resident_name"] == 'Bu Ani "Warung"'
        assert first["address"] == "Jl. Kemuning Raya 21; RT 004/RW 005"
        assert first["history"].count("->") == len(order.history)
    paid = next(r for r in rows if r["code"] == "KRB-1127-001")
    assert (paid["status"], paid["total"], paid["cash"], paid["outstanding"]) == (
        "paid", "31500", "31500", "0")
    assert (paid["coordinator"], paid["coordinator_name"]) == (K1, "Pak Budi")
    assert (paid["courier_name"], paid["courier_phone"]) == ("Mas Anto", "+6281299887766")
    complaint = next(r for r in rows if r["code"] == "KRB-1127-002")
    assert (complaint["exchange_items"], complaint["exchange_note"]) == ("1", "layu")
    gone = next(r for r in rows if r["code"] == "KRB-1128-001")
    assert (gone["cancel_reason"], gone["cancelled_by"]) == ("salah pasar", WARGA)

    exported = json.loads(json.dumps([as_json(o, ROLES.display_name) for o in every]))
    for order, data in zip(every, exported, strict=True):
        assert [(i["name"], i["price"], i["unavailable"], i["substitute"], i["budget"])
                for i in data["items"]] == [(i.name, i.price, i.unavailable, i.substitute,
                                             i.budget) for i in order.items]
        assert data["total"] == order.total and data["payment"]["cash"] == order.cash
        assert [(h["at"], h["by"], h["from"], h["to"]) for h in data["history"]] == [
            (h.at, h.by, h.from_, h.to) for h in order.history]
        assert data["address"]["rt"] == "004" and data["resident"]["phone"] == "+6281234567890"
    paid_json = exported[0]
    assert paid_json["coordinator"] == {"user": K1, "name": "Pak Budi"}
    assert paid_json["courier"] == {"name": "Mas Anto", "phone": "+6281299887766"}
    assert paid_json["payment"]["outstanding"] == 0 and paid_json["exchange"] is None
    assert exported[1]["exchange"]["items"] == [1]
    assert exported[1]["exchange"]["item_names"] == ["bawang merah"]
    assert exported[2]["cancellation"]["reason"] == "salah pasar"
    assert {"refund", "resolution"} <= set(exported[1]["exchange"])


def test_until_is_inclusive_like_the_reports_to(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    config = str(write_config(tmp_path))
    with TinyDBStore(tmp_path / "data", finished=LIFECYCLE.statuses.finished) as store:
        fill(Orders(store))
    assert main(["--config", config, "orders", "export", "--format", "json",
                 "--until", "2025-11-27"]) == 0
    codes = [o["code"] for o in json.loads(capsys.readouterr().out)]
    assert codes == ["KRB-1127-001", "KRB-1127-002"]  # the whole of the 27th, not the 28th
    assert main(["--config", config, "orders", "export", "--format", "csv",
                 "--since", "2025-11-28", "--until", "2025-11-28"]) == 0
    rows = read_csv(capsys.readouterr().out)
    assert {r["code"] for r in rows} == {"KRB-1128-001"}
    assert main(["--config", config, "report", "--from", "2025-11-27", "--to",
                 "2025-11-27"]) == 0
    assert "Semua pasar: 2 pesanan" in capsys.readouterr().out  # the same two orders


def test_xlsx_keeps_text_as_text_and_amounts_as_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a spreadsheet opening the CSV would guess wrong (RT 004 -> 4, a phone number ->
    6.28E+12), the XLSX says: text stays text, amounts are numbers."""
    config = str(write_config(tmp_path))
    with TinyDBStore(tmp_path / "data", finished=LIFECYCLE.statuses.finished) as store:
        orders = Orders(store)
        fill(orders)
        every = orders.query()
    assert main(["--config", config, "orders", "export", "--format", "xlsx"]) == 2
    assert "--output" in capsys.readouterr().err
    out = tmp_path / "pesanan.xlsx"
    assert main(["--config", config, "orders", "export", "--format", "xlsx", "--output",
                 str(out)]) == 0
    sheet = openpyxl.load_workbook(out)["pesanan"]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header == list(COLUMNS) and len(rows) == 9
    table = [dict(zip(header, r, strict=True)) for r in rows]
    first = table[0]
    assert (first["address_rt"], first["resident_phone"]) == ("004", "+6281234567890")
    assert (first["total"], first["cash"], first["item_price"]) == (31500, 31500, 12000)
    for order in every:
        mine = [r for r in table if r["code"] == order.code]
        assert [(r["item_name"], r["item_price"], r["item_substitute"]) for r in mine] == [
            (i.name, i.price, i.substitute) for i in order.items]
