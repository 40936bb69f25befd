"""The stages prepare_liquid runs (issue 10: parse → pure stages on quantities → assemble), each
checked against an answer worked by hand from domain.md §3-§4 and §1 (molecular weights)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from compounding.bundle import shipped_bundle
from compounding.errors import InputError
from compounding.liquids import (_api_stage, _bud_stage, _dose_stage, _labels, _solve_amounts,
                                 _tablets_stage)
from compounding.trace import Trace
from compounding.units import Q, day, mg, mg_per_mL, mg_per_tablet, mL, tablet

STRENGTH = Q(50, mg_per_tablet)
BUNDLE = shipped_bundle()


def _bud(veh, expiries=()):
    return _bud_stage(veh, "2026-03-02", expiries, False, BUNDLE.reference, Trace(), [])[1]


def test_one_tablet_in_50_mL_is_1_mg_per_mL():
    # domain.md §3: one 50 mg tablet in 50 mL purified water = 1 mg/mL
    trace = Trace()
    drug, conc, vol = _solve_amounts(None, "50 mL", 1, STRENGTH, "tablets", trace)
    assert (drug, conc, vol) == (Q(50, mg), Q(1, mg_per_mL), Q(50, mL))
    assert [s.key for s in trace.freeze()] == ["naltrexone_hcl", "concentration"]


def test_three_of_three_must_agree():
    # 2 tablets hold 100 mg, but 1 mg/mL × 50 mL is 50 mg
    with pytest.raises(InputError) as e:
        _solve_amounts("1 mg/mL", "50 mL", 2, STRENGTH, "tablets", Trace())
    assert e.value.field == "tablets"


def test_whole_tablets_weigh_nothing():
    # 2 mg/mL × 50 mL = 100 mg = 2 tablets exactly: no powder goes on the balance
    part = _tablets_stage(Q(100, mg), Q(2, mg_per_mL), STRENGTH, None, Q(120, mg), Trace(), [])
    assert (part.tablets_equivalent, part.tablets_to_use, part.tablets_to_crush) == (2, Q(2, tablet), None)
    assert part.weighed == ()


def test_crushed_tablets_weigh_the_powder_holding_the_drug():
    # 30 mg ÷ 50 mg/tablet = 0.6 tablets: crush 1, weigh 30 × 321 ÷ 50 = 192.6 mg (≥ MWQ 120 mg)
    warnings: list[str] = []
    part = _tablets_stage(Q(30, mg), Q(1, mg_per_mL), STRENGTH, "321 mg", Q(120, mg), Trace(), warnings)
    assert (part.tablets_equivalent, part.tablets_to_crush) == (Fraction(3, 5), Q(1, tablet))
    assert part.weighed == (Q(Fraction("192.6"), mg),) and warnings == []


def test_powder_below_the_mwq_suggests_whole_tablets():
    # 192.6 mg < MWQ 200 mg: 1 whole tablet (50 mg) at 1 mg/mL makes 50 mL
    warnings: list[str] = []
    _tablets_stage(Q(30, mg), Q(1, mg_per_mL), STRENGTH, "321 mg", Q(200, mg), Trace(), warnings)
    assert len(warnings) == 1 and "e.g. 1 tablet in 50 mL at 1 mg/mL" in warnings[0]


def test_api_dihydrate_without_potency_carries_its_salt_factor():
    # 150 mg naltrexone HCl as the dihydrate, no potency: × 413.89 ÷ 377.86 (domain.md §1)
    # = 150 × 41389 ÷ 37786 ≈ 164.30 mg, above the Class III MWQ of 120 mg: no aliquot
    lot = dict(potency=None, assay=None, water=None, potency_basis=None)
    veh = BUNDLE.liquid.vehicle("purified_water")
    part = _api_stage(Q(150, mg), Q(150, mL), Q(120, mg), veh, "hcl_dihydrate", lot, BUNDLE.reference, BUNDLE,
                      Trace(), [])
    assert part.salt_factor == Fraction(41389, 37786)
    assert part.api_to_weigh == Q(Fraction(150 * 41389, 37786), mg) and part.aliquot is None
    assert part.weighed == (part.api_to_weigh,) and part.potency is None


def test_bud_of_an_unpreserved_aqueous_liquid_is_14_days_capped_by_a_component():
    # USP <795> Table 4: aqueous, not preserved, 14 days: 2 March + 14 = 16 March; a component
    # expiring 10 March caps it there
    veh = BUNDLE.liquid.vehicle("purified_water")
    assert _bud(veh).date == dt.date(2026, 3, 16)
    assert _bud(veh, ("2026-03-10",)).date == dt.date(2026, 3, 10)


def test_dose_rows_at_1_mg_per_mL_and_the_bud_limit():
    # at 1 mg/mL a dose of d mg is d mL; a 100 mL bottle at 4.5 mg daily lasts 100 ÷ 4.5 = 22.2 days,
    # longer than a 14-day BUD: usable 14 days, and a warning says so
    veh = BUNDLE.liquid.vehicle("purified_water")
    bud = _bud(veh)
    warnings: list[str] = []
    rows, recommended = _dose_stage((Q(Fraction(1, 2), mg), Q(Fraction(9, 2), mg)), Q(1, mg_per_mL),
                                    Q(100, mL), BUNDLE.liquid, bud, warnings)
    assert [r.volume for r in rows] == [Q(Fraction(1, 2), mL), Q(Fraction(9, 2), mL)]
    assert rows[1].days_supply == Q(Fraction(200, 9), day) and rows[1].days_usable == Q(14, day)
    assert recommended is None and any("longer than its BUD" in w for w in warnings)


def test_labels_name_the_concentration_and_a_suspension_shakes():
    veh = BUNDLE.liquid.vehicle("purified_water")
    bud = _bud(veh)
    tablets = _labels(Q(100, mg), Q(1, mg_per_mL), Q(100, mL), "tablets", veh, BUNDLE.liquid, bud)
    assert tablets[0] == "NALTREXONE HCl 1 mg/mL (100 mg in 100 mL)"
    assert BUNDLE.liquid.shake_well_label in tablets
    # naltrexone HCl powder dissolves in water: a solution, no "shake well"
    api = _labels(Q(100, mg), Q(1, mg_per_mL), Q(100, mL), "api", veh, BUNDLE.liquid, bud)
    assert BUNDLE.liquid.shake_well_label not in api and api[-1] == bud.storage_label
