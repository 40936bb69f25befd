"""One display rule (issue 10): the screen and the Excel records show a value with the same places,
from compounding.display.display_places; the Excel export keeps no table of its own.

Before: excel/_common.py kept UNIT_PLACES with counts at 0 places, so 8.91 tablets' worth printed as
"9" in a record while the screen and the trace said 8.91.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compounding.display import DISPLAY_PLACES, display_places, format_number, format_quantity, round_half_up
from compounding.excel._common import Line, number_format
from compounding.units import Q, capsule, dimensionless, mg, mg_per_mL, mL, percent, tablet, ureg

# (value in the unit, pint unit, the Line's unit, the figure a pharmacist should read), worked by hand:
CASES = [
    (Fraction(891, 100), tablet, "tablets", "8.91"),  # 445.5 mg ÷ 50 mg: a fraction of a tablet shows
    (Fraction(3, 5), tablet, "tablets", "0.6"),
    (Fraction(9), tablet, "tablets", "9"),
    (Fraction(99), capsule, "capsules", "99"),
    (Fraction(19, 2), capsule, "capsules", "9.5"),  # 10 % of 95 capsules before rounding up
    (Fraction(15, 1) / Fraction(985, 1000), mg, "mg", "15.23"),  # 15 mg ÷ 98.5 %: 15.2284… mg
    (Fraction(891, 2), mg, "mg", "445.5"),
    (Fraction(1, 800), mg, "mg", "0.00125"),  # 2 places would say 0 mg: 3 significant figures
    (Fraction(1, 3), mL, "mL", "0.33"),
    (Fraction(1, 3000), mL, "mL", "0.000333"),
    (Fraction(1, 2), mg_per_mL, "mg/mL", "0.5"),
    (Fraction(1, 30000), mg_per_mL, "mg/mL", "0.0000333"),
    (Fraction(50, 11), ureg.Unit("mg/capsule"), "mg/capsule", "4.55"),  # 4.5454…: 2 places
    (Fraction(1, 1000), ureg.Unit("microgram"), "mcg", "0.001"),  # 1 place would say 0 mcg
]


def _excel_shows(value: Fraction, fmt: str) -> str:
    """What a cell with number format ``fmt`` shows for ``value`` once the record's trim_zeros rules
    drop trailing zeros (as LibreOffice and Excel do: round half away from zero, then format)."""
    percent_format = fmt.endswith("%")
    body = fmt.rstrip("%")
    places = len(body.partition(".")[2])
    shown = round_half_up(value * 100 if percent_format else value, places)
    text = format(shown, "f")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return text + ("%" if percent_format else "")


@pytest.mark.parametrize("value, unit, symbol, expected", CASES)
def test_the_screen_and_the_excel_number_format_show_the_same_figure(value, unit, symbol, expected):
    screen = format_quantity(Q(value, unit)).split(" ")[0]
    cell = _excel_shows(value, number_format(Line("x", "x", symbol, value)))
    assert screen == expected
    assert cell == expected


@pytest.mark.parametrize("ratio, expected", [(Fraction(985, 1000), "98.5%"), (Fraction(1, 100000), "0.001%"),
                                             (Fraction(1), "100%")])
def test_a_percentage_cell_shows_the_screen_percentage(ratio, expected):
    # a "%" line holds the ratio (0.985) and its format multiplies by 100, as the screen's percent does
    assert format_quantity(Q(ratio, dimensionless).to(percent)) == expected
    assert _excel_shows(ratio, number_format(Line("x", "x", "%", ratio))) == expected


def test_display_places_is_the_one_rule():
    assert display_places(Fraction(9), "tablets") == 0 and display_places(Fraction(891, 100), "tablets") == 4
    assert display_places(None, "capsules") == 0  # a blank count input is a whole count
    assert display_places(Fraction(1, 800), "mg") == 5  # 0.00125: three significant figures
    assert display_places(Fraction(1, 800), mg) == 5  # a pint unit or its symbol
    assert display_places(Decimal("0.004"), "mg") == 5  # 0.00 mg would hide it: 3 s.f. (0.00400)
    assert display_places(Decimal("0.005"), "mg") == 2  # 0.01 mg half-up: shown as it is


@given(st.fractions(min_value=0, max_value=100000, max_denominator=10**7),
       st.sampled_from(sorted(u for u in DISPLAY_PLACES if u != "%")))
def test_any_amount_reads_the_same_on_the_screen_and_in_a_cell(value, unit):
    # the property of the table above for any amount: the number format's places, trailing zeros dropped,
    # give the screen's figure; and a nonzero amount never reads as 0
    cell = _excel_shows(value, number_format(Line("x", "x", unit, value)))
    assert cell == format_number(value, display_places(value, unit))
    assert value == 0 or Decimal(cell) != 0
