"""Proof that the test harness itself works: LibreOffice recalculation and PDF
export of openpyxl workbooks, and a real Chromium driving a Streamlit app."""

from __future__ import annotations

import textwrap
import time
import zipfile

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from tests.support import libreoffice as lo
from tests.support.browser import click_button, open_app, set_number_input


def _build_workbook(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Calc"
    ws["A1"] = 4.5  # e.g. dose in mg
    ws["B1"] = 0.1  # e.g. 10 % overage
    ws["C1"] = "=A1*B1"
    ws["D1"] = "=ROUNDUP(A1*(1+B1),0)"
    wb.defined_names["Overage"] = DefinedName("Overage", attr_text="Calc!$B$1")
    ws["C2"] = "=A1*(1+Overage)"
    ws["D2"] = "=CEILING(A1*1.37,0.5)"
    ws["E2"] = "=ROUND(A1/3,2)"
    ws["F2"] = '=IF(D1>4,"big","small")'
    wb.save(path)
    return path


EXPECTED = {"C1": 0.45, "D1": 5, "C2": 4.95, "D2": 6.5, "E2": 1.5, "F2": "big"}


def _values(path):
    ws = openpyxl.load_workbook(path, data_only=True)["Calc"]
    return {ref: ws[ref].value for ref in EXPECTED}


def test_openpyxl_alone_has_no_cached_values(tmp_path):
    src = _build_workbook(tmp_path / "plain.xlsx")
    assert set(_values(src).values()) == {None}


def test_libreoffice_recalculates_openpyxl_formulas(libreoffice, tmp_path):
    src = _build_workbook(tmp_path / "book.xlsx")
    started = time.monotonic()
    out = libreoffice.recalculate(src)
    elapsed = time.monotonic() - started
    print(f"LibreOffice recalculation took {elapsed:.2f}s")

    assert out.parent == libreoffice.out_dir and out.name == "book.xlsx"
    values = _values(out)
    for ref, expected in EXPECTED.items():
        if isinstance(expected, str):
            assert values[ref] == expected, ref
        else:
            assert values[ref] == pytest.approx(expected), ref
    # Formulas survive the round trip (only cached values were added).
    formulas = openpyxl.load_workbook(out)["Calc"]
    assert formulas["D1"].value == "=ROUNDUP(A1*(1+B1),0)"
    assert formulas["C2"].value == "=A1*(1+Overage)"
    assert lo.error_cells(openpyxl.load_workbook(out, data_only=True)) == []


def test_recalculation_ignores_stale_cached_values(libreoffice, tmp_path):
    """LibreOffice's default ("never recalculate on load") would keep the stale
    999 below; the helper's private profile forces a full recalculation."""
    src = _build_workbook(tmp_path / "fresh.xlsx")
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(stale, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<f>A1*B1</f><v />" in data
                data = data.replace(b"<f>A1*B1</f><v />", b"<f>A1*B1</f><v>999</v>")
            elif item.filename == "xl/workbook.xml":
                data = data.replace(b' fullCalcOnLoad="1"', b"")
            zout.writestr(item, data)
    assert openpyxl.load_workbook(stale, data_only=True)["Calc"]["C1"].value == 999

    out = libreoffice.recalculate(stale)
    assert openpyxl.load_workbook(out, data_only=True)["Calc"]["C1"].value == pytest.approx(0.45)


def test_error_cells_are_reported(libreoffice, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "=1/0"
    ws["A2"] = "=NoSuchName*2"
    ws["A3"] = "=1+1"
    wb.save(tmp_path / "errors.xlsx")
    values = libreoffice.load_values(tmp_path / "errors.xlsx")
    assert lo.error_cells(values) == ["Sheet!A1", "Sheet!A2"]
    assert values.active["A3"].value == 2


def test_recalculate_refuses_to_overwrite_input(libreoffice, tmp_path):
    src = _build_workbook(tmp_path / "same.xlsx")
    with pytest.raises(ValueError):
        libreoffice.recalculate(src, out_dir=tmp_path)


def test_workbook_to_pdf(libreoffice, tmp_path):
    src = _build_workbook(tmp_path / "report.xlsx")
    pdf = libreoffice.to_pdf(src)
    assert pdf == libreoffice.out_dir / "report.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert b"/Font" in data and len(data) > 1000


def test_to_pdf_failure_raises_with_output(libreoffice, tmp_path):
    bogus = tmp_path / "not-a-workbook.xlsx"
    bogus.write_bytes(b"this is not a zip file")
    with pytest.raises(lo.LibreOfficeError, match="soffice"):
        libreoffice.to_pdf(bogus)


TINY_APP = textwrap.dedent(
    """
    import streamlit as st

    st.title("Harness check")
    dose = st.number_input("Dose (mg)", min_value=0.0, max_value=50.0, value=1.0, step=0.5)
    if st.button("Compute"):
        st.markdown(f"Result: {dose * 2:.2f} mg")
    """
)


def test_streamlit_app_in_real_chromium(streamlit_factory, browser_page, tmp_path):
    from playwright.sync_api import expect

    script = tmp_path / "tiny_app.py"
    script.write_text(TINY_APP)
    started = time.monotonic()
    server = streamlit_factory(script)
    print(f"streamlit healthy after {time.monotonic() - started:.2f}s at {server.url}")

    page = browser_page
    open_app(page, server.url)
    expect(page.get_by_role("heading", name="Harness check")).to_be_visible()

    set_number_input(page, "Dose (mg)", 4.5)
    click_button(page, "Compute")
    result = page.get_by_text("Result:")
    expect(result).to_have_text("Result: 9.00 mg")

    shot = tmp_path / "tiny_app.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG")
    print(f"browser test took {time.monotonic() - started:.2f}s; screenshot {shot}")
