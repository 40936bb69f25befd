"""``compounding.verify`` and ``python -m compounding verify``: an untouched record passes, any number
changed is named by its cell, an unreadable file is exit status 2."""

from __future__ import annotations

import openpyxl
import pytest

from compounding.capsules import capsule_batch
from compounding.cli import main
from compounding.excel import workbook_bytes, write_workbook
from compounding.verify import UnreadableWorkbook, verify_workbook
from tests.excel_support import named_cell

DATE = "2026-11-22"


@pytest.fixture(scope="module")
def batch():
    return capsule_batch("4.5 mg", 90, extra="10%", source="api", capsule_size="1", fill_weight="270 mg",
                         api_fill_weight="350 mg", potency="98.5%", compounding_date=DATE)


@pytest.fixture
def record(batch, tmp_path):
    return write_workbook(batch, tmp_path / "record.xlsx", lot_number="L-1")


def _edit(path, dst, edit):
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(dst)
    return dst


def _row(wb, name):
    return named_cell(wb, name).row


def test_untouched_record_verifies(record, capsys):
    report = verify_workbook(record)
    assert report.ok and report.findings == ()
    assert report.kind == "capsules" and report.checked > 50
    assert report.digest == report.digest_in_file
    assert main(["verify", str(record)]) == 0
    assert "OK: every number agrees" in capsys.readouterr().out


def test_bytes_verify_too(batch):
    assert verify_workbook(workbook_bytes(batch)).ok


def test_one_calculator_value_changed_is_named_by_its_cell(record, tmp_path, capsys):
    def change(wb):
        ws = wb["Calculations"]
        ws.cell(row=_row(wb, "filler_to_weigh"), column=4).value = 26386.0

    bad = _edit(record, tmp_path / "bad.xlsx", change)
    row = _row(openpyxl.load_workbook(bad), "filler_to_weigh")
    report = verify_workbook(bad)
    assert [f.cell for f in report.findings] == [f"Calculations!D{row}"]
    assert report.findings[0].name == "filler_to_weigh"
    assert main(["verify", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"Calculations!D{row}" in out and "the file has 26386," in out and "DIFFERS" in out


def test_a_formula_overwritten_by_a_number_is_named(record, tmp_path):
    def change(wb):
        named_cell(wb, "capsules_to_make").value = 100

    bad = _edit(record, tmp_path / "bad.xlsx", change)
    row = _row(openpyxl.load_workbook(bad), "capsules_to_make")
    report = verify_workbook(bad)
    assert [(f.cell, f.what) for f in report.findings] == [(f"Calculations!B{row}", "formula")]


def test_changed_reference_data_is_named(record, tmp_path):
    def change(wb):
        named_cell(wb, "mw_weighed").value = 413.89  # the dihydrate's weight in an anhydrous record

    report = verify_workbook(_edit(record, tmp_path / "bad.xlsx", change))
    assert [f.name for f in report.findings] == ["mw_weighed"]
    assert report.findings[0].what == "input or reference data"


def test_an_edited_input_is_recomputed_and_every_stale_value_reported(record, tmp_path):
    def change(wb):
        named_cell(wb, "strength").value = 3

    report = verify_workbook(_edit(record, tmp_path / "bad.xlsx", change))
    names = {f.name for f in report.findings}
    assert {"drug_in_batch", "api_to_weigh", "filler_to_weigh", "blend_total", "sha256"} <= names
    # the input itself is what the core recomputed from; its calculator value (D) shows the exported 4.5
    strength = [f for f in report.findings if f.name == "strength"]
    assert [(f.what, f.in_file) for f in strength] == [("calculator value", 4.5)]


def test_inputs_the_core_refuses_are_reported_not_crashed(record, tmp_path, capsys):
    def change(wb):
        named_cell(wb, "strength").value = 45  # a ten-fold slip: outside the LDN range

    bad = _edit(record, tmp_path / "bad.xlsx", change)
    report = verify_workbook(bad)
    assert not report.ok and report.findings[0].what == "inputs refused by the calculator"
    assert main(["verify", str(bad)]) == 1


def test_recalculated_record_verifies_with_formula_results(libreoffice, record):
    report = verify_workbook(libreoffice.recalculate(record))
    assert report.ok, report
    assert report.notes == ()  # results were cached, so they were compared too
    # the exported file carries its formulas' results as well (issue 10.9): compared just the same
    exported = verify_workbook(record)
    assert exported.notes == () and exported.checked == report.checked


def test_unreadable_files_exit_2(tmp_path, capsys):
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook")
    with pytest.raises(UnreadableWorkbook):
        verify_workbook(text)
    assert main(["verify", str(text)]) == 2
    assert main(["verify", str(tmp_path / "missing.xlsx")]) == 2
    other = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(other)
    assert main(["verify", str(other)]) == 2
    err = capsys.readouterr().err
    assert "not a compounding record" in err


def test_json_report(record, capsys):
    import json

    assert main(["verify", str(record), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["kind"] == "capsules" and data["findings"] == []
