"""``python -m compounding worklist`` through a subprocess: the CLI contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from tests.worklist_support import csv_bytes, row, xlsx_bytes

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compounding", "worklist", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_template_csv_and_xlsx_plan_cleanly(tmp_path):
    for name in ("t.csv", "t.xlsx"):
        r = run("template", str(tmp_path / name))
        assert r.returncode == 0, r.stderr
        p = run("plan", str(tmp_path / name), "--date", "2026-03-02", "--tablet-weight", "321mg", "--json")
        assert p.returncode == 0, p.stderr
        d = json.loads(p.stdout)
        assert d["prescriptions"] == 4
    wb = load_workbook(tmp_path / "t.xlsx")
    assert wb.sheetnames == ["worklist", "columns"]
    assert [c.value for c in wb["worklist"][1]][:3] == ["rx_number", "patient", "prescriber"]


def test_template_refuses_other_extensions(tmp_path):
    r = run("template", str(tmp_path / "t.ods"))
    assert r.returncode == 2 and "must end in .csv or .xlsx" in r.stderr


def test_plan_json_has_batches_with_allocation_and_needs(tmp_path):
    f = tmp_path / "w.csv"
    f.write_bytes(csv_bytes([row("R1", quantity="30"), row("R2", quantity="60"),
                             row("R3", "oral liquid", "1 mg/mL", "100 mL", dose="4.5 mg")]))
    r = run("plan", str(f), "--date", "2026-03-02", "--extra", "10%", "--json")
    assert r.returncode == 0 and r.stderr == ""
    d = json.loads(r.stdout)
    caps, liquid = d["batches"]
    # 90 ordered + 10 % (9) = 99 capsules; 100 mL at 1 mg/mL = 2 whole tablets
    assert caps["made"] == 99 and [a["rx_number"] for a in caps["allocation"]] == ["R1", "R2"]
    assert [a["quantity"] for a in caps["allocation"]] == [30, 60]
    assert liquid["allocation"][0]["dose_volume"] == {"value": 4.5, "unit": "mL"}
    assert liquid["calculation"]["tablets_to_use"] == 2
    needs = {n["kind"]: n["quantity"] for n in d["needs"]}
    assert needs["naltrexone_hcl_powder"] == {"value": 445.5, "unit": "mg"}
    assert needs["naltrexone_hcl_50mg_tablets"] == 2


def test_bad_rows_exit_2_with_one_stderr_line_per_bad_cell(tmp_path):
    f = tmp_path / "w.csv"
    f.write_bytes(csv_bytes([row("R1"), row("R2", strength="4,5 mg"), row("R3", form="pills"),
                             row("R4", due="2026-02-30")]))
    r = run("plan", str(f), "--date", "2026-03-02", "--json")
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("row 3, column strength: '4,5 mg': has a comma")
    assert lines[1].startswith("row 4, column form:") and lines[2].startswith("row 5, column due_date:")


def test_drop_bad_rows_plans_the_rest_and_lists_the_dropped(tmp_path):
    f = tmp_path / "w.csv"
    f.write_bytes(csv_bytes([row("R1"), row("R2", strength="45 mg")]))
    r = run("plan", str(f), "--date", "2026-03-02", "--drop-bad-rows", "--json")
    assert r.returncode == 0
    d = json.loads(r.stdout)
    assert d["dropped_rows"] == [{"row": 3, "column": "strength", "reason": d["dropped_rows"][0]["reason"]}]
    assert [a["rx_number"] for b in d["batches"] for a in b["allocation"]] == ["R1"]
    assert "dropped" in r.stderr


def test_a_file_that_is_not_a_worklist_exits_2_with_one_line(tmp_path):
    f = tmp_path / "w.csv"
    f.write_bytes(b"%PDF-1.4 not a worklist")
    r = run("plan", str(f))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "PDF" in r.stderr


def test_lots_file_problems_exit_2_naming_the_lots_row(tmp_path):
    f, lots = tmp_path / "w.csv", tmp_path / "lots.csv"
    f.write_bytes(csv_bytes([row("R1")]))
    lots.write_bytes(b"kind,lot,expiry,quantity\nnaltrexone_hcl_powder,A1,2027-01-01,lots\n")
    r = run("plan", str(f), "--date", "2026-03-02", "--lots", str(lots))
    assert r.returncode == 2 and r.stderr.startswith("lots row 2, column quantity:")


def test_plan_workbook_and_records_write_worklist_text_as_text(tmp_path):
    evil = '=HYPERLINK("http://evil.example","Ann")'
    f = tmp_path / "w.xlsx"
    f.write_bytes(xlsx_bytes([row("R1", patient=evil), row("R2", "oral liquid", "1 mg/mL", "50 mL", dose="1 mg",
                                                           directions="+1 mL if needed")]))
    lots = tmp_path / "lots.csv"
    lots.write_bytes(b"kind,lot,expiry,quantity\nnaltrexone_hcl_powder,A1,2027-12-31,100 mg\n")
    r = run("plan", str(f), "--date", "2026-03-02", "--xlsx", str(tmp_path / "plan.xlsx"), "--records",
            str(tmp_path / "rec"), "--lots", str(lots), "--pharmacy", "Test Pharmacy", "--pharmacy-contact", "1 Road")
    assert r.returncode == 0, r.stderr
    wb = load_workbook(tmp_path / "plan.xlsx")
    assert wb.sheetnames == ["Summary", "Batches", "Allocation", "Needs", "Stock"]
    cells = [c for row_ in wb["Allocation"].iter_rows() for c in row_]
    patient = next(c for c in cells if c.value == evil)
    assert patient.data_type == "s"
    assert next(c for c in cells if c.value == "+1 mL if needed").data_type == "s"
    assert not any(c.data_type == "f" for ws in wb.worksheets for r_ in ws.iter_rows() for c in r_)
    # 4.5 mg x 30 = 135 mg needed, 100 mg on hand: 35 mg short
    stock = [[c.value for c in r_] for r_ in wb["Stock"].iter_rows()]
    assert ["LDN-260302-001", "naltrexone_hcl_powder", "Naltrexone HCl powder (API)", None, 35, "mg"] in stock
    records = sorted(p.name for p in (tmp_path / "rec").iterdir())
    assert records == ["LDN-260302-001.xlsx", "LDN-260302-002.xlsx"]
    rec = load_workbook(tmp_path / "rec" / "LDN-260302-001.xlsx")
    alloc = rec["Allocation"]
    assert alloc["B2"].value == evil and alloc["B2"].data_type == "s"
    assert "Compounding record" in rec.sheetnames
