"""Worklist reading and whole-file validation: every bad row with its row number (header = row 1),
column and reason, in the core's own words; bad files refused with a clear message."""

from __future__ import annotations

import io
import zipfile

import pytest

from compounding.errors import InputError
from compounding.units import parse_quantity
from compounding.worklist import MAX_FILE_BYTES, MAX_ROWS, read_table, read_worklist
from tests.worklist_support import HEADER, csv_bytes, row, xlsx_bytes

DATE = "2026-03-02"


def _problems(data: bytes) -> set[tuple[int, str]]:
    return {(p.row, p.column) for p in read_worklist(data, compounding_date=DATE).problems}


def test_a_clean_file_has_no_problems_and_keeps_every_order():
    rows = [row("RX1"), row("RX2", "oral liquid", "1 mg/mL", "100 mL", dose="4.5 mg"),
            row("RX3", strength="", quantity="", titration="ldnrt_slow"),
            row("RX4", "oral liquid", "", "", titration="0.5mg:7,1mg:7,1.5mg:14", due="2026-03-05")]
    wl = read_worklist(csv_bytes(rows), compounding_date=DATE)
    assert wl.problems == ()
    assert [o.rx_number for o in wl.orders] == ["RX1", "RX2", "RX3", "RX4"]
    from compounding.units import Q, mg
    assert wl.orders[0].strength == Q("4.5", mg) and wl.orders[0].quantity.magnitude == 30


# (row dict, column, words of the reason). Rows start at 2 (header = row 1).
BAD = [
    (row("B1", form="pills"), "form", "is not a form"),
    (row("B2", strength="4,5 mg"), "strength", "comma"),
    (row("B3", strength="45 mg"), "strength", "outside the low-dose naltrexone"),
    (row(""), "rx_number", "is empty"),
    (row("B5", due="2026-02-30"), "due_date", "not a date on the calendar"),
    (row("B6", strength="", quantity="", titration="1.5mg:14,45mg:14"), "titration", "outside the low-dose"),
    (row("B7", strength="", quantity="", titration="no_such_preset"), "titration", "not a known regimen"),
    (row("B8", "oral liquid", "1 mg/mL", "100 mL"), "dose", "is empty"),
    (row("B9", quantity="30.5"), "quantity", "whole number"),
    (row("B10", "oral liquid", "1 mg/mL", "5 L", dose="1 mg"), "quantity", "out of range"),
    (row("B11", strength="4.5 gr"), "strength", "grain"),
    (row("B12", patient="x" * 41), "patient", "41 characters"),
    (row("B13", directions="Take\u202eone"), "directions", "invisible or control character"),
    (row("B14", dose="1 mg"), "dose", "oral liquids only"),
]


def test_every_bad_row_is_listed_with_row_column_and_reason():
    rows = [row("OK1")] + [r for r, _, _ in BAD] + [row("DUP"), row("DUP")]
    wl = read_worklist(csv_bytes(rows), compounding_date=DATE)
    got = {(p.row, p.column): p.reason for p in wl.problems}
    for i, (_, column, words) in enumerate(BAD, start=3):
        assert (i, column) in got, (i, column, got)
        assert words in got[(i, column)], got[(i, column)]
    n = len(rows) + 1
    assert "also on row" in got[(n - 1, "rx_number")] and "also on row" in got[(n, "rx_number")]
    assert [o.rx_number for o in wl.orders] == ["OK1"]  # nothing from a bad row


def test_comma_decimal_is_refused_in_the_core_parser_s_own_words():
    with pytest.raises(InputError) as core:
        parse_quantity("4,5 mg", "strength", "mass")
    wl = read_worklist(csv_bytes([row("R", strength="4,5 mg")]), compounding_date=DATE)
    assert core.value.message in wl.problems[0].reason


def test_a_row_with_several_bad_cells_lists_each_of_them():
    wl = read_worklist(csv_bytes([row("R", strength="4,5 mg", quantity="-3", due="2026-13-01")]),
                       compounding_date=DATE)
    assert [p.column for p in wl.problems] == ["strength", "quantity", "due_date"]


def test_missing_required_column_is_a_header_problem():
    header = tuple(h for h in HEADER if h != "prescriber")
    assert _problems(csv_bytes([row("R")], header=header)) == {(1, "prescriber")}


def test_header_names_are_matched_loosely_and_unknown_columns_are_noted():
    data = csv_bytes([row("R")]).replace(b"rx_number", b"Rx Number", 1).replace(b"\n", b",\n", 1)
    data = data.replace(b"due_date,", b"due_date,notes", 1)
    wl = read_worklist(data, compounding_date=DATE)
    assert wl.problems == ()
    assert any("notes" in n and "ignored" in n for n in wl.notes)


def test_titration_before_the_compounding_date_is_refused():
    wl = read_worklist(csv_bytes([row("R", strength="", quantity="", titration="ldnrt_slow", due="2026-03-01")]),
                       compounding_date=DATE)
    assert [(p.row, p.column) for p in wl.problems] == [(2, "due_date")]


# --- bad files ----------------------------------------------------------------------------------

@pytest.mark.parametrize("data, words", [
    (b"", "is empty"),
    (b"%PDF-1.7\n...", "PDF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old Excel"),
    (b"\x01\x02\x00\x00garbage", "not a text file"),
    (",".join(HEADER).encode() + b"\n", "no prescription rows"),
    (b"\n\n", "empty"),
])
def test_files_that_are_not_worklists_are_refused_clearly(data, words):
    with pytest.raises(InputError) as err:
        wl = read_worklist(data, compounding_date=DATE)
        raise InputError(wl.problems[0].reason)
    assert words in str(err.value)


def test_an_ods_or_other_zip_is_not_taken_for_xlsx():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<x/>")
    with pytest.raises(InputError, match="OpenDocument"):
        read_table(buf.getvalue())


def test_a_file_above_the_size_limit_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.csv"
    with open(big, "wb") as fh:  # 50 MB, sparse: nothing is written
        fh.truncate(50 * 1024 * 1024)
    with pytest.raises(InputError, match="MiB"):
        read_worklist(big)
    with pytest.raises(InputError, match="MiB"):
        read_table(b"x" * (MAX_FILE_BYTES + 1))


@pytest.mark.slow
def test_100000_rows_are_refused_with_the_documented_limit():
    line = b"RX%d,Ann,Dr X,capsules,4.5 mg,30,,Take one,,\n"
    data = b",".join(h.encode() for h in HEADER) + b"\n" + b"".join(line % i for i in range(100_000))
    assert len(data) < MAX_FILE_BYTES  # refused for its rows, not its size
    with pytest.raises(InputError, match=f"more than {MAX_ROWS:,}"):
        read_table(data)


def test_utf8_with_and_without_bom_and_cp1252_are_read():
    rows = [row("R1", patient="Zoë Müller")]
    for data, encoding in ((csv_bytes(rows), "utf-8"), (b"\xef\xbb\xbf" + csv_bytes(rows), "utf-8-sig"),
                           (csv_bytes(rows, encoding="cp1252"), "cp1252")):
        wl = read_worklist(data, compounding_date=DATE)
        assert wl.problems == () and wl.encoding == encoding
        assert wl.orders[0].patient == "Zoë Müller"
    assert any("Windows-1252" in n for n in read_worklist(csv_bytes(rows, encoding="cp1252")).notes)


def test_mixed_encodings_are_refused_naming_the_line():
    data = csv_bytes([row("R1", patient="Zoë Müller")]) + "R2,Jürgen,Dr X,capsules,4.5 mg,30,,x,,\n".encode("cp1252")
    with pytest.raises(InputError, match="mixes text encodings: line 3"):
        read_table(data)


def test_semicolon_separated_csv_is_read():
    data = csv_bytes([row("R1")]).replace(b",", b";")
    assert read_worklist(data, compounding_date=DATE).problems == ()


def test_a_csv_row_with_an_unquoted_comma_is_refused_with_its_line():
    data = csv_bytes([row("R1")]) + b"R2,Ann,Dr X,capsules,4,5 mg,30,,x,,\n"
    with pytest.raises(InputError, match="line 3 has 11 cells"):
        read_table(data)


# --- XLSX ---------------------------------------------------------------------------------------

def test_xlsx_numbers_dates_and_blank_rows_keep_spreadsheet_row_numbers():
    from openpyxl import load_workbook
    import datetime as dt

    wb = load_workbook(io.BytesIO(xlsx_bytes([row("R1"), row("R2"), row("R3", strength="45 mg")])))
    ws = wb.active
    ws["F2"] = 30  # a number cell
    ws["J2"] = dt.datetime(2026, 3, 2)  # a date cell
    ws.insert_rows(3)  # a blank row 3: R2 is row 4, R3 row 5
    buf = io.BytesIO()
    wb.save(buf)
    wl = read_worklist(buf.getvalue(), compounding_date=DATE)
    assert [(p.row, p.column) for p in wl.problems] == [(5, "strength")]
    assert wl.orders[0].quantity.magnitude == 30 and wl.orders[0].due_date.isoformat() == "2026-03-02"


def test_xlsx_formulas_are_read_as_their_text_never_evaluated():
    data = xlsx_bytes([row("R1", patient='=HYPERLINK("http://evil.example","Ann")')])
    wl = read_worklist(data, compounding_date=DATE)
    assert wl.orders[0].patient == '=HYPERLINK("http://evil.example","Ann")'
    assert any("formula" in n and "never evaluated" in n for n in wl.notes)


def test_xlsx_merged_header_cells_are_refused_with_the_range():
    with pytest.raises(InputError, match=r"merged header cells \(A1:B1\)"):
        read_table(xlsx_bytes([row("R1")], merge="A1:B1"))


def test_xlsx_and_csv_give_the_same_orders():
    rows = [row("R1"), row("R2", "oral liquid", "1 mg/mL", "100 mL", dose="4.5 mg")]
    a = read_worklist(csv_bytes(rows), compounding_date=DATE).orders
    b = read_worklist(xlsx_bytes(rows), compounding_date=DATE).orders
    assert a == b
