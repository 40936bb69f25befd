"""Capsule batch workbooks, recalculated by LibreOffice: every live formula gives the core's number.

All workbooks of this module are recalculated in one soffice run (a module fixture): the LDN
reference cases (CAP-05, SP-01, SP-02, AL-06, LQ-05 from ``tests/data/reference/cases.json``), a
seeded set of generated batches, a copy with changed inputs, and copies with capsule weights.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

from compounding.capsules import capsule_batch
from compounding.display import format_quantity
from compounding.errors import CompoundingError
from compounding.excel import workbook, write_workbook
from compounding.excel._capsules import recompute, sections
from compounding.qc import weight_check
from compounding.units import Q, mg
from tests.excel_support import (assert_lines_agree, calculator_value, check_word, load_values, named_cell, named_values,
                                 recalculate_many)
from tests.reference_cases import case, quantity
from tests.support import skip_or_fail

DATE = "2026-11-22"


# --- the batches -----------------------------------------------------------------------------------

def _reference_batches() -> dict[str, tuple]:
    """case id → (batch, {expected key: line name})."""
    out = {}
    i = case("CAP-05")["inputs"]
    out["CAP-05"] = (capsule_batch(quantity(i["strength_per_capsule"]), quantity(i["capsules_ordered"]),
                                   extra=quantity(i["overage_fraction"]), source="api", capsule_size="1",
                                   fill_weight=quantity(i["filler_pack_stat_MCC_size1"]),
                                   api_fill_weight=quantity(i["active_pack_stat_size1"]), compounding_date=DATE),
                     {"capsules_to_make": "capsules_to_make", "drug_per_batch": "naltrexone_hcl",
                      "filler_displaced_per_capsule": "filler_displaced_per_capsule",
                      "filler_per_capsule": "filler_per_capsule", "filler_per_batch": "filler_to_weigh",
                      "fill_weight_per_capsule": "fill_weight_per_capsule"})
    i = case("SP-01")["inputs"]
    out["SP-01"] = (capsule_batch(quantity(i["strength_as_base"]), int(i["capsules"][0]), source="api",
                                  strength_basis="base", compounding_date=DATE),
                    {"salt_factor": "salt_factor", "salt_per_capsule": "drug_powder_per_capsule",
                     "salt_per_batch": "api_to_weigh"})
    i = case("SP-02")["inputs"]
    out["SP-02a"] = (capsule_batch(quantity(i["strength_per_capsule"]), int(i["capsules"][0]), source="api",
                                   potency=quantity(i["potency_as_is"]), compounding_date=DATE),
                     {"drug_required": "naltrexone_hcl", "weigh_at_98_5_pct": "api_to_weigh"})
    out["SP-02b"] = (capsule_batch(quantity(i["strength_per_capsule"]), int(i["capsules"][0]), source="api",
                                   assay=quantity(i["potency_anhydrous"]), water=quantity(i["water_content"]),
                                   compounding_date=DATE),
                     {"as_is_potency_part2": "as_is_potency", "weigh_part2": "api_to_weigh"})
    i = case("AL-06")["inputs"]
    out["AL-06"] = (capsule_batch(quantity(i["strength_per_capsule"]), int(i["capsules"][0]), source="api",
                                  fill_weight=quantity(i["fill_weight_per_capsule"]), compounding_date=DATE),
                    {"drug_required": "api_to_weigh", "drug_weighed": "aliquot_drug_to_weigh_1",
                     "diluent_first_dilution": "aliquot_diluent_to_add_1", "first_mixture": "aliquot_mixture_total_1",
                     "aliquot_weighed": "aliquot_size_1", "MCC_added_to_aliquot": "filler_to_add",
                     "batch_fill_total": "blend_total", "drug_per_capsule_check": "drug_powder_per_capsule"})
    i = case("LQ-05")["inputs"]
    avg = quantity(i["weight_of_tablets"]) / quantity(i["tablets_weighed"])
    out["LQ-05"] = (capsule_batch(quantity(i["strength_per_capsule"]), int(i["capsules"][0]), source="tablets",
                                  tablet_weight=avg, fill_weight=quantity(i["fill_weight_per_capsule"]),
                                  compounding_date=DATE),
                    {"drug_required": "naltrexone_hcl", "tablets_equivalent": "tablets_equivalent",
                     "tablets_to_crush": "tablets_to_crush", "average_tablet_weight": "tablet_weight",
                     "powder_to_weigh": "tablet_powder_to_weigh", "MCC_to_add": "filler_to_add",
                     "tablet_powder_per_capsule": "drug_powder_per_capsule", "MCC_per_capsule": "filler_per_capsule"})
    return out


def _random_batch(rng: random.Random):
    """One generated batch; raises CompoundingError for combinations the core refuses."""
    source = rng.choice(["api", "api", "tablets"])
    kw = dict(source=source, compounding_date=DATE)
    kw["capsule_size"] = rng.choice(["0", "1", "2", "3", "4"])
    extra = rng.choice([None, 0, 2, 5, "5%", "10%", "7.5%", "15%"])
    if extra is not None:
        kw["extra"] = extra
    if source == "api":
        kw["api_form"] = rng.choice(["hcl_anhydrous", "hcl_anhydrous", "hcl_dihydrate"])
        pick = rng.random()
        if pick < 0.4:
            kw["potency"] = f"{rng.randint(960, 1015) / 10}%"
        elif pick < 0.7:
            kw["assay"] = f"{rng.randint(980, 1020) / 10}%"
            kw["water"] = f"{rng.randint(0, 60) / 10}%"
        if rng.random() < 0.15:
            kw["strength_basis"] = "base"
    else:
        kw["tablet_weight"] = f"{rng.randint(2500, 4200) / 10} mg"
    if rng.random() < 0.25:
        kw["method"] = "density"
        kw["drug_bulk_density"] = f"{rng.randint(30, 80) / 100} g/mL"
    else:
        if rng.random() < 0.8:
            kw["fill_weight"] = f"{rng.randint(1000, 3500) / 10} mg"
        if rng.random() < 0.4:
            kw["api_fill_weight"] = f"{rng.randint(2000, 4500) / 10} mg"
    if rng.random() < 0.3:
        kw["mwq"] = rng.choice(["82 mg", "100 mg", "250 mg"])
    if rng.random() < 0.3:
        kw["qc_limits"] = ("92.5%", "107.5%")
    if rng.random() < 0.3:
        kw["component_expiries"] = [(dt.date(2026, 11, 22) + dt.timedelta(days=rng.randint(30, 400))).isoformat()]
    strength = f"{rng.randint(1, 45) / 10} mg"
    quantity_ = rng.choice([30, 60, 90, 100, 120, 30 * rng.randint(1, 8), rng.randint(10, 250)])
    return capsule_batch(strength, quantity_, **kw)


def _generated(n: int = 12, seed: int = 20261122) -> list:
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        try:
            out.append(_random_batch(rng))
        except CompoundingError:
            continue
    # issue 8.6: records carrying actual weights (an aliquot with one stage, two stages, direct)
    out.append(capsule_batch("0.5 mg", 30, potency="98.5%", compounding_date=DATE,
                             actual_weights={"drug": "123.4 mg", "diluent": "840 mg", "filler": "2582 mg"}))
    out.append(capsule_batch("0.1 mg", 10, compounding_date=DATE, actual_weights={"aliquot_2": "125 mg"}))
    out.append(capsule_batch("4.5 mg", 90, compounding_date=DATE, actual_weights={"drug": "500 mg"}))
    out.append(capsule_batch("4.5 mg", 1, capsule_size="1", compounding_date=DATE))  # filler below the MWQ
    # the binary-floating-point traps of ROUNDUP: 30 × 10 % and 90 × 10 % are 3 and 9 exactly
    out.append(capsule_batch("1.5 mg", 30, extra="10%", source="api", compounding_date=DATE))
    out.append(capsule_batch("0.5 mg", 70, extra="10%", source="tablets", tablet_weight="321 mg",
                             compounding_date=DATE))
    return out


# --- one LibreOffice run for the module -----------------------------------------------------------

NETS = [271.5, 268.0, 275.2, 270.1, 266.9, 272.3, 273.8, 269.4, 270.7, 274.0]
SHELL = 48.0


def _fill_weights(src: Path, dst: Path, nets: list[float], *, shell_average: bool) -> None:
    wb = openpyxl.load_workbook(src)
    ws = wb["Weight check"]
    if shell_average:
        named_cell(wb, "wc_shell_average").value = SHELL
    for k, net in enumerate(nets):
        ws.cell(row=12 + k, column=2).value = round(net + SHELL, 1)
        if not shell_average:
            ws.cell(row=12 + k, column=3).value = SHELL
    wb.save(dst)


@pytest.fixture(scope="module")
def recalculated(soffice, tmp_path_factory):
    src = tmp_path_factory.mktemp("excel-src")
    out = tmp_path_factory.mktemp("excel-out")
    jobs: dict[str, tuple] = {}
    for cid, (b, mapping) in _reference_batches().items():
        jobs[cid] = (b, mapping, write_workbook(b, src / f"{cid}.xlsx"))
    for k, b in enumerate(_generated()):
        jobs[f"gen-{k:02d}"] = (b, {}, write_workbook(b, src / f"gen-{k:02d}.xlsx"))
    # CAP-05 with inputs changed in the sheet: strength 3 mg, 2 extra capsules instead of 10 %
    edited = openpyxl.load_workbook(jobs["CAP-05"][2])
    named_cell(edited, "strength").value = 3
    named_cell(edited, "extra_percent").value = 0
    named_cell(edited, "extra_count").value = 2
    edited.save(src / "edited.xlsx")
    jobs["edited"] = (None, {}, src / "edited.xlsx")
    _fill_weights(jobs["CAP-05"][2], src / "weights-pass.xlsx", NETS, shell_average=True)
    _fill_weights(jobs["CAP-05"][2], src / "weights-fail.xlsx", NETS[:9] + [300.0], shell_average=False)
    _fill_weights(jobs["CAP-05"][2], src / "weights-part.xlsx", NETS[:5], shell_average=True)
    _fill_weights(jobs["CAP-05"][2], src / "weights-part-fail.xlsx", NETS[:2] + [300.0], shell_average=True)
    for name in ("weights-pass", "weights-fail", "weights-part", "weights-part-fail"):
        jobs[name] = (None, {}, src / f"{name}.xlsx")
    converted = recalculate_many([j[2] for j in jobs.values()], out, soffice)
    return {key: (job[0], job[1], job[2], load_values(path))
            for (key, job), path in zip(jobs.items(), converted)}


def _assert_lines_agree(batch, values_wb) -> None:
    assert_lines_agree(sections(batch), values_wb)


REFERENCE_IDS = ["CAP-05", "SP-01", "SP-02a", "SP-02b", "AL-06", "LQ-05"]


@pytest.mark.parametrize("cid", REFERENCE_IDS)
def test_reference_case_formulas_give_the_published_values(recalculated, cid):
    batch, mapping, _, wb = recalculated[cid]
    expected = case(cid.rstrip("ab"))["expected"]
    for key, name in mapping.items():
        value, unit, tolerance = expected[key]
        got = named_cell(wb, name).value
        if unit == "%":
            got *= 100
        assert abs(got - value) <= tolerance + 1e-9, f"{cid} {key} ({name}): sheet {got}, expected {value}"
    _assert_lines_agree(batch, wb)


def test_generated_batches_formulas_agree_with_the_core(recalculated):
    keys = [k for k in recalculated if k.startswith("gen-")]
    assert len(keys) >= 12
    for key in keys:
        batch, _, _, wb = recalculated[key]
        _assert_lines_agree(batch, wb)


def test_roundup_of_a_percentage_is_exact_in_the_spreadsheet(recalculated):
    wb = recalculated["CAP-05"][3]
    assert named_cell(wb, "capsules_to_make").value == 99  # 90 + 10 %: not 100
    traps = [recalculated[k][3] for k in recalculated if k.startswith("gen-")][-2:]
    assert [named_cell(w, "capsules_to_make").value for w in traps] == [33, 77]


def test_record_sheet_shows_quantities_as_the_core_displays_them(recalculated):
    batch, _, _, wb = recalculated["CAP-05"]
    texts = {c.value for row in wb["Compounding record"].iter_rows() for c in row if isinstance(c.value, str)}
    for q in (batch.api_to_weigh, batch.blend_total):
        assert format_quantity(q, mg) in texts
    # issue 8.5: what goes on the balance, at its 10 mg readability (filler 26386.33 mg → 26.39 g)
    assert "weigh 450 mg (acceptable 410 mg to 490 mg)" in texts
    assert "weigh 26.39 g (acceptable 25.58 g to 27.18 g)" in texts
    assert "4.5 mg per capsule" in texts
    assert "90 ordered; make 99" in texts
    batch, _, _, wb = recalculated["AL-06"]
    texts = {c.value for row in wb["Compounding record"].iter_rows() for c in row if isinstance(c.value, str)}
    assert any(t.startswith("Stage 1: weigh 120 mg of drug powder, add 1320 mg of filler to make 1440 mg")
               for t in texts)
    assert "weigh 120 mg for the aliquot (acceptable 120 mg to 130 mg)" in texts
    assert any(t.startswith("Add 24.88 g of filler") for t in texts)  # 24880 mg, in g from 10 g


def test_changing_an_input_in_the_sheet_moves_every_dependent(recalculated):
    _, _, path, wb = recalculated["edited"]
    inputs = named_values(openpyxl.load_workbook(path))
    core = recompute(inputs)  # the core, fed the edited inputs
    assert core.capsules_to_make.magnitude == 92
    for sec in sections(core):
        for line in sec.lines:
            if line.kind == "calc" and not line.is_date:
                got = named_cell(wb, line.name).value
                assert abs(got - float(line.core)) <= line.tolerance + 1e-9, line.name
    # the calculator's values stay as exported, so the check column flags what moved
    assert calculator_value(wb, "capsules_to_make") == 99
    assert check_word(wb, "capsules_to_make") == "CHECK"
    assert check_word(wb, "strength") == "CHECK"
    assert check_word(wb, "mw_weighed") == "OK"
    assert check_word(wb, "salt_factor") == "OK"
    assert named_cell(wb, "fill_weight_per_capsule").value == pytest.approx(float(core.fill_weight_per_capsule.magnitude))


def _core_weight_check(batch, nets):
    return weight_check([Q(Fraction(str(n)), mg) for n in nets], batch.fill_weight_per_capsule * Q(1, "capsule"))


def test_weight_check_statistics_match_the_qc_core(recalculated):
    batch = recalculated["CAP-05"][0]
    wb = recalculated["weights-pass"][3]
    core = _core_weight_check(batch, NETS)
    v = named_values(wb)
    assert v["wc_count"] == 10
    assert v["wc_mean"] == pytest.approx(float(core.mean.magnitude), abs=1e-9)
    assert v["wc_sd"] == pytest.approx(float(core.sd.magnitude), abs=1e-9)
    assert v["wc_rsd"] == pytest.approx(float(core.rsd), abs=1e-12)
    assert v["wc_min"] == pytest.approx(min(NETS)) and v["wc_max"] == pytest.approx(max(NETS))
    assert v["wc_mean_percent"] == pytest.approx(float(core.mean_percent_of_target), abs=1e-12)
    assert v["wc_outside"] == 0
    assert core.passed and v["wc_verdict"] == "PASS"
    results = [wb["Weight check"].cell(row=12 + k, column=6).value for k in range(10)]
    assert results == ["PASS"] * 10


def test_weight_check_fails_a_capsule_outside_the_limits(recalculated):
    batch = recalculated["CAP-05"][0]
    nets = NETS[:9] + [300.0]
    wb = recalculated["weights-fail"][3]
    core = _core_weight_check(batch, nets)
    v = named_values(wb)
    assert not core.passed and v["wc_verdict"] == "FAIL"
    assert v["wc_outside"] == core.outside_limits == 1
    assert wb["Weight check"].cell(row=21, column=6).value == "FAIL"
    assert wb["Weight check"].cell(row=21, column=4).value == pytest.approx(300.0)


def test_weight_check_is_incomplete_until_every_row_is_weighed(recalculated):
    v = named_values(recalculated["weights-part"][3])
    assert v["wc_count"] == 5
    assert v["wc_verdict"] == "INCOMPLETE: 5 of 10 weighed"
    rec = recalculated["weights-part"][3]["Compounding record"]
    assert "INCOMPLETE: 5 of 10 weighed" in {c.value for row in rec.iter_rows() for c in row}


@pytest.mark.parametrize("name, nets", [("weights-pass", NETS), ("weights-fail", NETS[:9] + [300.0]),
                                        ("weights-part", NETS[:5]), ("weights-part-fail", NETS[:2] + [300.0])])
def test_the_sheets_verdict_is_the_cores(recalculated, name, nets):
    """Issue 8.4: app, CLI and Excel alike — INCOMPLETE until the QC sample is weighed, FAIL at once when a
    capsule is outside its limits (3 weighed, one at 300 mg of a 271.03 mg target: 110.7 %)."""
    core = _core_weight_check(recalculated["CAP-05"][0], nets)
    sheet = named_values(recalculated[name][3])["wc_verdict"]
    assert sheet.split(":")[0] == core.verdict
    if core.verdict == "INCOMPLETE":
        assert sheet == f"INCOMPLETE: {len(nets)} of {core.required} weighed"


def test_weight_check_rows_follow_the_qc_rule():
    from compounding.qc import qc_limits

    sample = int(qc_limits().sample_size.quantity.magnitude)  # 10
    b = _reference_batches()["CAP-05"][0]  # 99 capsules
    ws = workbook(b)["Weight check"]
    assert ws.cell(row=11 + sample, column=1).value == sample and ws.cell(row=12 + sample, column=1).value is None
    small = capsule_batch("4.5 mg", 4, source="api", capsule_size="1", fill_weight="270 mg", compounding_date=DATE)
    wb = workbook(small)  # 4 capsules: every one of them is weighed
    formula = named_cell(wb, "wc_verdict").value
    assert '"INCOMPLETE: "&wc_count&" of 4 weighed"' in formula and formula.startswith('=IF(wc_outside>0,"FAIL"')
    for rows in (sample - 1, 5):  # fewer than the rule; more than the 4 capsules of the small batch
        with pytest.raises(CompoundingError) as err:
            workbook(b if rows == sample - 1 else small, capsule_weights=rows)
        assert err.value.field == "capsule_weights"


def test_weight_check_sheet_says_which_balance_it_needs():
    """Issue 9.5: a 90 mg fill (size 3) weighed on the batch's Class III balance (MWQ 120 mg)."""
    small = capsule_batch("1.5 mg", 30, source="api", capsule_size="3", fill_weight="90 mg", compounding_date=DATE)
    note = workbook(small)["Weight check"]["A3"].value
    assert note.startswith("Balance: This check needs a balance whose MWQ is at most 90 mg (the target fill) and "
                           "whose weighing error is at most 2.25 mg")
    assert note.endswith("(Class III (formerly Class A) prescription balance, MWQ 120 mg) will NOT do: its MWQ is "
                         "above the target fill; its weighing error of 6 mg cannot resolve 81 mg to 99 mg.")
    note = workbook(_reference_batches()["CAP-05"][0])["Weight check"]["A3"].value  # 271.03 mg
    assert note.endswith("will do.") and "NOT" not in note


# --- printing (no LibreOffice needed) -----------------------------------------------------------

def test_every_sheet_prints_portrait_one_page_wide_with_header_and_page_numbers():
    b = _reference_batches()["CAP-05"][0]
    wb = workbook(b, lot_number="RX-7781", capsule_weights=20)
    assert wb.sheetnames == ["Compounding record", "Calculations", "Weight check", "Label"]
    for ws in wb.worksheets:
        assert ws.print_area, ws.title
        assert ws.page_setup.orientation == "portrait"
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert "Naltrexone HCl 4.5 mg capsules" in ws.oddHeader.left.text
        assert "RX-7781" in ws.oddHeader.right.text
        assert ws.oddFooter.right.text == "Page &P of &N"
    weights = wb["Weight check"]
    assert weights.cell(row=31, column=1).value == 20  # 20 capsule rows


def test_unknown_options_are_refused():
    b = _reference_batches()["CAP-05"][0]
    with pytest.raises(CompoundingError):
        workbook(b, patient_name="x")
    with pytest.raises(CompoundingError):
        workbook(b, capsule_weights=0)
    with pytest.raises(CompoundingError):
        workbook(b, paper="A3")
    with pytest.raises(TypeError):
        workbook(object())


@pytest.mark.parametrize("paper,size", [("A4", "pts (A4)"), ("Letter", "612 x 792 pts")])
def test_record_converts_to_pdf_on_a4_and_letter(libreoffice, tmp_path, paper, size):
    b = _reference_batches()["AL-06"][0]
    path = write_workbook(b, tmp_path / f"al06-{paper}.xlsx", paper=paper, lot_number="L1")
    pdf = libreoffice.to_pdf(path)
    assert pdf.stat().st_size > 10_000
    if shutil.which("pdfinfo") is None:
        skip_or_fail("pdfinfo (poppler-utils) not found: apt-get install poppler-utils")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert size in info
    pages = int(next(l for l in info.splitlines() if l.startswith("Pages:")).split()[1])
    # AL-06 (aliquot) on A4: record 3, Calculations 4 (each section kept on one page; the weighings
    # at readability, their windows and the actual-weight lines added a page), weight check 1, label 1
    assert 4 <= pages <= 9


def test_record_renders_to_png(libreoffice, tmp_path):
    """The rendered first page exists and is a portrait page (look at it when layout changes)."""
    if shutil.which("pdftoppm") is None:
        skip_or_fail("pdftoppm (poppler-utils) not found: apt-get install poppler-utils")
    b = _reference_batches()["CAP-05"][0]
    pdf = libreoffice.to_pdf(write_workbook(b, tmp_path / "cap05.xlsx", lot_number="L-1"))
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, capture_output=True)
    png = next(tmp_path.glob("page*.png"))
    from struct import unpack

    width, height = unpack(">II", png.read_bytes()[16:24])
    assert height > width > 300
