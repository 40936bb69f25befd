"""Liquid aliquots (issue 9.3): every volume a plan asks to measure is measurable with a device of the
reference data, the stock stays below the solubility, and the drug the plan delivers — recomputed here
from the amounts as the sheet shows them — is within the liquid's limits (qc.toml, 95-105 %)."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
from hypothesis import event, given, strategies as st

from compounding.data import Figure
from compounding.display import format_quantity
from compounding.errors import CalculationError
from compounding.liquid_aliquot import plan_liquid_aliquot
from compounding.liquid_data import liquid_data
from compounding.liquids import prepare_liquid
from compounding.units import Q, as_quantity, mg, mg_per_mL, mL

DATE = "2026-01-05"
LOW, HIGH = Fraction(95, 100), Fraction(105, 100)  # qc.toml [liquids], domain.md §7
SOLUBILITY = Fraction(100)  # mg/mL, Revia label (vehicles.toml [stock_solution])


def shown(q, kind):
    """A quantity as the sheet shows it, read back: what the pharmacist actually measures or weighs."""
    return Fraction(as_quantity(format_quantity(q), "x", kind).magnitude)


def measurable(volume: Fraction, device) -> bool:
    """Independent of Device.measures: a whole number of marks, at least the minimum, at most the capacity."""
    grad = Fraction(device.graduation.to(mL).magnitude)
    return ((volume / grad).denominator == 1 and Fraction(device.minimum.to(mL).magnitude) <= volume
            <= Fraction(device.capacity.to(mL).magnitude))


def violations(p) -> list[str]:
    """Every rule of the measurability convention that the liquid ``p``'s aliquot plan breaks."""
    a, data, out = p.aliquot, liquid_data(), []
    devices = {d.key: d for d in data.syringes + data.devices}
    flasks = {f.key: f for f in data.flasks}
    weigh = shown(a.api_to_weigh, "mass")
    if weigh != a.api_to_weigh.to(mg).magnitude:
        out.append(f"powder shown as {format_quantity(a.api_to_weigh)} is not the amount planned")
    if weigh < p.mwq.to(mg).magnitude:
        out.append(f"powder {weigh} mg below the MWQ")
    share = weigh
    for i, s in enumerate(a.stages, 1):
        made, take = shown(s.made_up_to, "volume"), shown(s.volume_to_take, "volume")
        if s.flask.key not in flasks or made != Fraction(flasks[s.flask.key].capacity.to(mL).magnitude):
            out.append(f"stage {i}: made up to {made} mL, not a volumetric flask of the data")
        if s.device.key not in devices or not measurable(take, devices[s.device.key]):
            out.append(f"stage {i}: {take} mL is not measurable with the {s.device.name}")
        if take >= made:
            out.append(f"stage {i}: measures {take} mL of {made} mL")
        content = Fraction((p.naltrexone_hcl / p.api_to_weigh).to("").magnitude)  # naltrexone HCl per mg of powder
        if i == 1 and weigh / made * content > SOLUBILITY:
            out.append(f"stock {float(weigh / made * content)} mg/mL of naltrexone HCl, above the solubility")
        share = share * take / made
    if a.stock_volume_to_take.to(mL).magnitude > p.final_volume.to(mL).magnitude:
        out.append("measures more into the batch than its final volume")
    ratio = share / p.api_to_weigh.to(mg).magnitude
    if not (LOW <= ratio <= HIGH):
        out.append(f"delivers {float(ratio):.2%} of the powder needed")
    if Q(share, mg) != a.powder_delivered:
        out.append("powder_delivered is not what the shown amounts deliver")
    return out


# --- the issue's examples -------------------------------------------------------------------------

@pytest.mark.parametrize("concentration, volume", [
    # 0.1 mg/mL × 10 mL at 99 %: 1.0101 mg of powder; the old plan took 10 mL ÷ 119 = 0.084 mL, shown as
    # 0.08 mL, which delivers 4.8 % less
    ("0.1 mg/mL", "10 mL"),
    # 0.01 mg/mL × 1 mL at 99 %: 0.0101 mg; the old plan took 1 mL ÷ 11881 = 0.0000842 mL
    ("0.01 mg/mL", "1 mL"),
])
def test_issue_examples_measure_only_what_a_device_can(concentration, volume):
    p = prepare_liquid(source="api", concentration=concentration, final_volume=volume, potency="99%",
                       compounding_date=DATE)
    assert p.aliquot is not None and violations(p) == []
    assert all(s.volume_to_take >= Q("0.1", mL) for s in p.aliquot.stages)


def test_tiny_powder_uses_two_stages():
    # 0.0101 mg of powder from ≥ 120 mg is a dilution of ≥ 11 880: one flask of at most 100 mL and a
    # volume of at least 0.1 mL dilutes at most 1000-fold, so one stage cannot
    p = prepare_liquid(source="api", concentration="0.01 mg/mL", final_volume="1 mL", potency="99%",
                       compounding_date=DATE)
    assert len(p.aliquot.stages) == 2
    d = p.as_dict()["aliquot"]
    assert len(d["stages"]) == 2 and {"factor", "api_to_weigh", "stock_volume", "stock_concentration",
                                      "stock_volume_to_take", "powder_delivered", "percent_of_target"} <= set(d)


def test_hand_worked_single_stage():
    # 0.1 mg/mL × 30 mL = 3 mg (no potency correction). Weigh at least 120 mg (Class III): 3/120 = 1/40,
    # and 0.25 mL of a 10 mL flask is 1/40 with 0.25 mL on the 1 mL syringe's 0.01 mL marks:
    # 120 mg in 10 mL = 12 mg/mL; 0.25 mL × 12 mg/mL = 3 mg exactly.
    p = prepare_liquid(source="api", concentration="0.1 mg/mL", final_volume="30 mL", compounding_date=DATE)
    a = p.aliquot
    assert a.api_to_weigh == Q(120, mg) and a.stock_volume == Q(10, mL)
    assert a.stock_concentration == Q(12, mg_per_mL) and a.stock_volume_to_take == Q("0.25", mL)
    assert a.stages[0].device.key == "oral_1mL" and a.powder_delivered == Q(3, mg)
    assert violations(p) == []


def test_hand_worked_rounded_plan_reports_what_it_delivers():
    # 1 mg/mL × 100 mL at 99 %: 100 mg ÷ 0.99 = 101.0101 mg of powder. Weighing ≥ 120 mg means measuring at
    # most 101.0101/120 = 0.8418 of the stock; the largest measurable share is 8.4 mL of 10 mL (10 mL
    # cylinder, 0.2 mL marks) = 0.84, so weigh 101.0101/0.84 = 120.25 → 121 mg (whole mg, rounded up).
    # 121 mg × 0.84 = 101.64 mg = 100.62 % of the powder needed: within 95-105 %, and shown as such.
    p = prepare_liquid(source="api", concentration="1 mg/mL", final_volume="100 mL", potency="99%",
                       compounding_date=DATE)
    a = p.aliquot
    assert a.api_to_weigh == Q(121, mg) and a.stock_volume == Q(10, mL)
    assert a.stock_volume_to_take == Q("8.4", mL) and a.stages[0].device.key == "cylinder_10mL"
    assert a.powder_delivered == Q(Fraction("101.64"), mg)
    assert a.percent_of_target == Fraction("101.64") * Fraction(99, 10000)
    assert any("101.64 mg" in w and "100.62%" in w for w in p.warnings)
    assert violations(p) == []


# --- solubility -----------------------------------------------------------------------------------

def test_solubility_is_in_the_reference_data_with_its_source():
    sol = liquid_data().solubility
    assert sol.quantity == Q(100, mg_per_mL) and "REVIA" in sol.source and "100 mg/mL" in sol.source


def test_a_stock_above_the_solubility_is_replanned():
    # the 3 mg example uses 12 mg/mL; were the solubility 10 mg/mL, 120 mg needs at least 12 mL: a larger flask
    data = dataclasses.replace(liquid_data(), solubility=Figure(Q(10, mg_per_mL), "test"))
    a = plan_liquid_aliquot(Q(3, mg), Q(120, mg), data=data, room=Q(30, mL))
    assert a.stock_volume > Q(10, mL) and a.stock_concentration <= Q(10, mg_per_mL)


def test_no_plan_within_the_solubility_is_refused_with_the_reason():
    # 120 mg at most 1 mg/mL needs 120 mL: more than the largest flask (100 mL)
    from compounding.bundle import shipped_bundle

    data = dataclasses.replace(liquid_data(), solubility=Figure(Q(1, mg_per_mL), "test"))
    assert plan_liquid_aliquot(Q(3, mg), Q(120, mg), data=data, room=Q(30, mL)) is None
    bundle = dataclasses.replace(shipped_bundle(), liquid=data)  # the data is an input, not a global
    with pytest.raises(CalculationError) as e:
        prepare_liquid(source="api", concentration="0.1 mg/mL", final_volume="30 mL", compounding_date=DATE,
                       bundle=bundle)
    assert e.value.field == "final_volume" and "solubility" in str(e.value) and "MWQ" in str(e.value)


def test_where_every_exact_amount_falls_just_below_the_mwq_the_mwq_is_weighed():
    # 0.01 mg/mL × 1 mL at 99.8 %: 0.01/0.998 = 0.010020 mg of powder, MWQ 9110.1 mg (step 10 mg).
    # 100 mL flasks and 0.1 mL measures give 1/10^6: 10020.04 → 10030 mg in 100 mL, 100.3 mg/mL of HCl
    # content, above the solubility (100 mg/mL). 0.11 mL into the batch gives 1.1/10^6: 9109.1 → 9110 mg,
    # below the MWQ. Weighing the MWQ, 9120 mg, delivers 9120 × 1.1/10^6 = 0.010032 mg = 100.12 %.
    p = prepare_liquid(source="api", concentration="0.01 mg/mL", final_volume="1 mL", mwq="9110.1 mg",
                       potency="99.8%", compounding_date=DATE)
    a = p.aliquot
    assert a.api_to_weigh == Q(9120, mg) and [s.made_up_to for s in a.stages] == [Q(100, mL)] * 2
    assert [s.volume_to_take for s in a.stages] == [Q("0.1", mL), Q("0.11", mL)]
    assert a.powder_delivered == Q(Fraction("0.010032"), mg)
    assert violations(p) == []


# --- properties -----------------------------------------------------------------------------------

# the most two stages dilute with the shipped devices: (100 mL flask ÷ 0.1 mL, the 1 mL syringe's minimum)²,
# with up to 1 % more for the weighing rounded up to its step
MAX_DILUTION = Fraction(1000) ** 2 * Fraction(101, 100)

concentrations = st.integers(min_value=1, max_value=500).map(lambda n: Q(Fraction(n, 100), mg_per_mL))
volumes = st.one_of(st.integers(min_value=1, max_value=1000), st.integers(min_value=10, max_value=200)
                    .map(lambda n: Fraction(n, 10))).map(lambda v: Q(v, mL))
mwqs = st.one_of(st.sampled_from(["120 mg", "82 mg"]),
                 st.integers(min_value=5, max_value=100000).map(lambda n: f"{n / 10} mg"))
potencies = st.one_of(st.none(), st.integers(min_value=980, max_value=1020).map(lambda n: f"{n / 10}%"))


@given(conc=concentrations, volume=volumes, mwq=mwqs, potency=potencies,
       form=st.sampled_from(["hcl_anhydrous", "hcl_dihydrate"]),
       vehicle=st.sampled_from(["purified_water", "fawcett_1997", "preserved_aqueous"]))
def test_property_every_measured_volume_is_measurable_and_the_dose_within_limits(conc, volume, mwq, potency,
                                                                                form, vehicle):
    try:
        # a dihydrate potency here is the content of the dihydrate itself (drug.py), so its salt factor applies
        basis = form if potency and form == "hcl_dihydrate" else None
        p = prepare_liquid(source="api", concentration=conc, final_volume=volume, mwq=mwq, potency=potency,
                           potency_basis=basis, api_form=form, vehicle=vehicle, compounding_date=DATE)
    except CalculationError as e:  # only where no two-stage dilution of the shipped devices reaches
        assert e.field == "final_volume"
        salt = Fraction("413.89") / Fraction("377.86") if form == "hcl_dihydrate" else 1  # domain.md §1
        powder = conc.magnitude * volume.magnitude * salt / (Fraction(potency[:-1]) / 100 if potency else 1)
        least = as_quantity(mwq, "mwq", "mass").to(mg).magnitude
        content = conc.magnitude * volume.magnitude / powder  # mg of naltrexone HCl per mg of powder
        # either no dilution reaches, or even the MWQ (with at most 1 % for its weighing step) does not
        # dissolve in the largest flask (100 mL) at the solubility
        assert powder * MAX_DILUTION < least or least * content * Fraction(101, 100) > SOLUBILITY * 100
        event("refused")
        return
    if p.api_to_weigh >= p.mwq:
        assert p.aliquot is None
        event("powder weighed directly")
        return
    event(f"aliquot in {len(p.aliquot.stages)} stage(s)")
    assert violations(p) == []
    room = p.final_volume * (Fraction(4, 5) if vehicle == "fawcett_1997" else 1)  # glycerol 20 mL per 100 mL
    assert p.aliquot.stock_volume_to_take <= room


@given(required=st.integers(min_value=1, max_value=119_000).map(lambda n: Q(Fraction(n, 1000), mg)),
       mwq=st.integers(min_value=5, max_value=100000).map(lambda n: Q(Fraction(n, 10), mg)),
       room=st.integers(min_value=1, max_value=1000).map(lambda n: Q(n, mL)))
def test_property_planner_alone(required, mwq, room):
    if required >= mwq:
        return
    a = plan_liquid_aliquot(required, mwq, data=liquid_data(), room=room)
    if a is None:  # only where no two-stage dilution of the shipped devices reaches, or the batch's
        # room cannot take the powder without a stock above the solubility
        assert required.magnitude * MAX_DILUTION < mwq.magnitude or required / room > Q(SOLUBILITY, mg_per_mL)
        return
    assert a.api_to_weigh >= mwq and a.stock_volume_to_take <= room
    assert LOW <= a.percent_of_target <= HIGH
    for s in a.stages:
        assert measurable(Fraction(s.volume_to_take.to(mL).magnitude), s.device)
