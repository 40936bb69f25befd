"""compounding.weighing: MWQ, weighing error, and aliquot plans (example-based; golden cases in
test_reference_capsule_cases.py, properties in test_capsules_properties.py)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from compounding.errors import CalculationError, InputError
from compounding.units import Q, mg, percent
from compounding.weighing import (mwq_from_repeatability, mwq_from_scale_interval, mwq_from_sensitivity,
                                  percent_error, plan_aliquot, plan_single_stage, sensitivity_from_pointer,
                                  weighing_error)
from tests.invariants import aliquot_violations

MWQ = Q(120, mg)


def test_mwq_formulas():
    assert mwq_from_sensitivity(Q(6, mg), Q(5, percent)) == Q(120, mg)
    assert mwq_from_scale_interval(Q("0.1", mg)) == Q(82, mg)
    assert mwq_from_repeatability(Q("0.05", mg)) == Q(100, mg)
    assert sensitivity_from_pointer(Q(20, mg), 2) == Q(10, mg)


def test_errors_of_a_weighing():
    assert percent_error(Q(6, mg), Q(120, mg)) == Q(5, percent)
    error, pct = weighing_error(Q(600, mg), Q(575, mg))
    assert error == Q(25, mg) and pct.to(percent).magnitude * 600 == 2500


def test_the_domain_primer_example():
    plan = plan_aliquot(Q(12, mg), MWQ)
    (s,) = plan.stages
    assert (s.factor, s.drug_to_weigh, s.diluent_to_add, s.mixture_total, s.aliquot_to_take) == \
        (10, Q(120, mg), Q(1080, mg), Q(1200, mg), Q(120, mg))


@pytest.mark.parametrize("required_mg, stages", [("0.1", 2), ("1", 2), ("1.2", 1), ("3", 1), ("12", 1), ("119", 1),
                                                 ("0.5", 2), ("0.0144", 2)])
def test_plans_satisfy_the_rules(required_mg, stages):
    required = Q(required_mg, mg)
    plan = plan_aliquot(required, MWQ)
    assert len(plan.stages) == stages
    assert aliquot_violations(plan, required, MWQ) == []
    assert plan.diluent_in_aliquot == plan.final.aliquot_to_take - required


def test_two_stages_dilute_the_first_aliquot():
    plan = plan_aliquot(Q(1, mg), MWQ)
    assert plan.stages[1].drug_to_weigh == plan.stages[0].aliquot_to_take
    assert set(plan.as_dict()) >= {"drug_to_weigh", "diluent_to_add", "mixture_total", "aliquot_to_take", "stages"}


def test_more_than_two_stages_is_refused():
    with pytest.raises(CalculationError, match="stock trituration"):
        plan_aliquot(Q("0.0001", mg), MWQ)


@pytest.mark.parametrize("kw, error, field", [
    ({"factor": 5}, CalculationError, "factor"),        # 5 x 12 mg = 60 mg < MWQ
    ({"factor": 0}, InputError, "factor"),
    ({"aliquot": Q(100, mg)}, CalculationError, "aliquot"),  # below the MWQ
])
def test_single_stage_invalid(kw, error, field):
    with pytest.raises(error) as info:
        plan_single_stage(Q(12, mg), MWQ, **kw)
    assert info.value.field == field and "\n" not in str(info.value)


def test_aliquot_must_hold_more_than_the_drug():
    with pytest.raises(CalculationError) as info:
        plan_single_stage(Q(130, mg), MWQ, factor=1, aliquot=Q(130, mg))
    assert info.value.field == "aliquot"


# Regression: an MWQ typed in mcg for mg ("4.5 mcg") was accepted and silently switched off every
# aliquot warning (found by the CLI robustness fuzzing). The entered MWQ is now bounded by real balances.
@pytest.mark.parametrize("typed", ["4.5 mcg", "0.0000001 mg", "0.4 mg", "0 mg", "-120 mg", "11 g"])
def test_entered_mwq_refuses_what_no_balance_has(typed):
    from compounding.errors import RangeError
    from compounding.weighing import entered_mwq

    with pytest.raises(RangeError) as info:
        entered_mwq(typed)
    assert info.value.field == "mwq" and info.value.value == typed


@pytest.mark.parametrize("typed, mg_value", [("0.82 mg", "0.82"), ("82 mg", "82"), ("120mg", "120"), ("10 g", "10000")])
def test_entered_mwq_accepts_real_balances(typed, mg_value):
    from fractions import Fraction
    from compounding.weighing import entered_mwq

    assert entered_mwq(typed).to("mg").magnitude == Fraction(mg_value)


@pytest.mark.parametrize("calculate", [
    lambda: __import__("compounding").capsule_batch("0.1 mg", 30, mwq="4.5 mcg"),
    lambda: __import__("compounding").prepare_liquid(concentration="1 mg/mL", final_volume="50 mL", mwq="4.5 mcg"),
])
def test_batch_refuses_mwq_in_mcg(calculate):
    from compounding.errors import RangeError

    with pytest.raises(RangeError, match="mcg"):
        calculate()


# --- Rounding to a balance's readability (issue 8.5) ---------------------------------------------

def test_round_to_steps():
    from compounding.weighing import round_to

    assert round_to(Q("121.83", mg), Q(10, mg)) == Q(120, mg)
    assert round_to(Q(125, mg), Q(10, mg)) == Q(130, mg)          # halves up
    assert round_to(Q("121.83", mg), Q(10, mg), "up") == Q(130, mg)
    assert round_to(Q("0.12583", "g"), Q("0.1", mg)) == Q("125.8", mg)


def test_weighable_never_rounds_below_the_mwq():
    from compounding.weighing import weighable

    # 124 mg on a balance with MWQ 123 mg and 10 mg steps: nearest is 120 mg, below the MWQ → 130 mg
    assert weighable(Q(124, mg), Q(10, mg), Q(123, mg)) == Q(130, mg)
    assert weighable(Q("121.83", mg), Q(10, mg), MWQ) == Q(120, mg)
    assert weighable(Q(40, mg), Q(10, mg), MWQ) == Q(40, mg)  # below the MWQ anyway: just rounded


def test_the_domain_primer_example_survives_10_mg_steps():
    # need 12 mg: 120 mg drug + 1080 mg diluent = 1200 mg, take 120 mg: all whole 10 mg steps
    plan = plan_aliquot(Q(12, mg), MWQ, readability=Q(10, mg))
    (s,) = plan.stages
    assert (s.drug_to_weigh, s.diluent_to_add, s.mixture_total, s.aliquot_to_take, s.drug_in_aliquot) == \
        (Q(120, mg), Q(1080, mg), Q(1200, mg), Q(120, mg), Q(12, mg))


def test_two_stage_plan_at_10_mg_steps_corrects_each_rounding():
    # need 1 mg, MWQ 120 mg: factors 11 × 11. Stage 1: weigh 121 → 120 mg; the aliquot must hold
    # 11 mg: 120 mg aliquot, mixture 120 × 120 ÷ 11 = 1309.09 → diluent 1189.09 → 1190 mg; the
    # aliquot holds 120 × 120 ÷ 1310 = 10.9924 mg. Stage 2 uses that: mixture 120 × 10.9924 ÷ 1 =
    # 1319.08 → diluent 1200 mg; the final 120 mg aliquot holds 10.9924 × 120 ÷ 1320 = 1440/1441 mg.
    from tests.invariants import rounded_plan_violations

    plan = plan_aliquot(Q(1, mg), MWQ, readability=Q(10, mg))
    s1, s2 = plan.stages
    assert (s1.drug_to_weigh, s1.diluent_to_add, s1.aliquot_to_take) == (Q(120, mg), Q(1190, mg), Q(120, mg))
    assert (s2.drug_to_weigh, s2.diluent_to_add, s2.aliquot_to_take) == (Q(120, mg), Q(1200, mg), Q(120, mg))
    assert plan.final.drug_in_aliquot == Q(Fraction(1440, 1441), mg)
    assert rounded_plan_violations(plan, MWQ, Q(10, mg)) == []


@pytest.mark.parametrize("amount, step, text", [
    ("120", "10", "120 mg"), ("14400", "10", "14.4 g"), ("10000", "10", "10 g"), ("9990", "10", "9990 mg"),
    ("14397.7", "0.1", "14.3977 g"), ("121.8", "0.1", "121.8 mg"), ("82", "0.1", "82 mg"),
])
def test_weighings_are_shown_at_the_readability_in_g_from_10_g(amount, step, text):
    from compounding.display import format_weighing

    assert format_weighing(Q(amount, mg), Q(step, mg)) == text
