"""compounding.capsules: the LDN capsule batch, its pure steps, warnings, and every refused input."""

from __future__ import annotations

import datetime as dt
import json
import math
from fractions import Fraction

import pytest

from compounding.capsules import (CapsuleBatch, capsule_batch, capsules_to_make, density_filler,
                                  next_size_that_fits, packing_stat_filler, parse_extra)
from compounding.errors import CalculationError, CompoundingError, InputError, RangeError, UnitError
from compounding.reference import reference
from compounding.units import Q, capsule, dimensionless, mg, mg_per_capsule, mL, percent, tablet

DATE = "2026-01-05"


def batch(**kw) -> CapsuleBatch:
    kw.setdefault("compounding_date", DATE)
    return capsule_batch(kw.pop("strength", "4.5 mg"), kw.pop("quantity", 90), **kw)


# --- pure steps ----------------------------------------------------------------------------------

@pytest.mark.parametrize("ordered, extra, expected_extra", [
    (90, "10%", 9), (90, None, 0), (90, "", 0), (90, 2, 2), (90, "2", 2), (91, "10%", 10),
    (1, "1%", 1), (100, "0%", 0), (30, "100%", 30), (90, Q(10, percent), 9), (90, Q(1, capsule), 1),
])
def test_capsules_to_make_rounds_a_percentage_up_exactly(ordered, extra, expected_extra):
    extra_q, to_make = capsules_to_make(Q(ordered, capsule), extra)
    assert extra_q == Q(expected_extra, capsule)
    assert to_make == Q(ordered + expected_extra, capsule)


def test_parse_extra_kinds():
    assert parse_extra("10%") == ("percent", Fraction(1, 10))
    assert parse_extra(3) == ("count", Fraction(3))
    assert parse_extra(None) == ("count", Fraction(0))


def test_packing_statistic_displacement_factor_one_when_drug_ps_unknown():
    displaced, filler = packing_stat_filler(Q("4.5", mg_per_capsule), Q(270, mg_per_capsule))
    assert displaced == Q("4.5", mg_per_capsule) and filler == Q("265.5", mg_per_capsule)


def test_density_filler_overfill_is_a_calculation_error_naming_the_size():
    with pytest.raises(CalculationError) as info:
        density_filler(Q(375, mg_per_capsule), Q("0.75", "g/mL"), Q("0.68", "g/mL"), Q("0.48", mL))
    assert info.value.field == "capsule_size" and "0.5 mL" in str(info.value)


def test_next_size_that_fits_walks_up_by_volume():
    sizes = reference().capsule_sizes
    assert next_size_that_fits(lambda s: sizes[s].quantity >= Q("0.5", mL), sizes, "3") == "1"
    assert next_size_that_fits(lambda s: False, sizes, "3") is None


# --- the batch -----------------------------------------------------------------------------------

def test_a_batch_is_frozen_and_exact():
    b = batch(extra="10%", fill_weight="270 mg", api_fill_weight="350 mg")
    with pytest.raises(AttributeError):
        b.blend_total = Q(0, mg)  # type: ignore[misc]
    assert b.capsules_to_make == Q(99, capsule)
    assert isinstance(b.blend_total.magnitude, Fraction)
    assert b.api_to_weigh + b.filler_to_weigh == b.blend_total
    assert b.fill_weight_per_capsule * b.capsules_to_make == b.blend_total
    assert b.fill_weight_min == b.fill_weight_per_capsule * Fraction(9, 10)
    assert b.fill_weight_max == b.fill_weight_per_capsule * Fraction(11, 10)
    assert b.bud.date == dt.date(2026, 1, 5) + dt.timedelta(days=180)


def test_as_dict_is_json_with_the_contract_keys():
    d = batch(source="tablets", tablet_weight="321 mg").as_dict()
    json.dumps(d)
    assert d["api_to_weigh"] is None and isinstance(d["tablets_to_crush"], int)
    assert d["tablet_powder_to_weigh"]["unit"] == "mg"


def test_trace_names_each_reported_quantity():
    b = batch(strength="0.1 mg", quantity=10)
    keys = {s.key for s in b.trace}
    assert {"capsules_to_make", "naltrexone_hcl", "api_to_weigh", "filler_to_weigh", "blend_total",
            "fill_weight_per_capsule", "fill_weight_min", "fill_weight_max", "mwq", "bud",
            "aliquot_stage_1", "aliquot_stage_2", "filler_to_add"} <= keys


@pytest.mark.parametrize("strength, quantity, stages", [("4.5 mg", 30, 0), ("0.5 mg", 100, 1),
                                                         ("0.1 mg", 100, 1), ("0.1 mg", 10, 2)])
def test_aliquot_plan_appears_below_the_mwq(strength, quantity, stages):
    b = batch(strength=strength, quantity=quantity)
    assert (len(b.aliquot.stages) if b.aliquot else 0) == stages
    assert any(w.startswith("Aliquot needed") for w in b.warnings) == bool(stages)


def test_strength_as_micrograms_is_the_same_batch():
    assert batch(strength="1500 mcg").naltrexone_hcl == batch(strength="1.5 mg").naltrexone_hcl


def test_potency_correction_and_salt_factor_are_shown_not_silent():
    # 99 % is the content of the dihydrate itself (a dihydrate holds at most 93.12 % anhydrous HCl),
    # so the basis is said explicitly and the hydrate's salt factor applies
    b = batch(api_form="hcl_dihydrate", potency="99%", potency_basis="hcl_dihydrate")
    assert any("Salt factor" in w for w in b.warnings)
    assert {"salt_factor", "potency"} <= {s.key for s in b.trace}
    assert b.api_to_weigh == b.naltrexone_hcl * b.salt_factor / b.potency


@pytest.mark.parametrize("kw, words", [
    ({"filler": "lactose_monohydrate"}, "lactose intolerance"),
    ({}, "table estimate"),
    ({}, "displacement factor 1"),
    ({}, "No potency given"),
    ({"potency": "97%"}, "outside the USP monograph range"),
])
def test_warnings_a_pharmacist_must_see(kw, words):
    assert any(words.lower() in w.lower() for w in batch(**kw).warnings)


def test_component_expiry_caps_the_bud():
    b = batch(component_expiries=["2026-03-01"])
    assert b.bud.date == dt.date(2026, 3, 1) and b.bud.capped_by_expiry == dt.date(2026, 3, 1)


# --- every kind of bad input: the right class, naming field and value ----------------------------

BAD = [
    # (case id, kwargs, error class, field, words in the message)
    ("grams for mg", {"strength": "4.5 g"}, RangeError, "strength", "did you mean 4.5 mg"),
    ("volume for mass", {"strength": "4.5 mL"}, UnitError, "strength", "volume"),
    ("zero", {"strength": "0 mg"}, RangeError, "strength", "0.1-4.5 mg"),
    ("negative", {"strength": "-1 mg"}, RangeError, "strength", "0.1-4.5 mg"),
    ("nan", {"strength": "nan mg"}, RangeError, "strength", "finite"),
    ("inf", {"strength": "inf mg"}, RangeError, "strength", "finite"),
    ("empty", {"strength": ""}, InputError, "strength", "empty"),
    ("text", {"strength": "abc"}, InputError, "strength", "not a number"),
    ("comma decimal", {"strength": "4,5 mg"}, InputError, "strength", "comma"),
    ("naked decimal", {"strength": ".5 mg"}, InputError, "strength", "naked decimal"),
    ("gr", {"strength": "4.5 gr"}, UnitError, "strength", "grain"),
    ("cc", {"strength": "4.5 cc"}, UnitError, "strength", "mL"),
    ("no unit", {"strength": "4.5"}, UnitError, "strength", "no unit"),
    ("bare number", {"strength": 4.5}, UnitError, "strength", "no unit"),
    ("below LDN", {"strength": "0.05 mg"}, RangeError, "strength", "LDN"),
    ("above LDN", {"strength": "5 mg"}, RangeError, "strength", "LDN"),
    ("quantity 0", {"quantity": 0}, RangeError, "quantity", "from 1"),
    ("quantity 2.5", {"quantity": "2.5"}, RangeError, "quantity", "whole number"),
    ("quantity float", {"quantity": 2.5}, RangeError, "quantity", "whole number"),
    ("quantity -3", {"quantity": -3}, RangeError, "quantity", "out of range"),
    ("quantity abc", {"quantity": "abc"}, InputError, "quantity", "whole number"),
    ("quantity nan", {"quantity": float("nan")}, InputError, "quantity", "finite"),
    ("quantity in tablets", {"quantity": "90 tablets"}, UnitError, "quantity", "count of capsules"),
    ("extra 150%", {"extra": "150%"}, RangeError, "extra", "100%"),
    ("extra -1", {"extra": "-1"}, RangeError, "extra", "out of range"),
    ("extra 1.5", {"extra": "1.5"}, RangeError, "extra", "whole number"),
    ("potency without %", {"potency": "98.5"}, UnitError, "potency", "%"),
    ("potency 50%", {"potency": "50%"}, RangeError, "potency", "80-105%"),
    ("potency and assay", {"potency": "98%", "assay": "99%"}, InputError, "potency", "not both"),
    ("water 40%", {"assay": "99%", "water": "40%"}, RangeError, "water", "0-15%"),
    ("no tablet weight", {"source": "tablets"}, InputError, "tablet_weight", "average weight"),
    ("tablet weight 30 mg", {"source": "tablets", "tablet_weight": "30 mg"}, RangeError, "tablet_weight",
     "cannot be the weight of one 50 mg tablet (allowed: a mass per tablet from 50 mg to 2000 mg)"),
    ("unknown source", {"source": "syrup"}, InputError, "source", "api or tablets"),
    ("unknown size", {"capsule_size": "7"}, InputError, "capsule_size", "000, 00, 0"),
    ("unknown filler", {"filler": "sand"}, InputError, "filler", "mcc_ph102"),
    ("calcium carbonate", {"filler": "calcium_carbonate"}, InputError, "filler", "absorption"),
    ("slow release", {"filler": "slow_release"}, InputError, "filler", "never"),
    ("fill weight 0", {"fill_weight": "0 mg"}, RangeError, "fill_weight", "greater than zero"),
    ("fill weight as volume", {"fill_weight": "0.3 mL"}, UnitError, "fill_weight", "volume"),
    ("mwq 0", {"mwq": "0 mg"}, RangeError, "mwq", "greater than zero"),
    ("unknown balance", {"balance": "kitchen"}, InputError, "balance", "class_iii"),
    ("unknown method", {"method": "guess"}, InputError, "method", "density"),
    ("unknown formula", {"formula": "LDN-XYZ"}, InputError, "formula", "LDN-CAP-API"),
    ("bad date", {"compounding_date": "2026-02-30"}, InputError, "date", "ISO date"),
    ("date text", {"compounding_date": "yesterday"}, InputError, "date", "ISO date"),
    ("expired component", {"component_expiries": ["2025-01-01"]}, InputError, "component_expiries", "expired"),
    ("qc limits", {"qc_limits": ("95%", "99%")}, RangeError, "qc_high", "100-150%"),
    # 4.5 mg × 600 mg ÷ 50 mg = 54 mg of tablet powder per capsule: more than a size 5 holds (39 mg of
    # filler at 0.3 g/mL; 54 mg ÷ 0.3 g/mL = 0.18 mL > 0.13 mL), and a size 4 holds it
    ("overfill (tablets)", {"source": "tablets", "tablet_weight": "600 mg", "capsule_size": "5",
                            "fill_weight": "39 mg"}, CalculationError, "capsule_size", "use size 4"),
    ("overfill (density method)", {"source": "tablets", "tablet_weight": "600 mg", "capsule_size": "5",
                                   "method": "density", "drug_bulk_density": "0.3 g/mL"}, CalculationError,
     "capsule_size", "size 4"),
    # issue 8.2 / 9.4: these were refused as an overfilled capsule; the slip is the figure typed
    ("fill weight no powder has (20 mg in size 3)",
     {"source": "tablets", "tablet_weight": "321 mg", "fill_weight": "20 mg"}, RangeError, "fill_weight",
     "30-450 mg"),
    ("bulk density no powder has", {"source": "tablets", "tablet_weight": "321 mg", "method": "density",
                                    "drug_bulk_density": "0.05 g/mL"}, RangeError, "drug_bulk_density",
     "0.1-1.5 g/mL"),
]


@pytest.mark.parametrize("kw, error, field, words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_capsule_batch_invalid(kw, error, field, words):
    with pytest.raises(CompoundingError) as info:
        batch(**kw)
    exc = info.value
    assert type(exc) is error, f"{type(exc).__name__}: {exc}"
    assert exc.field == field
    message = str(exc)
    assert "\n" not in message and words.lower() in message.lower(), message
    given = kw.get(field)
    if isinstance(given, (str, int, float)) and not (isinstance(given, float) and math.isnan(given)):
        assert str(given) in message, f"value {given!r} not named in: {message}"


def test_lactose_is_allowed_with_a_warning_not_refused():
    assert any("lactose" in w.lower() for w in batch(filler="lactose_monohydrate").warnings)


def test_too_little_filler_for_the_aliquot_is_refused():
    # 0.1 mg x 1 capsule needs a 2-stage plan carrying ~119 mg of diluent; the capsule holds less filler.
    with pytest.raises(CalculationError) as info:
        batch(strength="0.1 mg", quantity=1, capsule_size="5")
    assert info.value.field == "quantity" and "stock trituration" in str(info.value)


def test_tablet_count_is_its_own_dimension():
    with pytest.raises(Exception) as info:
        Q(1, capsule) + Q(1, tablet)
    assert "dimension" in type(info.value).__name__.lower() or "cannot convert" in str(info.value).lower()
    assert Q(1, dimensionless) * 100 == Q(100, dimensionless)


# Regression: water content given without the assay it corrects was silently ignored (no potency
# correction at all), found by the app's QA page review.
def test_water_without_assay_is_refused():
    from compounding import InputError, capsule_batch

    with pytest.raises(InputError) as info:
        capsule_batch("1.5 mg", 120, water="3.5%")
    assert info.value.field == "water" and info.value.value == "3.5%"
