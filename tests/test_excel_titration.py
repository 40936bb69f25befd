"""Titration plan workbooks, recalculated by LibreOffice: schedule dates, totals, capsules per
strength, dose volumes and liquid fills are live formulas that give the core's numbers; the dated
patient chart follows the stages; verify and PDF export work. One soffice run for the module."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from compounding.excel import workbook, write_workbook
from compounding.excel._titration import recompute, sections
from compounding.titration import plan_titration
from compounding.verify import verify_workbook
from tests.excel_support import assert_lines_agree, load_values, named_cell, recalculate_many

DATE = "2026-11-22"

PLANS = {
    "neuropathic-capsules": dict(preset="seed_neuropathic"),
    "slow-liquid": dict(preset="ldnrt_slow", form="liquid"),
    "explicit-liquid-overage": dict(stages="0.5mg:7,1mg:7,1.5mg:14,3mg:30", form="liquid",
                                    concentration="0.5 mg/mL", overage="10%"),
    "weekly-capsules": dict(preset="ldnrt_weekly"),
    "preserved-liquid": dict(stages="1mg:10,2mg:40", form="liquid", vehicle="fawcett_1997"),
}


def _plan(key):
    return plan_titration(start_date=DATE, **PLANS[key])


@pytest.fixture(scope="module")
def recalculated(soffice, tmp_path_factory):
    src, out = tmp_path_factory.mktemp("tit-src"), tmp_path_factory.mktemp("tit-out")
    jobs = {k: (_plan(k), write_workbook(_plan(k), src / f"{k}.xlsx", patient="J. Roe")) for k in PLANS}
    edited = openpyxl.load_workbook(jobs["slow-liquid"][1])
    named_cell(edited, "days_1").value = 7
    named_cell(edited, "start_date").value = dt.datetime(2027, 1, 4)
    edited.save(src / "edited.xlsx")
    jobs["edited"] = (None, src / "edited.xlsx")
    converted = recalculate_many([j[1] for j in jobs.values()], out, soffice)
    return {k: (j[0], j[1], load_values(p), p) for (k, j), p in zip(jobs.items(), converted)}


def _assert_lines_agree(plan, wb) -> None:
    assert_lines_agree(sections(plan), wb)


@pytest.mark.parametrize("key", list(PLANS))
def test_titration_formulas_agree_with_the_core(recalculated, key):
    plan, _, wb, path = recalculated[key]
    _assert_lines_agree(plan, wb)
    assert verify_workbook(path).ok


@pytest.mark.parametrize("key", list(PLANS))
def test_patient_chart_is_the_core_chart(recalculated, key):
    plan, _, wb, _ = recalculated[key]
    ws = wb["Patient chart"]
    for day in plan.chart:
        row = 5 + day.day
        date, dose, take = (ws.cell(row=row, column=c).value for c in (2, 3, 4))
        assert date.date() == day.date
        assert ws.cell(row=row, column=7).value == pytest.approx(float(day.dose.magnitude))
        from compounding.display import format_quantity

        assert dose == format_quantity(day.dose)
        if plan.form == "liquid":
            assert take == format_quantity(day.volume)
        else:
            assert take == f"1 capsule of {format_quantity(day.capsule)}"


def test_changed_stage_moves_dates_fills_and_chart(recalculated):
    _, src, wb, path = recalculated["edited"]
    from tests.excel_support import named_values

    core = recompute(named_values(openpyxl.load_workbook(src)))
    assert core.start_date == dt.date(2027, 1, 4) and core.stages[0].days == 7
    for sec in sections(core):
        for line in sec.lines:
            if line.kind == "calc" and line.name in {n for n in wb.defined_names}:
                got = named_cell(wb, line.name).value
                want = line.core
                if line.is_date:
                    assert got.date() == want, line.name
                else:
                    assert got == pytest.approx(float(want), abs=line.tolerance), line.name
    ws = wb["Patient chart"]
    assert ws.cell(row=6, column=2).value.date() == dt.date(2027, 1, 4)
    assert ws.cell(row=5 + 8, column=3).value == "2 mg"  # day 8: stage 2 now
    assert not verify_workbook(path).ok


def test_capsule_dispensing_summary_counts_per_strength():
    plan = _plan("neuropathic-capsules")
    wb = workbook(plan)
    assert wb.sheetnames == ["Titration plan", "Calculations", "Patient chart"]
    counts = {named_cell(wb, f"capsule_strength_{k}").value: k for k in range(1, 4)}
    assert set(counts) == {1.5, 3, 4.5}
    for ws in wb.worksheets:
        assert ws.protection.sheet and ws.page_setup.fitToWidth == 1
        assert ws.oddFooter.right.text == "Page &P of &N"
    assert wb["Patient chart"].print_title_rows.replace("$", "") == "5:5"  # the header repeats on each page


def test_titration_workbook_converts_to_pdf(libreoffice, tmp_path):
    pdf = libreoffice.to_pdf(write_workbook(_plan("slow-liquid"), tmp_path / "plan.xlsx", lot_number="T-1"))
    assert pdf.stat().st_size > 10_000
