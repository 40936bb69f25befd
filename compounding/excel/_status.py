"""Every sheet's visible status cell (issue 10, item 3), and what the record was exported with.

A status cell at the top right of each sheet shows "Sheet check: OK", or "Sheet check: CHECK" in
red when anything on the sheet disagrees with the stored result:

* every agreement cell of *Calculations* says OK (an input edited in the spreadsheet moves the live
  formulas away from the calculator's values), and
* every value on the sheet (text, number, date, formula result) still equals the copy stored
  beside it at export, in hidden columns right of the print area. Cells the pharmacy fills in, and
  formulas that follow them (capsule weights, the yield, the record fields shown on the label),
  are not compared: they are meant to change.

:mod:`compounding.verify` checks everything, stored copies included; the status cell is what a
person sees on the sheet and on paper.
"""

from __future__ import annotations

from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from . import _styles as st
from ._evaluate import Evaluator, XLError, references

STATUS = "Sheet check: "
CHECKS = "calc_checks"  # the agreement column of Calculations (a range name)


def add_status(wb, widths: dict[str, int], exact: dict | None = None) -> Evaluator:
    """Add each sheet's stored copies and status cell; returns the evaluator holding every value."""
    ev = Evaluator(wb, exact)
    free = _free_entries(wb)
    for ws in wb.worksheets:
        width = widths[ws.title]
        first = _status_cell(ws, width)
        _mirror(ws, width, first, ev, free)
    ev.refresh()
    return ev


def _status_cell(ws, width: int) -> int:
    """The status cell in row 1: the last printed column, or the last two when that one is narrow.
    Returns its first column (a title merged over it is shortened)."""
    narrow = (ws.column_dimensions[get_column_letter(width)].width or 8) < 16
    first = width - 1 if narrow and width > 2 else width
    from ._common import merge

    for rng in list(ws.merged_cells.ranges):
        if rng.min_row == 1 and rng.max_col >= first:
            ws.merged_cells.ranges.discard(rng)
            if rng.min_col < first - 1:
                merge(ws, 1, rng.min_col, rng.max_row, first - 1)
    if width > first:
        merge(ws, 1, first, 1, width)
    return first


def _free_entries(wb) -> set[tuple[str, int, int]]:
    """Cells the pharmacy fills in that are not calculation inputs: everything unlocked outside
    *Calculations*, except the ingredient table's expiries (they limit the BUD)."""
    from ._common import CALC_SHEET
    from ._sheets import EXPIRIES

    expiries: set[tuple[str, int, int]] = set()
    ev = Evaluator(wb)
    target = ev.names.get(EXPIRIES)
    if target is not None:
        sheet, r1, c1, r2, c2 = target[1:6]
        expiries = {(sheet, r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    out = set()
    for ws in wb.worksheets:
        if ws.title == CALC_SHEET:
            continue
        for row in ws.iter_rows():
            for c in row:
                if c.has_style and not c.protection.locked and (ws.title, c.row, c.column) not in expiries:
                    out.add((ws.title, c.row, c.column))
    return out


def _follows_entries(ev: Evaluator, free: set, key: tuple[str, int, int], memo: dict) -> bool:
    """Whether the cell is, or its formula reads (at any depth), a cell the pharmacy fills in."""
    if key in memo:
        return memo[key]
    memo[key] = False  # a cycle is not a dependency
    found = key in free
    cell = None if found else ev.raw(*key)
    if cell is not None and not isinstance(cell, XLError) and cell.data_type == "f" and isinstance(cell.value, str):
        for node in references(ev.node(*key, cell.value)):
            target = ev.names.get(node[1]) if node[0] == "name" else node
            if target is None:
                continue
            sheet, r1, c1, r2, c2 = target[1:6]
            if any(_follows_entries(ev, free, (sheet, r, c), memo)
                   for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)):
                found = True
                break
    memo[key] = found
    return found


def _mirror(ws, width: int, status_col: int, ev: Evaluator, free: set) -> None:
    """Store a copy of each fixed value of the sheet in hidden columns, and a status formula."""
    from ._common import put_formula, status_text

    base = ws.max_column + 1  # beyond every column in use (Calculations has hidden helpers)
    helper = base + width
    memo: dict = {}
    rows = ws.max_row
    for r in range(1, rows + 1):
        clauses = []
        for c in range(1, width + 1):
            if r == 1 and c >= status_col:
                continue
            cell = ws.cell(row=r, column=c)
            if cell.value is None or (cell.has_style and not cell.protection.locked):
                continue
            if _follows_entries(ev, free, (ws.title, r, c), memo):
                continue
            value = ev.value(ws.title, r, c)
            if isinstance(value, XLError):
                continue
            copy = ws.cell(row=r, column=base + c - 1)
            _store(copy, value)
            a, m = cell.coordinate, copy.coordinate
            clauses.append(f"IFERROR(IF(ISNUMBER({m}),ROUND({a}-{m},6)=0,EXACT({a},{m})),FALSE)")
        if clauses:
            ws.cell(row=r, column=helper).value = f"=IF(AND({','.join(clauses)}),0,1)"
    for col in range(base, helper + 1):
        ws.column_dimensions[get_column_letter(col)].hidden = True
    total = f"SUM(${get_column_letter(helper)}$1:${get_column_letter(helper)}${rows})"
    put_formula(ws, 1, status_col, f'="{STATUS}"&IF(AND(COUNTIF({CHECKS},"CHECK")=0,{total}=0),"OK","CHECK")',
                font=st.BOLD, align=st.RIGHT)
    status_text(ws, ws.cell(row=1, column=status_col).coordinate)


def _store(cell, value: Any) -> None:
    """A constant copy of ``value`` (exact numbers as the nearest float, text as text)."""
    from fractions import Fraction

    if isinstance(value, Fraction):
        cell.value = int(value) if value.denominator == 1 else float(value)
    elif isinstance(value, str):
        from ._common import put_raw_text

        put_raw_text(cell, value)
    elif isinstance(value, bool):
        cell.value = value


def define_checks(ws, first_row: int, last_row: int) -> None:
    """Name the agreement column of *Calculations* for every sheet's status cell."""
    ws.parent.defined_names[CHECKS] = DefinedName(CHECKS, attr_text=f"'{ws.title}'!$E${first_row}:$E${last_row}")


__all__ = ["add_status", "define_checks", "STATUS", "CHECKS"]
