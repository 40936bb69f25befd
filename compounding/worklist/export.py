"""Files out of a worklist plan: the template, the plan's summary workbook, and one batch record
workbook per batch (the records of :mod:`compounding.excel`, plus an *Allocation* sheet).

Why a summary workbook and separate record workbooks, not one workbook: each record is a
:func:`compounding.excel.workbook` with workbook-wide defined names (``strength``, ``capsules_to_make``
…) that its live formulas use; two records in one workbook would collide, and openpyxl cannot copy
sheets between workbooks. So the summary lists every batch and allocation, and each batch's record
is its own file (``<lot>.xlsx``), in a folder or a zip, named in the summary.

Every cell taken from the worklist is written as text (``data_type = "s"``): a patient named
``=HYPERLINK(…)`` stays that text and never becomes a formula.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import InputError
from .columns import COLUMNS, COLUMN_NAMES, TEMPLATE_ROWS

__all__ = ["template_bytes", "write_template", "summary_workbook_bytes", "record_workbooks",
           "write_records", "records_zip"]


def _row(ws: Any, values: list[Any]) -> None:
    """Append a row: numbers stay numbers; every text is a text cell, whatever it starts with (openpyxl
    would take "=…" for a formula)."""
    ws.append(values)
    r = ws._current_row
    for i, v in enumerate(values, 1):
        if isinstance(v, str):
            ws.cell(row=r, column=i).data_type = "s"


def _save(wb: Any) -> bytes:
    # the records' save (openpyxl's own, with cached formula results; a plan workbook has none)
    from ..excel._writer import save

    buf = io.BytesIO()
    save(wb, buf)
    return buf.getvalue()


# --- template -------------------------------------------------------------------------------------

def template_bytes(kind: str) -> bytes:
    """The worklist template as ``csv``, ``xlsx`` or ``json`` bytes: one row (order) of each kind."""
    rows = [[r.get(c, "") for c in COLUMN_NAMES] for r in TEMPLATE_ROWS]
    if kind == "json":
        import json

        orders = [{c: r[c] for c in COLUMN_NAMES if r.get(c)} for r in TEMPLATE_ROWS]
        return (json.dumps(orders, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    if kind == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(COLUMN_NAMES)
        w.writerows(rows)
        return out.getvalue().encode("utf-8")
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "worklist"
    for r in [list(COLUMN_NAMES)] + rows:
        _row(ws, r)
    doc = wb.create_sheet("columns")
    _row(doc, ["column", "required", "max length", "what to enter"])
    for c in COLUMNS:
        _row(doc, [c.name, "yes" if c.required else "no", c.max_length or "", c.description])
    return _save(wb)


def write_template(path: str | os.PathLike) -> Path:
    target = Path(path)
    kind = target.suffix.lower().lstrip(".")
    if kind not in ("csv", "xlsx", "json"):
        raise InputError("must end in .csv or .xlsx (or .json)", field="file", value=str(target),
                         allowed="a .csv, .xlsx or .json path")
    _write(target, template_bytes(kind))
    return target


def _write(target: Path, data: bytes) -> None:
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot be written ({exc.strerror or exc})", field="file", value=str(target)) from None


# --- the summary workbook -------------------------------------------------------------------------

def _q(q: Any) -> tuple[Any, str]:
    """(number rounded for display, unit) of a quantity: a number cell and a unit cell."""
    from ..display import display_places, format_number, unit_symbol

    if q is None:
        return None, ""
    unit = unit_symbol(q.units)
    text = format_number(q.magnitude, display_places(q.magnitude, unit))
    number = float(text) if "." in text else int(text)
    return number, unit


def summary_workbook_bytes(plan: Any) -> bytes:
    """Sheets *Summary*, *Batches*, *Allocation*, *Needs*, and *Stock* (with a lots file)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Summary"
    _summary(wb.active, plan)
    _batches(wb.create_sheet("Batches"), plan)
    _allocation(wb.create_sheet("Allocation"), plan)
    _needs(wb.create_sheet("Needs"), plan)
    if plan.stock is not None:
        _stock(wb.create_sheet("Stock"), plan.stock)
    return _save(wb)


def _summary(ws: Any, plan: Any) -> None:
    for r in (["LDN worklist plan"], ["Worklist", plan.source], ["Compounding date", plan.compounding_date.isoformat()],
              ["Prescriptions planned", plan.prescriptions], ["Batches", len(plan.batches)],
              ["Extra (overage) policy", plan.options.get("extra_policy", "")],
              ["Capsule extra", str(plan.options.get("extra", "none"))],
              ["Liquid overage", str(plan.options.get("liquid_overage", "none"))], []):
        _row(ws, r)
    if plan.dropped:
        _row(ws, ["Dropped rows (not planned)", "row", "column", "reason"])
        for p in plan.dropped:
            _row(ws, ["", p.row, p.column, p.reason])
        _row(ws, [])
    _row(ws, ["Notes"])
    for n in plan.notes:
        _row(ws, ["", n])


def _batches(ws: Any, plan: Any) -> None:
    _row(ws, ["batch", "lot", "preparation", "formula", "compounding date", "BUD", "storage", "made", "unit",
              "containers", "record file", "warnings"])
    for b in plan.batches:
        made, unit = _q(b.made)
        _row(ws, [b.number, b.lot, b.title, b.formula, b.compounding_date.isoformat(), b.bud.isoformat(),
                  b.storage_label, made, unit, len(b.allocations), f"{b.lot}.xlsx", " | ".join(b.result.warnings)])


def _allocation(ws: Any, plan: Any) -> None:
    _row(ws, ["batch", "lot", "rx_number", "row", "patient", "prescriber", "quantity", "unit", "dose (mg)",
              "dose volume (mL)", "fill", "schedule", "directions"])
    for b in plan.batches:
        for a in b.allocations:
            qty, unit = _q(a.quantity)
            _row(ws, [b.number, b.lot, a.rx_number or "anticipatory stock", a.row, a.patient, a.prescriber, qty, unit,
                      _q(a.dose)[0], _q(a.dose_volume)[0], a.fill, a.schedule, a.directions])


def _needs(ws: Any, plan: Any) -> None:
    _row(ws, ["batch", "lot", "kind", "ingredient or item", "quantity", "unit", "note"])
    for n in plan.needs:
        _row(ws, ["all", "", n.kind, n.name, *_q(n.quantity), n.note])
    for b in plan.batches:
        for n in b.needs:
            _row(ws, [b.number, b.lot, n.kind, n.name, *_q(n.quantity), n.note])


def _stock(ws: Any, stock: Any) -> None:
    _row(ws, ["batch lot", "kind", "lot taken (FEFO)", "lot expiry", "quantity", "unit"])
    for t in stock.takes:
        _row(ws, [t.batch_lot, t.kind, t.lot, t.expiry.isoformat() if t.expiry else "", *_q(t.quantity)])
    _row(ws, [])
    _row(ws, ["SHORT: batch lot", "kind", "ingredient or item", "", "quantity", "unit"])
    for s in stock.short:
        _row(ws, [s.batch_lot, s.kind, s.name, "", *_q(s.quantity)])
    _row(ws, [])
    for n in stock.notes:
        _row(ws, [n])


# --- batch records --------------------------------------------------------------------------------

def _record_fields(batch: Any, record: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in record.items() if v not in (None, "")}
    fields["lot_number"] = batch.lot
    patients = {a.patient for a in batch.allocations if a.rx_number}
    if len(patients) == 1:  # a batch for one patient names them; a shared batch lists them on Allocation
        fields["patient"] = next(iter(patients))
    return fields


def record_workbooks(plan: Any, **record: Any) -> Iterator[tuple[str, bytes]]:
    """(``<lot>.xlsx``, bytes) per batch: the core's record of the batch with an *Allocation* sheet,
    built by the Excel layer (protected, with its status cell, checked by verify like the rest).
    ``record``: the pharmacy's fields of :data:`compounding.excel.RECORD_FIELDS` (not lot/patient)."""
    from ..excel import workbook_bytes

    for b in plan.batches:
        # printed words, not the worklist's column keys (a record shows no internal names)
        rows: list[list[Any]] = [["Rx number", "Patient", "Quantity", "Unit", "Dose (mg)", "Dose volume (mL)",
                                  "Fill", "Directions"]]
        for a in b.allocations:
            qty, unit = _q(a.quantity)
            rows.append([a.rx_number or "anticipatory stock", a.patient, qty, unit, _q(a.dose)[0],
                         _q(a.dose_volume)[0], a.fill, a.directions])
        yield f"{b.lot}.xlsx", workbook_bytes(b.result, allocation=rows, **_record_fields(b, record))


def write_records(plan: Any, directory: str | os.PathLike, **record: Any) -> list[Path]:
    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot be created ({exc.strerror or exc})", field="records", value=str(target)) from None
    out = []
    for name, data in record_workbooks(plan, **record):
        _write(target / name, data)
        out.append(target / name)
    return out


def records_zip(plan: Any, *, progress: Callable[[int, int], None] | None = None, **record: Any) -> bytes:
    """One zip: ``plan.xlsx`` (the summary) and ``records/<lot>.xlsx`` per batch (for a download).
    ``progress(done, total)`` is called after each workbook (the app's progress bar)."""
    total = len(plan.batches) + 1
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("plan.xlsx", summary_workbook_bytes(plan))
        if progress:
            progress(1, total)
        for done, (name, data) in enumerate(record_workbooks(plan, **record), 2):
            z.writestr(f"records/{name}", data)
            if progress:
                progress(done, total)
    return buf.getvalue()
