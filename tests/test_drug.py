"""The potency basis (issue 9.1; domain.md §1, §8b): one rule for capsules and liquids.

An as-is potency is the mass fraction of the powder that is the *anhydrous* salt (anhydrous
naltrexone HCl for an HCl lot, base for a base lot). assay (anhydrous basis) × (1 − water) is that
fraction already, so a hydrate's salt factor is never applied on top of it. Expected values are
worked by hand from the molecular weights in domain.md §1 (HCl 377.86, dihydrate 413.89, base 341.40).
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from compounding.capsules import capsule_batch
from compounding.cli import main
from compounding.errors import InputError, RangeError
from compounding.liquids import prepare_liquid
from compounding.sheet import capsule_sheet
from compounding.units import Q, mg, percent

DATE = "2026-03-02"
MW = {"hcl_anhydrous": Fraction("377.86"), "hcl_dihydrate": Fraction("413.89"), "base": Fraction("341.40")}
ANHYDROUS = {"hcl_anhydrous": "hcl_anhydrous", "hcl_dihydrate": "hcl_anhydrous", "base": "base"}


def caps(**kw):
    kw.setdefault("compounding_date", DATE)
    return capsule_batch(kw.pop("strength", "4.5 mg"), kw.pop("quantity", 100), **kw)


def liquid(**kw):
    kw.setdefault("compounding_date", DATE)
    return prepare_liquid(source="api", concentration=kw.pop("concentration", "1 mg/mL"),
                          final_volume=kw.pop("final_volume", "150 mL"), **kw)


# --- the regression of issue 9.1 -----------------------------------------------------------------

def test_dihydrate_assay_and_water_count_the_water_once():
    # 450 mg ÷ (0.995 × 0.913) = 495.357 mg (was 542.6 mg: × 1.0954 on top)
    b = caps(api_form="hcl_dihydrate", assay="99.5%", water="8.7%")
    assert b.api_to_weigh == Q(Fraction(450) / (Fraction("0.995") * Fraction("0.913")), mg)
    assert b.salt_factor == 1 and b.potency_basis == "hcl_anhydrous"


def test_liquid_dihydrate_assay_and_water_count_the_water_once():
    # 150 mg ÷ (0.995 × 0.913) = 165.119 mg
    p = liquid(api_form="hcl_dihydrate", assay="99.5%", water="8.7%")
    assert p.api_to_weigh == Q(Fraction(150) / (Fraction("0.995") * Fraction("0.913")), mg)
    assert p.salt_factor == 1 and p.potency_basis == "hcl_anhydrous"


def test_dihydrate_without_potency_is_taken_as_the_pure_dihydrate():
    # 450 mg × 413.89 ÷ 377.86 = 492.91 mg: the stoichiometric water is corrected by the salt factor
    b = caps(api_form="hcl_dihydrate")
    assert b.api_to_weigh == Q(450 * MW["hcl_dihydrate"] / MW["hcl_anhydrous"], mg)
    assert b.potency is None and b.potency_basis == "hcl_dihydrate"


def test_potency_stated_as_the_dihydrate_itself_is_an_explicit_choice():
    # 450 mg × 413.89 ÷ 377.86 ÷ 0.99
    b = caps(api_form="hcl_dihydrate", potency="99%", potency_basis="hcl_dihydrate")
    assert b.api_to_weigh == Q(450 * MW["hcl_dihydrate"] / MW["hcl_anhydrous"] / Fraction("0.99"), mg)


def test_base_lot_with_potency_converts_base_to_hcl():
    # 450 mg HCl × 341.40 ÷ 377.86 ÷ 0.99 (as-is content of base)
    b = caps(api_form="base", potency="99%")
    assert b.api_to_weigh == Q(450 * MW["base"] / MW["hcl_anhydrous"] / Fraction("0.99"), mg)
    assert b.potency_basis == "base"


# --- refusals of a potency no powder can have, or a basis that does not fit ----------------------

@pytest.mark.parametrize("kw, error, field", [
    # a dihydrate lot holds at least 90 % of its water of hydration (0.9 × 36.03 ÷ 413.89 = 7.835 %,
    # naltrexone.toml), so at most 102 % × (1 − 0.07835) = 94.01 % anhydrous HCl
    ({"api_form": "hcl_dihydrate", "potency": "99.5%"}, RangeError, "potency"),
    ({"api_form": "hcl_dihydrate", "potency": "94.02%"}, RangeError, "potency"),
    ({"api_form": "hcl_dihydrate", "assay": "99.5%"}, InputError, "water"),
    ({"api_form": "hcl_dihydrate", "assay": "99.5%", "water": "8.7%", "potency_basis": "hcl_dihydrate"},
     InputError, "potency_basis"),
    ({"api_form": "hcl_dihydrate", "potency_basis": "hcl_anhydrous"}, InputError, "potency_basis"),
    ({"api_form": "hcl_anhydrous", "potency": "99%", "potency_basis": "hcl_dihydrate"}, InputError, "potency_basis"),
    ({"api_form": "hcl_anhydrous", "potency": "99%", "potency_basis": "base"}, InputError, "potency_basis"),
    ({"api_form": "hcl_anhydrous", "potency": "99%", "potency_basis": "nonsense"}, InputError, "potency_basis"),
])
@pytest.mark.parametrize("make", [caps, liquid], ids=["capsules", "liquid"])
def test_a_potency_that_does_not_fit_the_powder_is_refused(make, kw, error, field):
    with pytest.raises(error) as e:
        make(**kw)
    assert e.value.field == field


def test_the_hydrate_ceiling_says_what_to_enter_instead():
    with pytest.raises(RangeError) as e:
        caps(api_form="hcl_dihydrate", potency="99.5%")
    assert "94.01" in str(e.value) and "assay and water" in str(e.value) and "hcl_dihydrate" in str(e.value)


def test_a_dihydrate_potency_below_the_ceiling_is_accepted():
    b = caps(api_form="hcl_dihydrate", potency="94%")  # 94.009 % is the ceiling
    assert b.api_to_weigh == Q(450 / Fraction("0.94"), mg)


def test_water_well_below_the_water_of_hydration_is_warned():
    b = caps(api_form="hcl_dihydrate", assay="99.5%", water="0.87%")
    assert any("water of hydration" in w for w in b.warnings)
    assert not any("water of hydration" in w for w in caps(api_form="hcl_dihydrate", assay="99.5%",
                                                           water="8.7%").warnings)


# --- the basis is shown everywhere the potency is --------------------------------------------------

def test_basis_in_json_trace_and_sheet():
    b = caps(api_form="hcl_dihydrate", assay="99.5%", water="8.7%")
    d = b.as_dict()
    assert d["potency_basis"] == "hcl_anhydrous" and d["api_form"] == "hcl_dihydrate"
    assert "potency" in d and "salt_factor" in d  # the existing keys stay
    step = next(s for s in b.trace if s.key == "potency")
    assert "naltrexone hydrochloride (anhydrous)" in step.description
    sheet = capsule_sheet(b)
    assert "Potency basis" in sheet and "as-is content of naltrexone hydrochloride (anhydrous)" in sheet
    assert liquid(api_form="hcl_dihydrate", potency="90%").as_dict()["potency_basis"] == "hcl_anhydrous"


def test_cli_assay_water_and_potency_basis(capsys):
    base = ["capsules", "--strength", "4.5mg", "--quantity", "100", "--date", DATE, "--json",
            "--api-form", "hcl_dihydrate"]
    assert main(base + ["--assay", "99.5%", "--water", "8.7%"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert main(base + ["--potency", "90.8435%"]) == 0
    b = json.loads(capsys.readouterr().out)
    assert a["api_to_weigh"] == b["api_to_weigh"] and abs(a["api_to_weigh"]["value"] - 495.3574) < 1e-4
    assert main(base + ["--potency", "99.5%", "--potency-as", "hcl_dihydrate"]) == 0
    c = json.loads(capsys.readouterr().out)
    assert abs(c["api_to_weigh"]["value"] - 450 * 413.89 / 377.86 / 0.995) < 1e-6
    assert main(["liquid", "--source", "api", "--concentration", "1mg/mL", "--volume", "150mL", "--date", DATE,
                 "--api-form", "hcl_dihydrate", "--assay", "99.5%", "--water", "8.7%", "--json"]) == 0
    assert abs(json.loads(capsys.readouterr().out)["api_to_weigh"]["value"] - 150 / (0.995 * 0.913)) < 1e-9


def test_cli_names_the_potency_that_does_not_fit(capsys):
    assert main(["capsules", "--strength", "4.5mg", "--quantity", "100", "--api-form", "hcl_dihydrate",
                 "--potency", "99.5%"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --potency: potency = '99.5%'") and err.count("\n") == 1


# --- property: every equivalent way of entering a lot puts the same drug in the batch -------------

@st.composite
def lots(draw):
    """A lot (form, assay, water) and the entries that describe it, all equivalent."""
    form = draw(st.sampled_from(sorted(MW)))
    assay = draw(st.decimals(Decimal("98.0"), Decimal("102.0"), places=1)) / 100
    # a dihydrate lot from 7.9 % water (just above its least, 7.835 %) to 10 %
    low, high = ("7.9", "10.0") if form == "hcl_dihydrate" else ("0.0", "3.0")
    water = draw(st.decimals(Decimal(low), Decimal(high), places=1)) / 100
    content = Fraction(assay) * (1 - Fraction(water))  # as-is fraction of the anhydrous salt (exact)
    entries = [{"assay": f"{assay * 100}%", "water": f"{water * 100}%"},
               {"potency": f"{assay * (1 - water) * 100}%"},  # a finite decimal: typed exactly
               {"potency": Q(content * 100, percent), "potency_basis": ANHYDROUS[form]}]
    if form == "hcl_dihydrate":  # the same lot, its potency stated as the content of the dihydrate
        entries.append({"potency": Q(content * MW[form] / MW["hcl_anhydrous"] * 100, percent),
                        "potency_basis": form})
    return form, content, entries


def _hcl_put_in(powder, form: str, content: Fraction):
    """Anhydrous naltrexone HCl that ``powder`` mg of the lot carries, worked independently."""
    return powder * content * MW["hcl_anhydrous"] / MW[ANHYDROUS[form]]


@given(lot=lots(), strength=st.integers(1, 45), quantity=st.integers(10, 300),
       stated_as_base=st.booleans())
def test_capsules_any_equivalent_entry_weighs_the_same_powder(lot, strength, quantity, stated_as_base):
    form, content, entries = lot
    common = dict(strength=Q(Fraction(strength, 10), mg), quantity=quantity, api_form=form,
                  strength_basis="base" if stated_as_base else None)
    batches = [caps(**common, **e) for e in entries]
    weighed = {b.api_to_weigh.to(mg).magnitude for b in batches}  # pint quantities do not hash
    assert len(weighed) == 1, weighed
    b = batches[0]
    assert _hcl_put_in(b.api_to_weigh, form, content) == b.naltrexone_hcl


@given(lot=lots(), concentration=st.sampled_from(["0.5 mg/mL", "1 mg/mL", "5 mg/mL"]),
       volume=st.integers(30, 500))
def test_liquids_any_equivalent_entry_weighs_the_same_powder(lot, concentration, volume):
    form, content, entries = lot
    preps = [liquid(concentration=concentration, final_volume=f"{volume} mL", api_form=form, **e)
             for e in entries]
    assert len({p.api_to_weigh.to(mg).magnitude for p in preps}) == 1
    assert _hcl_put_in(preps[0].api_to_weigh, form, content) == preps[0].naltrexone_hcl


@pytest.mark.parametrize("make", [caps, liquid], ids=["capsules", "liquid"])
def test_a_pure_dihydrate_weighs_the_same_however_it_is_entered(make):
    # stoichiometric dihydrate: water of hydration 2 × 18.015 ÷ 413.89; anhydrous content 377.86 ÷ 413.89
    water = Fraction("36.03") / MW["hcl_dihydrate"]
    ways = [{}, {"potency": "100%", "potency_basis": "hcl_dihydrate"},
            {"potency": Q(MW["hcl_anhydrous"] / MW["hcl_dihydrate"] * 100, percent)},
            {"assay": "100%", "water": Q(water * 100, percent)}]
    assert len({make(api_form="hcl_dihydrate", **w).api_to_weigh.to(mg).magnitude for w in ways}) == 1
