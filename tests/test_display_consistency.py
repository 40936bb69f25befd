"""One figure, one value (issue 8, item 9): every figure the program shows (screen, warnings, trace,
text sheets) is the same rounded value, by the one display rule of ``compounding.display``; a count
that was rounded up says so.

Before: the trace of a tablets batch said "→ 9 tablets" for 8.91 tablets' worth (counts were shown
with 0 places), and a warning said 15.2284 mg where the table said 15.23 mg (warnings used 4 places).
"""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from compounding.capsules import capsule_batch
from compounding.display import format_magnitude, format_quantity, format_rounded_up, places_for
from compounding.liquids import prepare_liquid
from compounding.sheet import capsule_sheet, liquid_sheet
from compounding.units import Q, capsule, mg, mg_per_mL, mL, percent, tablet, ureg

# 4.5 mg × (90 + 10 %) = 445.5 mg = 8.91 tablets of 50 mg: crush 9
TABLETS = dict(formula="LDN-CAP-TAB", strength="4.5 mg", quantity=90, extra="10%", capsule_size="1",
               fill_weight="270 mg", api_fill_weight="350 mg", tablet_weight="321 mg")
# 0.5 mg × 30 = 15 mg of naltrexone HCl ÷ 98.5 % potency = 15.2284… mg of powder, below the 120 mg MWQ
SMALL_POWDER = dict(formula="LDN-CAP-API", strength="0.5 mg", quantity=30, capsule_size="1", fill_weight="270 mg",
                    potency="98.5%")


def test_a_fractional_count_shows_its_fraction_and_a_whole_count_is_whole():
    assert format_quantity(Q(Fraction(891, 100), tablet)) == "8.91 tablets"
    assert format_quantity(Q(Fraction(3, 5), tablet)) == "0.6 tablets"
    assert format_quantity(Q(9, tablet)) == "9 tablets" and format_quantity(Q(1, capsule)) == "1 capsule"


def test_a_count_rounded_up_says_so():
    assert format_rounded_up(Q(9, tablet), Fraction(891, 100)) == "9 tablets (rounded up from 8.91)"
    assert format_rounded_up(Q(10, capsule), Q(Fraction(19, 2), capsule)) == "10 capsules (rounded up from 9.5)"
    assert format_rounded_up(Q(9, tablet), 9) == "9 tablets"  # nothing rounded: nothing said


def test_format_magnitude_is_the_number_format_quantity_shows():
    q = Q(Fraction(15, 1) / Fraction(985, 1000), mg)  # 15.2284… mg
    assert format_magnitude(q) == "15.23" and format_quantity(q) == "15.23 mg"
    assert format_magnitude(q, ureg.Unit("gram")) == "0.0152"


def test_tablets_trace_shows_the_tablets_worth_and_the_rounded_up_crush():
    b = capsule_batch(**TABLETS)
    steps = {s.key: str(s) for s in b.trace}
    assert steps["tablets_equivalent"].endswith("→ 8.91 tablets")  # was "→ 9 tablets"
    # main's crush count is rounded up from the tablets' worth of the largest powder weighed (2860.11 mg
    # ÷ 321 mg = 8.91 here, the same as the drug's worth): the step names what it rounded up
    assert "ROUNDUP" in steps["tablets_to_crush"] and "tablets_worth = 8.91 tablets" in steps["tablets_to_crush"]
    assert re.search(r"Whole 50 mg tablets to crush +9 tablets \(rounded up from 8\.91\)", capsule_sheet(b))


def test_extra_capsules_from_a_percentage_say_when_they_were_rounded_up():
    b = capsule_batch(**dict(TABLETS, quantity=95))  # 10 % of 95 = 9.5: 10 extra
    assert "unrounded = 9.5 capsules → 10 capsules" in next(str(s) for s in b.trace if s.key == "extra")
    assert "(95 ordered + 10 (rounded up from 9.5) extra)" in capsule_sheet(b)
    b = capsule_batch(**TABLETS)  # 10 % of 90 = 9: nothing rounded
    assert "(90 ordered + 9 extra)" in capsule_sheet(b)


# a number written with its unit; the unit's display places are the most it may carry
_FIGURE = re.compile(r"(\d+)\.(\d+) ?(mg/mL|mcg/mL|g/mL|mcg|mg|mL|%)(?![A-Za-z])")
_UNITS = {"mg/mL": mg_per_mL, "mcg/mL": ureg.Unit("microgram") / mL, "g/mL": ureg.Unit("gram") / mL,
          "mcg": ureg.Unit("microgram"), "mg": mg, "mL": mL, "%": percent}


def _too_precise(text: str) -> list[str]:
    return [m.group(0) for m in _FIGURE.finditer(text) if len(m.group(2)) > places_for(_UNITS[m.group(3)])]


RESULTS = {
    "capsules, small powder batch (aliquot)": lambda: capsule_batch(**SMALL_POWDER),
    # a 98.5 % potency of a dihydrate is the content of the dihydrate itself (main's potency basis
    # refuses it as the anhydrous salt's: more than a dihydrate can hold)
    "capsules, dihydrate with potency": lambda: capsule_batch(**dict(SMALL_POWDER, strength="4.5 mg", quantity=90,
                                                                     api_form="hcl_dihydrate",
                                                                     potency_basis="hcl_dihydrate")),
    "capsules, tablets": lambda: capsule_batch(**TABLETS),
    "liquid, powder dihydrate": lambda: prepare_liquid(source="api", concentration="1 mg/mL", final_volume="50 mL",
                                                       api_form="hcl_dihydrate", potency="98.5%",
                                                       potency_basis="hcl_dihydrate"),
    "liquid, part tablet": lambda: prepare_liquid(concentration="0.5 mg/mL", final_volume="60 mL",
                                                  tablet_weight="321 mg", doses="0.5mg,1.5mg,4.5mg"),
}


@pytest.mark.parametrize("case", list(RESULTS))
def test_every_figure_in_warnings_trace_and_sheet_is_the_displayed_figure(case):
    r = RESULTS[case]()
    sheet = capsule_sheet(r) if hasattr(r, "capsules_to_make") else liquid_sheet(r)
    texts = list(r.warnings) + [str(s) for s in r.trace] + [sheet]
    assert [f for t in texts for f in _too_precise(t)] == []


def test_the_issue_warning_shows_the_table_figure():
    b = capsule_batch(**SMALL_POWDER)
    assert format_quantity(b.api_to_weigh, mg) == "15.23 mg"
    aliquot = next(w for w in b.warnings if w.startswith("Aliquot needed"))
    assert "15.23 mg" in aliquot and "15.2284" not in aliquot  # was "15.2284 mg"


def test_the_liquid_sheet_says_the_crush_count_is_rounded_up():
    # LQ-04: 0.5 mg/mL × 60 mL = 30 mg = 0.6 tablet: crush 1, weigh 30 × 321 ÷ 50 = 192.6 mg of powder
    p = prepare_liquid(concentration="0.5 mg/mL", final_volume="60 mL", tablet_weight="321 mg")
    sheet = liquid_sheet(p)
    assert re.search(r"Tablets' worth of drug +0\.6 tablets", sheet)  # the glossary's label (issue 10)
    assert re.search(r"Whole 50 mg tablets to crush +1 tablet \(rounded up from 0\.6\)", sheet)
    assert re.search(r"Tablet powder to weigh +192\.6 mg", sheet)
    from compounding.cli.liquid import liquid_sheet as cli_sheet

    assert cli_sheet is liquid_sheet  # one text sheet for the terminal and the app
