"""Verify an exported Excel record: read it back, recompute it with the core, report every difference.

``verify_workbook(path)`` returns a :class:`VerifyReport`; ``python -m compounding verify FILE``
prints it (exit 0 when everything agrees, 1 when something differs, 2 when the file cannot be read).

What is checked, for every named line of the *Calculations* sheet (the same lines the export
writes, built again from the recomputed result):

* the inputs in the named cells are fed to the core; reference data in the file (molecular weights,
  tablet strength, capsule volume, BUD days, a balance's MWQ) must equal the core's own;
* the calculator's value (column D) must equal the recomputed value;
* every derived quantity must still be the live formula the export wrote, and when the file carries
  cached results (it was saved by Excel or LibreOffice) each result must agree within display
  rounding;
* the SHA-256 of inputs and results in the document properties and on the sheet must match.
"""

from __future__ import annotations

import datetime as dt
import io
import importlib
import re
import zipfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .errors import CompoundingError, InputError

__all__ = ["Finding", "VerifyReport", "UnreadableWorkbook", "verify_workbook"]

_MODULES = {"capsules": "_capsules", "liquid": "_liquid", "titration": "_titration"}


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
    label: str = ""  # the line's label on the Calculations sheet ("Naltrexone HCl powder to weigh")
    unit: str = ""  # its unit as written there ("mg", "%" for a ratio shown as a percentage)
    detail: str = ""  # for refused inputs: the calculator's reason, without the internal field name

    def __str__(self) -> str:
        return (f"{self.cell} ({self.name}, {self.what}): the file has {_show(self.in_file)}, "
                f"the calculator gives {_show(self.expected)}")


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

    @property
    def ok(self) -> bool:
        return not self.findings

    def __str__(self) -> str:
        head = (f"{self.path}: {self.kind} record, written by engine {self.engine_version or 'unknown'}; "
                f"{self.checked} values compared with the core")
        if self.ok:
            lines = [head, "OK: every number agrees with the calculator."]
        else:
            lines = [head, f"DIFFERS: {len(self.findings)} value(s) do not agree:"]
            lines += [f"  {f}" for f in self.findings]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


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
        from .display import format_quantity

        return format_quantity(value)
    return repr(value)


def _load(source: str | Path | bytes):
    import openpyxl

    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        formulas = openpyxl.load_workbook(io.BytesIO(data))
        values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise UnreadableWorkbook(f"cannot be read as an .xlsx workbook ({type(exc).__name__}: {exc})",
                                 field="file", value=str(source)[:200] if not isinstance(source, bytes)
                                 else "<bytes>") from None
    return formulas, values


def _named_cells(wb) -> dict[str, tuple[str, str]]:
    """name → (sheet title, coordinate) for every single-cell defined name."""
    out = {}
    for name, dn in wb.defined_names.items():
        try:
            dests = list(dn.destinations)
        except Exception:  # noqa: BLE001 - an odd name is not ours
            continue
        if len(dests) == 1 and ":" not in dests[0][1]:
            sheet, coord = dests[0]
            if sheet in wb.sheetnames:
                out[name.lower()] = (sheet, coord.replace("$", ""))
    return out


def _named_ranges(wb) -> dict[str, list]:
    """name → the values of every multi-cell defined name (the record's expiry column)."""
    from openpyxl.utils import range_boundaries

    out = {}
    for name, dn in wb.defined_names.items():
        try:
            dests = list(dn.destinations)
        except Exception:  # noqa: BLE001 - an odd name is not ours
            continue
        if len(dests) == 1 and ":" in dests[0][1] and dests[0][0] in wb.sheetnames:
            ws = wb[dests[0][0]]
            c1, r1, c2, r2 = range_boundaries(dests[0][1].replace("$", ""))
            out[name.lower()] = [c.value for row in ws.iter_rows(min_row=r1, max_row=r2, min_col=c1, max_col=c2)
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
    return _FN_PREFIX.sub("", str(text)).lstrip("=").replace(" ", "").replace("$", "").upper()


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, Fraction):
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


def _label_and_unit(wb, names: dict[str, tuple[str, str]], name: str | None) -> tuple[str, str]:
    """The label (column A) and unit (column C) written beside a named cell of the Calculations sheet."""
    if name is None or name not in names:
        return "", ""
    sheet, coord = names[name]
    row = wb[sheet][coord].row
    label, unit = wb[sheet].cell(row=row, column=1).value, wb[sheet].cell(row=row, column=3).value
    return ("" if label is None else str(label)), ("" if unit is None else str(unit))


def _edited_inputs(wb, names: dict[str, tuple[str, str]], where) -> list[Finding]:
    """Inputs whose number (column B) differs from the value the record was calculated with (column D).

    Used when the core refuses the file's inputs, so nothing can be recomputed: the size of the
    edit itself (45 mg where 4.5 mg was exported) is what tells a ten-fold slip from a small one.
    """
    from .excel._common import CALC_SHEET

    out = []
    for name, (sheet, coord) in names.items():
        if sheet != CALC_SHEET:
            continue
        b = wb[sheet][coord]
        d = wb[sheet].cell(row=b.row, column=4).value
        x, y = _as_number(b.value), _as_number(d)
        if x is not None and y is not None and x != y:
            label, unit = _label_and_unit(wb, names, name)
            out.append(Finding(where(name), name, "input changed after export", b.value, d, label, unit))
    return out


def verify_workbook(source: str | Path | bytes) -> VerifyReport:
    """Read an exported record, recompute it with the core and compare every number."""
    from .excel._common import CALC_SHEET, ENGINE_VERSION, record_hash

    formulas, values = _load(source)
    names = _named_cells(formulas)
    kind = _prop(formulas, "record_kind")
    if kind is None and "record_kind" in names:
        sheet, coord = names["record_kind"]
        kind = formulas[sheet][coord].value
    if kind not in _MODULES:
        raise UnreadableWorkbook("is not a compounding record written by this calculator (no record kind)",
                                 field="file", value=str(source)[:200] if not isinstance(source, bytes) else "<bytes>")
    module = importlib.import_module(f".excel.{_MODULES[kind]}", __package__)

    def cell(name: str, book=formulas):
        sheet, coord = names[name]
        return book[sheet][coord]

    def where(name: str, column: str | None = None) -> str:
        sheet, coord = names[name]
        if column:
            coord = column + re.sub(r"^[A-Z]+", "", coord)
        return f"{sheet}!{coord}"

    inputs = {n: cell(n).value for n in names}
    inputs.update(_named_ranges(formulas))
    findings: list[Finding] = []
    notes: list[str] = []
    try:
        result = module.recompute(inputs)
    except CompoundingError as exc:
        name = exc.field if exc.field in names else None
        label, unit = _label_and_unit(formulas, names, name)
        reason = exc.message + (f" (allowed: {exc.allowed})" if exc.allowed else "")
        findings.append(Finding(where(name) if name else CALC_SHEET, exc.field or "inputs",
                                "inputs refused by the calculator", exc.value, str(exc), label, unit, reason))
        findings += _edited_inputs(formulas, names, where)
        return VerifyReport(str(source) if not isinstance(source, bytes) else "<bytes>", kind,
                            _prop(formulas, "engine_version"), _prop(formulas, "sha256"), "", 0,
                            tuple(findings))
    except (KeyError, TypeError) as exc:
        raise UnreadableWorkbook(f"lacks the input cell {exc}", field="file") from None

    sections = module.sections(result, **module.options(inputs))
    checked = 0
    cached_any = False
    for sec in sections:
        for line in sec.lines:
            if line.name not in names:
                findings.append(Finding(CALC_SHEET, line.name, "named cell missing", None, line.core,
                                        line.label, line.unit))
                continue
            b = cell(line.name)
            sheet, coord = names[line.name]
            row = b.row
            d_value = formulas[sheet].cell(row=row, column=4).value
            checked += 1
            if line.kind == "choice" and line.shown is not None:
                if d_value != line.shown:
                    findings.append(Finding(where(line.name, "D"), line.name, "calculator value", d_value,
                                            line.shown, line.label, line.unit))
            elif not _agrees(line, d_value, 0.0):
                findings.append(Finding(where(line.name, "D"), line.name, "calculator value", d_value, line.core,
                                        line.label, line.unit))
            if line.kind in ("input", "choice"):
                checked += 1
                if not _agrees(line, b.value, 0.0):
                    findings.append(Finding(where(line.name), line.name, "input or reference data",
                                            b.value, line.core, line.label, line.unit))
                continue
            expected_formula = "=" + line.formula.lstrip("=")
            if not (isinstance(b.value, str) and _norm_formula(b.value) == _norm_formula(expected_formula)):
                findings.append(Finding(where(line.name), line.name, "formula", b.value, expected_formula,
                                        line.label, line.unit))
                continue  # its "result" is whatever replaced the formula: reported once, as the formula
            cached = cell(line.name, values).value
            if cached is not None:
                cached_any = True
                checked += 1
                if not _agrees(line, cached, line.tolerance):
                    findings.append(Finding(where(line.name), line.name, "formula result", cached, line.core,
                                            line.label, line.unit))

    digest = record_hash(kind, sections)
    stored = _prop(formulas, "sha256")
    checked += 1
    if stored != digest:
        findings.append(Finding("document properties", "sha256", "hash of inputs and results", stored, digest,
                                FINGERPRINT))
    shown = formulas[CALC_SHEET]["A3"].value if CALC_SHEET in formulas.sheetnames else None
    if not (isinstance(shown, str) and digest in shown):
        findings.append(Finding(f"{CALC_SHEET}!A3", "sha256", "hash shown on the sheet", shown, digest, FINGERPRINT))
    if not cached_any:
        notes.append("the file holds no cached formula results (it has not been saved by a spreadsheet "
                     "since export): the formulas were checked as written, not their results")
    engine = _prop(formulas, "engine_version")
    if engine and engine != ENGINE_VERSION:
        notes.append(f"written by engine {engine}, checked with engine {ENGINE_VERSION}")
    return VerifyReport(str(source) if not isinstance(source, bytes) else "<bytes>", kind, engine, stored,
                        digest, checked, tuple(findings), tuple(notes))
