"""compounding.liquids and compounding.liquid_data: preparation, syringes, recommendation, errors."""

from __future__ import annotations

import math
import shutil
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from compounding.errors import DataError, InputError, RangeError, UnitError
from compounding.liquid_data import liquid_data, load_liquid_data
from compounding.liquids import (check_dose, choose_syringe, dose_volume_table, is_on_graduation,
                                 prepare_liquid, recommend_concentration)
from compounding.units import Q, mg, mg_per_mL, mL, tablet

DATE = "2026-01-05"


# --- tablets ----------------------------------------------------------------------------------

def test_whole_tablets_no_powder_weighed():
    p = prepare_liquid(concentration="1 mg/mL", final_volume="150 mL", compounding_date=DATE)
    assert p.tablets_to_use == Q(3, tablet)
    assert p.tablets_to_crush is None and p.tablet_powder_to_weigh is None
    d = p.as_dict()
    assert d["tablets_to_use"] == 3 and d["tablet_powder_to_weigh"] is None


def test_partial_tablet_crush_and_weigh():
    # issue 3: 0.5 mg/mL x 90 mL = 45 mg = 0.9 tablet -> crush 1, weigh 0.9 x average weight
    p = prepare_liquid(concentration="0.5 mg/mL", final_volume="90 mL", tablet_weight="280 mg",
                       compounding_date=DATE)
    assert p.naltrexone_hcl == Q(45, mg)
    assert p.tablets_equivalent == Fraction(9, 10)
    assert p.tablets_to_crush == Q(1, tablet)
    assert p.tablet_powder_to_weigh == Q(252, mg)
    assert p.tablets_to_use is None and p.above_mwq


def test_partial_tablet_needs_measured_weight():
    with pytest.raises(InputError) as e:
        prepare_liquid(concentration="0.5 mg/mL", final_volume="90 mL")
    assert e.value.field == "tablet_weight" and "measured" in str(e.value)


def test_powder_below_mwq_warns_and_suggests_whole_tablets():
    p = prepare_liquid(concentration="1 mg/mL", final_volume="20 mL", tablet_weight="300 mg")
    assert p.tablet_powder_to_weigh == Q(120, mg) and p.above_mwq  # exactly at the MWQ is weighable
    p = prepare_liquid(concentration="1 mg/mL", final_volume="10 mL", tablet_weight="300 mg")
    assert not p.above_mwq
    assert any("below the balance's MWQ" in w and "1 tablet in 50 mL" in w for w in p.warnings)


def test_tablets_and_volume_give_concentration():
    p = prepare_liquid(tablets=1, final_volume="50 mL")
    assert p.concentration == Q(1, mg_per_mL)


def test_tablets_and_concentration_give_volume():
    p = prepare_liquid(tablets="2", concentration="0.5 mg/mL")
    assert p.final_volume == Q(200, mL)


def test_all_three_consistent_is_accepted():
    p = prepare_liquid(tablets=3, concentration="1 mg/mL", final_volume="150 mL")
    assert p.naltrexone_hcl == Q(150, mg)


def test_all_three_inconsistent_is_refused():
    with pytest.raises(InputError) as e:
        prepare_liquid(tablets=2, concentration="1 mg/mL", final_volume="150 mL")
    assert e.value.field == "tablets" and "do not agree" in str(e.value)


def test_only_one_given_is_refused():
    with pytest.raises(InputError):
        prepare_liquid(concentration="1 mg/mL")


def test_suspension_label_for_tablets_not_for_api_in_water():
    shake = liquid_data().shake_well_label
    assert shake in prepare_liquid(tablets=1, final_volume="50 mL").labels
    assert shake not in prepare_liquid(concentration="1 mg/mL", final_volume="150 mL", source="api").labels
    assert shake in prepare_liquid(concentration="1 mg/mL", final_volume="150 mL", source="api",
                                   vehicle="mct_oil").labels


def test_concentration_printed_on_label():
    p = prepare_liquid(concentration="5 mg/mL", final_volume="10 mL", compounding_date=DATE)
    assert p.labels[0].startswith("NALTREXONE HCl 5 mg/mL")
    assert any("ten-fold" in w for w in p.warnings)


# --- vehicles and BUD -------------------------------------------------------------------------

def test_fawcett_components_scaled():
    p = prepare_liquid(concentration="1 mg/mL", final_volume="150 mL", vehicle="fawcett_1997")
    amounts = {c.name: c.amount for c in p.components}
    assert amounts["Ascorbic acid"] == Q("0.75", "g") and amounts["Sodium benzoate"] == Q("0.15", "g")
    assert amounts["Glycerol"] == Q(30, mL) and amounts["Purified water"] is None
    assert p.bud.days.magnitude == 35


def test_fawcett_small_batch_warns_excipient_below_mwq():
    p = prepare_liquid(concentration="1 mg/mL", final_volume="50 mL", vehicle="fawcett_1997")
    assert any("Sodium benzoate" in w and "MWQ" in w for w in p.warnings)
    assert not p.above_mwq


def test_fawcett_other_concentration_warns():
    p = prepare_liquid(concentration="0.5 mg/mL", final_volume="100 mL", vehicle="fawcett_1997")
    assert any("published at 1 mg/mL" in w for w in p.warnings)


def test_water_bud_is_14_days_refrigerated():
    p = prepare_liquid(tablets=1, final_volume="50 mL", compounding_date="2024-03-01")
    assert p.bud.date.isoformat() == "2024-03-15" and p.storage == "refrigerator"
    d = p.as_dict()
    assert d["bud"] == "2024-03-15" and d["bud_days"] == 14


def test_unknown_vehicle():
    with pytest.raises(InputError) as e:
        prepare_liquid(tablets=1, final_volume="50 mL", vehicle="syrup")
    assert e.value.field == "vehicle" and "purified_water" in e.value.allowed


# --- API powder -------------------------------------------------------------------------------

def test_api_potency_and_liquid_aliquot():
    p = prepare_liquid(concentration="1 mg/mL", final_volume="100 mL", source="api", potency="99%")
    assert p.api_to_weigh == Q(Fraction(10000, 99), mg)
    a = p.aliquot
    assert a.api_to_weigh >= p.mwq
    # the volume measured into the batch holds the powder needed within the liquid's limits (95-105 %),
    # reckoned from the stock as made (tests/test_liquid_aliquot.py checks every rule of the plan)
    held = (a.stock_concentration * a.stock_volume_to_take).to(mg)
    assert Fraction(95, 100) <= held / p.api_to_weigh <= Fraction(105, 100)


def test_api_no_potency_is_recorded():
    p = prepare_liquid(concentration="1 mg/mL", final_volume="150 mL", source="api")
    assert p.api_to_weigh == Q(150, mg) and p.aliquot is None and p.potency is None
    assert any("No potency correction" in w for w in p.warnings)


def test_api_dihydrate_salt_factor_shown():
    p = prepare_liquid(concentration="1 mg/mL", final_volume="150 mL", source="api", api_form="hcl_dihydrate")
    assert p.salt_factor == Fraction(41389, 37786)
    assert any("Salt factor" in w for w in p.warnings)


def test_api_refuses_tablets():
    with pytest.raises(InputError):
        prepare_liquid(concentration="1 mg/mL", final_volume="150 mL", source="api", tablets=3)


def test_potency_out_of_range():
    with pytest.raises(RangeError):
        prepare_liquid(concentration="1 mg/mL", final_volume="150 mL", source="api", potency="50%")


# --- syringes, graduations, recommendation ----------------------------------------------------

def test_smallest_syringe_that_measures():
    s = liquid_data().syringes
    assert choose_syringe(Q("0.5", mL), s).key == "oral_1mL"
    assert choose_syringe(Q(1, mL), s).key == "oral_1mL"
    assert choose_syringe(Q("1.01", mL), s).key == "oral_3mL"  # on no mark: the smallest that holds it
    assert choose_syringe(Q("4.4", mL), s).key == "oral_5mL"
    # issue 8.7: 4.5 mL is on no 0.2 mL mark of the 5 mL syringe; the 10 mL syringe marked by 0.5 mL has one
    assert choose_syringe(Q("4.5", mL), s).key == "oral_10mL"
    assert choose_syringe(Q("9.4", mL), s).key == "oral_10mL_fine"
    assert choose_syringe(Q(11, mL), s) is None


def test_graduation_exact():
    s5 = next(s for s in liquid_data().syringes if s.key == "oral_5mL")
    assert not is_on_graduation(Q("4.5", mL), s5)  # domain.md §7
    assert is_on_graduation(Q("4.4", mL), s5)
    s1 = liquid_data().syringes[0]
    assert not is_on_graduation(Q("0.005", mL), s1)


def test_dose_table_and_recommendation():
    # issue 8.7: 0.5/1.5/4.5 mg at 1 mg/mL are 0.5, 1.5 and 4.5 mL: on the marks of the 1 mL (0.01 mL),
    # 3 mL (0.1 mL) and 10 mL (0.5 mL) syringes, so 1 mg/mL stays and nothing else is recommended
    rows = dose_volume_table(["0.5 mg", "1.5 mg", "4.5 mg"], "1 mg/mL")
    assert [r.on_graduation for r in rows] == [True, True, True] and all(r.measurable for r in rows)
    assert [r.syringe.key for r in rows] == ["oral_1mL", "oral_3mL", "oral_10mL"]
    assert recommend_concentration(["0.5 mg", "1.5 mg", "4.5 mg"]) == Q(1, mg_per_mL)
    assert recommend_concentration(["1 mg", "2 mg", "3 mg"]) == Q(1, mg_per_mL)  # prefers 1 mg/mL
    # 4.3 mL is on no mark of a syringe that holds it (0.2 and 0.5 mL marks); at 0.5 mg/mL, 8.6 mL is
    assert recommend_concentration(["0.1 mg", "4.3 mg"]) == Q(Fraction(1, 2), mg_per_mL)


def test_no_concentration_fits_says_so():
    # 0.1 mg needs 1 or 0.5 mg/mL (0.1 or 0.2 mL; at 2 mg/mL it is 0.05 mL, below 0.1 mL); 4.35 mg is 4.35 mL
    # and 8.7 mL there, on no 0.2 or 0.5 mL mark
    p = prepare_liquid(concentration="1 mg/mL", final_volume="100 mL", doses=["0.1 mg", "4.35 mg"])
    assert p.recommended_concentration is None
    assert any("None of the standard concentrations" in w for w in p.warnings)
    assert any("4.35 mL at 1 mg/mL: no syringe in the data measures it: not on a mark" in w for w in p.warnings)


def test_tiny_volume_is_not_measurable():
    rows = dose_volume_table(["0.1 mg"], "5 mg/mL")
    assert rows[0].volume == Q("0.02", mL) and rows[0].on_graduation and not rows[0].measurable


def test_recommendation_in_preparation():
    # issue 8.7: the standard 1 mg/mL is kept for 0.5/1.5/4.5 mg, each dose with a syringe that has a mark there
    p = prepare_liquid(tablets=3, final_volume="150 mL", doses="0.5mg,1.5mg,4.5mg")
    assert p.concentration == Q(1, mg_per_mL) and p.recommended_concentration is None
    assert all(r.syringe.on_mark(r.volume) and r.measurable for r in p.dose_volumes)
    assert not any("Recommended concentration" in w or "ten-fold" in w for w in p.warnings)
    # 0.1 and 4.3 mg: 4.3 mL is on no mark; 0.5 mg/mL is recommended, and the warning says why
    p = prepare_liquid(tablets=2, final_volume="100 mL", doses="0.1mg,4.3mg")
    assert p.recommended_concentration == Q(Fraction(1, 2), mg_per_mL)
    assert any("Recommended concentration: 0.5 mg/mL, because at 1 mg/mL no syringe" in w for w in p.warnings)


def test_days_per_bottle_limited_by_the_bud():
    # issue 8.7: 150 mL at 1 mg/mL lasts 150/4.5 = 33.3 days at 4.5 mg, but the BUD of water is 14 days
    p = prepare_liquid(tablets=3, final_volume="150 mL", doses="4.5mg", compounding_date=DATE)
    (r,) = p.dose_volumes
    assert r.days_supply == Q(Fraction(100, 3), "day") and r.limited_by_bud and r.days_usable == Q(14, "day")
    d = p.as_dict()["dose_volumes"][0]
    assert d["days_usable"] == {"value": 14, "unit": "days"} and d["limited_by_bud"] is True
    # 50 mL lasts 11.1 days: shorter than the BUD, not limited
    (r,) = prepare_liquid(tablets=1, final_volume="50 mL", doses="4.5mg", compounding_date=DATE).dose_volumes
    assert not r.limited_by_bud and r.days_usable == r.days_supply


# --- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, field", [
    ({"concentration": "1 mg", "final_volume": "50 mL"}, UnitError, "concentration"),  # a mass as a concentration
    ({"concentration": "1 mg/mL", "final_volume": "0 mL"}, RangeError, "final_volume"),
    ({"concentration": "1 mg/mL", "final_volume": "-50 mL"}, RangeError, "final_volume"),
    ({"concentration": "0 mg/mL", "final_volume": "50 mL"}, RangeError, "concentration"),
    ({"concentration": "nan mg/mL", "final_volume": "50 mL"}, RangeError, "concentration"),
    ({"concentration": "one mg/mL", "final_volume": "50 mL"}, InputError, "concentration"),
    ({"concentration": 1, "final_volume": "50 mL"}, UnitError, "concentration"),
    ({"concentration": "1 mg/mL", "final_volume": "50 cc"}, UnitError, "final_volume"),
    ({"concentration": "1 mg/mL", "final_volume": "50 mg"}, UnitError, "final_volume"),
    ({"tablets": "1.5", "final_volume": "50 mL"}, RangeError, "tablets"),
    ({"tablets": 0, "final_volume": "50 mL"}, RangeError, "tablets"),
    ({"concentration": "1 mg/mL", "final_volume": "90 mL", "tablet_weight": "0 mg"}, RangeError, "tablet_weight"),
    ({"concentration": "0.5 mg/mL", "final_volume": "90 mL", "tablet_weight": "20 mg"}, RangeError, "tablet_weight"),
    ({"tablets": 1, "final_volume": "50 mL", "doses": "5mg"}, RangeError, "doses"),
    ({"tablets": 1, "final_volume": "50 mL", "doses": "0.05mg"}, RangeError, "doses"),
    ({"tablets": 1, "final_volume": "50 mL", "source": "syrup"}, InputError, "source"),
    ({"tablets": 1, "final_volume": "50 mL", "compounding_date": "tomorrow"}, InputError, "date"),
])
def test_prepare_liquid_invalid(kwargs, error, field):
    with pytest.raises(error) as e:
        prepare_liquid(**kwargs)
    assert e.value.field == field
    assert str(e.value).startswith(field)


def test_dose_outside_ldn_range_says_so():
    with pytest.raises(RangeError) as e:
        check_dose("5 mg")
    assert "LDN" in str(e.value) and "4.5 mg" in str(e.value)


# --- data loader ------------------------------------------------------------------------------

@pytest.fixture
def data_dir(tmp_path):
    from compounding.data import REFERENCE_DIR

    for name in ("syringes.toml", "measuring.toml", "vehicles.toml", "regimens.toml"):
        shutil.copy(REFERENCE_DIR / name, tmp_path / name)
    return tmp_path


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_loader_accepts_shipped_data(data_dir):
    d = load_liquid_data(data_dir)
    assert [s.key for s in d.syringes] == ["oral_1mL", "oral_3mL", "oral_5mL", "oral_10mL", "oral_10mL_fine"]


@pytest.mark.parametrize("file, old, new, where", [
    ("syringes.toml", 'name = "1 mL oral syringe"', 'name = "1 mL oral syringe"\ncolour = "blue"', "colour"),
    ("syringes.toml", 'graduation = { value = 0.2, unit = "mL"', 'graduation = { value = 0.3, unit = "mL"', "graduation"),
    ("syringes.toml", 'capacity = { value = 3, unit = "mL"', 'capacity = { value = 3, unit = "mg"', "capacity.unit"),
    ("syringes.toml", 'minimum = { value = 1, unit = "mL"', 'minimum = { value = 1.05, unit = "mL"', "oral_5mL.minimum"),
    ("measuring.toml", 'graduation = { value = 10, unit = "mL", source = "one mark" }',
     'graduation = { value = 1, unit = "mL", source = "one mark" }', "flask_10mL.graduation"),
    ("measuring.toml", 'kind = "graduated_cylinder"', 'kind = "beaker"', "kind"),
    ("vehicles.toml", 'naltrexone_hcl_solubility = { value = 100, unit = "mg/mL"',
     'naltrexone_hcl_solubility = { value = 100, unit = "mg"', "naltrexone_hcl_solubility.unit"),
    ("vehicles.toml", 'bud_category = "aqueous_unpreserved"', 'bud_category = "aqueous_preserved"', "bud_category"),
    ("vehicles.toml", 'mass = { value = 0.5, unit = "g", source = "Fawcett 1997, per 100 mL" }',
     'mass = { value = 0.5, unit = "g" }', "source"),
    ("regimens.toml", 'every = { value = 14, unit = "day", source = "seed documents: bi-weekly increases" }',
     'every = { value = 14, unit = "mg", source = "x" }', "every.unit"),
])
def test_loader_rejects_broken_data(data_dir, file, old, new, where):
    _edit(data_dir / file, old, new)
    load_liquid_data.cache_clear()
    with pytest.raises(DataError) as e:
        load_liquid_data(data_dir)
    assert file in str(e.value) and where in str(e.value)


# --- properties -------------------------------------------------------------------------------

conc_text = st.sampled_from(["0.5", "1", "2", "5", "0.25", "1.5", "10"])
volumes = st.integers(min_value=1, max_value=500)
ldn_doses = st.integers(min_value=1, max_value=45).map(lambda n: Fraction(n, 10))


@given(conc=conc_text, volume=volumes)
def test_property_concentration_times_volume_is_drug(conc, volume):
    c = Q(conc, mg_per_mL)
    p = prepare_liquid(concentration=c, final_volume=Q(volume, mL), source="api", potency="100%")
    assert p.naltrexone_hcl == (c * Q(volume, mL)).to(mg)
    assert isinstance(p.naltrexone_hcl.magnitude, Fraction)
    if p.aliquot:  # what is measured into the batch holds the powder needed within 95-105 %
        assert Fraction(95, 100) <= p.aliquot.powder_delivered / p.api_to_weigh <= Fraction(105, 100)


@given(conc=conc_text, dose=ldn_doses)
def test_property_dose_over_concentration_is_volume(conc, dose):
    (row,) = dose_volume_table([Q(dose, mg)], Q(conc, mg_per_mL))
    assert (row.volume * Q(conc, mg_per_mL)).to(mg) == Q(dose, mg)
    if row.syringe is not None:
        assert row.syringe.capacity >= row.volume


@given(tablets=st.integers(min_value=1, max_value=10), volume=volumes)
def test_property_tablets_volume_round_trip(tablets, volume):
    p = prepare_liquid(tablets=tablets, final_volume=Q(volume, mL))
    back = prepare_liquid(concentration=p.concentration, final_volume=p.final_volume)
    assert back.tablets_to_use == Q(tablets, tablet)
    assert math.ceil(p.tablets_equivalent) == tablets


# --- master formulas --------------------------------------------------------------------------

@pytest.mark.parametrize("formula_id, vehicle", [("LDN-LIQ-WATER-1", "purified_water"),
                                                 ("LDN-LIQ-FAWCETT-1", "fawcett_1997")])
def test_master_formula_sets_vehicle(formula_id, vehicle):
    from compounding.formulas import formula

    mfr = formula(formula_id)
    assert mfr.preparation == "oral_liquid" and mfr.default_vehicle == vehicle
    assert liquid_data().vehicle(vehicle).bud_category == mfr.bud_category
    p = prepare_liquid(formula=formula_id, concentration="1 mg/mL", final_volume="100 mL")
    assert p.vehicle.key == vehicle and p.as_dict()["formula"]["id"] == formula_id


def test_master_formula_refuses_capsule_formula_and_wrong_vehicle():
    with pytest.raises(InputError) as e:
        prepare_liquid(formula="LDN-CAP-TAB", concentration="1 mg/mL", final_volume="100 mL")
    assert e.value.field == "formula"
    with pytest.raises(InputError) as e:
        prepare_liquid(formula="LDN-LIQ-WATER-1", vehicle="fawcett_1997", concentration="1 mg/mL",
                       final_volume="100 mL")
    assert e.value.field == "vehicle"
