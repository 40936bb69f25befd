"""Capsule batches weighed at the balance's readability (issue 8.5), recalculated from what was
actually weighed (8.6), with enough tablets crushed (9.2) and every weighing checked against the
MWQ (9.5). Each expected number is worked by hand in the test's comment.

Balances (formulas/reference/balances.toml): Class III, MWQ 120 mg, readability 10 mg; analytical,
MWQ 82 mg, readability 0.1 mg. Capsule limits 90-110 % (qc.toml); fill weight within ±3 %.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import assume, given, strategies as st

from compounding.capsules import capsule_batch
from compounding.errors import CalculationError, InputError, RangeError
from compounding.sheet import capsule_sheet
from compounding.units import Q, mg

DATE = "2026-01-05"
CAP05 = dict(extra="10%", capsule_size="1", fill_weight="270 mg", api_fill_weight="350 mg", compounding_date=DATE)


def shown(b) -> dict[str, str]:
    return {w.key: w.shown for w in b.weighings}


def percent(b) -> Fraction:
    return b.planned.percent_of_target.to("percent").magnitude


# --- 8.5: weighings at the balance's readability ------------------------------------------------

def test_issue_example_aliquot_at_class_iii_readability():
    # 0.5 mg × 30 at 98.5 %: R = 15 ÷ 0.985 = 15.2284 mg < MWQ 120 → factor ceil(120 ÷ 15.23) = 8.
    # Before: weigh 121.83 mg (8 × R), add 838.17 mg. Now at 10 mg steps: drug 121.83 → 120 mg;
    # aliquot max(120, 2R) → 120 mg; mixture wanted 120 × 120 ÷ R = 945.6 → diluent 825.6 → 830 mg;
    # the aliquot holds 120 × 120 ÷ 950 = 15.1579 mg = 99.54 % of R. Filler in blend (size 3, 90 mg
    # table): 30 × (90 − R/30) = 2684.77 mg; carried 120 − 15.1579 = 104.84; to add 2579.93 → 2580 mg.
    b = capsule_batch("0.5 mg", 30, potency="98.5%", compounding_date=DATE)
    assert shown(b) == {"drug": "120 mg", "diluent": "830 mg", "aliquot": "120 mg", "filler": "2580 mg"}
    assert b.readability == Q(10, mg)
    stage = b.aliquot.stages[0]
    assert stage.mixture_total == Q(950, mg) and stage.drug_in_aliquot == Q(Fraction(14400, 950), mg)
    assert round(float(percent(b)), 2) == 99.54
    sheet = capsule_sheet(b)
    assert "121.83" not in sheet and "838.17" not in sheet
    assert "weigh 120 mg, add 830 mg diluent" in sheet


def test_direct_weighing_in_g_above_10_g_with_its_window():
    # CAP-05: 445.5 mg drug → 450 mg (44.55 steps → 45); delivers 4.5 × 450 ÷ 445.5 = 4.5455 mg
    # (101.01 %). Filler 26386.33 mg → 26390 mg, shown in g: 26.39 g.
    # Drug window: 90-110 % of 445.5 = 400.95-490.05 → 410-490 mg in whole steps (the fill limit,
    # blend 26831.83 ± 3 %, allows far more). Filler window: blend ± 3 % = 26026.88-27636.78, minus
    # the 450 mg of drug = 25576.88-27186.78 → 25.58 g to 27.18 g.
    b = capsule_batch("4.5 mg", 90, **CAP05)
    assert shown(b) == {"drug": "450 mg", "filler": "26.39 g"}
    assert b.planned.drug_per_capsule.to("mg/capsule").magnitude == Fraction(50, 11)
    assert {w.key: w.window for w in b.weighings} == {"drug": "410 mg to 490 mg", "filler": "25.58 g to 27.18 g"}
    assert b.planned.within_limits and b.planned.blend_total == Q(26840, mg)


def test_analytical_balance_weighs_to_0_1_mg():
    # 4.5 mg × 30 at 98.5 %: 135 ÷ 0.985 = 137.0558 mg → 137.1 mg (100.03 %); window 123.35-150.76
    # → 123.4 to 150.7 mg.
    b = capsule_batch("4.5 mg", 30, potency="98.5%", balance="analytical_0_1mg", compounding_date=DATE)
    assert shown(b)["drug"] == "137.1 mg" and b.weighings[0].window == "123.4 mg to 150.7 mg"
    assert round(float(percent(b)), 2) == 100.03


def test_a_plan_that_misses_the_limits_changes():
    # 0.8 mg × 30 = 24 mg on a balance with MWQ 20 mg and 10 mg steps: weighed directly it would be
    # 20 mg (83 %, outside 90-110 %). Planned as if the MWQ were 40 mg: factor ceil(40/24) = 2,
    # drug 48 → 50 mg; aliquot max(40, 24 × (40 + 50) ÷ 50 = 43.2) → 50 mg; mixture wanted
    # 50 × 50 ÷ 24 = 104.17 → diluent 54.17 → 50 mg; the aliquot holds 50 × 50 ÷ 100 = 25 mg = 104.17 %.
    b = capsule_batch("0.8 mg", 30, mwq="20 mg", readability="10 mg", compounding_date=DATE)
    assert b.aliquot is not None
    assert {k: v for k, v in shown(b).items() if k != "filler"} == {"drug": "50 mg", "diluent": "50 mg",
                                                                   "aliquot": "50 mg"}
    assert percent(b) == Fraction(2500, 24)


def test_no_plan_fits_a_balance_too_coarse_for_the_blend():
    # One 0.1 mg capsule, size 3: the blend is 90 mg. Every amount is a whole number of 20 mg steps,
    # so the blend can only be 80 or 100 mg, 11 % off the 90 mg fill: refused, naming the readability.
    with pytest.raises(CalculationError) as info:
        capsule_batch("0.1 mg", 1, mwq="20 mg", readability="20 mg", compounding_date=DATE)
    assert info.value.field == "readability" and "fill weight" in str(info.value)


def test_an_entered_mwq_without_readability_assumes_a_coarse_step_and_says_so():
    # MWQ 82 mg: the power of ten at or below 82 ÷ 12 = 6.8 is 1 mg
    b = capsule_batch("4.5 mg", 30, mwq="82 mg", compounding_date=DATE)
    assert b.readability == Q(1, mg)
    assert any("Readability of your balance not given" in w for w in b.warnings)
    assert shown(b)["drug"] == "135 mg"


@pytest.mark.parametrize("kw, error, field", [
    (dict(readability="1 mg"), InputError, "readability"),                 # a listed balance has its own
    (dict(mwq="120 mg", readability="200 mg"), RangeError, "readability"),  # coarser than its MWQ
    (dict(mwq="120 mg", readability="0 mg"), RangeError, "readability"),
    (dict(mwq="120 mg", readability="10 mL"), InputError, "readability"),
])
def test_readability_invalid(kw, error, field):
    with pytest.raises(error) as info:
        capsule_batch("4.5 mg", 30, compounding_date=DATE, **kw)
    assert info.value.field == field


def test_json_and_sheet_carry_the_weighings():
    from compounding.jsonout import to_jsonable

    b = capsule_batch("4.5 mg", 90, **CAP05)
    d = json.loads(json.dumps(to_jsonable(b)))
    assert [(w["key"], w["shown"]) for w in d["weighings"]] == [("drug", "450 mg"), ("filler", "26.39 g")]
    assert d["readability"] == {"value": 10, "unit": "mg"}
    assert d["planned"]["within_limits"] is True
    sheet = capsule_sheet(b)
    assert "450 mg   acceptable 410 mg to 490 mg" in sheet and "26.39 g" in sheet
    assert "101.01% of the 4.5 mg strength" in sheet
    assert "recalculate from the actual weight" in sheet


# --- 8.6: recalculated from what was actually weighed -------------------------------------------

def test_recalculated_from_actual_drug_and_filler():
    # CAP-05 weighed 452 mg drug and 26.4 g filler: blend 26852 mg; fill 26852 ÷ 99 = 271.23 mg;
    # drug 4.5 × 452 ÷ 445.5 = 452/99 mg = 101.46 %; QC 90-110 % of 271.23 mg
    from compounding.capsules import recalculate

    b = recalculate(capsule_batch("4.5 mg", 90, **CAP05), {"drug": "452 mg", "filler": "26.4 g"})
    a = b.actual
    assert a.actual == ("drug", "filler") and a.blend_total == Q(26852, mg)
    assert a.fill_weight_per_capsule.to("mg/capsule").magnitude == Fraction(26852, 99)
    assert a.drug_per_capsule.to("mg/capsule").magnitude == Fraction(452, 99)
    assert a.fill_weight_min.to("mg/capsule").magnitude == Fraction(26852, 99) * Fraction(9, 10)
    assert a.within_limits and b.planned.blend_total == Q(26840, mg)  # the plan is kept beside it


def test_recalculated_aliquot_follows_each_stage():
    # 0.5 mg × 30 at 98.5 % (plan: 120 mg drug, 830 mg diluent, 120 mg aliquot, 2580 mg filler).
    # Weighed 123.4 mg drug, 840 mg diluent, filler 2582 mg, aliquot as planned: the aliquot holds
    # 123.4 × 120 ÷ 963.4 = 15.3706 mg; ÷ 15.2284 (= 15 ÷ 0.985) = 100.93 %; blend 120 + 2582 = 2702 mg.
    b = capsule_batch("0.5 mg", 30, potency="98.5%", compounding_date=DATE,
                      actual_weights={"drug": "123.4 mg", "diluent": "0.84 g", "filler": "2582 mg"})
    a = b.actual
    assert a.weights["aliquot"] == Q(120, mg) and a.blend_total == Q(2702, mg)
    assert a.drug_powder == Q(Fraction("123.4") * 120 / Fraction("963.4"), mg)
    assert round(float(a.percent_of_target.magnitude), 2) == 100.93 and a.within_limits


def test_recalculated_outside_the_limits_says_so():
    # 500 mg instead of 450 mg: 500 ÷ 445.5 = 112.23 % > 110 %
    b = capsule_batch("4.5 mg", 90, actual_weights={"drug": "500 mg"}, **CAP05)
    assert not b.actual.within_limits and "112.23%" in b.actual.reasons[0]
    assert any("OUTSIDE its limits" in w for w in b.warnings)
    assert "Verdict: OUTSIDE LIMITS" in capsule_sheet(b)


@pytest.mark.parametrize("actual, error, field", [
    ({"aliquot": "120 mg"}, InputError, "actual_aliquot"),        # a direct weighing has no aliquot
    ({"drug": "-450 mg"}, RangeError, "actual_drug"),
    ({"drug": "0 mg"}, RangeError, "actual_drug"),
    ({"drug": "450 mL"}, InputError, "actual_drug"),
    ({"drug": "4,5 g"}, InputError, "actual_drug"),
    ({"flour": "1 g"}, InputError, "actual_weights"),
])
def test_actual_weights_invalid(actual, error, field):
    with pytest.raises(error) as info:
        capsule_batch("4.5 mg", 90, actual_weights=actual, **CAP05)
    assert info.value.field == field


def test_an_aliquot_heavier_than_its_mixture_is_refused():
    # plan: 120 mg + 830 mg diluent = 950 mg mixture; a 960 mg aliquot cannot come out of it
    with pytest.raises(CalculationError) as info:
        capsule_batch("0.5 mg", 30, potency="98.5%", compounding_date=DATE, actual_weights={"aliquot": "960 mg"})
    assert info.value.field == "actual_aliquot"


def test_cli_actual_weights_in_json_and_sheet():
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    args = [sys.executable, "-m", "compounding", "capsules", "--strength", "4.5mg", "--quantity", "90",
            "--extra", "10%", "--capsule-size", "1", "--fill-weight", "270mg", "--api-fill-weight", "350mg",
            "--date", DATE, "--actual-drug", "452mg", "--actual-filler", "26.4g"]
    d = json.loads(subprocess.run(args + ["--json"], cwd=repo, capture_output=True, text=True, check=True).stdout)
    assert d["actual"]["weights"]["drug"] == {"value": 452, "unit": "mg"}
    assert d["actual"]["blend_total"] == {"value": 26852, "unit": "mg"} and d["actual"]["within_limits"] is True
    sheet = subprocess.run(args, cwd=repo, capture_output=True, text=True, check=True).stdout
    assert "Recalculated from the actual weights:" in sheet and "Verdict: WITHIN LIMITS" in sheet
    assert "4.57 mg, 101.46% of the 4.5 mg strength" in sheet  # 4.5656… mg at the mg display rule
    bad = subprocess.run(args[:-4] + ["--actual-aliquot", "120mg"], cwd=repo, capture_output=True, text=True)
    assert bad.returncode == 2 and "actual_aliquot" in bad.stderr and bad.stdout == ""


@pytest.mark.parametrize("actual", [None, {"drug": "123.4 mg", "diluent": "840 mg", "filler": "2582 mg"},
                                    {"aliquot": "125 mg"}])
def test_excel_record_with_actual_weights_verifies(actual):
    from compounding.excel import workbook_bytes
    from compounding.verify import verify_workbook

    b = capsule_batch("0.5 mg", 30, potency="98.5%", compounding_date=DATE, actual_weights=actual)
    report = verify_workbook(workbook_bytes(b))
    assert report.ok, [str(f) for f in report.findings]


# --- 9.2: enough tablets crushed for every amount of tablet powder weighed ----------------------

def test_issue_example_one_tablet_is_not_enough_for_the_aliquot():
    # 0.9 mg × 30 = 27 mg of drug from 50 mg tablets weighing 200 mg: powder needed 27 × 200 ÷ 50 =
    # 108 mg < MWQ 120 → factor 2: 216 mg, at 10 mg steps 220 mg of tablet powder to weigh. One
    # tablet (0.54 tablets' worth of drug) has only 200 mg of powder: 220 ÷ 200 = 1.1 → crush 2.
    b = capsule_batch("0.9 mg", 30, source="tablets", tablet_weight="200 mg", compounding_date=DATE)
    assert shown(b)["drug"] == "220 mg" and b.tablets_equivalent == Fraction(27, 50)
    assert b.tablets_to_crush.magnitude == 2
    step = next(s for s in b.trace if s.key == "tablets_to_crush")
    assert "1.1 tablets' worth of powder, rounded up" in str(step)
    assert "2 tablets (rounded up from 1.1): their powder holds the 220 mg" in capsule_sheet(b)


def test_direct_weighing_rounded_up_past_the_last_tablet():
    # 50 mg tablets of 235 mg, 3 mg × 50 = 150 mg of drug = exactly 3 tablets' worth = 705 mg of
    # powder; at 10 mg steps 705 → 710 mg, more than 3 tablets hold (705 mg): crush 4.
    b = capsule_batch("3 mg", 50, source="tablets", tablet_weight="235 mg", compounding_date=DATE)
    assert b.tablets_equivalent == 3 and shown(b)["drug"] == "710 mg"
    assert b.tablets_to_crush.magnitude == 4



@given(strength=st.integers(1, 45).map(lambda n: f"{n / 10} mg"), quantity=st.integers(1, 400),
       tablet_weight=st.integers(500, 12000).map(lambda n: f"{n / 10} mg"),
       balance=st.sampled_from(["class_iii", "analytical_0_1mg"]))
def test_crushed_tablets_hold_every_tablet_powder_weighing(strength, quantity, tablet_weight, balance):
    from compounding.errors import CompoundingError

    try:
        b = capsule_batch(strength, quantity, source="tablets", tablet_weight=tablet_weight, balance=balance,
                          compounding_date=DATE)
    except CompoundingError:
        assume(False)
    average = b.average_tablet_weight.to("mg/tablet").magnitude
    n = b.tablets_to_crush.to("tablet").magnitude
    weighed = [w.amount.to(mg).magnitude for w in b.weighings if w.key == "drug"]
    assert weighed and all(n * average >= x for x in weighed)
    assert n * average >= b.tablet_powder_to_weigh.to(mg).magnitude
    assert (n - 1) * average < max(weighed + [b.tablet_powder_to_weigh.to(mg).magnitude])  # none spare


# --- 9.5: every weighing checked against the MWQ ------------------------------------------------

def test_filler_to_add_below_the_mwq_is_named_in_a_warning():
    # 4.5 mg × 1 capsule, size 1 (MCC table fill 150 mg): R = 4.5 mg < 120 → factor 27: drug 121.5
    # → 120 mg; aliquot 120 mg; mixture 120 × 120 ÷ 4.5 = 3200 mg (diluent 3080 mg); the aliquot holds
    # exactly 4.5 mg and carries 115.5 mg of MCC; filler in blend 150 − 4.5 = 145.5 mg → 30 mg to add,
    # below the 120 mg MWQ.
    b = capsule_batch("4.5 mg", 1, capsule_size="1", compounding_date=DATE)
    assert shown(b) == {"drug": "120 mg", "diluent": "3080 mg", "aliquot": "120 mg", "filler": "30 mg"}
    (low,) = [w for w in b.weighings if w.below_mwq]
    assert low.key == "filler"
    assert any("Weighing below the MWQ" in w and low.what in w and "(30 mg)" in w for w in b.warnings)
    assert "30 mg   BELOW THE MWQ" in capsule_sheet(b)


SIZES = ["0", "1", "3", "4"]


@given(strength=st.integers(1, 45).map(lambda n: f"{n / 10} mg"), quantity=st.integers(1, 300),
       source=st.sampled_from(["api", "tablets"]), size=st.sampled_from(SIZES),
       balance=st.sampled_from([{}, {"balance": "analytical_0_1mg"}, {"mwq": "50 mg", "readability": "1 mg"},
                                {"mwq": "200 mg"}]))
def test_every_weighing_is_at_least_the_mwq_or_named_in_a_warning(strength, quantity, source, size, balance):
    from compounding.errors import CompoundingError

    kw = dict(source=source, capsule_size=size, compounding_date=DATE, **balance)
    if source == "tablets":
        kw["tablet_weight"] = "321 mg"
    try:
        b = capsule_batch(strength, quantity, **kw)
    except CompoundingError:
        assume(False)
    for w in b.weighings:
        assert w.mwq == b.mwq
        if w.amount < b.mwq:
            assert any(w.what in text and w.shown in text and "MWQ" in text for text in b.warnings), w
