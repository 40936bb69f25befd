"""What the printed sheets say (issue 10, items 1-7): record fields entered once, directions from one
place, component expiries that limit the BUD, the patient's dose on the liquid label, what goes on
the balance for an aliquot, and a titration plan whose layout is checked."""

from __future__ import annotations

import io

import openpyxl
import pytest

from compounding.capsules import capsule_batch
from compounding.excel import RECORD_FIELDS, workbook, workbook_bytes
from tests.excel_support import DATE, named_cell, record_kinds

KINDS = record_kinds()


def _cells(wb):
    return [(ws.title, c) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def _shown(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data), data_only=True)


def _sheet_texts(ws) -> list[str]:
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


# --- record fields entered once (item 1) and directions from one place (item 4) --------------------

FIELDS = {key: f"{key.upper()}-Q7" for key in RECORD_FIELDS}


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_record_field_is_typed_in_one_cell_and_shown_everywhere_else_by_formula(kind):
    wb = workbook(KINDS[kind], **FIELDS)
    shown = _shown(workbook_bytes(KINDS[kind], **FIELDS))
    for key, text in FIELDS.items():
        typed = [(s, c.coordinate) for s, c in _cells(wb) if c.value == text]
        if key in ("pharmacy_contact", "directions") and kind.startswith("titration"):
            assert typed == []  # a titration plan has no label
            continue
        assert len(typed) == 1, (key, typed)
        sheet, coord = typed[0]
        assert not wb[sheet][coord].protection.locked
        assert named_cell(wb, f"record_{key}").coordinate == coord
        elsewhere = [(s, c.coordinate) for s, c in _cells(shown) if c.value == text and (s, c.coordinate) != typed[0]]
        for s, coordinate in elsewhere:  # every other place is a locked formula over the one cell
            assert wb[s][coordinate].value == f'=""&record_{key}' and wb[s][coordinate].protection.locked
        shared = ("patient",) if kind.startswith("titration") else ("patient", "lot_number", "prescriber",
                                                                       "pharmacy_name")
        if key in shared:
            assert elsewhere, key  # the label (the patient chart) shows it too


@pytest.mark.parametrize("kind", ["capsules-api", "liquid-tablets"])
def test_the_label_prints_the_prescribed_directions_only(kind):
    label = workbook(KINDS[kind], directions="Take 2 capsules at bedtime")["Label"]
    texts = _sheet_texts(label)
    assert "Take 2 capsules at bedtime" in texts
    assert not [t for t in texts if "as directed" in t or "Take one capsule" in t]


@pytest.mark.parametrize("kind", ["capsules-api", "liquid-tablets"])
def test_without_directions_the_label_has_a_blank_line_to_fill_by_hand(kind):
    label = workbook(KINDS[kind])["Label"]
    assert not [t for t in _sheet_texts(label) if "as directed" in t or "Take one capsule" in t]
    row = next(r for r in range(1, label.max_row + 1) if label.cell(row=r, column=1).value == "Directions")
    cell = label.cell(row=row, column=2)
    assert cell.value is None and not cell.protection.locked
    assert label.row_dimensions[row].height >= 30
