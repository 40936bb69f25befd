"""Container labels and titration charts: PDFs rendered to images (pdftoppm), text read back
(pdftotext), barcodes decoded (pylibdmtx for GS1 DataMatrix, pyzbar for QR) to the batch lot and BUD,
and text that fits at the longest patient name and directions the worklist allows."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compounding.errors import InputError
from compounding.labels import charts_pdf_bytes, labels_pdf_bytes
from compounding.labels.barcode import datamatrix_grid
from compounding.labels.layout import LabelError, fit, label_content
from compounding.labels.pdf import measure
from compounding.labels.stock import label_data
from compounding.worklist import read_worklist
from compounding.worklist.columns import MAX_DIRECTIONS, MAX_PATIENT
from compounding.worklist.plan import plan_worklist
from tests.worklist_support import csv_bytes, row

DATE = "2026-03-02"
PHARMACY = dict(pharmacy="Riverside Compounding Pharmacy", contact="12 High St, Springfield, 555-0100")


def _tool(name: str) -> str:
    from tests.support import skip_or_fail

    path = shutil.which(name)
    if path is None:
        skip_or_fail(f"{name} (poppler-utils) is not installed")
    return path


def _decoders():
    from tests.support import skip_or_fail

    try:
        from pylibdmtx.pylibdmtx import decode as dm
        from pyzbar.pyzbar import decode as qr
    except (ImportError, OSError) as exc:  # the Python package, or Debian's libdmtx0b / libzbar0
        skip_or_fail(f"barcode decoders unavailable: {exc}")
    return dm, qr


def _pages(pdf: bytes, tmp_path: Path, dpi: int = 300) -> list[Path]:
    src = tmp_path / "in.pdf"
    src.write_bytes(pdf)
    subprocess.run([_tool("pdftoppm"), "-r", str(dpi), "-png", str(src), str(tmp_path / "p")], check=True, timeout=120)
    return sorted(tmp_path.glob("p-*.png"))


def _text(pdf: bytes, tmp_path: Path) -> list[str]:
    src = tmp_path / "t.pdf"
    src.write_bytes(pdf)
    out = subprocess.run([_tool("pdftotext"), "-layout", str(src), "-"], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    return out.split("\f")


def _plan():
    rows = [row("RX1", patient="Zoë Müller"), row("RX2", "oral liquid", "1 mg/mL", "100 mL", dose="4.5 mg",
                                                 directions="Take 4.5 mL by mouth at bedtime"),
            row("RX3", strength="", quantity="", titration="seed_neuropathic", directions="Follow the dose chart")]
    return plan_worklist(read_worklist(csv_bytes(rows), compounding_date=DATE))


def _expected(plan):
    return [(b, a) for b in plan.batches for a in b.allocations if a.rx_number]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["datamatrix", "qr"])
def test_roll_labels_one_per_container_with_text_and_a_barcode_of_lot_and_bud(kind, tmp_path):
    dm, qr = _decoders()
    from PIL import Image

    plan = _plan()
    pdf, n = labels_pdf_bytes(plan, barcode=kind, **PHARMACY)
    expected = _expected(plan)
    assert n == len(expected) == 5  # RX1, RX2, and RX3's three strengths
    texts = _text(pdf, tmp_path)
    for (batch, alloc), text, image in zip(expected, texts, _pages(pdf, tmp_path)):
        flat = " ".join(text.split())
        for words in (alloc.patient, "NALTREXONE HCl", batch.lot, f"BUD {batch.bud.isoformat()}", alloc.rx_number,
                      "Compounded preparation.", "Keep out of reach of children.", "Blocks opioid pain relief",
                      "stop it before surgery", PHARMACY["pharmacy"], PHARMACY["contact"], alloc.directions):
            assert words in flat, (words, flat)
        assert ("SHAKE WELL" in flat) == (batch.form == "oral_liquid")
        if batch.form == "oral_liquid":
            assert "1 mg/mL" in flat and "Dose: 4.5 mg = 4.5 mL" in flat and "Quantity: 100 mL" in flat
        found = (dm(Image.open(image), max_count=1) if kind == "datamatrix" else qr(Image.open(image)))
        assert len(found) == 1
        data = found[0].data.decode()
        yymmdd = batch.bud.strftime("%y%m%d")
        if kind == "datamatrix":  # FNC1 is not output; AI 17 (fixed length) then AI 10
            assert data == f"17{yymmdd}10{batch.lot}"
        else:
            assert data == f"(17){yymmdd}(10){batch.lot}"


def test_the_datamatrix_is_gs1_it_starts_with_fnc1():
    import datetime as dt

    from pystrich.datamatrix import DataMatrixData, DataMatrixEncoder

    bud = dt.date(2026, 8, 29)

    def grid(data):
        marks = DataMatrixEncoder(data, quiet_zone=1).get_rect_marks()
        g = [[0] * marks.width for _ in range(marks.height)]
        for x, y, w, h in marks.marks:
            for yy in range(y, y + h):
                for xx in range(x, x + w):
                    g[yy][xx] = 1
        return tuple(tuple(r) for r in g)
    plain = grid(DataMatrixData("1726082910LDN-1", encoding="ascii"))
    assert datamatrix_grid("LDN-1", bud) != plain  # the same characters without FNC1 are another symbol
    from pystrich.datamatrix import FNC1

    assert datamatrix_grid("LDN-1", bud) == grid(FNC1 + "1726082910LDN-1")


@pytest.mark.slow
@pytest.mark.parametrize("stock, per_page", [("a4_l7165", 8), ("letter_5163", 10)])
def test_sheet_labels_sit_inside_their_slots(stock, per_page, tmp_path):
    """Nothing is printed outside the label rectangles, even at the longest text allowed."""
    from PIL import Image

    rows = [row(f"R{i}", patient="W" * MAX_PATIENT, directions=_longest_directions()) for i in range(per_page + 1)]
    plan = plan_worklist(read_worklist(csv_bytes(rows), compounding_date=DATE))
    pdf, n = labels_pdf_bytes(plan, size=stock, **PHARMACY)
    pages = _pages(pdf, tmp_path, dpi=72)
    assert n == per_page + 1 and len(pages) == 2
    s = label_data().stock(stock)
    img = Image.open(pages[0]).convert("L")
    inside = set()
    for x, y in s.positions():  # PDF points = pixels at 72 dpi; image y runs downwards
        top = s.page_height - y - s.height
        inside.update((px, py) for px in range(int(x) - 1, int(x + s.width) + 2)
                      for py in range(int(top) - 1, int(top + s.height) + 2))
    ink = [(px, py) for py in range(img.height) for px in range(img.width)
           if img.getpixel((px, py)) < 200 and (px, py) not in inside]
    assert ink == []


def _longest_directions() -> str:
    words = "Take ONE capsule by MOUTH at BEDTIME; WWWW MMMM "
    return (words * 10)[:MAX_DIRECTIONS].strip().ljust(MAX_DIRECTIONS, "W")


@pytest.mark.parametrize("stock", ["roll_4x2in", "a4_l7165", "letter_5163"])
@pytest.mark.parametrize("form", ["capsules", "oral liquid"])
def test_text_fits_every_stock_at_the_maximum_lengths(stock, form):
    data, s = label_data(), label_data().stock(stock)
    liquid = form == "oral liquid"
    r = row("R" * 20, form, "1 mg/mL" if liquid else "4.5 mg", "100 mL" if liquid else "30",
            dose="4.5 mg" if liquid else "", patient="W" * MAX_PATIENT, prescriber="M" * 40,
            directions=_longest_directions())
    plan = plan_worklist(read_worklist(csv_bytes([r]), compounding_date=DATE))
    (batch,) = plan.batches
    content = label_content(batch, batch.allocations[0], warnings=data.warnings,
                            pharmacy="W" * 40, contact="M" * 60)
    layout = fit(content, s.width, s.height, s.margin, measure=measure, min_font=data.min_font,
                 max_font=data.max_font, stock=s.name)
    bx, by, side = layout.barcode
    from compounding.labels.pdf import fonts

    ascent, descent = fonts()[0].face.ascent / 1000, -fonts()[0].face.descent / 1000  # of the em
    assert layout.body_size >= data.min_font
    for line in layout.lines:
        width = measure(line.text, line.size, line.bold)
        assert s.margin <= line.x and line.x + width <= s.width - s.margin + 1e-6
        assert line.y - descent * line.size >= s.margin - 1e-6
        assert line.y + ascent * line.size <= s.height - s.margin + 1e-6
        beside = line.y + ascent * line.size > by  # a line level with the barcode stays left of it
        assert not beside or line.x + width <= bx + 1e-6
    shown = " ".join(l.text for l in layout.lines)
    assert "W" * MAX_PATIENT in shown.replace(" ", "")


def test_text_beyond_what_fits_is_refused_with_a_clear_error():
    data, s = label_data(), label_data().stock("roll_4x2in")
    plan = _plan()
    batch = plan.batches[0]
    from dataclasses import replace

    long = replace(batch.allocations[0], directions="Take one capsule at bedtime " * 30)
    content = label_content(batch, long, warnings=data.warnings, **PHARMACY)
    with pytest.raises(LabelError, match="does not fit") as err:
        fit(content, s.width, s.height, s.margin, measure=measure, min_font=data.min_font,
            max_font=data.max_font, stock=s.name)
    assert err.value.field == "directions"


def test_a_name_the_font_cannot_print_is_refused():
    plan = plan_worklist(read_worklist(csv_bytes([row("R1", patient="山田 太郎")]), compounding_date=DATE))
    with pytest.raises(LabelError, match="cannot print"):
        labels_pdf_bytes(plan, **PHARMACY)


def test_labels_need_the_pharmacy_and_a_known_stock():
    plan = _plan()
    with pytest.raises(InputError, match="pharmacy"):
        labels_pdf_bytes(plan, pharmacy="", contact="x")
    with pytest.raises(InputError, match="not a label stock"):
        labels_pdf_bytes(plan, size="a5", **PHARMACY)


def test_anticipatory_stock_gets_no_patient_label():
    plan = plan_worklist(read_worklist(csv_bytes([row("R1")]), compounding_date=DATE),
                         anticipatory=["capsules:4.5 mg:60"])
    assert labels_pdf_bytes(plan, **PHARMACY)[1] == 1


def test_titration_chart_one_row_a_day_and_a_plain_words_page(tmp_path):
    rows = [row("T1", strength="", quantity="", titration="seed_neuropathic", patient="Mary Major"),
            row("T2", "oral liquid", "", "", titration="0.5mg:7,1mg:7,1.5mg:14", patient="Sam Minor")]
    plan = plan_worklist(read_worklist(csv_bytes(rows), compounding_date=DATE), tablet_weight="321 mg")
    pdf, n = charts_pdf_bytes(plan, **PHARMACY)
    assert n == 2
    text = "\n".join(_text(pdf, tmp_path))
    # seed_neuropathic: 14 + 14 + 28 = 56 days from Mon 2 Mar 2026; the liquid plan 28 days
    assert "Mon 02 Mar 2026" in text and "Sun 26 Apr 2026" in text  # day 56
    assert len(re.findall(r"one 4\.5 mg capsule", text)) == 28
    assert len(re.findall(r"^\s*(\d+)\s+\w{3} \d\d \w{3} 2026", text, re.M)) == 56 + 28
    assert "1.5 mg = " not in text and "1.5 mL" in text  # liquid: the mL to measure
    assert "plain words" in text and "blocks opioid pain medicines" in text and "Shake the bottle" in text


def test_cli_writes_labels_and_charts(tmp_path):
    f = tmp_path / "w.csv"
    f.write_bytes(csv_bytes([row("R1"), row("T1", strength="", quantity="", titration="ldnrt_slow")]))
    base = [sys.executable, "-m", "compounding", "worklist", "plan", str(f), "--date", DATE]
    r = subprocess.run(base + ["--labels", str(tmp_path / "l.pdf")], capture_output=True, text=True, timeout=120,
                       cwd=Path(__file__).resolve().parents[1])
    assert r.returncode == 2 and "--pharmacy" in r.stderr
    r = subprocess.run(base + ["--labels", str(tmp_path / "l.pdf"), "--charts", str(tmp_path / "c.pdf"),
                               "--pharmacy", "P", "--pharmacy-contact", "C", "--label-size", "letter_5163"],
                       capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert r.returncode == 0, r.stderr
    assert "8 label(s)" in r.stdout and "1 titration chart(s)" in r.stdout  # R1 + seven strengths
    assert (tmp_path / "l.pdf").read_bytes().startswith(b"%PDF")
