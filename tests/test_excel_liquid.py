"""Oral liquid workbooks, recalculated by LibreOffice: the live formulas give the core's numbers for
the reference cases (LQ-01, LQ-02, LQ-04), an API powder liquid with a liquid aliquot and generated
liquids; the yield check, an edited input, verify and PDF export. One soffice run for the module."""

from __future__ import annotations

import random

import openpyxl
import pytest

from compounding.display import format_quantity
from compounding.errors import CompoundingError
from compounding.excel import workbook, workbook_bytes, write_workbook
from compounding.excel._liquid import recompute, sections
from compounding.liquids import prepare_liquid
from compounding.units import Q, mg, mL
from compounding.verify import verify_workbook
from tests.excel_support import assert_lines_agree, check_word, load_values, named_cell, named_values, recalculate_many
from tests.reference_cases import case, quantity

DATE = "2026-11-22"


def _reference() -> dict[str, tuple]:
    out = {}
    i = case("LQ-01")["inputs"]
    out["LQ-01"] = (prepare_liquid(tablets=quantity(i["tablets"]), final_volume=quantity(i["final_volume"]),
                                   doses=[quantity(i[k]) for k in ("dose_a", "dose_b", "dose_c")],
                                   compounding_date=DATE),
                    {"concentration": "concentration", "volume_dose_a": "dose_volume_1",
                     "volume_dose_b": "dose_volume_2", "volume_dose_c": "dose_volume_3",
                     "days_per_tablet_at_4_5mg": "days_supply_3", "whole_doses_at_4_5mg": "doses_in_bottle_3"})
    i = case("LQ-02")["inputs"]
    out["LQ-02"] = (prepare_liquid(formula="LDN-LIQ-FAWCETT-1", final_volume=quantity(i["batch_volume"]),
                                   concentration="1 mg/mL", doses="1.5mg,3mg,4.5mg", compounding_date=DATE),
                    {"tablets": "tablets", "naltrexone": "naltrexone_hcl", "ascorbic_acid": "component_1",
                     "sodium_benzoate": "component_2", "glycerol": "component_3", "concentration": "concentration",
                     "volume_1_5mg": "dose_volume_1", "volume_3mg": "dose_volume_2", "volume_4_5mg": "dose_volume_3",
                     "days_supply_at_4_5mg": "days_supply_3"})
    i = case("LQ-04")["inputs"]
    out["LQ-04"] = (prepare_liquid(concentration=quantity(i["concentration"]), final_volume=quantity(i["volume"]),
                                   tablet_weight=quantity(i["weight_of_tablets"]) / quantity(i["tablets_weighed"]),
                                   mwq=quantity(i["MWQ"]), doses="0.5mg,1.5mg,3mg,4.5mg", compounding_date=DATE),
                    {"drug_required": "naltrexone_hcl", "tablets_equivalent": "tablets_equivalent",
                     "average_tablet_weight": "tablet_weight", "powder_to_weigh": "tablet_powder_to_weigh",
                     "volume_0_5mg": "dose_volume_1", "volume_1_5mg": "dose_volume_2", "volume_3mg": "dose_volume_3",
                     "volume_4_5mg": "dose_volume_4"})
    return out


# the expected values of LQ-02 are in g for the excipients; the sheet weighs in mg
_UNIT_SCALE = {("LQ-02", "ascorbic_acid"): 1000, ("LQ-02", "sodium_benzoate"): 1000}


def _others() -> dict[str, object]:
    out = {"api-aliquot": prepare_liquid(source="api", concentration="1 mg/mL", final_volume="30 mL",
                                         potency="99%", doses="2mg,4.5mg", compounding_date=DATE),
           "api-dihydrate": prepare_liquid(source="api", concentration="5 mg/mL", final_volume="100 mL",
                                           api_form="hcl_dihydrate", mwq="82 mg", doses="4.5mg",
                                           compounding_date=DATE, component_expiries=["2026-11-30"]),
           # 0.0101 mg of powder: a two-stage stock solution (tests/test_liquid_aliquot.py)
           "api-two-stage": prepare_liquid(source="api", concentration="0.01 mg/mL", final_volume="1 mL",
                                           potency="99%", compounding_date=DATE),
           # issue 8.7: 150 mL at 1 mg/mL lasts 33.3 days at 4.5 mg, but the BUD of water is 14 days
           "bud-limited": prepare_liquid(tablets=3, final_volume="150 mL", doses="0.5mg,1.5mg,4.5mg",
                                         compounding_date=DATE),
           "day-one": prepare_liquid(tablets=2, final_volume="100 mL", compounding_date=DATE,
                                     day_one_is_compounding_day=True)}
    rng = random.Random(4711)
    k = 0
    while k < 6:
        try:
            kw = dict(compounding_date=DATE, doses=",".join(f"{rng.randint(1, 45) / 10}mg" for _ in range(2)))
            if rng.random() < 0.4:
                kw.update(tablets=rng.randint(1, 4), final_volume=f"{rng.choice([25, 50, 100, 150])} mL")
            else:
                kw.update(concentration=f"{rng.choice(['0.5', '1', '2'])} mg/mL",
                          final_volume=f"{rng.randint(3, 30) * 5} mL", tablet_weight=f"{rng.randint(280, 360)} mg")
                if rng.random() < 0.3:
                    kw.pop("tablet_weight")
                    kw.update(source="api", potency=f"{rng.randint(970, 1010) / 10}%")
            if rng.random() < 0.3:
                kw["formula"] = "LDN-LIQ-FAWCETT-1"
            out[f"gen-{k}"] = prepare_liquid(**kw)
            k += 1
        except CompoundingError:
            continue
    return out


@pytest.fixture(scope="module")
def recalculated(soffice, tmp_path_factory):
    src, out = tmp_path_factory.mktemp("liq-src"), tmp_path_factory.mktemp("liq-out")
    jobs = {}
    for cid, (b, mapping) in _reference().items():
        dose = {"patient_dose": "4.5 mg"} if cid == "LQ-04" else {}  # the label carries the patient's dose
        jobs[cid] = (b, mapping, write_workbook(b, src / f"{cid}.xlsx", **dose))
    for key, b in _others().items():
        jobs[key] = (b, {}, write_workbook(b, src / f"{key}.xlsx"))
    for name, volume in (("yield-pass", 49.2), ("yield-fail", 46.0)):
        wb = openpyxl.load_workbook(jobs["LQ-01"][2])
        named_cell(wb, "yc_actual").value = volume
        wb.save(src / f"{name}.xlsx")
        jobs[name] = (None, {}, src / f"{name}.xlsx")
    edited = openpyxl.load_workbook(jobs["LQ-04"][2])
    named_cell(edited, "final_volume").value = 80  # 0.5 mg/mL × 80 mL = 40 mg: still crushed tablets
    edited.save(src / "edited.xlsx")
    jobs["edited"] = (None, {}, src / "edited.xlsx")
    converted = recalculate_many([j[2] for j in jobs.values()], out, soffice)
    return {k: (j[0], j[1], j[2], load_values(p), p) for (k, j), p in zip(jobs.items(), converted)}


def _assert_lines_agree(b, wb) -> None:
    assert_lines_agree(sections(b), wb)


@pytest.mark.parametrize("cid", ["LQ-01", "LQ-02", "LQ-04"])
def test_reference_liquid_formulas_give_the_published_values(recalculated, cid):
    b, mapping, _, wb, _ = recalculated[cid]
    expected = case(cid)["expected"]
    for key, name in mapping.items():
        value, _unit, tolerance = expected[key]
        got = named_cell(wb, name).value / _UNIT_SCALE.get((cid, key), 1)
        assert abs(got - value) <= tolerance + 1e-9, f"{cid} {key} ({name}): sheet {got}, expected {value}"
    _assert_lines_agree(b, wb)


def test_other_and_generated_liquids_agree_with_the_core(recalculated):
    keys = [k for k in recalculated if k.startswith(("gen-", "api-", "day-", "bud-"))]
    assert len(keys) == 11
    for key in keys:
        b, _, _, wb, path = recalculated[key]
        _assert_lines_agree(b, wb)
        assert verify_workbook(path).ok, key


def test_api_liquid_aliquot_is_live(recalculated):
    # 1 mg/mL × 30 mL at 99 %: 30.303 mg of powder. At most 30.303/119 = 0.2546 of a stock can be measured
    # for ≥ 120 mg after rounding up; the largest measurable share is 2.5 mL of 10 mL (3 mL syringe) = 0.25:
    # weigh 30.303/0.25 = 121.21 → 122 mg, which delivers 122 × 0.25 = 30.5 mg = 100.65 %
    b, _, _, wb, _ = recalculated["api-aliquot"]
    v = named_values(wb)
    assert b.aliquot is not None and v["aliquot_api_to_weigh"] == 122 and v["aliquot_flask_1"] == 10
    assert v["aliquot_volume_to_take"] == pytest.approx(2.5) and v["aliquot_powder_delivered"] == pytest.approx(30.5)
    assert v["aliquot_percent_of_target"] == pytest.approx(30.5 * 99 / 3000)
    assert (v["aliquot_measurable_1"], v["aliquot_solubility_check"], v["aliquot_within_limits"]) == ("yes", "OK", "OK")
    assert v["weighings_check"] == "OK"
    texts = {c.value for row in wb["Compounding record"].iter_rows() for c in row if isinstance(c.value, str)}
    assert "weigh 122 mg, dissolve in purified water to 10 mL; measure 2.5 mL" in texts


def test_two_stage_aliquot_is_live(recalculated):
    b, _, _, wb, _ = recalculated["api-two-stage"]
    v = named_values(wb)
    a = b.aliquot
    assert len(a.stages) == 2 and v["aliquot_take_2"] == pytest.approx(float(a.stages[1].volume_to_take.magnitude))
    assert [v["aliquot_measurable_1"], v["aliquot_measurable_2"], v["aliquot_within_limits"]] == ["yes", "yes", "OK"]
    texts = {c.value for row in wb["Compounding record"].iter_rows() for c in row if isinstance(c.value, str)}
    s1, s2 = a.stages
    want = (f"weigh {format_quantity(a.api_to_weigh)}, dissolve in purified water to {format_quantity(s1.made_up_to)}; "
            f"dilute {format_quantity(s1.volume_to_take)} to {format_quantity(s2.made_up_to)}; "
            f"measure {format_quantity(s2.volume_to_take)}")
    assert want in texts


def test_days_per_bottle_limited_by_the_bud(recalculated):
    b, _, _, wb, _ = recalculated["bud-limited"]
    v = named_values(wb)
    assert v["days_supply_3"] == pytest.approx(150 / 4.5) and v["days_usable_3"] == 14
    assert v["on_graduation_3"] == "yes"  # 4.5 mL on the 10 mL syringe's 0.5 mL marks: 1 mg/mL stays
    texts = {c.value for row in wb["Compounding record"].iter_rows() for c in row if isinstance(c.value, str)}
    assert "14 days (BUD; lasts 33.3)" in texts and "10 mL oral syringe (0.5 mL marks)" in texts


def test_record_and_label_show_the_concentration_unmistakably(recalculated):
    wb = recalculated["LQ-04"][3]
    record = {c.value for row in wb["Compounding record"].iter_rows() for c in row if isinstance(c.value, str)}
    label = {c.value for row in wb["Label"].iter_rows() for c in row if isinstance(c.value, str)}
    assert "0.5 mg/mL" in record
    assert "NALTREXONE HCl 0.5 mg/mL oral liquid" in label
    # the patient's dose (issue 10.5), on a mark of the syringe dispensed: 9 mL = 18 marks of 0.5 mL
    assert "4.5 mg = 9 mL: fill the 10 mL oral syringe to the 9 mL mark" in label
    assert not [t for t in label if t.startswith(("0.5 mg", "1.5 mg", "3 mg"))]  # no other dose of the table
    assert any("SHAKE WELL" in t for t in label)
    assert any("opioid" in t for t in label)


def test_yield_check(recalculated):
    assert named_values(recalculated["yield-pass"][3])["yc_verdict"] == "PASS"
    assert named_values(recalculated["yield-pass"][3])["yc_yield"] == pytest.approx(49.2 / 50)
    assert named_values(recalculated["yield-fail"][3])["yc_verdict"] == "FAIL"
    assert named_values(recalculated["LQ-01"][3])["yc_verdict"] == "INCOMPLETE: measure the final volume"


def test_changing_an_input_moves_every_dependent(recalculated):
    _, _, src, wb, path = recalculated["edited"]
    core = recompute(named_values(openpyxl.load_workbook(src)))
    assert core.naltrexone_hcl == Q(40, mg) and core.final_volume == Q(80, mL)
    for sec in sections(core):
        for line in sec.lines:
            if line.kind == "calc" and not line.is_date:
                assert named_cell(wb, line.name).value == pytest.approx(float(line.core), abs=line.tolerance), line.name
    assert check_word(wb, "tablet_powder_to_weigh") == "CHECK"
    report = verify_workbook(path)
    assert not report.ok and {"naltrexone_hcl", "tablet_powder_to_weigh"} <= {f.name for f in report.findings}


def test_liquid_workbook_sheets_and_print_setup():
    b = _reference()["LQ-02"][0]
    wb = workbook(b, lot_number="RX-1", paper="Letter")
    assert wb.sheetnames == ["Compounding record", "Calculations", "Yield check", "Label"]
    for ws in wb.worksheets:
        assert ws.protection.sheet and ws.page_setup.fitToWidth == 1 and ws.page_setup.orientation == "portrait"
        assert "Naltrexone HCl 1 mg/mL oral liquid, 150 mL" in ws.oddHeader.left.text
        assert ws.oddFooter.right.text == "Page &P of &N"


def test_hostile_text_in_a_liquid_record_stays_text():
    hostile = '=HYPERLINK("http://x","y")'
    wb = workbook(_reference()["LQ-01"][0], patient=hostile, directions="+1+1", notes="@SUM(1)")
    from tests.excel_support import printed_cells

    cells = [c for _, c in printed_cells(wb) if c.value in (hostile, "+1+1", "@SUM(1)")]
    # each typed once (issue 10: the label shows the record's cell by formula), each stored as text
    assert len(cells) == 3 and all(c.data_type == "s" for c in cells)


def test_liquid_record_converts_to_pdf(libreoffice, tmp_path):
    b = _reference()["LQ-02"][0]
    pdf = libreoffice.to_pdf(write_workbook(b, tmp_path / "lq02.xlsx", lot_number="L-2"))
    assert pdf.stat().st_size > 10_000


@pytest.mark.parametrize("given", [{"concentration": "1 mg/mL", "final_volume": "50 mL"},
                                   {"tablets": 1, "final_volume": "50 mL"},
                                   {"concentration": "0.5 mg/mL", "final_volume": "300 mL"}])
def test_whole_tablets_verify_however_the_batch_was_given(given):
    # 1 mg/mL × 50 mL is 50 mg: one whole 50 mg tablet, no powder weighed; 0.5 mg/mL × 300 mL is
    # 150 mg, three tablets. Given by its concentration the core's trace says "concentration × final
    # volume"; verify builds the record again the same way, not as "1 tablet × 50 mg"
    liquid = prepare_liquid(doses="1mg", compounding_date="2026-03-02", **given)
    assert liquid.tablets_to_use is not None
    data = workbook_bytes(liquid)
    report = verify_workbook(data)
    assert report.ok, str(report)
