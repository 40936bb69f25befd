"""The record built again, and the cell-by-cell comparison :mod:`.verify` makes with the file."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from openpyxl.utils import get_column_letter

from ._evaluate import Evaluator, XLError

_MEMO: "OrderedDict[Any, Expected]" = OrderedDict()
_MEMO_SIZE = 4  # the same record checked again (a file and its recalculated copy) is built once


@dataclass
class Expected:
    """A record as the calculator writes it for these inputs: every cell, its settings, and the
    values its formulas must show for a given set of entries."""

    wb: Any
    cells: dict[str, dict[tuple[int, int], tuple[str, Any, str]]]  # sheet → (row, col) → (type, value, format)
    entries: dict[str, list[tuple[int, int]]]  # cells the pharmacy fills in
    labels: dict[str, dict[int, str]]  # sheet → row → the row's first words
    names: dict[tuple[str, str], str]  # (sheet, coordinate) → defined name
    values: "OrderedDict[Any, dict]" = field(default_factory=OrderedDict)

    def formula_values(self, entries: dict[tuple[str, int, int], Any]) -> dict[tuple[str, int, int], Any]:
        """The value of every formula once the pharmacy's ``entries`` are in their cells."""
        key = tuple(sorted((k, repr(v)) for k, v in entries.items()))
        hit = self.values.get(key)
        if hit is None:
            from ._common import core_values

            for (sheet, r, c), v in entries.items():
                self.wb[sheet].cell(row=r, column=c).value = v
            ev = Evaluator(self.wb, core_values(self.wb))
            hit = {}
            for sheet, cells in self.cells.items():
                for (r, c), (kind, _, _) in cells.items():
                    if kind == "f":
                        try:
                            hit[(sheet, r, c)] = ev.value(sheet, r, c)
                        except ValueError:  # an entry holding a formula this evaluator does not read
                            hit[(sheet, r, c)] = _UNKNOWN
            self.values[key] = hit
            while len(self.values) > 2:
                self.values.popitem(last=False)
        return hit


_UNKNOWN = object()


def expected_workbook(kind: str, result: Any, record: dict[str, str], options: dict[str, Any],
                      digest: str) -> Expected:
    """The record built from ``result``, whose SHA-256 (every input and result line) is ``digest``:
    the same digest, record fields and options give the same workbook, so it is built once."""
    from . import workbook

    key = (kind, digest, tuple(sorted(record.items())), tuple(sorted((k, repr(v)) for k, v in options.items())))
    hit = _MEMO.get(key)
    if hit is None:
        hit = _snapshot(workbook(result, **options, **record))
        _MEMO[key] = hit
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    return hit


def _snapshot(wb) -> Expected:
    cells: dict = {}
    entries: dict = {}
    labels: dict = {}
    for ws in wb.worksheets:
        sheet_cells, sheet_entries, sheet_labels = {}, [], {}
        for row in ws.iter_rows():
            for c in row:
                if c.has_style and not c.protection.locked:
                    sheet_entries.append((c.row, c.column))
                    continue
                if c.value is None:
                    continue
                sheet_cells[(c.row, c.column)] = (c.data_type, c.value, _fmt(c.number_format))
                if c.row not in sheet_labels and c.data_type == "s" and c.column <= 8:
                    sheet_labels[c.row] = str(c.value)[:60]
        cells[ws.title], entries[ws.title], labels[ws.title] = sheet_cells, sheet_entries, sheet_labels
    names = {}
    for name, dn in wb.defined_names.items():
        for sheet, coord in dn.destinations:
            names[(sheet, coord.replace("$", ""))] = name
    return Expected(wb, cells, entries, labels, names)


def _fmt(fmt: Any) -> str:
    """A number format as written by this calculator or LibreOffice (which escapes '-' as '\\-')."""
    text = str(fmt or "").strip().lower().replace("\\", "")
    return "" if text == "general" else text


def _constant(v: Any) -> Any:
    """A stored value as the spreadsheet means it: numbers exact, dates as day numbers, "" blank."""
    if isinstance(v, str) and v == "":
        return None
    if isinstance(v, XLError):
        return str(v)
    return Evaluator.constant(v)


def _same(a: Any, b: Any) -> bool:
    a, b = _constant(a), _constant(b)
    if isinstance(a, Fraction) and isinstance(b, Fraction) and not isinstance(a, bool) and not isinstance(b, bool):
        return abs(a - b) <= Fraction(1, 10 ** 9) * max(1, abs(b))
    return a == b


def compare(f, x: Expected, reported: set[str]) -> tuple[list, int]:
    """Every difference between the file ``f`` (verify's view of it) and the rebuilt record ``x``."""
    from .verify import Finding

    findings: list = []
    checked = 0
    entries = {(s, r, c): f.formulas[s].cell(row=r, column=c).value
               for s, cells in x.entries.items() if s in f.formulas.sheetnames for r, c in cells}
    values = x.formula_values(entries)
    for title in x.wb.sheetnames:
        if title not in f.formulas.sheetnames:
            findings.append(Finding(title, "", "sheet missing", None, title, title))
            continue
        n, more = _sheet(f, x, title, values, reported, Finding)
        checked += n
        findings += more
    for title in f.formulas.sheetnames:
        if title not in x.wb.sheetnames:
            findings.append(Finding(title, "", "sheet added", title, None, title))
    findings += _properties(f.formulas, x.wb, Finding)
    return findings, checked + len(x.wb.sheetnames)


def _sheet(f, x: Expected, title: str, values: dict, reported: set[str], Finding) -> tuple[int, list]:
    ws, vs, xws = f.formulas[title], f.values[title] if title in f.values.sheetnames else None, x.wb[title]
    expected = x.cells[title]
    skip = set(x.entries[title])
    found = {}
    for row in ws.iter_rows():
        for c in row:
            if c.value is not None and (c.row, c.column) not in skip:
                found[(c.row, c.column)] = c
    out = []
    checked = 0

    def add(r: int, col: int, what: str, have: Any, want: Any) -> None:
        coord = f"{get_column_letter(col)}{r}"
        where = f"{title}!{coord}"
        if where in reported:
            return
        name = x.names.get((title, coord), "")
        label = x.labels[title].get(r, "") or f"{title}, row {r}"
        out.append(Finding(where, name, what, have, want, label))

    for key in sorted(set(expected) | set(found)):
        checked += 1
        r, col = key
        want, cell = expected.get(key), found.get(key)
        have = None if cell is None else cell.value
        if want is None:
            add(r, col, "formula" if cell.data_type == "f" else "cell added", have, None)
            continue
        kind, value, fmt = want
        if kind == "f" or (cell is not None and cell.data_type == "f"):
            if cell is None or cell.data_type != "f" or kind != "f" or not _same_formula(have, value):
                add(r, col, "formula", have, value)
                continue
            cached = vs.cell(row=r, column=col).value if vs is not None else None
            should = values.get((title, r, col))
            if cached is not None and should is not _UNKNOWN and not _same(cached, should):
                add(r, col, "saved formula result", cached, should)
        elif not _same(have, value):
            add(r, col, "text" if isinstance(value, str) else "value", have, value)
            continue
        if cell is not None and not _format_agrees(cell.number_format, fmt):
            add(r, col, "number format", cell.number_format, fmt or "General")
    out += _settings(ws, xws, title, Finding)
    return checked, out


def _same_formula(a: Any, b: Any) -> bool:
    """The same formula: parsed alike (numbers by value, so LibreOffice's 0 for 0.0 or 0.00005 for
    5e-05 agree), else the same text once spaces, '$' and case are set aside."""
    from ._evaluate import Unsupported, parse
    from .verify import _norm_formula

    if _norm_formula(a) == _norm_formula(b):
        return True
    try:
        return _plain(parse(str(a), "")) == _plain(parse(str(b), ""))
    except (Unsupported, ValueError, AttributeError):
        return False


def _plain(node) -> Any:
    """A parsed formula without the '$' marks of its references."""
    if node[0] == "ref":
        return node[:6]
    if node[0] == "bin":
        return ("bin", node[1], _plain(node[2]), _plain(node[3]))
    if node[0] == "neg":
        return ("neg", _plain(node[1]))
    if node[0] == "call":
        return ("call", node[1], [_plain(a) for a in node[2]])
    return node


_NUMERIC_FORMAT = re.compile(r"[0#.,%]*")


def _format_agrees(have: Any, want: str) -> bool:
    """The file's number format is the one written; where that is General, LibreOffice gives a
    formula the format of the cell it shows ("0"): a purely numeric format is accepted there, never
    one with text in it (which could show words in place of the value)."""
    have = _fmt(have)
    return have == want or (want == "" and _NUMERIC_FORMAT.fullmatch(have) is not None)


def _settings(ws, xws, title: str, Finding) -> list:
    """Hidden rows and columns, print area and title rows, page headers and footers, protection."""
    out = []

    for what, have, want in (
            ("hidden columns", _hidden_columns(ws), _hidden_columns(xws)),
            ("hidden rows", _hidden_rows(ws), _hidden_rows(xws)),
            ("print area", _area(ws.print_area), _area(xws.print_area)),
            ("rows printed on every page", _area(ws.print_title_rows), _area(xws.print_title_rows)),
            ("page header", _header(ws.oddHeader), _header(xws.oddHeader)),
            ("page footer", _header(ws.oddFooter), _header(xws.oddFooter)),
            ("sheet protection", bool(ws.protection.sheet), bool(xws.protection.sheet))):
        if have != want:
            out.append(Finding(title, "", what, have, want, f"{title}: {what}"))
    return out


def _hidden_columns(ws) -> list[str]:
    """Hidden columns, each by its letter (a file may group neighbours in one entry: min to max)."""
    from openpyxl.utils import column_index_from_string

    out = set()
    for key, d in ws.column_dimensions.items():
        if d.hidden:
            first = d.min or column_index_from_string(key)
            out.update(range(first, max(d.max or first, first) + 1))
    return [get_column_letter(i) for i in sorted(out)]


def _hidden_rows(ws) -> list[int]:
    return sorted(k for k, d in ws.row_dimensions.items() if d.hidden)


def _area(area: Any) -> str:
    return str(area or "").replace("$", "").split("!")[-1]


def _header(hf) -> tuple[str, str, str]:
    return tuple((part.text or "") if part is not None else "" for part in (hf.left, hf.center, hf.right))


def _properties(wb, xwb, Finding) -> list:
    out = []
    from .verify import _words

    for attr in ("title", "subject", "keywords", "description"):
        have, want = getattr(wb.properties, attr), getattr(xwb.properties, attr)
        same = _words(have) == _words(want) if attr == "keywords" else (have or "") == (want or "")
        if not same:
            out.append(Finding(f"document properties: {attr.capitalize()}", "", "document property", have, want,
                               f"Document property {attr}"))
    mine = {p.name: str(p.value) for p in getattr(wb.custom_doc_props, "props", [])}
    for p in getattr(xwb.custom_doc_props, "props", []):
        if p.name != "sha256" and mine.get(p.name) != str(p.value):  # sha256: verify's own finding
            out.append(Finding(f"document properties: {p.name}", p.name, "document property", mine.get(p.name),
                               str(p.value), f"Document property {p.name}"))
    return out


__all__ = ["Expected", "expected_workbook", "compare"]
