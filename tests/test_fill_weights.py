"""Fill weights no powder has (issue 8.2): a measured fill weight (filler or drug powder) implies a
powder density in the capsule's nominal volume; outside 0.1-1.5 g/mL (capsules.toml: fill_density,
the span of pharmaceutical powders' bulk densities) it is refused naming the field, the range in mg
for that size, and the size. A filler fill weight outside 50-200 % of the table estimate is warned.

Capsule volumes (domain.md §5, Torpac): 000 1.37 · 00 0.95 · 0 0.68 · 1 0.50 · 2 0.37 · 3 0.30 ·
4 0.21 · 5 0.13 mL. MCC PH-102 table estimates (fillers.toml): volume × 0.30 g/mL, rounded to mg.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from compounding.capsules import capsule_batch
from compounding.errors import CompoundingError, RangeError

DATE = "2026-03-02"
VOLUME = {"000": "1.37", "00": "0.95", "0": "0.68", "1": "0.50", "2": "0.37", "3": "0.30", "4": "0.21",
          "5": "0.13"}
MCC_ESTIMATE = {"000": 411, "00": 285, "0": 204, "1": 150, "2": 111, "3": 90, "4": 63, "5": 39}


def caps(**kw):
    return capsule_batch("4.5 mg", 100, compounding_date=DATE, **kw)


@pytest.mark.parametrize("field, value", [("fill_weight", "15 mg"), ("fill_weight", "1505 mg"),
                                          ("fill_weight", "270 mcg"), ("api_fill_weight", "4.5 mg"),
                                          ("api_fill_weight", "1 g")])
def test_size_1_refuses_fill_weights_no_powder_has(field, value):
    with pytest.raises(RangeError) as e:
        caps(capsule_size="1", **{field: value})
    text = str(e.value)
    assert e.value.field == field
    # 0.1 g/mL × 0.5 mL = 50 mg; 1.5 g/mL × 0.5 mL = 750 mg
    assert "size 1" in text and "50-750 mg" in text and "0.1-1.5 g/mL" in text and repr(value) in text


def test_the_range_is_per_size():
    # size 5: 0.13 mL → 13-195 mg; 200 mg is refused there but fine in a size 1
    with pytest.raises(RangeError, match="13-195 mg"):
        caps(capsule_size="5", fill_weight="200 mg")
    assert caps(capsule_size="1", fill_weight="200 mg").filler_fill_weight.magnitude == 200


def _mg(low: str, high: str):
    return st.decimals(Decimal(low), Decimal(high), places=1)


@given(size=st.sampled_from(sorted(VOLUME)), mg=_mg("0.1", "2500"),
       field=st.sampled_from(["fill_weight", "api_fill_weight"]))
def test_a_fill_weight_is_accepted_exactly_when_its_density_is_a_powders(size, mg, field):
    density = Fraction(mg) / 1000 / Fraction(VOLUME[size])  # g/mL
    plausible = Fraction(1, 10) <= density <= Fraction(3, 2)
    try:
        b = caps(capsule_size=size, **{field: f"{mg} mg"})
    except CompoundingError as e:
        assert not plausible and e.field == field, str(e)
        assert f"size {size}" in str(e)
    else:
        assert plausible
        got = b.filler_fill_weight if field == "fill_weight" else b.api_fill_weight
        assert got.magnitude == Fraction(mg)


@given(size=st.sampled_from(sorted(VOLUME)), share=st.integers(34, 500))
def test_a_fill_weight_far_from_the_table_estimate_is_warned_naming_both(size, share):
    measured = Fraction(MCC_ESTIMATE[size] * share, 100)
    if not Fraction(1, 10) <= measured / 1000 / Fraction(VOLUME[size]) <= Fraction(3, 2):
        return  # refused: covered above
    text = f"{float(measured):.2f}".rstrip("0").rstrip(".")
    b = caps(capsule_size=size, fill_weight=f"{text} mg")
    warned = [w for w in b.warnings if "table estimate" in w and "Measured" in w]
    assert bool(warned) == (not 50 <= Fraction(text) * 100 / MCC_ESTIMATE[size] <= 200)
    if warned:
        assert f"{MCC_ESTIMATE[size]} mg" in warned[0] and f"{text} mg" in warned[0] and f"size {size}" in warned[0]


@pytest.mark.parametrize("field, value, ok", [("drug_bulk_density", "0.05 g/mL", False),
                                              ("drug_bulk_density", "3 g/mL", False),
                                              ("drug_bulk_density", "0.5 g/mL", True),
                                              ("filler_bulk_density", "0.09 g/mL", False),
                                              ("filler_bulk_density", "1.5 g/mL", True)])
def test_bulk_densities_in_the_density_method_use_the_same_range(field, value, ok):
    kw = {"method": "density", "drug_bulk_density": "0.5 g/mL", field: value}
    if ok:
        assert caps(**kw).fill_weight_per_capsule.magnitude > 0
    else:
        with pytest.raises(RangeError, match="0.1-1.5 g/mL") as e:
            caps(**kw)
        assert e.value.field == field
