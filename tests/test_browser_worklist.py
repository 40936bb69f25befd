"""Issue 12 "done when", in a real browser: upload a 40-row worklist (capsules, liquids, two titrations,
three bad rows), read the validation report, drop the bad rows, get the plan, download the workbook and
the labels; the batch records recalculate in LibreOffice with every check OK, and every label's
barcode decodes to its batch's lot and BUD."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.support.browser import open_app, wait_for_streamlit_idle
from tests.worklist_support import csv_bytes, day_rows

pytestmark = [pytest.mark.browser, pytest.mark.libreoffice, pytest.mark.slow]

PHARMACY, CONTACT = "Riverside Compounding Pharmacy", "12 High St, Springfield, 555-0100"


@pytest.fixture
def server(streamlit_factory):
    env = {k: v for k, v in os.environ.items() if k not in ("LDN_DATA_DIR", "LDN_DATABASE_URL")}
    return streamlit_factory(env=env)


def _download(page, name: str, folder: Path) -> Path:
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name=name).click()
    target = folder / info.value.suggested_filename
    info.value.save_as(str(target))
    return target


def _text_input(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Tab")
    wait_for_streamlit_idle(page)


def _report(page) -> list[tuple[int, str, str]]:
    """The validation report's rows, as the browser shows them."""
    table = page.locator('[data-testid="stTable"]').first
    rows = []
    for tr in table.locator("tbody tr").all():
        cells = [c.inner_text().strip() for c in tr.locator("th, td").all()]
        rows.append((int(cells[0]), cells[1], cells[2]))
    return rows


def _upload_and_plan(page, tmp_path: Path) -> list[str]:
    source = tmp_path / "day.csv"
    source.write_bytes(csv_bytes(day_rows()))
    page.locator('[data-testid="stExpander"]').filter(has_text="Batch options").locator("summary").click()
    _text_input(page, "Average tablet weight", "321 mg")
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Worklist file")
    uploader.locator('input[type="file"]').set_input_files(str(source))
    wait_for_streamlit_idle(page)
    page.get_by_text("3 problem(s) on 3 of 40 rows of day.csv").wait_for()
    report = _report(page)
    # header = row 1, so the 38th..40th prescriptions are rows 39-41 (tests/worklist_support.day_rows)
    assert [(r, c) for r, c, _ in report] == [(39, "strength"), (40, "form"), (41, "due_date")]
    assert "has a comma in the number" in report[0][2] and "'tablets': is not a form" in report[1][2]
    assert "not a date on the calendar" in report[2][2]
    assert page.get_by_text("Batch plan").count() == 0  # nothing is planned from a file with errors
    page.get_by_text("Drop the 3 bad row(s) and plan the other 37").click()
    wait_for_streamlit_idle(page)
    page.get_by_text("Dropped rows (not planned): 3 problem(s) on 3 row(s).").wait_for()
    heads = page.locator('[data-testid="stExpander"] summary').all_inner_texts()
    return [m.group(0) for m in (re.search(r"Batch \d+ · .*", h) for h in heads) if m]  # after the icon's name


def _tools() -> None:
    import shutil

    from tests.support import skip_or_fail

    for tool in ("pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            skip_or_fail(f"{tool} (poppler-utils) is not installed")
    try:
        import pylibdmtx.pylibdmtx  # noqa: F401
    except (ImportError, OSError) as exc:  # the package, or Debian's libdmtx0b
        skip_or_fail(f"the DataMatrix decoder is unavailable: {exc}")


def test_a_days_worklist_from_upload_to_records_and_labels(server, browser_page, soffice, tmp_path):
    _tools()
    page = browser_page
    page.context.set_default_timeout(60_000)
    open_app(page, f"{server.url}/worklist")
    batches = _upload_and_plan(page, tmp_path)
    plan = json.loads(_download(page, "Plan (JSON)", tmp_path).read_text())
    assert plan["prescriptions"] == 37 and [d["row"] for d in plan["dropped_rows"]] == [39, 40, 41]
    assert len(batches) == len(plan["batches"])
    for head, b in zip(batches, plan["batches"]):
        assert b["lot"] in head and f"BUD {b['bud']}" in head
    # capsules in four strengths plus ldnrt_slow's 2, 2.5, 3.5 and 4 mg; one liquid batch today and the
    # liquid titration's later fills
    titles = {b["title"] for b in plan["batches"]}
    assert {"Naltrexone HCl 0.5 mg capsules", "Naltrexone HCl 4.5 mg capsules",
            "Naltrexone HCl 1 mg/mL oral liquid"} <= titles

    _text_input(page, "Pharmacy name", PHARMACY)
    _text_input(page, "Pharmacy address and phone", CONTACT)
    page.get_by_role("button", name="Write the workbook, labels and dose charts").click()
    wait_for_streamlit_idle(page, timeout=180_000)
    page.get_by_text("Done: the files are ready to download.").wait_for()
    records = _download(page, "Workbook: plan and batch records (.zip)", tmp_path)
    labels = _download(page, "Labels (PDF", tmp_path)
    charts = _download(page, "Dose charts (PDF", tmp_path)

    _records_recalculate_with_every_check_ok(records, plan, soffice, tmp_path)
    _labels_decode_to_lot_and_bud(labels, plan, tmp_path)
    chart_text = subprocess.run(["pdftotext", str(charts), "-"], capture_output=True, text=True, check=True).stdout
    assert "Tia Slow" in chart_text and "Leo Step" in chart_text


def _records_recalculate_with_every_check_ok(archive: Path, plan: dict, soffice: str, tmp_path: Path) -> None:
    from tests.excel_support import recalculate_many
    from tests.support.libreoffice import error_cells

    import openpyxl

    folder = tmp_path / "records"
    with zipfile.ZipFile(archive) as z:
        z.extractall(folder)
    names = sorted(p.name for p in (folder / "records").glob("*.xlsx"))
    assert names == sorted(f"{b['lot']}.xlsx" for b in plan["batches"])
    done = recalculate_many([folder / "plan.xlsx", *sorted((folder / "records").glob("*.xlsx"))],
                            tmp_path / "recalculated", soffice)
    for path in done:
        wb = openpyxl.load_workbook(path, data_only=True)
        assert error_cells(wb) == [], path.name
        words = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value in ("OK", "CHECK")]
        assert "CHECK" not in words, path.name
        if path.stem != "plan":
            assert words.count("OK") >= 5, path.name  # every Calculations line has its check
            allocation = [[c.value for c in r] for r in wb["Allocation"].iter_rows(min_row=2)]
            batch = next(b for b in plan["batches"] if b["lot"] == path.stem)
            assert [r[0] for r in allocation] == [a["rx_number"] or "anticipatory stock" for a in batch["allocation"]]


def _labels_decode_to_lot_and_bud(pdf: Path, plan: dict, tmp_path: Path) -> None:
    from PIL import Image
    from pylibdmtx.pylibdmtx import decode

    expected = [(b["lot"], dt.date.fromisoformat(b["bud"])) for b in plan["batches"]
                for a in b["allocation"] if a["rx_number"]]
    out = tmp_path / "labels"
    out.mkdir()
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(pdf), str(out / "p")], check=True, timeout=300)
    pages = sorted(out.glob("p-*.png"), key=lambda p: int(re.search(r"-(\d+)\.png$", p.name).group(1)))
    assert len(pages) == len(expected) == 44  # 26 + 9 + 7 capsule strengths + 2 liquid fills
    for image, (lot, bud) in zip(pages, expected):
        found = decode(Image.open(image), max_count=1)
        assert [f.data.decode() for f in found] == [f"17{bud:%y%m%d}10{lot}"], image.name
