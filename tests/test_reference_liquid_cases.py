"""Golden cases from tests/data/reference/cases.json: liquids, tablet powder, BUD of liquids, titration.

One parametrized test; each case is computed through the public functions and every expected value
is compared with the case's own tolerance. The file must exist: a missing file fails (never skips).
"""

from __future__ import annotations

from fractions import Fraction

import pint
import pytest

from compounding.liquids import average_tablet_weight, prepare_liquid, tablet_powder
from compounding.titration import plan_titration, units_per_strength
from compounding.units import Q, as_quantity, mg
from tests.reference_cases import load_cases

CASE_IDS = ["LQ-01", "LQ-02", "LQ-03", "LQ-04", "BUD-02", "BUD-03", "BUD-04",
            "TT-01", "TT-02", "TT-03", "TT-04"]


def _cases() -> dict[str, dict]:
    return {c["id"]: c for c in load_cases()}


def _q(pair) -> str:
    value, unit = pair
    return f"{value} {unit}"


def _by_dose(rows, dose: str):
    want = as_quantity(dose, "dose", "mass").to(mg)
    return next(r for r in rows if r.dose == want)


# --- each case's actual values, keyed as in its "expected" table --------------------------------

def lq_01(i):
    doses = [_q(i[k]) for k in ("dose_a", "dose_b", "dose_c")]
    p = prepare_liquid(tablets=i["tablets"][0], final_volume=_q(i["final_volume"]), doses=doses,
                       compounding_date="2024-03-01")
    rows = p.dose_volumes
    return {"concentration": p.concentration, "volume_dose_a": _by_dose(rows, doses[0]).volume,
            "volume_dose_b": _by_dose(rows, doses[1]).volume, "volume_dose_c": _by_dose(rows, doses[2]).volume,
            "days_per_tablet_at_4_5mg": _by_dose(rows, "4.5 mg").days_supply,
            "whole_doses_at_4_5mg": _by_dose(rows, "4.5 mg").doses_in_bottle}


def lq_02(i):
    p = prepare_liquid(concentration="1 mg/mL", final_volume=_q(i["batch_volume"]), vehicle="fawcett_1997",
                       doses=["1.5 mg", "3 mg", "4.5 mg"], compounding_date="2024-03-01")
    comp = {c.name: c.amount for c in p.components}
    rows = p.dose_volumes
    return {"tablets": p.tablets_to_use.magnitude, "naltrexone": p.naltrexone_hcl,
            "ascorbic_acid": comp["Ascorbic acid"], "sodium_benzoate": comp["Sodium benzoate"],
            "glycerol": comp["Glycerol"], "concentration": p.concentration,
            "volume_1_5mg": _by_dose(rows, "1.5 mg").volume, "volume_3mg": _by_dose(rows, "3 mg").volume,
            "volume_4_5mg": _by_dose(rows, "4.5 mg").volume,
            "days_supply_at_4_5mg": _by_dose(rows, "4.5 mg").days_supply}


def lq_03(i):
    drug = (as_quantity(_q(i["concentration"]), "concentration", "concentration")
            * as_quantity(_q(i["volume"]), "volume", "volume")).to(mg)
    avg = average_tablet_weight(_q(i["weight_of_tablets"]), i["tablets_weighed"][0])
    tp = tablet_powder(drug, _q(i["tablet_strength"]), avg)
    return {"drug_required": tp.drug_required, "tablets_equivalent": tp.tablets_equivalent,
            "powder_to_weigh": tp.powder_to_weigh}


def lq_04(i):
    avg = average_tablet_weight(_q(i["weight_of_tablets"]), i["tablets_weighed"][0])
    p = prepare_liquid(concentration=_q(i["concentration"]), final_volume=_q(i["volume"]), tablet_weight=avg,
                       mwq=_q(i["MWQ"]), doses=["0.5 mg", "1.5 mg", "3 mg", "4.5 mg"],
                       compounding_date="2024-03-01")
    rows = p.dose_volumes
    return {"drug_required": p.naltrexone_hcl, "tablets_equivalent": p.tablets_equivalent,
            "average_tablet_weight": p.average_tablet_weight * Q(1, "tablet"),
            "powder_to_weigh": p.tablet_powder_to_weigh, "powder_above_MWQ": p.above_mwq,
            "volume_0_5mg": _by_dose(rows, "0.5 mg").volume, "volume_1_5mg": _by_dose(rows, "1.5 mg").volume,
            "volume_3mg": _by_dose(rows, "3 mg").volume, "volume_4_5mg": _by_dose(rows, "4.5 mg").volume}


def _bud(vehicle, **kw):
    p = prepare_liquid(tablets=1, final_volume="50 mL", vehicle=vehicle, **kw)
    return p


def bud_02(i):
    p = _bud("purified_water", compounding_date=i["compounding_date"][0], day_one_is_compounding_day=True)
    return {"bud_days": p.bud.days, "storage": p.storage, "bud_date_day1_convention": p.bud.date.isoformat()}


def bud_03(i):
    p = _bud("fawcett_1997", compounding_date="2024-03-01")
    return {"bud_days": p.bud.days, "storage": p.storage}


def bud_04(i):
    p = _bud("mct_oil", compounding_date="2024-03-01")
    return {"bud_days": p.bud.days, "storage": p.storage}


def tt_01(i):
    stages = [(_q(i[f"step{k}_dose"]).replace("/day", ""), i[f"step{k}_days"][0]) for k in (1, 2, 3)]
    p = plan_titration(stages=stages, form="capsules", start_date="2026-01-05")
    caps = {s.magnitude: n for s, n in p.capsules_per_strength}
    return {"caps_1_5mg_only": p.single_strength[1], "caps_1_5mg_mixed": caps[Fraction(3, 2)],
            "caps_3mg_mixed": caps[3], "caps_4_5mg_mixed": caps[Fraction(9, 2)], "total_drug_6_weeks": p.total_drug}


def _regimen(i, **kw):
    return plan_titration(start=_q(i["start_dose"]).replace("/day", ""), step=_q(i["increment"]),
                          every=i["step_length"][0], target=_q(i["max_dose"]).replace("/day", ""),
                          maintain=i["step_length"][0], form="liquid",
                          concentration=_q(i["concentration"]), start_date="2026-01-05", **kw)


def tt_02(i):
    p = _regimen(i)
    by = {s.dose.magnitude: s for s in p.stages}
    stage_volume = lambda s: s.dose_volume.volume * s.days  # noqa: E731
    return {"steps": len(p.stages), "first_day_at_4_5mg": by[Fraction(9, 2)].first_day,
            "total_days": p.total_days, "volume_step_1_5mg": stage_volume(by[Fraction(3, 2)]),
            "volume_step_4_5mg": stage_volume(by[Fraction(9, 2)]), "total_drug": p.total_drug,
            "total_volume": p.total_volume}


def tt_03(i):
    p = _regimen(i)
    by = {s.dose.magnitude: s for s in p.stages}
    return {"volume_0_5mg": by[Fraction(1, 2)].dose_volume.volume, "volume_1mg": by[1].dose_volume.volume,
            "volume_4_5mg": by[Fraction(9, 2)].dose_volume.volume,
            "week_reaching_4_5mg": (by[Fraction(9, 2)].first_day - 1) // 7 + 1,
            "total_volume_9_weeks": p.total_volume, "total_drug_9_weeks": p.total_drug}


def tt_04(i):
    stages = [(_q(i[f"s{k}"]).replace("/day", ""), i[f"s{k}_days"][0]) for k in (1, 2, 3, 4)]
    counts = {s.magnitude: n for s, n in units_per_strength(stages, [("25 mg", 2), ("5 mg", 1)])}
    return {"tablets_25mg": counts[25], "tablets_5mg": counts[5]}


ACTUAL = {"LQ-01": lq_01, "LQ-02": lq_02, "LQ-03": lq_03, "LQ-04": lq_04, "BUD-02": bud_02,
          "BUD-03": bud_03, "BUD-04": bud_04, "TT-01": tt_01, "TT-02": tt_02, "TT-03": tt_03, "TT-04": tt_04}

_UNITS = {"day": "day", "mL": "mL", "mg": "mg", "g": "g", "mg/mL": "mg/mL"}


def _number(actual, unit: str):
    if isinstance(actual, pint.Quantity):
        assert unit in _UNITS, f"no unit mapping for {unit}"
        return float(actual.to(_UNITS[unit]).magnitude)
    if isinstance(actual, Fraction):
        return float(actual)
    return actual


def test_every_case_is_mapped():
    assert set(ACTUAL) == set(CASE_IDS)


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_reference_case(case_id):
    case = _cases()[case_id]
    actual = ACTUAL[case_id](case["inputs"])
    assert set(actual) == set(case["expected"]), "every expected value is checked"
    for key, (value, unit, tolerance) in case["expected"].items():
        got = _number(actual[key], unit)
        if isinstance(value, (bool, str)):
            assert got == value, f"{case_id} {key}: {got!r} != {value!r}"
        else:
            assert got == pytest.approx(value, abs=tolerance), f"{case_id} {key}: {got} vs {value} ± {tolerance}"
