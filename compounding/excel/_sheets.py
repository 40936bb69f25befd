"""Building blocks of the printed sheets shared by every record: the header grid, the ingredient
table, procedure steps with initial boxes, QC, warnings, deviations, sign-off, the calculation trace,
and the label. Quantities on these sheets are live formulas over the *Calculations* names; free
text is always written as text (:func:`~._common.put_text`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import _styles as st
from ._common import fit_row, merge, put_formula, put_text, put_value, restyle

#: Columns of the compounding record (A-H) and their widths in characters.
RECORD_WIDTHS = (18, 30, 17, 14, 12, 11, 13, 9)
RECORD_LAST_COL = "H"


@dataclass(frozen=True)
class Cell:
    """What goes in a value cell: ``text`` (plain text), ``formula`` (live) or ``value`` (number/date)."""

    text: str | None = None
    formula: str | None = None
    value: Any = None
    fmt: str | None = None
    entry: bool = False  # a blank (or prefilled) cell for the pharmacy to fill in
    hint: str = ""  # about what a live formula will show, to size the row for it
    name: str | None = None  # a defined name for the cell

    @staticmethod
    def entry_text(value: str | None) -> "Cell":
        return Cell(text=value or "", entry=True)


class Fields(dict):
    """The pharmacy's record fields (key → text). Each is entered in ONE cell, named
    ``record_<key>``: the first place a field appears on the record holds it (a yellow cell to
    fill in when it was not given); every other place shows that cell by formula, so the label's
    patient or lot cannot differ from the record's."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.placed: set[str] = set()

    def cell(self, key: str) -> Cell:
        text = self.get(key, "")
        if key not in self.placed:
            self.placed.add(key)
            return Cell(text=text, entry=True, name=field_name(key))
        return Cell(formula=f'=""&{field_name(key)}', hint=text)  # ""& shows a blank cell as blank, not 0


def field_name(key: str) -> str:
    return f"record_{key}"


def setup_record(ws: Worksheet) -> None:
    for i, width in enumerate(RECORD_WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.sheet_view.showGridLines = False


def width_of(first: int, last: int) -> float:
    return sum(RECORD_WIDTHS[first - 1:last])


def write_cell(ws: Worksheet, row: int, col: int, cell: Cell, *, last_col: int | None = None,
               font=None, align=None) -> None:
    """Write ``cell`` at (row, col), merged to ``last_col``, boxed."""
    align = align or st.WRAP
    if cell.formula is not None:
        put_formula(ws, row, col, cell.formula, cell.fmt, font=font, align=align, border=st.BOX)
    elif cell.value is not None:
        put_value(ws, row, col, cell.value, cell.fmt, font=font, align=align, border=st.BOX, entry=cell.entry)
    else:
        put_text(ws, row, col, cell.text or "", font=font, align=align, border=st.BOX, entry=cell.entry)
    if cell.name:
        from openpyxl.workbook.defined_name import DefinedName

        ws.parent.defined_names[cell.name] = DefinedName(
            cell.name, attr_text=f"'{ws.title}'!${get_column_letter(col)}${row}")
    if last_col and last_col > col:
        for c in range(col + 1, last_col + 1):
            other = ws.cell(row=row, column=c)
            restyle(other, border=st.BOX)
            if cell.entry:
                restyle(other, fill=st.ENTRY_FILL, protection=st.UNLOCKED)
        merge(ws, row, col, row, last_col)


def title(ws: Worksheet, row: int, text: str, subtitle: str = "") -> int:
    put_text(ws, row, 1, text, font=st.TITLE, align=st.TOP)
    merge(ws, row, 1, row, len(RECORD_WIDTHS))
    ws.row_dimensions[row].height = 20
    if subtitle:
        row += 1
        put_text(ws, row, 1, subtitle, font=st.SUBTITLE, align=st.WRAP)
        merge(ws, row, 1, row, len(RECORD_WIDTHS))
        fit_row(ws, row, [(subtitle, width_of(1, 8) * 0.9)], 15)
    return row + 1


def section(ws: Worksheet, row: int, text: str) -> int:
    """A grey bar with the section's name; returns the next row. The section (to the next one)
    is kept on one page."""
    from ._pages import mark

    mark(ws, row)
    put_text(ws, row, 1, text, font=st.BOLD, fill=st.SECTION_FILL, align=st.TOP)
    for c in range(2, len(RECORD_WIDTHS) + 1):
        restyle(ws.cell(row=row, column=c), fill=st.SECTION_FILL)
    merge(ws, row, 1, row, len(RECORD_WIDTHS))
    ws.row_dimensions[row].height = 16
    return row + 1


def grid(ws: Worksheet, row: int, pairs: Sequence[tuple[str, Cell, str, Cell]]) -> int:
    """Two label/value pairs per row: A label | B-C value | D-E label | F-H value."""
    for left_label, left, right_label, right in pairs:
        put_text(ws, row, 1, left_label, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
        write_cell(ws, row, 2, left, last_col=3, align=st.LEFT_WRAP)
        if right_label:
            put_text(ws, row, 4, right_label, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
            restyle(ws.cell(row=row, column=5), border=st.BOX)
            merge(ws, row, 4, row, 5)
            write_cell(ws, row, 6, right, last_col=8, align=st.LEFT_WRAP)
        texts = [(left.text or left.hint, width_of(2, 3)), (right.text or right.hint, width_of(6, 8)),
                 (left_label, width_of(1, 1)), (right_label, width_of(4, 5))]
        fit_row(ws, row, texts)
        row += 1
    return row


def wide(ws: Worksheet, row: int, label: str, cell: Cell) -> int:
    """A label (A) and a value across B-H."""
    put_text(ws, row, 1, label, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
    write_cell(ws, row, 2, cell, last_col=8, align=st.LEFT_WRAP)
    fit_row(ws, row, [(cell.text or "", width_of(2, 8)), (label, width_of(1, 1))])
    return row + 1


INGREDIENT_HEAD = ("Role", "Ingredient", "Quantity required", "Manufacturer", "Lot number", "Expiry",
                   "Actual weight", "Initials")


def ingredient_table(ws: Worksheet, row: int, items: Iterable[tuple[str, str, Cell]]) -> int:
    """Role, name, required quantity (live), then blanks to fill: manufacturer, lot, expiry,
    actual weight or volume, initials."""
    for c, head in enumerate(INGREDIENT_HEAD, 1):
        put_text(ws, row, c, head, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
    row += 1
    first = row
    for role, name, quantity in items:
        put_text(ws, row, 1, role, border=st.BOX)
        put_text(ws, row, 2, name, border=st.BOX)
        write_cell(ws, row, 3, quantity, font=st.BOLD)
        for c in range(4, 9):
            put_text(ws, row, c, "", entry=True)
        restyle(ws.cell(row=row, column=6), number_format=st.DATE_FORMAT)
        restyle(ws.cell(row=row, column=7), number_format="General")
        fit_row(ws, row, [(name, RECORD_WIDTHS[1]), (quantity.text or quantity.hint, RECORD_WIDTHS[2] * 0.9)], 13)
        ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or 15, 24)
        row += 1
    # the expiries typed here limit the BUD (USP <795>: never past the earliest component expiry)
    from openpyxl.workbook.defined_name import DefinedName

    for name, col in ((EXPIRIES, "F"), (COMPONENT_NAMES, "B")):
        ws.parent.defined_names[name] = DefinedName(name, attr_text=f"'{ws.title}'!${col}${first}:${col}${row - 1}")
    return row


EXPIRIES = "component_expiries"  # the expiry column of the ingredient table (a range)
COMPONENT_NAMES = "component_names"


def steps_table(ws: Worksheet, row: int, steps: Sequence[str]) -> int:
    """Numbered procedure steps, each with an initials box."""
    put_text(ws, row, 1, "Step", font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
    put_text(ws, row, 2, "Procedure", font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
    for c in range(3, 8):
        restyle(ws.cell(row=row, column=c), border=st.BOX)
    merge(ws, row, 2, row, 7)
    put_text(ws, row, 8, "Initials", font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
    row += 1
    for i, step in enumerate(steps, 1):
        put_value(ws, row, 1, i, "0", border=st.BOX, align=st.CENTER)
        put_text(ws, row, 2, step, border=st.BOX)
        for c in range(3, 8):
            restyle(ws.cell(row=row, column=c), border=st.BOX)
        merge(ws, row, 2, row, 7)
        put_text(ws, row, 8, "", entry=True)
        fit_row(ws, row, [(step, width_of(2, 7))])
        row += 1
    return row


def text_rows(ws: Worksheet, row: int, lines: Sequence[str], *, font=None, fill=None) -> int:
    """Each line across A-H, wrapped."""
    for text in lines:
        put_text(ws, row, 1, text, font=font or st.BASE, fill=fill, align=st.WRAP)
        merge(ws, row, 1, row, len(RECORD_WIDTHS))
        size = (font.sz if font is not None and font.sz else 10)
        fit_row(ws, row, [(text, width_of(1, 8) * 10 / size)], 13 * size / 10)
        row += 1
    return row


def entry_box(ws: Worksheet, row: int, cell: Cell, height_rows: int = 4) -> int:
    """A large box to write in (deviations, notes), prefilled with the entry ``cell``'s text."""
    text = cell.text or ""
    write_cell(ws, row, 1, cell, align=st.WRAP)
    for c in range(2, len(RECORD_WIDTHS) + 1):
        restyle(ws.cell(row=row, column=c), fill=st.ENTRY_FILL, border=st.BOX, protection=st.UNLOCKED)
    merge(ws, row, 1, row, len(RECORD_WIDTHS))
    ws.row_dimensions[row].height = max(15 * height_rows, 15 * (1 + len(text) // 100))
    return row + 1


def signoff(ws: Worksheet, row: int, record: Fields) -> int:
    """Compounded / verified / released by, each with signature and date boxes."""
    for c, last, head in ((1, 1, "Role"), (2, 3, "Name"), (4, 6, "Signature"), (7, 8, "Date")):
        put_text(ws, row, c, head, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
        for other in range(c + 1, last + 1):
            restyle(ws.cell(row=row, column=other), border=st.BOX)
        if last > c:
            merge(ws, row, c, row, last)
    row += 1
    for key, label in (("compounded_by", "Compounded by"), ("verified_by", "Verified by (pharmacist)"),
                       ("released_by", "Released by")):
        put_text(ws, row, 1, label, font=st.BOLD, border=st.BOX)
        write_cell(ws, row, 2, record.cell(key), last_col=3)
        write_cell(ws, row, 4, Cell.entry_text(""), last_col=6)
        write_cell(ws, row, 7, Cell(text="", entry=True), last_col=8)
        restyle(ws.cell(row=row, column=7), number_format=st.DATE_FORMAT)
        ws.row_dimensions[row].height = 26
        row += 1
    return row


def is_default_directions(text: str) -> bool:
    """A master formula's stock directions ("Take one capsule at bedtime, or as directed"): never
    printed beside, or instead of, the prescription's own."""
    return "as directed" in text.lower()


def label_sheet(ws: Worksheet, lines: Sequence[tuple[str, Cell]], *, heading: str) -> int:
    """A label mock-up: one boxed column of text, ready to copy onto the label printer's template."""
    ws.sheet_view.showGridLines = False
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 58
    put_text(ws, 1, 1, heading, font=st.TITLE, align=st.TOP)
    merge(ws, 1, 1, 1, 2)
    ws.row_dimensions[1].height = 20
    row = 3
    for label, cell in lines:
        put_text(ws, row, 1, label, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
        bold = st.BIG_BOLD if label in ("Preparation", "Beyond-use date") else (
            st.WARNING if label.startswith("Warning") else None)
        write_cell(ws, row, 2, cell, font=bold)
        fit_row(ws, row, [(cell.text or cell.hint, 58), (label, 22)])
        if label == "Directions" and cell.entry:  # room to write them by hand
            ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or 15, 30)
        if bold is st.BIG_BOLD:
            ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or 15, 19)
        row += 1
    return row


_WORDS = {"hcl": "HCl", "mw": "MW", "mwq": "MWQ", "bud": "BUD", "api": "API", "qc": "QC", "rsd": "RSD",
          "ps": "PS", "usp": "USP", "ml": "mL", "mg": "mg"}


def words(name: str) -> str:
    """A key of the core (``naltrexone_hcl``) as the words a record prints (``naltrexone HCl``)."""
    return " ".join(_WORDS.get(w, w) for w in name.split("_"))


def step_text(step: Any) -> str:
    """One step of the calculation trace in the record's words (the keys of its inputs spelled out)."""
    from ..display import format_number, format_quantity

    def show(v: Any) -> str:
        if hasattr(v, "units") and hasattr(v, "magnitude"):
            return format_quantity(v)
        if isinstance(v, (int, float)) and not isinstance(v, bool) or type(v).__name__ == "Fraction":
            return format_number(v)
        return str(v)

    given = ", ".join(f"{words(name)} = {show(v)}" for name, v in step.inputs)
    return f"{step.description}: {step.formula}" + (f" with {given}" if given else "") + f" → {show(step.value)}"


def trace_lines(trace: Sequence[Any]) -> list[str]:
    return [f"{i}. {step_text(s)}" for i, s in enumerate(trace, 1)]


def record_closing(ws: Worksheet, row: int, *, qc_lines: Sequence[str], warnings: Sequence[str],
                   trace: Sequence[Any], record: Fields, identity: str) -> None:
    """The end of every compounding record: QC lines with result boxes, the calculator's
    warnings, deviations, sign-off, the numbered calculation trace and the engine identity."""
    for text in qc_lines:
        put_text(ws, row, 1, text, border=st.BOX)
        for c in range(2, 7):
            restyle(ws.cell(row=row, column=c), border=st.BOX)
        merge(ws, row, 1, row, 6)
        write_cell(ws, row, 7, Cell.entry_text(""), last_col=8)
        fit_row(ws, row, [(text, width_of(1, 6))])
        row += 1
    if warnings:
        row = section(ws, row + 1, "Warnings from the calculator")
        row = text_rows(ws, row, [f"! {w}" for w in warnings], font=st.WARNING, fill=st.WARN_FILL)
    row = section(ws, row + 1, "Deviations and notes")
    row = entry_box(ws, row, record.cell("notes"))
    row = section(ws, row + 1, "Sign-off (record reviewed for completeness before release)")
    row = signoff(ws, row, record)
    row = section(ws, row + 1, "Calculation trace")
    row = text_rows(ws, row, trace_lines(trace), font=st.SMALL)
    text_rows(ws, row + 1, [identity], font=st.SMALL)
