"""The market office's export: every order whole, as JSON, CSV or XLSX.

JSON (`as_json`): one object per order, documented field by field in README.md ("The
orders export"). CSV (`write_csv`) and XLSX (`write_xlsx`): the same as flat columns
(`COLUMNS`), one row per item of an order (the order's columns repeated on each, an order
without items gets one row), so a spreadsheet can filter and sum the prices.

The CSV starts with a UTF-8 byte order mark and separates columns with ``;``: a
spreadsheet set to Indonesian reads ``,`` as the decimal mark, and without the mark it
takes the text for Windows-1252 ("é", "½" break). Amounts are whole rupiah without
separators. It streams to a pipe and any tool reads it, but a spreadsheet opening it
guesses each cell's type: ``004`` (an RT) becomes 4 and ``+6281234567890`` a number. The
XLSX (openpyxl) says each cell's type: amounts are numbers to sum, phone numbers, RT/RW
and codes stay text as written; it is the one to hand to the market office.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from bot.ordering.domain.order import Order, OrderItem
from bot.ordering.understanding.address import EXPORT_COLUMNS, export_columns

NameOf = Callable[[str], str]
BOM = "\ufeff"
DELIMITER = ";"


def _person(user: str | None, name_of: NameOf) -> dict[str, str] | None:
    return {"user": user, "name": name_of(user)} if user else None


def _item(number: int, item: OrderItem) -> dict[str, Any]:
    return {"number": number, "name": item.name, "quantity": item.quantity, "unit": item.unit,
            "budget": item.budget, "note": item.note, "price": item.price,
            "unavailable": item.unavailable, "substitute": item.substitute}


def _exchange(order: Order, name_of: NameOf) -> dict[str, Any] | None:
    ex = order.exchange
    if ex is None:
        return None
    return {
        "items": list(ex.items),
        "item_names": [order.items[n - 1].name for n in ex.items if 0 < n <= len(order.items)],
        "note": ex.note, "photo": ex.photo, "requested_at": ex.requested_at,
        "requested_by": ex.requested_by, "resolution": getattr(ex, "resolution", ""),
        "refund": getattr(ex, "refund", None), "done_at": ex.done_at,
        "done_by": _person(ex.done_by, name_of), "done_note": ex.done_note,
    }


def as_json(order: Order, name_of: NameOf = lambda user: user) -> dict[str, Any]:
    """The whole order for the market office (``name_of``: the name the office gave a
    coordinator's user key)."""
    payment = asdict(order.payment)
    cancel = order.cancellation
    return {
        "code": order.code,
        "market": order.market,
        "status": order.status,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "scheduled_for": order.scheduled_for,
        "channel": order.channel,
        "user": order.user,
        "referral": order.referral,
        "resident": {"name": order.resident.name, "phone": order.resident.phone},
        "address": order.address.to_dict(),
        "note": order.note,
        "items": [_item(n, item) for n, item in enumerate(order.items, 1)],
        "estimate": order.estimate,
        "total": order.total,
        "coordinator": _person(order.coordinator, name_of),
        "claimed_at": order.claimed_at,
        "courier": ({"name": order.courier.name, "phone": order.courier.phone}
                    if order.courier else None),
        "sent_at": order.sent_at,
        "delivered_at": order.delivered_at,
        "payment": payment,
        "exchange": _exchange(order, name_of),
        "cancellation": ({"reason": cancel.reason, "by": cancel.by, "at": cancel.at}
                         if cancel else None),
        "history": [{"at": h.at, "by": h.by, "from": h.from_, "to": h.to, "event": h.event,
                     "note": h.note} for h in order.history],
        "thread": [{"at": m.at, "role": m.role, "by": m.by, "text": m.text, "photo": m.photo,
                    "delivered_at": m.delivered_at} for m in order.thread],
    }


ORDER_COLUMNS = (
    "code", "market", "status", "created_at", "updated_at", "channel", "referral",
    "resident_name", "resident_phone", "address", *(f"address_{c}" for c in EXPORT_COLUMNS),
    "note", "item_count", "estimate", "total", "coordinator", "coordinator_name",
    "claimed_at", "courier_name", "courier_phone", "sent_at", "delivered_at", "cash",
    "paid_at", "outstanding", "discount", "discount_reason", "exchange_items",
    "exchange_note", "exchange_resolution", "refund", "exchange_done_at", "cancel_reason",
    "cancelled_by", "cancelled_at", "history", "thread",
)
ITEM_COLUMNS = ("item_no", "item_name", "item_quantity", "item_unit", "item_budget",
                "item_note", "item_price", "item_unavailable", "item_substitute")
COLUMNS = (*ORDER_COLUMNS, *ITEM_COLUMNS)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ya" if value else ""
    return str(value)


def _history(order: Order) -> str:
    """``2025-11-27T07:33:20+07:00 console:warga -> new | ...``: who, when, from, to."""
    return " | ".join(
        f"{h.at} {h.by} {h.from_ or ''}->{h.to}" + (f" {h.event}" if h.event else "")
        + (f" ({h.note})" if h.note else "") for h in order.history)


def _thread(order: Order) -> str:
    """``2025-11-27T07:40:02+07:00 resident: minta yang kecil | ...`` (a picture: [foto])."""
    return " | ".join(
        f"{m.at} {m.role}: {m.text}" + (" [foto]" if m.photo else "")
        + ("" if m.delivered_at else " (menunggu)") for m in order.thread)


def rows(order: Order, name_of: NameOf = lambda user: user) -> list[list[str]]:
    """The order as CSV rows of `COLUMNS`: one per item (one when it has none)."""
    return [[_cell(v) for v in row] for row in values(order, name_of)]


def values(order: Order, name_of: NameOf = lambda user: user) -> list[list[Any]]:
    """The order's rows of `COLUMNS` as values: whole rupiah and counts as int, the rest
    text (None where unknown)."""
    data = as_json(order, name_of)
    pay, ex, cancel = data["payment"], data["exchange"] or {}, data["cancellation"] or {}
    head = [
        order.code, order.market, order.status, order.created_at, order.updated_at,
        order.channel, order.referral, order.resident.name, order.resident.phone,
        order.address.text, *export_columns(order.address.to_dict()), order.note,
        len(order.items), order.estimate, order.total, order.coordinator,
        name_of(order.coordinator) if order.coordinator else "", order.claimed_at,
        order.courier.name if order.courier else "", order.courier.phone if order.courier
        else "", order.sent_at, order.delivered_at, pay["cash"], pay["paid_at"],
        pay["outstanding"], pay["discount"], pay["discount_reason"],
        ",".join(str(n) for n in ex.get("items", [])), ex.get("note"), ex.get("resolution"),
        ex.get("refund"), ex.get("done_at"), cancel.get("reason"), cancel.get("by"),
        cancel.get("at"), _history(order), _thread(order),
    ]
    items = data["items"] or [None]
    out = []
    for item in items:
        tail = ([item["number"], item["name"], item["quantity"], item["unit"], item["budget"],
                 item["note"], item["price"], item["unavailable"], item["substitute"]]
                if item else [""] * len(ITEM_COLUMNS))
        out.append([*head, *tail])
    return out


NUMBERS = frozenset({"item_count", "estimate", "total", "cash", "outstanding", "discount",
                     "refund", "item_no", "item_budget", "item_price"})


def write_xlsx(orders: Iterable[Order], path: Path,
               name_of: NameOf = lambda user: user) -> None:
    """`COLUMNS` then the rows in one sheet ("pesanan"): amounts as numbers, every other
    cell as text (so ``004`` and ``+62...`` stay as written)."""
    from openpyxl import Workbook  # only the export needs it

    book = Workbook(write_only=True)
    sheet = book.create_sheet("pesanan")
    sheet.append(list(COLUMNS))
    numeric = [c in NUMBERS for c in COLUMNS]
    for order in orders:
        for row in values(order, name_of):
            sheet.append([
                (v if isinstance(v, int) and not isinstance(v, bool) else _cell(v) or None)
                if is_number else (_cell(v) or None)
                for v, is_number in zip(row, numeric, strict=True)])
    book.save(path)


def write_csv(orders: Iterable[Order], out: TextIO,
              name_of: NameOf = lambda user: user) -> None:
    """`COLUMNS` then the rows, ``;``-separated, after a UTF-8 byte order mark."""
    out.write(BOM)
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for order in orders:
        writer.writerows(rows(order, name_of))
