"""Crushed-tablet powder, one rule for capsules and liquids (issue 10: drug handling in one module).

powder [mg] = drug [mg] × average tablet weight [mg/tablet] ÷ tablet strength [mg/tablet]
(domain.md §3: "powder = drug needed × (average tablet weight ÷ 50 mg)"; JCU PC3300 §4.3.2).
Expected values are worked by hand in each test.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

import compounding.liquids as liquids
from compounding.drug import (MAX_TABLET_WEIGHT, TabletPowder, average_tablet_weight, check_tablet_weight,
                              tablet_powder)
from compounding.errors import RangeError, UnitError
from compounding.trace import Trace
from compounding.units import Q, mg, mg_per_tablet, tablet


def test_paracetamol_example_from_the_docstring():
    # 2400 mg ÷ 500 mg/tablet = 4.8 tablets; crush 5; 2400 × 555.875 ÷ 500 = 1 334 100 ÷ 500 = 2668.2 mg
    tp = tablet_powder("2400 mg", "500 mg/tablet", "555.875 mg/tablet")
    assert tp.tablets_equivalent == Fraction(48, 10)
    assert tp.tablets_to_crush == Q(5, tablet)
    assert tp.powder_to_weigh.to(mg).magnitude == Fraction("2668.2")
    assert tp.average_tablet_weight == Q(Fraction("555.875"), mg_per_tablet)


def test_ldn_liquid_30_mL_at_1_mg_per_mL_from_50_mg_tablets():
    # 1 mg/mL × 30 mL = 30 mg of naltrexone HCl; 30 ÷ 50 = 0.6 tablets, crush 1;
    # tablets weighing 321 mg on average: 30 × 321 ÷ 50 = 9630 ÷ 50 = 192.6 mg of powder
    trace = Trace()
    tp = tablet_powder(Q(30, mg), Q(50, mg_per_tablet), Q(321, mg_per_tablet), trace)
    assert (tp.tablets_equivalent, tp.tablets_to_crush) == (Fraction(3, 5), Q(1, tablet))
    assert tp.powder_to_weigh.to(mg).magnitude == Fraction("192.6")
    steps = {s.key: s for s in trace.freeze()}
    assert list(steps) == ["tablets_equivalent", "tablets_to_crush", "tablet_powder_to_weigh"]
    assert steps["tablet_powder_to_weigh"].value.to(mg).magnitude == Fraction("192.6")


def test_capsule_use_the_drug_already_in_the_basis_form_and_no_trace():
    # capsules pass the drug already salt-factored (e.g. 100 capsules × 4.5 mg = 450 mg) and trace
    # their own steps: 450 ÷ 50 = 9 tablets exactly, 450 × 140 ÷ 50 = 1260 mg of powder
    tp = tablet_powder(Q(450, mg), Q(50, mg_per_tablet), Q(140, mg_per_tablet))
    assert (tp.tablets_equivalent, tp.tablets_to_crush) == (Fraction(9), Q(9, tablet))
    assert tp.powder_to_weigh == Q(1260, mg)


def test_liquids_keeps_the_names_importable():
    assert liquids.tablet_powder is tablet_powder and liquids.TabletPowder is TabletPowder
    assert liquids.average_tablet_weight is average_tablet_weight


def test_average_tablet_weight():
    # 20 tablets weighing 6.42 g together: 6420 mg ÷ 20 = 321 mg per tablet
    assert average_tablet_weight("6.42 g", 20) == Q(321, mg_per_tablet)


@pytest.mark.parametrize("drug, strength, weight, field, message", [
    ("0 mg", "50 mg/tablet", "321 mg/tablet", "naltrexone_hcl", "must be greater than zero"),
    ("30 mg", "0 mg/tablet", "321 mg/tablet", "tablet_strength", "must be greater than zero"),
    ("30 mg", "50 mg/tablet", "0 mg/tablet", "tablet_weight", "must be greater than zero"),
    # a tablet cannot weigh less than the 50 mg of drug it holds
    ("30 mg", "50 mg/tablet", "40 mg/tablet", "tablet_weight", "is less than the drug each tablet holds"),
])
def test_tablet_powder_refusals(drug, strength, weight, field, message):
    with pytest.raises(RangeError) as e:
        tablet_powder(drug, strength, weight)
    assert e.value.field == field and e.value.message.startswith(message)


def test_a_volume_is_not_a_drug_mass():
    with pytest.raises(UnitError) as e:
        tablet_powder("30 mL", "50 mg/tablet", "321 mg/tablet")
    assert e.value.field == "naltrexone_hcl"


@pytest.mark.parametrize("typed, ok", [("50 mg", True), ("321 mg", True), ("2000 mg", True), ("2 g", True),
                                       ("49.9 mg", False), ("2000.1 mg", False), ("321 g", False)])
def test_check_tablet_weight_between_the_strength_and_2_g(typed, ok):
    strength = Q(50, mg_per_tablet)
    if ok:
        assert strength <= check_tablet_weight(typed, strength) <= MAX_TABLET_WEIGHT
        return
    with pytest.raises(RangeError) as e:
        check_tablet_weight(typed, strength)
    assert (e.value.field, e.value.value) == ("tablet_weight", typed)  # the text typed, beside its field
    assert e.value.allowed == "a mass per tablet from 50 mg to 2000 mg"
    assert "cannot be the weight of one 50 mg tablet" in str(e.value)


@pytest.mark.parametrize("typed", ["30 mg", "2001 mg", "321 g"])
def test_capsules_and_liquids_refuse_a_tablet_weight_in_the_same_words(typed):
    # issue 10: one drug module; the capsule refusal said "cannot be the weight of one 50 mg tablet",
    # the liquid one "is out of range": now both name the tablet, with the same field and allowed range
    from compounding.capsules import capsule_batch
    from compounding.liquids import prepare_liquid

    errors = []
    for run in (lambda: capsule_batch("1.5 mg", 30, source="tablets", tablet_weight=typed),
                lambda: prepare_liquid(concentration="1 mg/mL", final_volume="30 mL", tablet_weight=typed)):
        with pytest.raises(RangeError) as e:
            run()
        errors.append((e.value.field, e.value.value, e.value.allowed, str(e.value)))
    assert errors[0] == errors[1]
    assert errors[0][:3] == ("tablet_weight", typed, "a mass per tablet from 50 mg to 2000 mg")


def test_check_tablet_weight_names_the_field_it_is_given():
    with pytest.raises(RangeError) as e:
        check_tablet_weight("10 mg", Q(50, mg_per_tablet), field="average_tablet_weight")
    assert e.value.field == "average_tablet_weight"


fractions = st.fractions(min_value=Fraction(1, 100), max_value=1000).filter(lambda f: f > 0)


@given(drug=fractions, strength=fractions, excipient=st.fractions(min_value=0, max_value=1000))
def test_powder_holds_the_drug_and_the_tablets_crushed_hold_the_powder(drug, strength, excipient):
    weight = strength + excipient  # a tablet weighs its drug plus its excipients
    tp = tablet_powder(Q(drug, mg), Q(strength, mg_per_tablet), Q(weight, mg_per_tablet))
    # the powder's share of drug is strength ÷ weight, so it holds exactly the drug required
    assert (tp.powder_to_weigh * Q(strength, mg_per_tablet) / Q(weight, mg_per_tablet)).to(mg).magnitude == drug
    # the whole tablets crushed are the fewest that hold it
    assert tp.tablets_to_crush.magnitude == math.ceil(drug / strength)
    assert tp.tablets_to_crush.magnitude - 1 < tp.tablets_equivalent <= tp.tablets_to_crush.magnitude
