"""compounding.units (one registry, exact quantities, the parser) and compounding.display."""

from __future__ import annotations

import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compounding.display import format_number, format_quantity
from compounding.errors import InputError, RangeError, UnitError
from compounding.units import (KINDS, Q, as_count, as_fraction, as_quantity, capsule, exact, mg, mg_per_mL,
                               parse_quantity, percent, tablet, ureg)


def test_importing_compounding_leaves_the_application_registry_alone():
    # issue 10: a library does not replace its host's pint registry. In a fresh interpreter (this one
    # has imported compounding long ago), the application registry is the same object before and after.
    code = ("import pint; before = pint.get_application_registry().get(); "
            "import compounding, compounding.units, compounding.capsules; "
            "after = pint.get_application_registry().get(); "
            "print(after is before, after is compounding.units.ureg)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.split() == ["True", "False"]


@pytest.mark.parametrize("text", ["4.5 mg", "4.5mg", " 4.5  mg ", "4500 mcg", "4500 µg", "4500 μg", "4500 ug",
                                  "0.0045 g", "4.5 milligrams"])
def test_parse_mass_spellings_are_exactly_4_5_mg(text):
    q = parse_quantity(text, "strength", "mass")
    assert q.to(mg).magnitude == Fraction(9, 2)
    assert isinstance(q.magnitude, Fraction)


@pytest.mark.parametrize("text, kind, expected", [
    ("1 mg/mL", "concentration", Q(1, mg_per_mL)),
    ("120 mg/5 mL", "concentration", Q(24, mg_per_mL)),
    ("270 mg", "mass_per_capsule", Q(270, mg / capsule)),
    ("270 mg/capsule", "mass_per_capsule", Q(270, mg / capsule)),
    ("321 mg", "mass_per_tablet", Q(321, mg / tablet)),
    ("98.5%", "percent", Q("98.5", percent)),
    ("14 days", "duration", Q(14, "day")),
])
def test_parse_kinds(text, kind, expected):
    assert parse_quantity(text, "x", kind) == expected


@pytest.mark.parametrize("text, error, words", [
    ("", InputError, "empty"), ("   ", InputError, "empty"), ("abc", InputError, "not a number"),
    ("nan mg", RangeError, "finite"), ("-inf mg", RangeError, "finite"), ("Infinity mg", RangeError, "finite"),
    ("4,5 mg", InputError, "comma"), ("1,500 mg", InputError, "comma"), (".5 mg", InputError, "naked"),
    ("-.5 mg", InputError, "naked"), ("4.5", UnitError, "no unit"), ("4.5 gr", UnitError, "grain"),
    ("4.5 gm", UnitError, "error-prone"), ("4.5 cc", UnitError, "mL"), ("4.5 mL", UnitError, "volume"),
    ("4.5 U", UnitError, "units"), ("4.5 lb", UnitError, "unknown"), ("4.5 mg/mL", UnitError, "ratio"),
    ("4.5 mg capsule", UnitError, "not one unit"),
])
def test_parse_refusals(text, error, words):
    with pytest.raises(error) as info:
        parse_quantity(text, "strength", "mass")
    assert info.value.field == "strength" and words.lower() in str(info.value).lower()


@pytest.mark.parametrize("text, advice", [
    ("0,5 mg", "write 0.5"), ("150,5 mg", "write 150.5"), ("4,5", "write 4.5"), ("1,25 mg", "write 1.25"),
    # three digits after one comma: a decimal comma (one) or a thousands separator (one thousand)
    ("1,000 mg", "write 1 or 1000"), ("1,500 mg", "write 1.5 or 1500"), ("1,000,000 mg", "write 1000000"),
])
def test_a_comma_in_a_number_is_refused_with_what_to_write(text, advice):
    # issue 8 item 1: the app must say "write 0.5" beside a field where 0,5 was typed
    with pytest.raises(InputError) as info:
        parse_quantity(text, "strength", "mass")
    assert info.value.field == "strength" and advice in info.value.message
    with pytest.raises(InputError) as info:  # a count says the same
        as_count(text.removesuffix(" mg"), "quantity", capsule)
    assert info.value.field == "quantity" and advice in info.value.message


def test_concentration_dividing_by_zero_is_refused():
    with pytest.raises(RangeError):
        parse_quantity("120 mg/0 mL", "concentration", "concentration")


def test_exact_reads_floats_as_their_decimal():
    assert exact(0.1) == Fraction(1, 10) and exact("4.5") == Fraction(9, 2) and exact(Decimal("0.3")) == Fraction(3, 10)
    for bad in (float("nan"), float("inf"), True, None, [1]):
        with pytest.raises((ValueError, TypeError)):
            exact(bad)


def test_as_quantity_refuses_bare_numbers_and_wrong_dimensions():
    with pytest.raises(UnitError):
        as_quantity(4.5, "strength", "mass")
    with pytest.raises(UnitError):
        as_quantity(Q(1, "mL"), "strength", "mass")
    with pytest.raises(InputError):
        as_quantity(None, "strength", "mass")
    assert as_quantity(Q(270, mg), "fill_weight", "mass_per_capsule") == Q(270, mg / capsule)


def test_as_count_and_as_fraction():
    assert as_count("90 capsules", "quantity", capsule) == Q(90, capsule)
    assert as_count(Q(3, tablet), "n", tablet) == Q(3, tablet)
    assert as_fraction("10%", "extra", low=Fraction(0), high=Fraction(1), allowed="") == Fraction(1, 10)
    with pytest.raises(UnitError):
        as_fraction(0.1, "extra", low=Fraction(0), high=Fraction(1), allowed="")


def test_capsules_and_tablets_do_not_add():
    with pytest.raises(pint.DimensionalityError):
        Q(1, capsule) + Q(1, tablet)


# --- properties -----------------------------------------------------------------------------------

@given(st.text(), st.sampled_from(sorted(KINDS)))
def test_parse_quantity_raises_only_input_errors(text, kind):
    try:
        q = parse_quantity(text, "field", kind)
    except InputError as exc:
        assert exc.field == "field"
        str(exc)  # the message always builds
    else:
        assert isinstance(q.magnitude, Fraction)


# ASCII digits only: a bare \d also draws other scripts' digits, which are refused (see above), so
# before this most examples never computed and the test checked almost nothing.
_number_text = st.from_regex(r"\A[+-]?[0-9]{1,6}(\.[0-9]{0,6})?\Z", fullmatch=True)
MASS_UNITS = {"mg": "milligram", " mg": "milligram", "g": "gram", "mcg": "microgram", "µg": "microgram"}


@given(_number_text, st.sampled_from(sorted(MASS_UNITS)))
def test_parse_quantity_on_number_like_text(number, unit):
    q = parse_quantity(number + unit, "f", "mass")
    assert q.magnitude == Fraction(number) and q.units == ureg.Unit(MASS_UNITS[unit])


@given(_number_text, st.sampled_from(["gr", "cc", "mL", ""]))
def test_number_like_text_without_a_mass_unit_is_refused(number, unit):
    with pytest.raises(InputError):  # grains (error-prone), volumes, and no unit at all
        parse_quantity(number + unit, "f", "mass")


# --- display ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, places, text", [
    (Fraction(1, 2), 2, "0.5"), (Fraction(5, 2), 0, "3"), (Fraction(2675, 1000), 2, "2.68"), (Fraction(-1, 2), 0, "-1"),
    (Fraction(1, 1000), 2, "0.001"), (Fraction(1, 3), 4, "0.3333"), (100, 2, "100"), (Fraction(0), 2, "0"),
])
def test_format_number(value, places, text):
    assert format_number(value, places) == text


@pytest.mark.parametrize("q, text", [(Q("0.5", mg), "0.5 mg"), (Q(1500, "microgram"), "1500 mcg"),
                                     (Q(1, capsule), "1 capsule"), (Q(99, capsule), "99 capsules"),
                                     (Q("98.5", percent), "98.5%"), (Q(1, mg_per_mL), "1 mg/mL")])
def test_format_quantity(q, text):
    assert format_quantity(q) == text


@given(st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**6), st.integers(0, 6))
def test_format_number_rounds_half_up_with_no_trailing_zero_or_naked_decimal(value, places):
    text = format_number(value, places)
    assert not text.startswith(".") and not text.startswith("-.")
    if "." in text:
        assert not text.endswith("0") and not text.endswith(".")
    exact_decimal = Decimal(value.numerator) / Decimal(value.denominator)
    expected = exact_decimal.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if expected != 0 or value == 0:
        assert Decimal(text) == expected
    else:  # a real amount never shows as zero: it gets three significant figures instead
        assert Decimal(text) != 0


@given(st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=4), st.integers(0, 3))
def test_format_number_half_up_on_exact_decimals(value, places):
    expected = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if expected != 0 or value == 0:
        assert Decimal(format_number(Fraction(value), places)) == expected
