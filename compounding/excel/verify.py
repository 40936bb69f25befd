"""Verify an exported Excel record: rebuild it from its own inputs, compare every cell, report each
difference by its cell.

``verify_workbook(path)`` returns a :class:`VerifyReport`; ``python -m compounding verify FILE``
prints it (exit 0 when everything agrees, 1 when something differs, 2 when the file cannot be read).

1. The inputs in the named cells (and the expiries typed in the ingredient table) are fed to the
   core, which computes the result afresh.
2. The *Calculations* lines are checked as before: reference data in the file (molecular weights,
   tablet strength, QC limits …) must be the core's own, the calculator's values (column D) the
   recomputed ones, every derived quantity the live formula the export writes, within display
   rounding of its result.
3. The whole record is built again from that result, with the record fields and options stored
   at export, and compared cell by cell on every sheet: each text, number, date, formula, number
   format and saved formula result; hidden rows and columns, print areas, page headers and
   footers; the document properties (the SHA-256 in Keywords, Description and custom properties)
   and the hash printed on the pages. Cells the pharmacy fills in are not compared; the file's
   own entries are used to work out what the formulas that read them must show.
4. Record fields changed after export (a lot or patient other than the one exported) are findings;
   fields filled in by hand where the export left a blank are notes. Inputs edited after export are
   listed (``edited_inputs``) and every value that no longer follows is reported.
"""

from __future__ import annotations

import datetime as dt
import json
import io
import re
import zipfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import CompoundingError, InputError
from ._kinds import MODULES, kind_module

__all__ = ["Finding", "VerifyReport", "UnreadableWorkbook", "verify_workbook", "inspect"]


class UnreadableWorkbook(InputError):
    """The file is not an ``.xlsx`` record written by this calculator (CLI exit status 2)."""


@dataclass(frozen=True)
class Finding:
    """One disagreement: the cell, the line's name, what was compared, and both values."""

    cell: str
    name: str
    what: str
    in_file: Any
    expected: Any
    label: str = ""  # the line's label ("Naltrexone HCl powder to weigh"), or the row's words
    unit: str = ""  # its unit as written there ("mg", "%" for a ratio shown as a percentage)
    detail: str = ""  # for refused inputs: the calculator's reason, without the internal field name

    def __str__(self) -> str:
        return (f"{self.cell} ({self.label or self.name or 'cell'}, {self.what}): the file has "
                f"{_show(self.in_file)}, the calculator gives {_show(self.expected)}")


@dataclass(frozen=True)
class EditedInput:
    """An input whose cell no longer holds the value the record was exported with."""

    cell: str
    name: str
    label: str
    exported: Any
    in_file: Any  # what the cell holds now (not "now": no module but the entry points names the clock)

    def __str__(self) -> str:
        return f"{self.cell} ({self.label}): exported {_show(self.exported)}, now {_show(self.in_file)}"


@dataclass(frozen=True)
class VerifyReport:
    path: str
    kind: str
    engine_version: str | None  # the version that wrote the file
    digest_in_file: str | None
    digest: str  # recomputed
    checked: int  # values compared
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = field(default=())
    edited_inputs: tuple[EditedInput, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.findings

    def __str__(self) -> str:
        head = (f"{self.path}: {self.kind} record, written by engine {self.engine_version or 'unknown'}; "
                f"{self.checked} values compared with the core")
        if self.ok:
            lines = [head, "OK: every number agrees with the calculator, and every sheet is as exported."]
        else:
            lines = [head, f"DIFFERS: {len(self.findings)} value(s) do not agree:"]
            lines += [f"  {f}" for f in self.findings[:SHOWN]]
            if len(self.findings) > SHOWN:
                lines.append(f"  … and {len(self.findings) - SHOWN} more (--json lists every one)")
        if self.edited_inputs:
            lines.append("Inputs edited after export (every value that follows them was compared anew):")
            lines += [f"  {e}" for e in self.edited_inputs]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


SHOWN = 60  # findings printed; the JSON report lists all


def _show(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Fraction):
        return repr(float(value)) if value.denominator != 1 else str(value.numerator)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if value is None:
        return "a blank cell"
    if hasattr(value, "units") and hasattr(value, "magnitude"):  # a refused input as the core read it
        from ..display import format_quantity

        return format_quantity(value)
    return repr(value)


# --- reading the file ----------------------------------------------------------------------------

def _load(source: str | Path | bytes):
    import openpyxl

    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        formulas = openpyxl.load_workbook(io.BytesIO(data))
        values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise UnreadableWorkbook(f"cannot be read as an .xlsx workbook ({type(exc).__name__}: {exc})",
                                 field="file", value=_where(source)) from None
    return formulas, values


def _where(source: Any) -> str:
    return "<bytes>" if isinstance(source, (bytes, bytearray)) else str(source)[:200]


def _destinations(wb):
    for name, dn in wb.defined_names.items():
        try:
            dests = list(dn.destinations)
        except Exception:  # noqa: BLE001 - an odd name is not ours
            continue
        if len(dests) == 1 and dests[0][0] in wb.sheetnames:
            yield name.lower(), dests[0][0], dests[0][1].replace("$", "")


def _named_cells(wb) -> dict[str, tuple[str, str]]:
    """name → (sheet title, coordinate) for every single-cell defined name."""
    return {name: (sheet, coord) for name, sheet, coord in _destinations(wb) if ":" not in coord}


def _named_ranges(wb) -> dict[str, list]:
    """name → the values of every multi-cell defined name (the record's expiry column)."""
    from openpyxl.utils import range_boundaries

    out = {}
    for name, sheet, coord in _destinations(wb):
        if ":" in coord:
            c1, r1, c2, r2 = range_boundaries(coord)
            out[name] = [c.value for row in wb[sheet].iter_rows(min_row=r1, max_row=r2, min_col=c1, max_col=c2)
                         for c in row]
    return out


def _prop(wb, name: str) -> str | None:
    try:
        for p in wb.custom_doc_props.props:
            if p.name == name:
                return str(p.value)
    except AttributeError:
        pass
    return None


_FN_PREFIX = re.compile(r"_xlfn\.|_xlws\.", re.I)


def _norm_formula(text: Any) -> str:
    """A formula as written by this calculator, Excel or LibreOffice alike (LibreOffice writes the
    constants TRUE and FALSE as functions)."""
    out = _FN_PREFIX.sub("", str(text)).lstrip("=").replace(" ", "").replace("$", "").upper()
    return out.replace("TRUE()", "TRUE").replace("FALSE()", "FALSE")


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Fraction)):
        return float(value)
    return None


def _same_number(a: Any, b: Any, tolerance: float) -> bool:
    x, y = _as_number(a), _as_number(b)
    if x is None or y is None:
        return False
    return abs(x - y) <= max(tolerance, 1e-9 * max(1.0, abs(y)))


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def _agrees(line, value: Any, tolerance: float) -> bool:
    if line.core is None:
        return value is None or value == ""
    if line.is_date:
        return _as_date(value) == _as_date(line.core)
    if line.kind in ("choice", "text"):
        return ("" if value is None else str(value)) == ("" if line.core is None else str(line.core))
    return _same_number(value, line.core, tolerance)


FINGERPRINT = "Fingerprint of inputs and results (SHA-256)"


def _words(keywords: Any) -> list[str]:
    """Keywords as words (LibreOffice saves "a; b; sha256:x" as "a b sha256 x")."""
    return [w for w in re.split(r"[\s;:,]+", str(keywords or "")) if w]


class _File:
    """The workbook read back, with its named cells."""

    def __init__(self, formulas, values, path: str) -> None:
        self.formulas, self.values, self.path = formulas, values, path
        self.names = _named_cells(formulas)

    def cell(self, name: str, book=None):
        sheet, coord = self.names[name]
        return (book or self.formulas)[sheet][coord]

    def where(self, name: str, column: str | None = None) -> str:
        sheet, coord = self.names[name]
        if column:
            coord = column + re.sub(r"^[A-Z]+", "", coord)
        return f"{sheet}!{coord}"

    def label_and_unit(self, name: str | None) -> tuple[str, str]:
        """The label (column A) and unit (column C) written beside a named cell of Calculations."""
        from ._common import CALC_SHEET

        if name is None or name not in self.names or self.names[name][0] != CALC_SHEET:
            return "", ""
        ws = self.formulas[CALC_SHEET]
        row = ws[self.names[name][1]].row
        label, unit = ws.cell(row=row, column=1).value, ws.cell(row=row, column=3).value
        if not unit and str(ws[self.names[name][1]].number_format).endswith("%"):
            unit = "%"  # a percentage line prints its "%" in the number format, not in the unit column
        return ("" if label is None else str(label)), ("" if unit is None else str(unit))

    def edited_inputs(self) -> list[EditedInput]:
        """Inputs whose number (column B) differs from the value exported (column D)."""
        from ._common import CALC_SHEET

        out = []
        ws = self.formulas[CALC_SHEET] if CALC_SHEET in self.formulas.sheetnames else None
        for name, (sheet, coord) in self.names.items():
            if ws is None or sheet != CALC_SHEET or coord[0] != "B":
                continue
            b = ws[coord]
            d = ws.cell(row=b.row, column=4).value
            if b.protection.locked or b.value == d:
                continue
            x, y = _as_number(b.value), _as_number(d)
            dates = _as_date(b.value), _as_date(d)
            if (x is not None and y is not None and x != y) or (dates[1] is not None and dates[0] != dates[1]) \
                    or (y is not None and x is None):
                out.append(EditedInput(self.where(name), name, self.label_and_unit(name)[0], d, b.value))
        return out


def verify_workbook(source: str | Path | bytes) -> VerifyReport:
    """Read an exported record, recompute it with the core and compare every cell."""
    formulas, values = _load(source)
    return inspect(formulas, values, path=_where(source))


def inspect(formulas, values, *, path: str = "<workbook>") -> VerifyReport:
    """:func:`verify_workbook` for a workbook already read (``values``: loaded with ``data_only``)."""
    f = _File(formulas, values, path)
    kind = _prop(formulas, "record_kind")
    if kind is None and "record_kind" in f.names:
        kind = f.cell("record_kind").value
    if kind not in MODULES:
        raise UnreadableWorkbook("is not a compounding record written by this calculator (no record kind)",
                                 field="file", value=path)
    module = kind_module(kind)
    inputs: dict[str, Any] = {n: f.cell(n).value for n in f.names}
    inputs.update(_named_ranges(formulas))
    try:
        result = module.recompute(inputs)
    except CompoundingError as exc:
        return _refused(f, kind, exc)
    except (KeyError, TypeError, ValueError) as exc:  # a choice the calculator does not know, a cell missing
        missing = exc.args[0] if isinstance(exc, KeyError) and exc.args else None
        return _refused(f, kind, InputError("cannot be read back: a choice the calculator does not know, or a "
                                            "missing input cell", field=missing if isinstance(missing, str)
                                            else "inputs", value=str(exc)[:80]))

    options = module.options(inputs)
    sections = module.sections(result, **options)
    findings, reported, checked, cached_any = _lines(f, sections)
    findings, checked = _identity(f, kind, sections, findings, reported, checked)
    notes: list[str] = []
    from ._common import record_hash

    more, n = _rebuilt(f, kind, result, options, record_hash(kind, sections), reported, notes)
    findings += more
    checked += n
    if not cached_any:
        notes.append("the file holds no cached formula results (it was saved by a program that drops "
                     "them): the formulas were checked as written, not their results")
    from ._fields import ENGINE_VERSION

    engine = _prop(formulas, "engine_version")
    if engine and engine != ENGINE_VERSION:
        notes.append(f"written by engine {engine}, checked with engine {ENGINE_VERSION}")
    return VerifyReport(path, kind, engine, _prop(formulas, "sha256"), record_hash(kind, sections), checked,
                        tuple(findings), tuple(notes), tuple(f.edited_inputs()))


def _refused(f: _File, kind: str, exc: CompoundingError) -> VerifyReport:
    """The core refuses the file's inputs: nothing can be recomputed; the edits themselves tell
    a ten-fold slip from a small one (45 mg where 4.5 mg was exported)."""
    from ._common import CALC_SHEET

    name = exc.field if exc.field in f.names else None
    label, unit = f.label_and_unit(name)
    reason = exc.message + (f" (allowed: {exc.allowed})" if exc.allowed else "")
    findings = [Finding(f.where(name) if name else CALC_SHEET, exc.field or "inputs",
                        "inputs refused by the calculator", exc.value, str(exc), label, unit, reason)]
    edits = f.edited_inputs()
    for e in edits:
        label, unit = f.label_and_unit(e.name)
        findings.append(Finding(e.cell, e.name, "input changed after export", e.in_file, e.exported, label, unit))
    return VerifyReport(f.path, kind, _prop(f.formulas, "engine_version"), _prop(f.formulas, "sha256"), "", 0,
                        tuple(findings), (), tuple(edits))


def _lines(f: _File, sections) -> tuple[list[Finding], set[str], int, bool]:
    """The Calculations lines: reference data, the calculator's values, formulas and their results."""
    from ._common import CALC_SHEET

    findings: list[Finding] = []
    reported: set[str] = set()
    checked, cached_any = 0, False

    def add(cell: str, *args: Any) -> None:
        findings.append(Finding(cell, *args))
        reported.add(cell)

    for sec in sections:
        for line in sec.lines:
            if line.name not in f.names:
                add(CALC_SHEET, line.name, "named cell missing", None, line.core, line.label, line.unit)
                continue
            b = f.cell(line.name)
            sheet, _ = f.names[line.name]
            d_value = f.formulas[sheet].cell(row=b.row, column=4).value
            checked += 1
            shown = line.shown if line.kind == "choice" and line.shown is not None else None
            if (d_value != shown) if shown is not None else not _agrees(line, d_value, 0.0):
                add(f.where(line.name, "D"), line.name, "calculator value", d_value,
                    line.core if shown is None else shown, line.label, line.unit)
            if line.kind in ("input", "choice"):
                checked += 1
                if not _agrees(line, b.value, 0.0):
                    add(f.where(line.name), line.name, "input or reference data", b.value, line.core, line.label,
                        line.unit)
                continue
            expected_formula = "=" + line.formula.lstrip("=")
            if not (isinstance(b.value, str) and _norm_formula(b.value) == _norm_formula(expected_formula)):
                add(f.where(line.name), line.name, "formula", b.value, expected_formula, line.label, line.unit)
                continue  # its "result" is whatever replaced the formula: reported once, as the formula
            cached = f.cell(line.name, f.values).value
            if cached is not None:
                cached_any = True
                checked += 1
                if not _agrees(line, cached, line.tolerance):
                    add(f.where(line.name), line.name, "formula result", cached, line.core, line.label, line.unit)
    return findings, reported, checked, cached_any


def _identity(f: _File, kind: str, sections, findings: list[Finding], reported: set[str],
              checked: int) -> tuple[list[Finding], int]:
    """The record's SHA-256 in the document properties, in Keywords, on the sheet; and the hash of
    the record fields and options stored at export."""
    from ._common import CALC_SHEET, EXPORT_HASH, export_digest, read_export, record_hash

    digest = record_hash(kind, sections)
    props = f.formulas.properties
    for where, what, have, ok in (
            ("document properties", "hash of inputs and results", _prop(f.formulas, "sha256"),
             _prop(f.formulas, "sha256") == digest),
            ("document properties: Keywords", "hash in the Keywords property", props.keywords,
             digest in _words(props.keywords)),
            ("document properties: Description", "hash in the Description property", props.description,
             digest in (props.description or ""))):
        checked += 1
        if not ok:
            findings.append(Finding(where, "sha256", what, have, digest, FINGERPRINT))
    shown = f.formulas[CALC_SHEET]["A3"].value if CALC_SHEET in f.formulas.sheetnames else None
    checked += 1
    if not (isinstance(shown, str) and digest in shown):
        findings.append(Finding(f"{CALC_SHEET}!A3", "sha256", "hash shown on the sheet", shown, digest, FINGERPRINT))
        reported.add(f"{CALC_SHEET}!A3")
    rows = read_export(f.formulas)[2]
    checked += 1
    if _prop(f.formulas, EXPORT_HASH) != export_digest(rows):
        findings.append(Finding("document properties", EXPORT_HASH, "hash of the record fields as exported",
                                _prop(f.formulas, EXPORT_HASH), export_digest(rows), "Record fields as exported"))
    return findings, checked


def _rebuilt(f: _File, kind: str, result: Any, options: dict[str, Any], digest: str,
             reported: set[str], notes: list[str]) -> tuple[list[Finding], int]:
    """Build the record again and compare every sheet, cell, setting and property with the file."""
    from ._common import read_export
    from ._compare import compare, expected_workbook

    record, stored, _ = read_export(f.formulas)
    build: dict[str, Any] = {k: v for k, v in stored.items()
                             if k in ("paper", "capsule_weights", "patient_dose", "allocation")}
    build.update({k: str(v) for k, v in options.items()})
    try:
        if "capsule_weights" in build:
            build["capsule_weights"] = int(build["capsule_weights"])
        if "allocation" in build:
            build["allocation"] = json.loads(build["allocation"])
        expected = expected_workbook(kind, result, record, build, digest)
    except (CompoundingError, ValueError) as exc:
        return [Finding("workbook", "record", "record cannot be rebuilt", None, str(exc),
                        "The record as exported")], 0
    findings, checked = compare(f, expected, reported)
    findings += _record_fields(f, record, notes)
    return findings, checked


def _record_fields(f: _File, exported: dict[str, str], notes: list[str]) -> list[Finding]:
    from ._fields import RECORD_FIELDS

    out = []
    for key, label in RECORD_FIELDS.items():
        name = f"record_{key}"
        if name not in f.names:
            continue
        now = f.cell(name).value
        now = "" if now is None else str(now)
        was = exported.get(key, "")
        if now == was:
            continue
        if was == "":
            notes.append(f"{label} filled in by hand ({f.where(name)})")
        else:
            out.append(Finding(f.where(name), name, "record field changed after export", now, was, label))
    return out
