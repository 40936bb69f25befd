"""compounding.titration: stages, dispensing, liquid fills, chart, errors and properties."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from compounding.errors import CalculationError, InputError, RangeError, UnitError
from compounding.liquid_data import liquid_data
from compounding.titration import (capsules_per_strength, liquid_fills, plan_titration, regimen_stages,
                                   single_strength, units_per_strength)
from compounding.units import Q, mg, mg_per_mL, mL

SEED = dict(start="1.5 mg", step="1.5 mg", every=14, target="4.5 mg", maintain=28, start_date="2026-01-05")


def test_seed_regimen_capsules():
    p = plan_titration(form="capsules", **SEED)
    assert [(s.dose.magnitude, s.days, s.first_day) for s in p.stages] == [
        (Fraction(3, 2), 14, 1), (3, 14, 15), (Fraction(9, 2), 28, 29)]
    assert p.stages[1].start_date == dt.date(2026, 1, 19) and p.stages[-1].end_date == dt.date(2026, 3, 1)
    assert [(s.magnitude, n) for s, n in p.capsules_per_strength] == [(Fraction(3, 2), 14), (3, 14), (Fraction(9, 2), 28)]
    assert p.single_strength == (Q("1.5", mg), 14 + 28 + 84)
    assert p.total_drug == Q(189, mg) and p.fills is None


def test_seed_regimen_liquid_fills_within_bud():
    p = plan_titration(form="liquid", concentration="1 mg/mL", **SEED)
    assert p.bud_days == 14 and len(p.fills) == 4
    assert [f.volume for f in p.fills] == [Q(21, mL), Q(42, mL), Q(63, mL), Q(63, mL)]
    assert [f.date.isoformat() for f in p.fills] == ["2026-01-05", "2026-01-19", "2026-02-02", "2026-02-16"]
    assert sum((f.volume for f in p.fills), Q(0, mL)) == p.total_volume == Q(189, mL)
    # issue 8.7: 4.5 mL is off the 5 mL syringe's 0.2 mL marks but on the 10 mL syringe's 0.5 mL marks: 1 mg/mL stays
    assert p.recommended_concentration is None


def test_ten_week_plain_water_plan_needs_several_fills():
    p = plan_titration(start="1.5 mg", step="0.5 mg", every=14, target="4.5 mg", maintain=14, form="liquid")
    assert len(p.fills) == 7 and all(f.days <= 14 for f in p.fills)


def test_preserved_vehicle_fewer_fills():
    p = plan_titration(form="liquid", vehicle="fawcett_1997", **SEED)
    assert p.bud_days == 35 and [f.days for f in p.fills] == [35, 21]


def test_overage_added_to_each_fill():
    p = plan_titration(form="liquid", overage="10%", **SEED)
    assert p.fills[0].volume == Q(Fraction(231, 10), mL)


def test_preset_and_override():
    p = plan_titration(preset="seed_neuropathic", start_date="2026-01-05")
    assert p.preset == "seed_neuropathic" and p.total_days == 56
    p = plan_titration(preset="seed_neuropathic", maintain=84)
    assert p.stages[-1].days == 84


def test_every_preset_plans():
    for key in liquid_data().regimens:
        p = plan_titration(preset=key, form="liquid")
        assert p.stages[-1].dose == Q("4.5", mg)


def test_step_capped_at_target_warns():
    p = plan_titration(start="1 mg", step="1 mg", every=7, target="4.5 mg", maintain=28)
    assert [s.dose.magnitude for s in p.stages] == [1, 2, 3, 4, Fraction(9, 2)]
    assert p.stages[-1].first_day == 29  # 4.5 mg in week 5 (S. Dickson)
    assert any("last step" in w for w in p.warnings)


def test_start_equals_target():
    p = plan_titration(start="4.5 mg", target="4.5 mg", every=14, maintain=30)
    assert len(p.stages) == 1 and p.total_days == 30


def test_maintain_defaults_to_one_interval():
    p = plan_titration(start="1.5 mg", step="1.5 mg", every=14, target="4.5 mg")
    assert p.total_days == 42


def test_every_in_weeks():
    p = plan_titration(start="1.5 mg", step="1.5 mg", every="2 weeks", target="4.5 mg")
    assert p.stages[1].first_day == 15


def test_explicit_stages_text():
    p = plan_titration(stages="1.5mg:14,3mg:14,4.5mg:28")
    assert p.total_days == 56


def test_chart_capsules_and_liquid():
    p = plan_titration(form="capsules", **SEED)
    assert p.chart[0].date == dt.date(2026, 1, 5) and p.chart[0].capsule == Q("1.5", mg)
    assert p.chart[-1].day == 56 and p.chart[-1].dose == Q("4.5", mg)
    q = plan_titration(form="liquid", **SEED)
    assert q.chart[14].volume == Q(3, mL) and q.chart[14].syringe.key == "oral_3mL" and q.chart[14].fill == 2
    d = q.as_dict()["chart"][0]
    assert set(d) == {"day", "date", "dose", "capsule", "volume", "syringe", "fill"}


def test_units_per_strength_generic_and_refusal():
    counts = units_per_strength([("12.5 mg", 4)], [("25 mg", 2), ("5 mg", 1)])
    assert dict((s.magnitude, n) for s, n in counts) == {5: 0, 25: 2}
    with pytest.raises(CalculationError):
        units_per_strength([("7 mg", 1)], [("25 mg", 2), ("5 mg", 1)])


def test_single_strength_none_when_not_multiples():
    pairs = regimen_stages("1.5 mg", "0.5 mg", 14, "4.5 mg", 14)
    assert single_strength(pairs) is None
    assert len(capsules_per_strength(pairs)) == 7


def test_capsule_batch_past_bud_warns():
    p = plan_titration(stages=[("1.5 mg", 14), ("4.5 mg", 200)])
    assert any("BUD" in w for w in p.warnings)


# --- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, field", [
    (dict(start="1.5 mg", step="0 mg", every=14, target="4.5 mg"), CalculationError, "step"),  # never reaches
    (dict(start="1.5 mg", step="-0.5 mg", every=14, target="4.5 mg"), CalculationError, "step"),
    (dict(start="0.1 mg", step="1 mcg", every=14, target="4.5 mg"), CalculationError, "step"),  # too many stages
    (dict(start="1.5 mg", step="1.5 mg", every=14, target="6 mg"), RangeError, "target"),  # above 4.5 mg
    (dict(start="0.05 mg", step="0.5 mg", every=14, target="4.5 mg"), RangeError, "start"),
    (dict(start="4.5 mg", step="0.5 mg", every=14, target="1.5 mg"), RangeError, "start"),
    (dict(start="1.5 mg", step="1.5 mg", every=0, target="4.5 mg"), RangeError, "every"),
    (dict(start="1.5 mg", step="1.5 mg", every="1.5", target="4.5 mg"), UnitError, "every"),
    (dict(start="1.5 mg", step="1.5 mg", every=14.5, target="4.5 mg"), RangeError, "every"),
    (dict(start="1.5 mg", step="1.5 mg", every=float("nan"), target="4.5 mg"), RangeError, "every"),
    (dict(start="1.5 mg", step="1.5 mg", every=14, target="4.5 mg", maintain=-1), RangeError, "maintain"),
    (dict(start="1.5 mL", step="1.5 mg", every=14, target="4.5 mg"), UnitError, "start"),
    (dict(start="nan mg", step="1.5 mg", every=14, target="4.5 mg"), RangeError, "start"),
    (dict(start="abc", step="1.5 mg", every=14, target="4.5 mg"), InputError, "start"),
    (dict(start="1.5 mg", step="1.5 mg", target="4.5 mg"), InputError, "every"),
    (dict(start="1.5 mg", step="1.5 mg", every=14, target="4.5 mg", form="drops"), InputError, "form"),
    (dict(start="1.5 mg", step="1.5 mg", every=14, target="4.5 mg", form="liquid",
          concentration="1 mg"), UnitError, "concentration"),
    (dict(start="1.5 mg", step="1.5 mg", every=14, target="4.5 mg", form="liquid",
          concentration="0 mg/mL"), RangeError, "concentration"),
    (dict(preset="nope"), InputError, "preset"),
    (dict(stages="1.5mg:14,3mg"), InputError, "stages"),
    (dict(stages="1.5mg:14", start="1.5 mg"), InputError, "stages"),
    (dict(stages=[("9 mg", 14)]), RangeError, "stages[0].dose"),
    (dict(stages=[("1.5 mg", 0)]), RangeError, "stages[0].days"),
])
def test_plan_titration_invalid(kwargs, error, field):
    with pytest.raises(error) as e:
        plan_titration(**kwargs)
    assert e.value.field == field


def test_target_above_range_says_ldn():
    with pytest.raises(RangeError) as e:
        plan_titration(start="1.5 mg", step="1.5 mg", every=14, target="6 mg")
    assert "LDN" in str(e.value)


# --- properties -------------------------------------------------------------------------------

tenths = st.integers(min_value=1, max_value=45).map(lambda n: Fraction(n, 10))


@given(start=tenths, step=st.integers(min_value=1, max_value=20).map(lambda n: Fraction(n, 10)),
       every=st.integers(min_value=1, max_value=28), maintain=st.integers(min_value=1, max_value=90),
       form=st.sampled_from(["capsules", "liquid"]))
def test_property_stage_days_add_up(start, step, every, maintain, form):
    target = Fraction(9, 2)
    p = plan_titration(start=Q(start, mg), step=Q(step, mg), every=every, target=Q(target, mg),
                       maintain=maintain, form=form, start_date="2026-01-05")
    assert sum(s.days for s in p.stages) == p.total_days == len(p.chart)
    assert p.chart[-1].date == dt.date(2026, 1, 5) + dt.timedelta(days=p.total_days - 1)
    assert p.stages[-1].dose == Q(target, mg) and p.stages[-1].days == maintain
    assert all(a.dose < b.dose for a, b in zip(p.stages, p.stages[1:]))
    assert sum((c.dose for c in p.chart), Q(0, mg)) == p.total_drug
    if form == "capsules":
        assert sum(n for _, n in p.capsules_per_strength) == p.total_days
    else:
        assert sum((f.volume for f in p.fills), Q(0, mL)) == p.total_volume
        assert all(f.days <= p.bud_days for f in p.fills)
        assert sum(f.days for f in p.fills) == p.total_days


@given(doses=st.lists(tenths, min_size=1, max_size=60), bud=st.integers(min_value=1, max_value=35))
def test_property_fills_cover_every_day(doses, bud):
    daily = [Q(d, mg) for d in doses]
    fills = liquid_fills(daily, Q(1, mg_per_mL), bud, dt.date(2026, 1, 5))
    assert [f.first_day for f in fills] == list(range(1, len(doses) + 1, bud))
    assert sum((f.naltrexone_hcl for f in fills), Q(0, mg)) == sum(daily, Q(0, mg))
