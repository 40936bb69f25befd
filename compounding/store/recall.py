"""Recall report: every batch that used one ingredient lot, and the same list as an Excel workbook.

Interim and self-contained (the Recall page uses it): when the store's own Excel export lands, the
workbook may move there; the list itself comes from the paged search, page by page, so it never
holds more than one page of rows from the database at a time.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from ..errors import InputError
from .views import BatchSummary, LotView

__all__ = ["recall_list", "recall_workbook"]

_PAGE = 200  # the search's largest page


def recall_list(store: Any, lot_id: int) -> tuple[LotView, list[BatchSummary]]:
    """The lot and every batch that used it, newest first.

    The search finds batches by supplier lot number; when another supplier's lot has the same number,
    each found batch is checked for this very lot (by id), so the list is never longer than it should be.
    """
    lots = store.ingredient_lots()
    lot = next((x for x in lots if x.id == lot_id), None)
    if lot is None:
        raise InputError("is not an ingredient lot in the store", field="ingredient_lot", value=lot_id)
    found, page = [], 1
    while True:
        result = store.search_batches(ingredient_lot=lot.supplier_lot, page=page, page_size=_PAGE)
        found += result.items
        if page >= result.pages:
            break
        page += 1
    if sum(x.supplier_lot == lot.supplier_lot for x in lots) > 1:
        found = [b for b in found if any(x.id == lot_id for x in store.batch(b.lot_number).ingredient_lots)]
    return lot, found


def recall_workbook(lot: LotView, batches: list[BatchSummary], *, made_at: dt.datetime | None = None) -> bytes:
    """An .xlsx: the lot on top, then one row per batch (lot number, kind, strength, status, preparer, date)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    made_at = made_at or dt.datetime.now(dt.timezone.utc)
    wb = Workbook()
    ws = wb.active
    ws.title = "Recall"
    rows: list[list[Any]] = [
        ["Recall list: every batch that used this ingredient lot"],
        ["Ingredient lot", lot.supplier_lot], ["Supplier", lot.supplier], ["Material", lot.material],
        ["Kind", lot.kind], ["Expiry", lot.expiry.isoformat()], ["Lot status", lot.status],
        ["Batches", len(batches)], ["Made (UTC)", f"{made_at:%Y-%m-%d %H:%M:%S}"], [],
        ["Lot number", "Kind", "Strength", "Status", "Preparer", "Created (UTC)"],
    ]
    rows += [[b.lot_number, b.kind, b.strength, b.status, b.preparer, f"{b.created_at:%Y-%m-%d %H:%M}"]
             for b in batches]
    for row in rows:
        ws.append(row)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                cell.data_type = "s"  # text, never a formula (a supplier name is typed by a person)
    ws["A1"].font = Font(bold=True, size=13)
    for cell in ws[11]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCDEF", (24, 14, 12, 18, 14, 18)):
        ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
