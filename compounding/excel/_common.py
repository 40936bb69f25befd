"""Shared machinery of the Excel records: the calculation line, safe cell writers, the
*Calculations* sheet, print setup, protection, and the hash and properties that identify a record.

Everything here is layout; the arithmetic lives in the core. A :class:`Line` pairs one named
quantity with the core's exact value and, for a derived quantity, the Excel formula that
recomputes it from other names. The same lines are built again by :mod:`compounding.verify` from
the recomputed result, so the workbook, its hash and its verification share one description.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import unicodedata
import weakref
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Sequence

import pint
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import FormulaRule, Rule
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.numbers import NumberFormat
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet

from ..display import display_places
from ..errors import InputError
from ..glossary import term
from . import _styles as st

__all__ = ["ENGINE_VERSION", "RECORD_FIELDS", "Line", "Section", "check_record_fields", "put_text",
           "put_value", "put_formula", "CALC_SHEET", "write_calculations", "printable", "protect",
           "record_hash", "canonical", "set_properties", "quantity_text_formula", "number_format"]


from ._fields import ENGINE_VERSION, RECORD_FIELDS  # noqa: E402 - re-exported

CALC_SHEET = "Calculations"



@dataclass(frozen=True)
class Line:
    """One named quantity of a record.

    ``kind``: ``choice`` (a text setting such as the capsule size, locked), ``input`` (a number or
    date the formulas read; unlocked), ``calc`` (a live formula; locked) or ``text`` (a live formula
    giving a word such as "OK"). ``core`` is the calculator's own value (exact), ``None`` for a
    blank optional input. ``formula`` is an Excel formula over other lines' names. ``label`` None:
    the glossary's label for ``name`` (compounding.glossary), the words the sheets and the app use.
    """

    name: str
    label: str | None
    unit: str
    core: Any
    formula: str | None = None
    how: str = ""
    kind: str = "calc"
    places: int | None = None
    shown: str | None = None  # a choice: the words printed for it (the key itself sits in a hidden cell)

    def __post_init__(self) -> None:
        if self.label is None:
            object.__setattr__(self, "label", term(self.name).label)

    @property
    def shown_places(self) -> int:
        """The places of its number format: the screen's rule (compounding.display.display_places) for
        the core's value, so the cell shows the figure the screen shows (a percentage's in percent)."""
        if self.places is not None:
            return self.places
        value = self.core
        if self.unit == "%" and isinstance(value, (int, Fraction, float)) and not isinstance(value, bool):
            value = Fraction(repr(value)) * 100 if isinstance(value, float) else Fraction(value) * 100
        return display_places(value, self.unit)

    @property
    def is_date(self) -> bool:
        return self.unit == "date"

    @property
    def tolerance(self) -> float:
        """Half a unit of the last place shown: agreement "within display rounding"."""
        if self.is_date or self.unit in ("capsules", "tablets", "days") and self.places in (None, 0):
            return 0.0
        places = self.shown_places + (2 if self.unit == "%" else 0)
        return 0.5 * 10.0 ** -places


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[Line, ...]


def number_format(line: Line) -> str:
    if line.is_date:
        return st.DATE_FORMAT
    p = line.shown_places
    base = "0" if p == 0 else "0." + "0" * p
    return base + "%" if line.unit == "%" else base


# --- cell writers ----------------------------------------------------------------------------------

def clean_text(value: Any) -> str:
    """Text as the cell will hold it: control characters Excel cannot store become spaces and
    direction overrides are dropped (text from a formula file or the core; a record field with
    either is refused, see :func:`check_record_fields`)."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return _BIDI_CONTROLS.sub("", ILLEGAL_CHARACTERS_RE.sub(" ", text))


_REF_IN_PARENS = re.compile(r"\s*\([\w.-]+\.md(?:\s*§\s*[0-9][0-9.\-–]*)?\)")
_REF = re.compile(r"[;,]?\s*\b[\w.-]+\.md\b(?:\s*§\s*[0-9][0-9.\-–]*)?:?\s*")


def public_text(text: str) -> str:
    """Text for a printed record without the project's internal references (``domain.md §7``:
    a file of this repository, meaningless on a pharmacy's record)."""
    if ".md" not in text:
        return text
    out = _REF.sub(" ", _REF_IN_PARENS.sub("", text))
    return re.sub(r"\s{2,}", " ", out).strip()


def put_text(ws: Worksheet, row: int, col: int, value: Any, *, font=None, fill=None, align=None,
             border=None, entry: bool = False):
    """Write ``value`` as plain text, never as a formula.

    openpyxl turns any string starting with ``=`` into a formula; the type is set back to string
    explicitly and the cell gets Excel's quote prefix, so ``=HYPERLINK(...)``, ``+1+1``, ``-2`` or
    ``@SUM(1)`` in a patient's name stay the letters typed, in this file and after editing.
    Text that is not a pharmacy's entry loses internal references (:func:`public_text`).
    """
    cell = ws.cell(row=row, column=col)
    text = clean_text(value)
    if not entry:
        text = public_text(text)
    if text:
        cell.value = text
        cell.data_type = "s"
        if text[0] in "=+-@\t\r\n":
            cell.quotePrefix = True
    _style(cell, font or st.BASE, fill, align or st.WRAP, border, entry, st.TEXT_FORMAT if entry else None)
    return cell


def put_raw_text(cell, text: str) -> None:
    """``text`` exactly, as text (a stored copy): never a formula, in this file or after an edit."""
    cell.value = text
    cell.data_type = "s"
    if text[:1] in ("=", "+", "-", "@", "\t", "\r", "\n"):
        cell.quotePrefix = True


def put_value(ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None, *, font=None,
              fill=None, align=None, border=None, entry: bool = False):
    """A number (exact values stored as the nearest float) or a date."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, pint.Quantity):
        value = value.magnitude
    if isinstance(value, Fraction):
        value = int(value) if value.denominator == 1 else float(value)
    if isinstance(value, str):
        raise TypeError("put_value writes numbers and dates; use put_text for text")
    cell.value = value
    _style(cell, font or st.BASE, fill, align, border, entry, fmt or None)
    return cell


def put_formula(ws: Worksheet, row: int, col: int, formula: str, fmt: str | None = None, *, font=None,
                fill=None, align=None, border=None):
    """A live formula (built by this package from names and cell references only, never from
    user text)."""
    cell = ws.cell(row=row, column=col)
    cell.value = formula if formula.startswith("=") else "=" + formula
    _style(cell, font or st.BASE, fill, align, border, False, fmt or None)
    return cell


def _style(cell, font, fill, align, border, entry: bool, fmt: str | None = None) -> None:
    # the hot path of every writer: the same cache as restyle(), keyed without building a dict
    if entry:
        fill, border = fill or st.ENTRY_FILL, border or st.BOX
    if not STYLE_CACHE:
        attrs = {"font": font, "protection": st.UNLOCKED if entry else st.LOCKED, "fill": fill, "alignment": align,
                 "border": border, "number_format": fmt}
        restyle(cell, **{k: v for k, v in attrs.items() if v is not None})
        return
    cache = _style_cache(cell.parent.parent)
    base = cell._style
    key = ("w", b"" if base is None else base.tobytes(), id(font), id(fill), id(align), id(border), entry, fmt)
    hit = cache.get(key)
    if hit is not None:
        cell._style = StyleArray(hit[0])
        return
    attrs: dict[str, Any] = {"font": font, "protection": st.UNLOCKED if entry else st.LOCKED}
    if fill is not None:
        attrs["fill"] = fill
    if align is not None:
        attrs["alignment"] = align
    if border is not None:
        attrs["border"] = border
    if fmt is not None:
        attrs["number_format"] = fmt
    restyle(cell, **attrs)
    cache[key] = (StyleArray(cell._style), (font, fill, align, border))


#: False: style every cell through openpyxl's public attribute setters (slow: openpyxl hashes each
#: style object on each assignment). The cache below reaches into openpyxl's internals (a cell's
#: ``_style`` array, the workbook's ``_fonts`` … lists); tests/test_excel_writer.py builds every
#: record kind both ways and requires the same style on every cell, so an openpyxl update that
#: breaks the cache fails there.
STYLE_CACHE = True

#: style attribute -> (the workbook's list of such objects, slot of its index in a cell's StyleArray)
_STYLE_SLOTS = {"font": ("_fonts", 0), "fill": ("_fills", 1), "border": ("_borders", 2),
                "protection": ("_protections", 4), "alignment": ("_alignments", 5)}


def _style_cache(wb) -> dict:
    cache = wb.__dict__.get("_ldn_style_cache")
    if cache is None:
        cache = wb.__dict__["_ldn_style_cache"] = {}
    return cache


def _style_index(wb, collection: str, obj: Any) -> int:
    """Index of a style object in the workbook's ``collection``, looked up once per workbook and
    object: openpyxl hashes the whole object (every attribute, recursively) on each assignment."""
    cache = _style_cache(wb)
    key = (collection, id(obj))
    hit = cache.get(key)
    if hit is None:
        hit = cache[key] = (getattr(wb, collection).add(obj), obj)  # keep obj alive: its id is the key
    return hit[0]


def restyle(cell, **attrs: Any) -> None:
    """Set style attributes (``font=``, ``fill=``, ``border=``, ``number_format=`` …) on ``cell``.

    openpyxl hashes every style object on every assignment, which made styling most of the export
    time; the resulting style (a small array of indices) is cached per workbook and copied instead.
    Style objects passed here must be long-lived constants (their ``id`` is the cache key).
    """
    if not STYLE_CACHE:
        for name, value in attrs.items():
            setattr(cell, name, value)  # openpyxl's public setters
        return
    wb = cell.parent.parent
    cache = _style_cache(wb)
    base = cell._style
    if base is None:
        base = cell._style = StyleArray()
    fmt = attrs.get("number_format")
    objects = [v for k, v in attrs.items() if k != "number_format"]
    key = (base.tobytes(), fmt, tuple(attrs), tuple(map(id, objects)))
    hit = cache.get(key)
    if hit is None:
        style = StyleArray(base)
        for name, value in attrs.items():
            slot = _STYLE_SLOTS.get(name)
            if slot is None:
                cell._style = style
                setattr(cell, name, value)  # number_format (a string: cheap) or anything else
                style = cell._style
            else:
                style[slot[1]] = _style_index(wb, slot[0], value)
        cell._style = style
        cache[key] = (StyleArray(style), objects)  # keep the objects alive: their ids are the key
    else:
        cell._style = StyleArray(hit[0])


def merge(ws: Worksheet, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
    """Merge a range. openpyxl's ``merge_cells`` restyles every covered cell's borders (slow); the
    covered cells here are already styled by the caller, so only the range is recorded."""
    from openpyxl.worksheet.cell_range import CellRange

    # straight into the set: MultiCellRange.add first scans every range already there (quadratic)
    ws.merged_cells.ranges.add(CellRange(min_col=first_col, min_row=first_row, max_col=last_col,
                                         max_row=last_row))


def quantity_text_formula(expr: str, unit: str, places: int = 2) -> str:
    """Excel formula showing ``expr`` as text like "445.5 mg": rounded once, no trailing zeros.

    FIXED (not TEXT) because TEXT's format codes depend on the reader's locale.
    """
    tests = [f"ROUND({expr},{places})=ROUND({expr},{k})" for k in range(places)]
    shown = str(places)
    for k in reversed(range(places)):
        shown = f"IF({tests[k]},{k},{shown})"
    suffix = f'&" {unit}"' if unit else ""
    return f"=FIXED({expr},{shown},TRUE){suffix}"


def fit_row(ws: Worksheet, row: int, texts: Iterable[tuple[str, float]], line_height: float = 13.0) -> None:
    """Set a row tall enough for wrapped text: ``texts`` are (text, column width in characters)."""
    lines = 1
    for text, width in texts:
        count = 0
        for part in str(text).split("\n"):
            count += max(1, math.ceil(len(part) * 1.1 / max(width, 1)))
        lines = max(lines, count)
    ws.row_dimensions[row].height = max(15.0, lines * line_height + 2)


# --- the Calculations sheet ------------------------------------------------------------------------

CALC_COLUMNS = (("Quantity", 38), ("Value", 13), ("Unit", 10), ("Calculator", 13), ("Agrees", 8),
                ("How (formula, source)", 44))


def write_calculations(ws: Worksheet, title: str, sections: Sequence[Section], identity: str) -> dict[str, int]:
    """Write the *Calculations* sheet; return the row of each named line.

    Column B holds the input or the live formula, D the calculator's value at export, E "OK" when
    they agree within display rounding. Each B cell carries the line's name as a defined name.
    """
    for i, (_, width) in enumerate(CALC_COLUMNS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    put_text(ws, 1, 1, title, font=st.TITLE, align=st.TOP)
    merge(ws, 1, 1, 1, 6)
    note = ("Yellow cells are inputs: change one and every formula below follows. Column D keeps the "
            "value the calculator computed when this record was exported; column E shows OK while the "
            "live formula agrees with it within display rounding, CHECK when it does not (re-run the "
            "calculator or `python -m compounding verify` on this file).")
    put_text(ws, 2, 1, note, font=st.SMALL)
    merge(ws, 2, 1, 2, 6)
    fit_row(ws, 2, [(note, 120)], 11)
    put_text(ws, 3, 1, identity, font=st.SMALL)
    merge(ws, 3, 1, 3, 6)
    row = 5
    for i, (head, _) in enumerate(CALC_COLUMNS, 1):
        put_text(ws, row, i, head, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
    ws.print_title_rows = f"{row}:{row}"
    rows: dict[str, int] = {}
    wb = ws.parent
    exact = _core_values.setdefault(wb, {})
    for section in sections:
        row += 1
        from ._pages import mark

        mark(ws, row)  # each section kept on one page
        put_text(ws, row, 1, section.title, font=st.BOLD, fill=st.SECTION_FILL, align=st.TOP)
        for col in range(2, 7):
            restyle(ws.cell(row=row, column=col), fill=st.SECTION_FILL)
        merge(ws, row, 1, row, 6)
        for line in section.lines:
            row += 1
            rows[line.name] = row
            _write_line(ws, row, line)
            if line.kind in ("calc", "text"):
                exact[(ws.title, row, 2)] = _exact(line)
            col = get_column_letter(KEY_COL) if line.kind == "choice" else "B"
            wb.defined_names[line.name] = DefinedName(line.name, attr_text=f"'{ws.title}'!${col}${row}")
    _status_colours(ws, f"E6:E{row}")
    from ._status import define_checks

    define_checks(ws, 6, row)
    trim_zeros(ws, 6, row, [line for sec in sections for line in sec.lines])
    return rows


#: workbook → {(sheet, row, col): the core's exact value of a formula cell}: the cached value a
#: formula is saved with is the core's own number, not the spreadsheet's binary approximation
_core_values: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def _exact(line: Line) -> Any:
    from ._evaluate import serial

    if line.core is None:
        return "" if line.kind == "text" else None
    if line.is_date:
        return serial(line.core)
    if line.kind == "text" or isinstance(line.core, str):
        return str(line.core)
    return Fraction(line.core)


def core_values(wb) -> dict:
    """{(sheet, row, col): the core's exact value} of the workbook's Calculations formulas."""
    return dict(_core_values.get(wb, {}))


def _write_line(ws: Worksheet, r: int, line: Line) -> None:
    put_text(ws, r, 1, line.label, border=st.BOX)
    # a percentage's number format already prints "%" (a ratio shown ×100): the unit column stays blank
    put_text(ws, r, 3, line.unit if line.unit not in ("date", "%") else "", border=st.BOX)
    put_text(ws, r, 6, line.how, font=st.SMALL, border=st.BOX)
    fit_row(ws, r, [(line.label, CALC_COLUMNS[0][1]), (line.how, CALC_COLUMNS[5][1] * 1.25)])
    fmt = number_format(line)
    if line.kind == "choice":
        shown = line.core if line.shown is None else line.shown
        put_text(ws, r, 2, shown, border=st.BOX, align=st.TOP)
        put_text(ws, r, 4, shown, border=st.BOX, align=st.TOP)
        put_text(ws, r, KEY_COL, line.core)  # what the calculator reads back (hidden column)
        put_formula(ws, r, 5, f'=IF(B{r}=D{r},"OK","CHECK")', align=st.CENTER, border=st.BOX)
        return
    if line.kind == "text":
        put_formula(ws, r, 2, line.formula, align=st.TOP, border=st.BOX)
        put_text(ws, r, 4, line.core, border=st.BOX, align=st.TOP)
        put_formula(ws, r, 5, f'=IF(B{r}=D{r},"OK","CHECK")', align=st.CENTER, border=st.BOX)
        return
    if line.kind == "input":
        put_value(ws, r, 2, line.core, fmt, entry=True, align=st.RIGHT)
    else:
        put_formula(ws, r, 2, line.formula, fmt, border=st.BOX, align=st.RIGHT)
    if line.core is None:
        restyle(ws.cell(row=r, column=4), border=st.BOX)
        check = f'=IF(ISNUMBER(B{r}),"CHECK","OK")'
    else:
        put_value(ws, r, 4, line.core, fmt, border=st.BOX, align=st.RIGHT)
        check = f'=IF(ISNUMBER(B{r}),IF(ABS(B{r}-D{r})<={line.tolerance!r},"OK","CHECK"),"CHECK")'
    put_formula(ws, r, 5, check, align=st.CENTER, border=st.BOX)
    if not line.is_date:
        # display helpers for trim_zeros: places shown, and 2 for a percentage (hidden columns)
        put_value(ws, r, PLACES_COL, line.shown_places, "0")
        put_value(ws, r, PLACES_COL + 1, 2 if line.unit == "%" else 0, "0")


PLACES_COL = 7  # hidden columns G (decimal places shown) and H (2 for a percentage) of Calculations
KEY_COL = 9  # hidden column I: the key of a choice (its words are in B and D)


def trim_zeros(ws: Worksheet, first_row: int, last_row: int, lines: Sequence[Line]) -> None:
    """Conditional number formats that drop trailing zeros ("4.5 mg", never "4.50 mg": domain.md §9)
    while the cells keep full precision; Excel and LibreOffice both honour them.

    One small set of rules covers columns B-D of the whole sheet: each row's places come from the
    hidden helper columns, so a rule per row (slow to write, slow to open) is not needed.
    """
    places = [line.shown_places for line in lines if not line.is_date and line.kind in ("input", "calc")]
    g = get_column_letter(PLACES_COL)
    h = get_column_letter(PLACES_COL + 1)
    for col in (PLACES_COL, PLACES_COL + 1, KEY_COL):
        ws.column_dimensions[get_column_letter(col)].hidden = True
    cells = f"B{first_row}:D{last_row}"
    for percent in (False, True):
        for k in range(max(places, default=0)):
            code = ("0" if k == 0 else "0." + "0" * k) + ("%" if percent else "")
            dxf = DifferentialStyle(numFmt=NumberFormat(numFmtId=164 + k + (20 if percent else 0), formatCode=code))
            shift = f"${h}{first_row}"
            formula = (f"AND(ISNUMBER(B{first_row}),{shift}={2 if percent else 0},${g}{first_row}>{k},"
                       f"ROUND(B{first_row},${g}{first_row}+{shift})=ROUND(B{first_row},{k}+{shift}))")
            ws.conditional_formatting.add(cells, Rule(type="expression", dxf=dxf, stopIfTrue=True, formula=[formula]))


def _status_colours(ws: Worksheet, cells: str) -> None:
    first = cells.split(":")[0]
    for word, fill in (("OK", st.OK_FILL), ("PASS", st.OK_FILL), ("CHECK", st.BAD_FILL), ("FAIL", st.BAD_FILL)):
        ws.conditional_formatting.add(cells, FormulaRule(formula=[f'{first}="{word}"'], fill=fill))
    ws.conditional_formatting.add(cells, FormulaRule(formula=[f'LEFT({first},5)="BELOW"'], fill=st.BAD_FILL))


status_colours = _status_colours


# --- print, protection, identity -------------------------------------------------------------------

def header_text(value: Any) -> str:
    """Text for a print header: '&' starts a header code, so it is doubled."""
    return clean_text(value).replace("&", "&&")[:120]


def printable(ws: Worksheet, area: str, left: str, right: str, *, paper: str = "A4",
              footer_left: str = "") -> None:
    """Portrait, one page wide, header with preparation and lot, footer "Page N of M"."""
    ws.print_area = area
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_LETTER if paper.lower() == "letter" else ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    for hf in (ws.oddHeader, ws.firstHeader):
        hf.left.text = header_text(left)
        hf.left.size = 9
        hf.right.text = header_text(right)
        hf.right.size = 9
    for hf in (ws.oddFooter, ws.firstFooter):
        hf.left.text = header_text(footer_left)
        hf.left.size = 7
        hf.right.text = "Page &P of &N"
        hf.right.size = 9


def protect(ws: Worksheet) -> None:
    """Lock the sheet against accidental edits (no password: this guards against slips, not people).

    Entry cells were written unlocked; column widths and row heights stay adjustable for printing.
    """
    p = ws.protection
    p.sheet = True
    p.formatColumns = False
    p.formatRows = False
    p.selectLockedCells = False
    p.selectUnlockedCells = False


def canonical(value: Any) -> Any:
    """A value as the record hash sees it: exact fractions as "n/d", dates as ISO text (the core's rule,
    :func:`compounding.record.canonical_value`)."""
    from ..record import canonical_value

    return canonical_value(value)


def record_hash(kind: str, sections: Sequence[Section], extra: Any = None) -> str:
    """SHA-256 of the record's inputs and results (every line's name and exact value), by the core's
    canonical JSON (:mod:`compounding.record`)."""
    from ..record import digest

    return digest({"kind": kind, "lines": [[line.name, canonical(line.core)] for s in sections for line in s.lines],
                   "extra": extra})


def identity_text(kind: str, digest: str) -> str:
    return (f"LDN compounding calculator {ENGINE_VERSION} · {kind} record · SHA-256 of inputs and "
            f"results: {digest}")


def set_properties(wb, *, kind: str, title: str, digest: str, lot: str = "") -> None:
    from openpyxl.packaging.custom import StringProperty

    p = wb.properties
    p.creator = f"LDN compounding calculator {ENGINE_VERSION}"
    p.title = clean_text(title)[:250]
    p.subject = f"{kind} compounding record" + (f", lot {clean_text(lot)}" if lot else "")
    p.keywords = f"compounding; low-dose naltrexone; sha256:{digest}"
    p.description = (f"Engine {ENGINE_VERSION}. SHA-256 of inputs and results {digest}. "
                     "Check with: python -m compounding verify FILE.xlsx")
    for name, value in (("engine_version", ENGINE_VERSION), ("record_kind", kind), ("sha256", digest)):
        wb.custom_doc_props.append(StringProperty(name=name, value=value))


def check_record_fields(fields: dict[str, Any]) -> dict[str, str]:
    """The record fields given, as text; an unknown name is refused with the allowed ones, and so
    is text that would not print as typed: longer than the field holds (never cut silently), a
    control character (garbage on paper), a line break in a one-line field, or a bidirectional
    override, embedding or isolate (it reverses or reorders the text printed after it; names in
    right-to-left scripts print correctly without them)."""
    unknown = sorted(set(fields) - set(RECORD_FIELDS))
    if unknown:
        raise InputError("is not a record field", field=unknown[0], allowed=", ".join(RECORD_FIELDS))
    out = {}
    for key, value in fields.items():
        if value is not None and str(value) != "":
            out[key] = _field_text(key, str(value))
    return out


_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _field_text(key: str, text: str) -> str:
    from ._fields import FIELD_LIMIT, FIELD_LIMITS, MULTILINE

    multiline = key in MULTILINE
    text = text.replace("\r\n", "\n")
    limit = FIELD_LIMITS.get(key, FIELD_LIMIT)
    if len(text) > limit:
        raise InputError(f"is {len(text):,} characters long: the record would have to cut it", field=key,
                         value=f"{text[:40]}…", allowed=f"at most {limit:,} characters")
    lines = "line breaks and printable characters" if multiline else "one line of printable characters"
    for ch in text:
        if ch == "\n" and multiline:
            continue
        if unicodedata.category(ch) == "Cc":
            what = "a line break" if ch in "\r\n" else f"the control character U+{ord(ch):04X}"
            raise InputError(f"holds {what}, which does not print", field=key, value=text[:80], allowed=lines)
        if _BIDI_CONTROLS.match(ch):
            raise InputError(f"holds the direction control U+{ord(ch):04X}, which reverses or reorders the text "
                             "printed after it", field=key, value=text[:80].encode("unicode_escape").decode(),
                             allowed=lines + " without direction overrides (right-to-left names print "
                                             "correctly without them)")
    return text


_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def check_names(sections: Sequence[Section]) -> None:
    """Defined names must be unique and plain (they are also Python identifiers in tests)."""
    seen: set[str] = set()
    for s in sections:
        for line in s.lines:
            if not _NAME_RE.match(line.name) or line.name in seen:
                raise ValueError(f"bad or repeated line name {line.name!r}")
            seen.add(line.name)


def finish(wb, *, kind: str, prep: str, record: dict[str, str], footer: str, digest: str, paper: str,
           print_cols: dict[str, int] | None = None, options: dict[str, Any] | None = None,
           allocation: Sequence[Sequence[Any]] | None = None) -> None:
    """Print setup and protection of every sheet, the document properties, what the record was
    exported with, each sheet's status cell, and every formula's value for the saved file.
    ``allocation``: rows of a worklist's *Allocation* sheet (header first), stored with the export
    options so verify builds the sheet again and names any cell changed."""
    from ._pages import paginate
    from ._status import add_status
    from ._writer import set_cached

    if allocation:
        allocation_sheet(wb.create_sheet(ALLOCATION_SHEET), allocation)
        options = {**(options or {}), "allocation": json.dumps([list(r) for r in allocation], ensure_ascii=False)}

    lot = record.get("lot_number", "")
    right = f"Lot / Rx: {lot}" if lot else "Lot / Rx: ____________"
    widths = {}
    for ws in wb.worksheets:
        widths[ws.title] = last_col = (print_cols or {}).get(ws.title, ws.max_column)
        printable(ws, f"A1:{get_column_letter(last_col)}{ws.max_row}", prep, right, paper=paper,
                  footer_left=f"{footer} · sha256 {digest[:16]}")
        paginate(ws, paper, last_col, ws.max_row)
        protect(ws)
    set_properties(wb, kind=kind, title=f"Compounding record: {prep}", digest=digest, lot=lot)
    store_export(wb[CALC_SHEET], dict(record), {"paper": paper, **(options or {})})
    set_cached(wb, add_status(wb, widths, _core_values.get(wb)).formulas())


ALLOCATION_SHEET = "Allocation"


def check_allocation(rows: Any) -> list[list[Any]]:
    """A worklist's allocation rows as the record stores them: text, numbers or blanks; else refused."""
    ok = isinstance(rows, (list, tuple)) and all(
        isinstance(r, (list, tuple)) and all(v is None or (isinstance(v, (str, int, float)) and not isinstance(v, bool))
                                             for v in r) for r in rows)
    if not ok:
        raise InputError("is not a table of allocations", field="allocation", value=str(rows)[:80],
                         allowed="rows (header first) of text, numbers or blanks")
    return [list(r) for r in rows]


def allocation_sheet(ws: Worksheet, rows: Sequence[Sequence[Any]]) -> None:
    """Who gets what from the batch: every text stays the text typed (never a formula)."""
    ws.sheet_view.showGridLines = False
    for r, values in enumerate(rows, 1):
        for c, v in enumerate(values, 1):
            if isinstance(v, str):
                put_raw_text(ws.cell(row=r, column=c), clean_text(v))
            elif v is not None:
                ws.cell(row=r, column=c).value = v
            if r == 1:
                restyle(ws.cell(row=r, column=c), font=st.BOLD, fill=st.HEADER_FILL)
    for c in range(1, max((len(v) for v in rows), default=0) + 1):
        longest = max((len(str(v[c - 1])) for v in rows if len(v) >= c and v[c - 1] is not None), default=8)
        ws.column_dimensions[get_column_letter(c)].width = min(max(longest + 2, 8), 40)


# --- what the record was exported with -----------------------------------------------------------

EXPORT_COL = 11  # hidden columns K (what) and L (value) of Calculations
EXPORT_NAME = "export_data"


def store_export(ws: Worksheet, record: dict[str, str], options: dict[str, Any]) -> None:
    """The record fields and options as exported, in hidden cells of *Calculations*: verify builds
    the expected record from them (a field filled in by hand later is not a change to the record)."""
    rows = [(f"record:{k}", v) for k, v in record.items()] + [
        (f"option:{k}", str(v)) for k, v in options.items() if v is not None]
    put_text(ws, 1, EXPORT_COL, "exported with")
    for r, (what, value) in enumerate(rows, 2):
        put_text(ws, r, EXPORT_COL, what)
        put_raw_text(ws.cell(row=r, column=EXPORT_COL + 1), value)  # exactly as typed
    for col in (EXPORT_COL, EXPORT_COL + 1):
        ws.column_dimensions[get_column_letter(col)].hidden = True
    k, v = get_column_letter(EXPORT_COL), get_column_letter(EXPORT_COL + 1)
    ws.parent.defined_names[EXPORT_NAME] = DefinedName(
        EXPORT_NAME, attr_text=f"'{ws.title}'!${k}$1:${v}${max(len(rows) + 1, 1)}")
    from openpyxl.packaging.custom import StringProperty

    ws.parent.custom_doc_props.append(StringProperty(name=EXPORT_HASH, value=export_digest(rows)))


EXPORT_HASH = "export_sha256"


def export_digest(rows: Sequence[tuple[str, str]]) -> str:
    """SHA-256 of the stored record fields and options (not part of the record's own hash: the
    same batch keeps its fingerprint whoever's name is on it)."""
    blob = json.dumps([list(r) for r in rows], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def read_export(wb) -> tuple[dict[str, str], dict[str, str], list[tuple[str, str]]]:
    """(record fields, options, the stored rows) written by :func:`store_export`."""
    record: dict[str, str] = {}
    options: dict[str, str] = {}
    rows: list[tuple[str, str]] = []
    if CALC_SHEET not in wb.sheetnames:
        return record, options, rows
    ws = wb[CALC_SHEET]
    for r in range(2, ws.max_row + 1):
        what = ws.cell(row=r, column=EXPORT_COL).value
        if not isinstance(what, str) or ":" not in what:
            break
        kind, key = what.split(":", 1)
        value = ws.cell(row=r, column=EXPORT_COL + 1).value
        value = "" if value is None else str(value)
        rows.append((what, value))
        (record if kind == "record" else options)[key] = value
    return record, options, rows


def status_text(ws: Worksheet, coordinate: str) -> None:
    """Green for "… OK", red for "… CHECK" (a status cell)."""
    for word, fill in (("OK", st.OK_FILL), ("CHECK", st.BAD_FILL)):
        ws.conditional_formatting.add(coordinate, FormulaRule(
            formula=[f'RIGHT({coordinate},{len(word)})="{word}"'], fill=fill))


def bud_lines(bud: Any, table_date: str) -> list[Line]:
    """The BUD and what limits it: ``table_date`` (USP <795> Table 4), the earliest expiry entered
    on Calculations, or an expiry typed in the record's ingredient table (the range
    ``component_expiries``; MIN skips its blank cells), whichever is earliest (USP <795>)."""
    from ._sheets import COMPONENT_NAMES, EXPIRIES

    limited = (f"USP <795> Table 4: {int(bud.table_days.magnitude)} days" if bud.capped_by_expiry is None
               else "the earliest component expiry entered on the Calculations sheet")
    return [
        Line("bud_date", "Beyond-use date", "date", bud.date, f"MIN({table_date},earliest_expiry,{EXPIRIES})",
             "compounding date + days, never past the earliest component expiry (Calculations or ingredient table)"),
        Line("bud_limited_by", "The beyond-use date is set by", "", limited,
             f'IF(bud_date={table_date},"USP <795> Table 4: "&bud_table_days&" days",'
             f'IF(AND(COUNT({EXPIRIES})>0,MIN({EXPIRIES})=bud_date),'
             f'"the expiry of "&INDEX({COMPONENT_NAMES},MATCH(bud_date,{EXPIRIES},0)),'
             '"the earliest component expiry entered on the Calculations sheet"))',
             "the earliest of Table 4 and every expiry entered", kind="text"),
    ]


def expiries_read_back(values: dict[str, Any]) -> list[Any]:
    """The component expiries of a record read back: the Calculations input and every expiry typed
    in the ingredient table (blank cells skipped; a number is a spreadsheet date)."""
    from ._evaluate import EPOCH
    from ._sheets import EXPIRIES

    out = []
    for v in [values.get("earliest_expiry"), *(values.get(EXPIRIES) or [])]:
        if v is None or v == "":
            continue
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = EPOCH + dt.timedelta(days=int(v))
        out.append(v.date() if isinstance(v, dt.datetime) else v)
    return out


OPIOID_WARNING = ("Do not take with opioid medicines; tell your doctor before any procedure that needs "
                  "opioid pain relief.")
