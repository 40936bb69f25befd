"""The capsule batch as parse → stage functions on quantities → assemble (issue 10: "Exports are pure
functions of the result"): the stages against hand-worked answers (domain.md §5), the result without
``inputs`` (it carries its order), and the Excel record built from a batch whose order came from JSON.
"""

import dataclasses
import datetime as dt
from fractions import Fraction

import pytest

from compounding.capsules import (BatchCounts, CapsuleBatch, Counts, FillerInput, blend_stage, capsule_batch,
                                  counts_stage, density_stage, drug_in_batch_stage, packing_statistic_stage,
                                  parse_capsule_inputs, recalculate)
from compounding.errors import CalculationError, RangeError
from compounding.orders import CapsuleOrder, compute
from compounding.reference import reference
from compounding.trace import Trace
from compounding.units import Q, capsule, mg, mg_per_capsule, mL

DAY = "2026-11-20"
PER_CAP = Q(1, capsule)


def _formula():
    return parse_capsule_inputs({"strength": "4.5 mg", "quantity": 90, "compounding_date": DAY}).formula


def _filler_input(size="3", **given) -> FillerInput:
    ref = reference()
    fil = ref.filler("mcc_ph102")
    return FillerInput(size, ref.capsule_volume(size).quantity.to(mL), "mcc_ph102", fil,
                       given.pop("method", "packing_statistic"), **given)


def test_counts_stage_rounds_a_percentage_extra_up_exactly():
    # domain.md §5: 90 + 10 % is 99 (9 extra), not 100; 33 × 7 % = 2.31 → 3 extra → 36
    t, warnings = Trace(), []
    n = counts_stage(Counts(Q(Fraction(9, 2), mg) / PER_CAP, Q(90, capsule), "percent", Fraction(1, 10)),
                     _formula(), t, warnings)
    assert (n.extra, n.to_make) == (Q(9, capsule), Q(99, capsule))
    assert [s.key for s in t.steps] == ["strength", "capsules_ordered", "extra", "capsules_to_make"]
    n = counts_stage(Counts(Q(1, mg) / PER_CAP, Q(33, capsule), "percent", Fraction(7, 100)), _formula(), Trace(), [])
    assert n.to_make == Q(36, capsule)


def test_parse_then_counts_from_typed_text():
    inp = parse_capsule_inputs({"strength": "4.5 mg", "quantity": 90, "extra": "10%", "compounding_date": DAY})
    assert (inp.counts.extra_kind, inp.counts.extra_amount) == ("percent", Fraction(1, 10))
    assert counts_stage(inp.counts, inp.formula, Trace(), []).to_make == Q(99, capsule)


def test_parse_refuses_an_input_on_its_own_before_any_stage_runs():
    with pytest.raises(RangeError) as e:
        parse_capsule_inputs({"strength": "10 mg", "quantity": 90, "compounding_date": DAY})
    assert (e.value.field, e.value.value) == ("strength", "10 mg")


def test_packing_statistic_stage_displacement_factor_one():
    # PS filler 200 mg, dose 4.5 mg, PS drug unknown → the drug displaces its own mass: 200 − 4.5 = 195.5 mg
    t, warnings = Trace(), []
    out = packing_statistic_stage(_filler_input(fill_weight=Q(200, mg_per_capsule)), Q(Fraction(9, 2), mg_per_capsule),
                                  reference(), t, warnings)
    assert out.displaced == Q(Fraction(9, 2), mg_per_capsule)
    assert out.per_capsule == Q(Fraction(391, 2), mg_per_capsule)
    assert out.measured and out.fill_weight == Q(200, mg_per_capsule)
    assert any("displacement factor 1 assumed" in w for w in warnings)
    assert [s.key for s in t.steps] == ["filler_fill_weight", "filler_displaced_per_capsule", "filler_per_capsule"]


def test_packing_statistic_stage_with_the_drugs_own_fill_weight():
    # filler = PS_filler − dose × PS_filler ÷ PS_drug = 200 − 4.5 × 200 ÷ 250 = 200 − 3.6 = 196.4 mg
    f = _filler_input(fill_weight=Q(200, mg_per_capsule), api_fill_weight=Q(250, mg_per_capsule))
    out = packing_statistic_stage(f, Q(Fraction(9, 2), mg_per_capsule), reference(), Trace(), [])
    assert out.displaced == Q(Fraction(18, 5), mg_per_capsule)
    assert out.per_capsule == Q(Fraction(982, 5), mg_per_capsule)


def test_packing_statistic_stage_refuses_a_drug_that_fills_the_capsule():
    # 180 mg of powder per capsule against a 150 mg packing statistic: no room for filler
    with pytest.raises(CalculationError) as e:
        packing_statistic_stage(_filler_input(fill_weight=Q(150, mg_per_capsule)), Q(180, mg_per_capsule),
                                reference(), Trace(), [])
    assert e.value.field == "capsule_size"


def test_density_stage():
    # size 3 = 0.30 mL; 4.5 mg ÷ 0.5 g/mL = 0.009 mL of drug; free 0.291 mL × 0.3 g/mL = 87.3 mg of filler
    f = _filler_input(method="density", drug_bulk_density=Q(Fraction(1, 2), "g/mL"),
                      filler_bulk_density=Q(Fraction(3, 10), "g/mL"))
    t = Trace()
    out = density_stage(f, Q(Fraction(9, 2), mg_per_capsule), reference(), t)
    assert out.per_capsule == Q(Fraction(873, 10), mg_per_capsule)
    assert [s.key for s in t.steps] == ["drug_volume_per_capsule", "free_volume_per_capsule", "filler_per_capsule"]
    assert dict((s.key, s.value) for s in t.steps)["free_volume_per_capsule"] == Q(Fraction(291, 1000), mL)


def test_blend_stage_fill_weight_and_limits():
    # 405 mg drug + 195.5 mg × 90 = 17,595 mg filler → 18,000 mg blend, 200 mg a capsule, 90-110 % → 180-220 mg
    b = blend_stage(Q(405, mg), Q(Fraction(391, 2), mg_per_capsule), Q(90, capsule), Fraction(9, 10),
                    Fraction(11, 10), Trace())
    assert (b.filler_total, b.total) == (Q(17595, mg), Q(18000, mg))
    assert b.fill_weight == Q(200, mg_per_capsule)
    assert (b.fill_weight_min, b.fill_weight_max) == (Q(180, mg_per_capsule), Q(220, mg_per_capsule))


def test_drug_in_batch_stage_strength_stated_as_base():
    # domain.md §1: 100 capsules × 1 mg base = 100 mg base = 100 × 377.86 ÷ 341.40 = 110.68 mg naltrexone HCl
    ref = reference()
    n = BatchCounts(Q(1, mg) / PER_CAP, Q(100, capsule), Q(0, capsule), Q(100, capsule))
    hcl, drug = drug_in_batch_stage(n, ref.form("base"), ref, Trace())
    assert drug == Q(100, mg)
    assert hcl.to(mg).magnitude == pytest.approx(110.68, abs=0.005)


def test_a_capsule_batch_has_no_inputs_it_carries_its_order():
    b = capsule_batch("4.5 mg", 90, extra="10%", potency="99.5%", compounding_date=DAY)
    assert "inputs" not in {f.name for f in dataclasses.fields(CapsuleBatch)}
    assert not hasattr(b, "inputs")
    assert isinstance(b.order, CapsuleOrder)
    assert b.order.potency == Q(Fraction(995, 10), "percent") and b.order.compounding_date == dt.date(2026, 11, 20)


def test_recalculate_is_the_order_computed_with_the_actual_weights():
    b = capsule_batch("4.5 mg", 90, potency="99.5%", compounding_date=DAY)
    again = recalculate(b, {"drug": "420 mg"})
    direct = compute(dataclasses.replace(b.order, actual_weights=(("drug", Q(420, mg)),)))
    assert again.as_dict() == direct.as_dict()
    assert again.actual is not None and again.actual.drug_powder == Q(420, mg)
    assert again.order == direct.order


def test_excel_record_of_an_order_from_json_reads_the_parsed_order(monkeypatch):
    """The export reads the already-parsed order (b.order), never re-parses typed inputs."""
    from openpyxl import Workbook

    from compounding.excel import _capsules
    from compounding.excel._sheets import Fields

    order = CapsuleOrder.from_json({"kind": "capsules", "fields": {
        "strength": {"value": "1.5", "unit": "mg"}, "quantity": 90, "extra": {"value": "10", "unit": "%"},
        "potency": {"value": "99.5", "unit": "%"}, "compounding_date": DAY,
        "component_expiries": ["2027-03-01", "2027-01-15"]}})
    b = compute(order)

    def boom(*a, **k):
        raise AssertionError("the export re-parsed an input")

    for name in ("parse_extra", "parse_date", "as_fraction", "parse_quantity"):
        monkeypatch.setattr(_capsules, name, boom, raising=False)
    lines = {line.name: line.core for sec in _capsules.sections(b) for line in sec.lines}
    assert lines["extra_percent"] == Fraction(1, 10) and lines["extra_count"] == 0
    assert lines["extra"] == 9 and lines["capsules_to_make"] == 99
    assert lines["potency"] == Fraction(199, 200) and lines["assay"] is None
    assert lines["earliest_expiry"] == dt.date(2027, 1, 15)
    assert _capsules.build(Workbook(), b, Fields({}))  # the whole record, to its hash
