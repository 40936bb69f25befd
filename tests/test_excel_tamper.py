"""Every printed page is covered (issue 10, items 1 and 3): an edit to any cell of any sheet of any
record kind that is not a cell to fill in is named by verify, by its cell (or, for what the
calculator reads back, by the hash it breaks). The list of cells comes from the workbook itself.

In memory: the file is read once with openpyxl, each cell is changed in place and
:func:`compounding.verify.inspect` run on the workbook (no save, no LibreOffice); cells that feed
the recomputation are changed one at a time, the others in batches of cells on different rows
(each must be named on its own).
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from compounding.excel import RECORD_FIELDS, workbook_bytes
from compounding.verify import inspect, verify_workbook
from tests.excel_support import KIND_OPTIONS, named_cell, record_kinds

KINDS = record_kinds()
FIELDS = {key: f"{label} Q" for key, label in RECORD_FIELDS.items() if key != "notes"}
HASHES = {"hash of inputs and results", "hash of the record fields as exported"}


def _load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)), openpyxl.load_workbook(io.BytesIO(data), data_only=True)


def _is_entry(cell) -> bool:
    return cell.has_style and not cell.protection.locked


def _targets(wb) -> list[tuple[str, str]]:
    """Every cell holding something that is not a cell to fill in, on every sheet."""
    return [(ws.title, c.coordinate) for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.value is not None and not _is_entry(c)]


def _read_back(wb) -> set[tuple[str, str]]:
    """Cells the recomputation reads (the choices' keys, hidden column I of Calculations) and the
    record fields stored at export (hidden K and L): edited one at a time."""
    ws = wb["Calculations"]
    return {("Calculations", c.coordinate) for row in ws.iter_rows(min_col=9, max_col=12) for c in row
            if c.value is not None}


def _tampered(value):
    if value is None:  # a saved result "" reads back as a blank
        return "tampered"
    if isinstance(value, str):
        return "tampered" if value.startswith("=") else value + " (edited)"
    if isinstance(value, bool):
        return not value
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(days=365)
    if isinstance(value, int):
        return value + 1
    return value * 1.5 + 1


def _batches(cells: list[tuple[str, str]], size: int = 40) -> list[list[tuple[str, str]]]:
    """Groups of cells with no two on the same row of a sheet."""
    batches: list[list] = []
    rows: list[set] = []
    for sheet, coord in cells:
        row = (sheet, openpyxl.utils.cell.coordinate_from_string(coord)[1])
        for batch, used in zip(batches, rows):
            if len(batch) < size and row not in used:
                batch.append((sheet, coord))
                used.add(row)
                break
        else:
            batches.append([(sheet, coord)])
            rows.append({row})
    return batches


def _check(formulas, values, cells, *, book=None) -> list[str]:
    """Edit ``cells`` (in ``book``: the formulas, or the saved results), run verify, restore;
    return the cells verify did not name."""
    book = book or formulas
    old = {k: (book[k[0]][k[1]].value, book[k[0]][k[1]].data_type) for k in cells}
    for (sheet, coord), (value, _) in old.items():
        book[sheet][coord].value = _tampered(value)
    try:
        report = inspect(formulas, values)
    finally:
        for (sheet, coord), (value, data_type) in old.items():
            book[sheet][coord].value = value
            book[sheet][coord].data_type = data_type  # text starting with "=" stays text
    named = {f.cell for f in report.findings}
    broken = any(f.what in HASHES or f.what == "inputs refused by the calculator" for f in report.findings)
    return [f"{s}!{c}" for s, c in cells if f"{s}!{c}" not in named and not (broken and len(cells) == 1)]


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_edit_of_every_sheet_is_named(kind):
    formulas, values = _load(workbook_bytes(KINDS[kind], **FIELDS, **KIND_OPTIONS.get(kind, {})))
    assert inspect(formulas, values).ok
    targets = _targets(formulas)
    sheets = {s for s, _ in targets}
    assert sheets == set(formulas.sheetnames) and len(targets) > 300
    alone = _read_back(formulas)
    missed = []
    for cell in sorted(c for c in targets if c in alone):
        missed += _check(formulas, values, [cell])
    for batch in _batches([c for c in targets if c not in alone]):
        missed += _check(formulas, values, batch)
    assert missed == []
    assert inspect(formulas, values).ok  # everything restored


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_saved_formula_result_is_checked(kind):
    """A viewer that does not recalculate shows the saved results: each one changed is named."""
    formulas, values = _load(workbook_bytes(KINDS[kind], **FIELDS, **KIND_OPTIONS.get(kind, {})))
    cells = [(ws.title, c.coordinate) for ws in formulas.worksheets for row in ws.iter_rows() for c in row
             if c.data_type == "f"]
    assert len(cells) > 50
    missed = []
    for batch in _batches(cells):
        missed += _check(formulas, values, batch, book=values)
    assert missed == []


# --- the QA reviewer's edits (issue 10, item 1), each saved to a file as a person would --------------

def _edited(result, edit, **fields) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(result, lot_number="L-1", **fields)))
    edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _row_of(ws, label: str, col: int = 1) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=col).value == label)


def _cells_named(data: bytes) -> set[str]:
    report = verify_workbook(data)
    assert not report.ok
    return {f.cell for f in report.findings}


def _set(sheet: str, coord: str, value):
    def edit(wb):
        wb[sheet][coord].value = value
    return edit


def _label_cell(wb, label: str) -> str:
    return f"B{_row_of(wb['Label'], label)}"


@pytest.mark.parametrize("case", ["active", "concentration", "bud", "opioid", "pass", "tolerance", "yield", "chart",
                                  "lot"])
def test_the_reviewers_edits_are_named(case):
    cap, liq, tit = KINDS["capsules-api"], KINDS["liquid-tablets"], KINDS["titration-liquid"]
    probe = {k: openpyxl.load_workbook(io.BytesIO(workbook_bytes(r, lot_number="L-1")))
             for k, r in (("cap", cap), ("liq", liq), ("tit", tit))}
    rec = probe["cap"]["Compounding record"]
    active = f"C{_row_of(rec, 'Active')}"
    opioid = next(f"B{r}" for r in range(1, probe["cap"]["Label"].max_row + 1)
                  if "opioid" in str(probe["cap"]["Label"].cell(row=r, column=2).value))
    cases = {
        "active": (cap, _set("Compounding record", active, "weigh 2600 mg"), f"Compounding record!{active}"),
        "concentration": (liq, _set("Label", _label_cell(probe["liq"], "Preparation"),
                                    "NALTREXONE HCl 10 mg/mL oral liquid"),
                          f"Label!{_label_cell(probe['liq'], 'Preparation')}"),
        "bud": (cap, _set("Label", _label_cell(probe["cap"], "Beyond-use date"), dt.datetime(2028, 5, 21)),
                f"Label!{_label_cell(probe['cap'], 'Beyond-use date')}"),
        "opioid": (cap, _set("Label", opioid, None), f"Label!{opioid}"),
        "pass": (cap, _set("Weight check", "F12", "PASS"), "Weight check!F12"),
        "tolerance": (cap, _set("Weight check", "D7", 0.5), "Weight check!D7"),
        "yield": (liq, lambda wb: (setattr(named_cell(wb, "yield_low"), "value", 0.5),
                                   setattr(named_cell(wb, "yield_high"), "value", 1.5)), None),
        "chart": (tit, _set("Patient chart", "D20", "45 mL"), "Patient chart!D20"),
        "lot": (cap, _set("Label", _label_cell(probe["cap"], "Internal lot / Rx number"), "L-2"),
                f"Label!{_label_cell(probe['cap'], 'Internal lot / Rx number')}"),
    }
    result, edit, cell = cases[case]
    named = _cells_named(_edited(result, edit))
    if case == "yield":  # the limits live on Calculations: reference data, checked against qc.toml
        wb = probe["liq"]
        assert {f"Calculations!{named_cell(wb, 'yield_low').coordinate}",
                f"Calculations!{named_cell(wb, 'yield_high').coordinate}"} <= named
    else:
        assert cell in named


def test_the_tolerance_is_reference_data_on_calculations():
    cap = KINDS["capsules-api"]
    report = verify_workbook(_edited(cap, lambda wb: setattr(named_cell(wb, "qc_mean_tolerance"), "value", 0.5)))
    assert [f.what for f in report.findings if f.name == "qc_mean_tolerance"] == ["input or reference data"]


@pytest.mark.parametrize("where", ["keywords", "description", "printed", "header"])
def test_the_hash_on_the_page_and_in_the_properties_is_checked(where):
    cap = KINDS["capsules-api"]
    data = workbook_bytes(cap, lot_number="L-1")
    digest = verify_workbook(data).digest
    fake = "0" * 64

    def edit(wb):
        if where == "keywords":
            wb.properties.keywords = f"compounding; low-dose naltrexone; sha256:{fake}"
        elif where == "description":
            wb.properties.description = wb.properties.description.replace(digest, fake)
        elif where == "printed":
            ws = wb["Compounding record"]
            cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and digest in c.value)
            cell.value = cell.value.replace(digest, fake)
        else:
            wb["Label"].oddHeader.right.text = "Lot / Rx: L-2"

    report = verify_workbook(_edited(cap, edit))
    assert not report.ok
    where_found = {f.cell for f in report.findings}
    expected = {"keywords": "document properties: Keywords", "description": "document properties: Description",
                "header": "Label"}.get(where)
    if expected:
        assert expected in where_found
    else:
        assert any(c.startswith("Compounding record!") for c in where_found)


def test_an_edited_input_is_listed_and_a_record_field_filled_in_is_a_note():
    cap = KINDS["capsules-api"]

    def edit(wb):
        named_cell(wb, "strength").value = 3
        named_cell(wb, "record_prescriber").value = "Dr Who"  # blank at export: filled in by hand
        named_cell(wb, "record_lot_number").value = "L-2"  # exported as L-1: changed

    report = verify_workbook(_edited(cap, edit))
    assert [(e.name, e.exported, e.in_file) for e in report.edited_inputs] == [("strength", 4.5, 3)]
    assert any("Prescriber filled in by hand" in n for n in report.notes)
    lot = [f for f in report.findings if f.name == "record_lot_number"]
    assert [(f.what, f.in_file, f.expected) for f in lot] == [("record field changed after export", "L-2", "L-1")]
    assert "Inputs edited after export" in str(report)
