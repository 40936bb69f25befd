"""Inputs that did nothing and said nothing (issue 9.6) are refused or warned, in the API and the CLI.

* a potency, assay, water, powder form or potency basis with tablets, and a tablet weight with
  powder: refused naming the field ("applies only to … source api/tablets");
* a component expiring on the compounding day (a 0-day BUD, which cannot be dispensed): refused
  naming component_expiries; a BUD cut below 7 days (bud.toml: short_bud) is warned first on the sheet;
* an extra that takes the capsules to make past 10000 (the batch limit for ``quantity``): refused
  naming extra.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math

import pytest
from hypothesis import given, strategies as st

from compounding.capsules import capsule_batch
from compounding.cli import main
from compounding.errors import CompoundingError, InputError, RangeError
from compounding.liquids import prepare_liquid

DATE = "2026-03-02"
DAY0 = dt.date(2026, 3, 2)
API_ONLY = {"potency": "98.5%", "api_form": "hcl_anhydrous", "assay": "99.5%", "water": "0.5%",
            "potency_basis": "hcl_anhydrous"}
OPTION = {"potency": "--potency", "api_form": "--api-form", "assay": "--assay", "water": "--water",
          "potency_basis": "--potency-as", "tablet_weight": "--tablet-weight"}


def caps(**kw):
    kw.setdefault("compounding_date", DATE)
    return capsule_batch(kw.pop("strength", "4.5 mg"), kw.pop("quantity", 90), **kw)


def liquid(**kw):
    kw.setdefault("compounding_date", DATE)
    kw.setdefault("concentration", "1 mg/mL")
    kw.setdefault("final_volume", "150 mL")
    return prepare_liquid(**kw)


def cli(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(list(argv) + ["--date", DATE, "--json"])
    return code, err.getvalue()


# --- inputs of the other source ---------------------------------------------------------------------

@pytest.mark.parametrize("field", sorted(API_ONLY))
@pytest.mark.parametrize("make", [caps, liquid], ids=["capsules", "liquid"])
def test_api_inputs_with_tablets_are_refused(make, field):
    kw = {"source": "tablets", "tablet_weight": "321 mg", field: API_ONLY[field]}
    if field == "water":
        kw["assay"] = "99.5%"  # the water's own partner must not hide the refusal of either
    with pytest.raises(InputError) as e:
        make(**kw)
    assert e.value.field in ("assay", field) and "source api" in str(e.value)


@pytest.mark.parametrize("make", [caps, liquid], ids=["capsules", "liquid"])
def test_a_tablet_weight_with_powder_is_refused(make):
    with pytest.raises(InputError) as e:
        make(source="api", tablet_weight="321 mg")
    assert e.value.field == "tablet_weight" and "source tablets" in str(e.value)


@pytest.mark.parametrize("sub, argv", [
    ("capsules", ["--strength", "4.5mg", "--quantity", "90", "--source", "tablets", "--tablet-weight", "321mg"]),
    ("liquid", ["--concentration", "1mg/mL", "--volume", "150mL", "--tablet-weight", "321mg"]),
])
@pytest.mark.parametrize("field", sorted(API_ONLY))
def test_cli_names_the_option_that_does_not_apply(sub, argv, field):
    option = OPTION[field]
    code, err = cli(sub, *argv, option, API_ONLY[field])
    assert code == 2 and err.startswith(f"error: {option}: {field} = "), err


def test_cli_tablet_weight_with_powder():
    code, err = cli("capsules", "--strength", "4.5mg", "--quantity", "90", "--tablet-weight", "321mg")
    assert code == 2 and err.startswith("error: --tablet-weight: tablet_weight = '321mg'"), err
    code, err = cli("liquid", "--source", "api", "--concentration", "1mg/mL", "--volume", "150mL",
                    "--tablet-weight", "321mg")
    assert code == 2 and err.startswith("error: --tablet-weight: tablet_weight = '321mg'"), err


@st.composite
def other_source_inputs(draw):
    source = draw(st.sampled_from(["api", "tablets"]))
    kw = {"source": source}
    if source == "tablets":
        kw["tablet_weight"] = f"{draw(st.integers(150, 400))} mg"
        field = draw(st.sampled_from(sorted(API_ONLY)))
        kw[field] = draw(st.sampled_from({
            "potency": ["98.5%", "100%", "90%"], "assay": ["99%", "101.2%"], "water": ["0.5%", "8.7%"],
            "api_form": ["hcl_anhydrous", "hcl_dihydrate", "base"],
            "potency_basis": ["hcl_anhydrous", "hcl_dihydrate"]}[field]))
    else:
        field = "tablet_weight"
        kw[field] = f"{draw(st.integers(150, 400))} mg"
        kw.update(draw(st.sampled_from([{}, {"potency": "99%"}, {"api_form": "hcl_dihydrate"}])))
    return kw, field


@given(case=other_source_inputs(), strength=st.integers(1, 45), quantity=st.integers(30, 500))
def test_capsules_never_ignore_an_input_of_the_other_source(case, strength, quantity):
    kw, field = case
    with pytest.raises(InputError) as e:
        caps(strength=f"{strength / 10} mg", quantity=quantity, **kw)
    assert e.value.field == field


@given(case=other_source_inputs(), volume=st.integers(30, 500),
       concentration=st.sampled_from(["0.5 mg/mL", "1 mg/mL", "2 mg/mL"]))
def test_liquids_never_ignore_an_input_of_the_other_source(case, volume, concentration):
    kw, field = case
    with pytest.raises(InputError) as e:
        liquid(final_volume=f"{volume} mL", concentration=concentration, **kw)
    assert e.value.field == field


# --- a component expiring on or just after the compounding day ------------------------------------

@pytest.mark.parametrize("make", [caps, liquid], ids=["capsules", "liquid"])
def test_a_component_expiring_on_the_compounding_day_is_refused(make):
    with pytest.raises(InputError) as e:
        make(component_expiries=[DATE])
    assert e.value.field == "component_expiries" and "0-day" in str(e.value)


def test_cli_refuses_a_component_expiring_today():
    code, err = cli("capsules", "--strength", "4.5mg", "--quantity", "90", "--component-expiry", DATE)
    assert code == 2 and err.startswith(f"error: --component-expiry: component_expiries = '{DATE}'"), err


@given(offset=st.integers(1, 400), liquid_not_capsules=st.booleans())
def test_a_short_bud_is_warned_first(offset, liquid_not_capsules):
    expiry = (DAY0 + dt.timedelta(days=offset)).isoformat()
    r = liquid(component_expiries=[expiry]) if liquid_not_capsules else caps(component_expiries=[expiry])
    table = 14 if liquid_not_capsules else 180  # USP <795> Table 4: aqueous unpreserved; capsules
    assert int(r.bud.days.magnitude) == min(offset, table)
    short = offset < table and offset < 7
    assert bool(r.warnings and r.warnings[0].startswith("BEYOND-USE DATE CUT")) == short
    if short:
        assert f"{offset} DAY" in r.warnings[0] and expiry in r.warnings[0]


# --- extra capsules past the batch limit -------------------------------------------------------------

@given(ordered=st.integers(1, 10000), extra=st.one_of(st.integers(0, 20000).map(str),
                                                      st.integers(0, 100).map(lambda p: f"{p}%")))
def test_extra_past_the_batch_limit_is_refused_naming_extra(ordered, extra):
    added = math.ceil(ordered * int(extra[:-1]) / 100) if extra.endswith("%") else int(extra)
    try:
        b = caps(quantity=ordered, extra=extra)
    except CompoundingError as e:
        assert (e.field == "extra") == (ordered + added > 10000), str(e)
        if e.field == "extra":
            assert isinstance(e, RangeError) and f"at most {10000 - ordered} extra" in str(e)
    else:
        assert ordered + added <= 10000 and int(b.capsules_to_make.magnitude) == ordered + added


def test_cli_extra_past_the_limit():
    code, err = cli("capsules", "--strength", "4.5mg", "--quantity", "90", "--extra", "20000")
    assert code == 2 and err.startswith("error: --extra: extra = '20000'") and "9910" in err, err
