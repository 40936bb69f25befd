"""Helpers for the Excel-record tests: batch recalculation in one LibreOffice run, reading named
cells back, and the workbooks' own lines.

``tests/support/libreoffice.recalculate`` converts one file per soffice start (a few seconds each);
:func:`recalculate_many` converts many in one start, with the same always-recalculate profile.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Iterable

import openpyxl

from tests.support import libreoffice as lo


def recalculate_many(paths: Iterable[Path], out_dir: Path, soffice: str, *, timeout: float | None = None,
                     convert_to: str = "xlsx:Calc MS Excel 2007 XML", extension: str = "xlsx") -> list[Path]:
    """Recalculate every file (distinct names) in one soffice run; returns the converted paths."""
    paths = [Path(p).resolve() for p in paths]
    stems = [p.stem for p in paths]
    assert len(set(stems)) == len(stems), "files must have distinct names"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="lo-many-"))
    try:
        profile = lo.make_profile(work)
        tmp_out = work / "out"
        tmp_out.mkdir()
        cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible", "--norestore",
               "--nolockcheck", "--nodefault", "--nologo", "--convert-to", convert_to, "--outdir", str(tmp_out),
               *map(str, paths)]
        env = dict(os.environ, HOME=str(work))
        env.setdefault("SAL_USE_VCLPLUGIN", "svp")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, cwd=work, start_new_session=True, text=True)
        try:
            output, _ = proc.communicate(timeout=timeout or lo.DEFAULT_TIMEOUT + 20 * len(paths))
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        results = []
        for p in paths:
            produced = tmp_out / f"{p.stem}.{extension}"
            if not produced.is_file() or produced.stat().st_size == 0:
                raise lo.LibreOfficeError(f"soffice did not convert {p} (exit {proc.returncode}):\n{output}")
            target = out_dir / produced.name
            shutil.move(str(produced), str(target))
            results.append(target)
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def named_values(wb) -> dict[str, Any]:
    """Value of every single-cell defined name of ``wb`` (load with data_only=True for results)."""
    out = {}
    for name, dn in wb.defined_names.items():
        dests = list(dn.destinations)
        if len(dests) == 1:
            sheet, coord = dests[0]
            cells = wb[sheet][coord.replace("$", "")]
            out[name] = [c.value for row in cells for c in row] if isinstance(cells, tuple) else cells.value
    return out


def named_cell(wb, name: str):
    sheet, coord = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][coord.replace("$", "")]


def calculator_value(wb, name: str) -> Any:
    """Column D (the calculator's value at export) of a named line of the Calculations sheet."""
    cell = named_cell(wb, name)
    return cell.parent.cell(row=cell.row, column=4).value


def check_word(wb, name: str) -> Any:
    cell = named_cell(wb, name)
    return cell.parent.cell(row=cell.row, column=5).value


def load_values(path: Path):
    return openpyxl.load_workbook(path, data_only=True)


def assert_lines_agree(sections: Iterable[Any], values_wb) -> None:
    """Every Calculations line's live result, recomputed by LibreOffice, equals the core's value
    within the line's display tolerance (dates, choices and text exactly; a blank cell reads back as
    None whether the core's text was "" or None), and its agreement column says OK."""
    assert lo.error_cells(values_wb) == []
    problems = []
    for sec in sections:
        for line in sec.lines:
            got = named_cell(values_wb, line.name).value
            if line.is_date:
                ok = (got.date() if isinstance(got, dt.datetime) else got) == line.core
            elif line.kind in ("choice", "text"):
                ok = got == line.core or (got in (None, "") and line.core in (None, ""))
            elif line.core is None:
                ok = got is None
            else:
                ok = isinstance(got, (int, float)) and abs(got - float(line.core)) <= line.tolerance + 1e-9
            if not ok or check_word(values_wb, line.name) != "OK":
                problems.append(f"{line.name}: sheet {got!r}, core {line.core!r}, "
                                f"check {check_word(values_wb, line.name)!r}")
    assert problems == []


# --- one result of every record kind (for tests that run over all of them) ---------------------

DATE = "2026-11-22"


def record_kinds() -> dict[str, Any]:
    """name → a result of each kind of record: capsules from API powder, capsules from tablets
    with an aliquot, capsules from API powder by assay and water with a two-stage aliquot and
    actual weights entered, liquids from whole tablets, from API powder with a liquid aliquot
    and with a two-stage one (exported with a patient's dose, :data:`KIND_OPTIONS`), and
    titration plans in capsules and liquid."""
    from compounding.capsules import capsule_batch
    from compounding.liquids import prepare_liquid
    from compounding.titration import plan_titration

    return {
        "capsules-api": capsule_batch("4.5 mg", 90, extra="10%", source="api", capsule_size="1",
                                      fill_weight="270 mg", potency="98.5%", compounding_date=DATE),
        "capsules-tablets-aliquot": capsule_batch("0.5 mg", 30, source="tablets", tablet_weight="321 mg",
                                                  compounding_date=DATE),
        # 0.1 mg × 10 from API (Class III balance, MWQ 120 mg): 1 mg of powder, two aliquot stages
        "capsules-api-two-stage-actual": capsule_batch(
            "0.1 mg", 10, source="api", assay="99.5%", water="0.4%", compounding_date=DATE,
            actual_weights={"drug": "130 mg", "diluent": "1190 mg", "filler": "770 mg"}),
        "liquid-tablets": prepare_liquid(tablets=1, final_volume="50 mL", doses="0.5mg,1.5mg,4.5mg",
                                         compounding_date=DATE),
        "liquid-api-aliquot": prepare_liquid(source="api", concentration="1 mg/mL", final_volume="30 mL",
                                             potency="99%", doses="2mg,4.5mg", compounding_date=DATE),
        # 0.01 mg/mL × 10 mL: 0.1 mg of powder, measured through two volumetric stages
        "liquid-api-two-stage": prepare_liquid(source="api", concentration="0.01 mg/mL", final_volume="10 mL",
                                               potency="99%", doses="0.1mg", compounding_date=DATE),
        "titration-capsules": plan_titration(preset="seed_neuropathic", start_date=DATE),
        "titration-liquid": plan_titration(preset="ldnrt_slow", form="liquid", start_date=DATE),
    }


#: export options of a kind of :func:`record_kinds`: the liquid label's patient dose, a worklist's
#: allocation (with a name that would be a formula if it were not kept as text)
KIND_OPTIONS: dict[str, dict[str, Any]] = {
    "liquid-api-two-stage": {"patient_dose": "0.1 mg"},
    "capsules-api-two-stage-actual": {"allocation": [
        ["Rx number", "Patient", "Quantity", "Unit", "Dose (mg)", "Directions"],
        ["R1", '=HYPERLINK("http://evil.example","Ann")', 6, "capsules", 0.1, "Take one capsule at bedtime"],
        ["anticipatory stock", "", 4, "capsules", None, ""]]},
}


def printed_cells(wb):
    """(sheet, cell) of every cell with a value inside a sheet's print area, in no hidden row or
    column: what a printout shows."""
    from openpyxl.utils import range_boundaries

    for ws in wb.worksheets:
        area = (ws.print_area or f"A1:{ws.dimensions.split(':')[-1]}").split("!")[-1].replace("$", "")
        c1, r1, c2, r2 = range_boundaries(area)
        for row in ws.iter_rows(min_row=r1, max_row=r2, min_col=c1, max_col=c2):
            for c in row:
                if c.value is None:
                    continue
                hidden = ws.column_dimensions[c.column_letter].hidden or ws.row_dimensions[c.row].hidden
                if not hidden:
                    yield ws.title, c
