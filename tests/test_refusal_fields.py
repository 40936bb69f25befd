"""Every refusal names the field the user got wrong, with true advice (issue 9.4).

``--fill-weight 270mcg`` and ``--api-fill-weight 4.5mg`` were refused as ``capsule_size … the drug
powder fills a size 1 capsule by itself: use size 0``: the slip is in the fill weight, and a larger
capsule does not help a 1.5-4.5 mg dose. The CLI's one line on stderr now starts with the option to
retype and the core's field, value and what is allowed; the API raises with the same ``field``.
"""

from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import assume, given, strategies as st

from compounding.capsules import capsule_batch
from compounding.cli import main
from compounding.errors import CompoundingError
from compounding.liquids import prepare_liquid

DATE = "2026-03-02"
BASE = {"capsules": ["--strength", "4.5mg", "--quantity", "90", "--date", DATE],
        "liquid": ["--concentration", "1mg/mL", "--volume", "150mL", "--date", DATE]}


def run(sub: str, args: list[str]) -> tuple[int, str, str]:
    base = list(BASE[sub])
    for option in args[::2]:  # replace a base option rather than give it twice
        if option in base:
            i = base.index(option)
            base = base[:i] + base[i + 2:]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([sub, *base, *args, "--json"])
    return code, out.getvalue(), err.getvalue()


# (subcommand, arguments, option and field named, words of the advice, words that must not appear)
TABLE = [
    # issue 9.4's examples: the fill weights, not the capsule size
    ("capsules", ["--fill-weight", "270mcg"], "--fill-weight", "fill_weight", "30-450 mg", "use size"),
    ("capsules", ["--capsule-size", "1", "--fill-weight", "270mcg"], "--fill-weight", "fill_weight", "size 1",
     "use size"),
    ("capsules", ["--api-fill-weight", "4.5mg"], "--api-fill-weight", "api_fill_weight", "lighter", "use size"),
    ("capsules", ["--capsule-size", "1", "--api-fill-weight", "4.5mg"], "--api-fill-weight", "api_fill_weight",
     "50-750 mg", "use size"),
    ("capsules", ["--fill-weight", "2.7g"], "--fill-weight", "fill_weight", "denser", "use size"),
    ("capsules", ["--source", "tablets", "--tablet-weight", "321mg", "--fill-weight", "20mg"], "--fill-weight",
     "fill_weight", "lighter", "use size"),
    # a drug powder that really fills the capsule: the size, and only when a larger one holds it
    ("capsules", ["--source", "tablets", "--tablet-weight", "600mg", "--capsule-size", "5", "--fill-weight", "39mg"],
     "--capsule-size", "capsule_size", "use size 4", "split"),
    # no capsule holds 180 mg of tablet powder on a 140 mg fill weight: the tablet weight, not the size
    ("capsules", ["--source", "tablets", "--tablet-weight", "2000mg", "--capsule-size", "000", "--fill-weight",
                  "140mg"], "--tablet-weight", "tablet_weight", "source api", "use size"),
    ("capsules", ["--source", "tablets", "--tablet-weight", "32.1mg"], "--tablet-weight", "tablet_weight",
     "cannot be the weight of one 50 mg tablet (allowed: a mass per tablet from 50 mg to 2000 mg)", None),
    ("capsules", ["--potency", "9.85%"], "--potency", "potency", "80-105%", None),
    ("capsules", ["--assay", "9.95%"], "--assay", "assay", "80-105%", None),
    ("capsules", ["--assay", "99.5%", "--water", "87%"], "--water", "water", "0-15%", None),
    ("capsules", ["--api-form", "hcl_dihydrate", "--potency", "99.5%"], "--potency", "potency", "assay and water",
     None),
    ("capsules", ["--strength", "45mg"], "--strength", "strength", "0.1-4.5 mg", None),
    ("capsules", ["--mwq", "120g"], "--mwq", "mwq", "mg, not g", "mcg"),
    ("capsules", ["--mwq", "0.12mg"], "--mwq", "mwq", "mg, not mcg", None),
    ("capsules", ["--capsule-size", "7"], "--capsule-size", "capsule_size", "000", None),
    ("capsules", ["--potency-as", "hcl_dihydrate", "--potency", "99%"], "--potency-as", "potency_basis",
     "hcl_anhydrous", None),
    ("liquid", ["--volume", "150L"], "--volume", "final_volume", "1000 mL", None),
    ("liquid", ["--source", "api", "--potency", "9.85%"], "--potency", "potency", "80-105%", None),
    ("liquid", ["--source", "api", "--api-form", "hcl_dihydrate", "--assay", "99.5%"], "--water", "water",
     "water of hydration", None),
]


@pytest.mark.parametrize("sub, args, option, field, words, absent", TABLE,
                         ids=[f"{r[0]} {' '.join(r[1])}" for r in TABLE])
def test_cli_refusal_names_the_option_and_field(sub, args, option, field, words, absent):
    code, out, err = run(sub, args)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    # "field = value: why" or, for a value that is missing, "field: why"
    assert err.startswith((f"error: {option}: {field} = ", f"error: {option}: {field}: ")), err
    assert words in err, err
    assert absent is None or absent not in err, err


# --- property: a unit or decimal slip in one input is refused naming that input -------------------

VOLUMES = {"0": 680, "1": 500, "2": 370, "3": 300}  # size → nominal volume in µL (domain.md §5)


@st.composite
def batch_and_slip(draw):
    size = draw(st.sampled_from(sorted(VOLUMES)))
    kw = {"capsule_size": size, "compounding_date": DATE,
          "strength": f"{draw(st.integers(1, 45)) / 10} mg", "quantity": draw(st.integers(30, 300)),
          "source": draw(st.sampled_from(["api", "tablets"]))}
    density = draw(st.integers(30, 80)) / 100  # g/mL: a plausible powder
    kw["fill_weight"] = f"{round(VOLUMES[size] * density)} mg"
    if draw(st.booleans()):
        kw["api_fill_weight"] = f"{round(VOLUMES[size] * draw(st.integers(30, 80)) / 100)} mg"
    if kw["source"] == "api":
        kw["potency"] = f"{draw(st.integers(980, 1020)) / 10}%"
    else:
        kw["tablet_weight"] = f"{draw(st.integers(150, 400))} mg"
    field = draw(st.sampled_from([k for k in ("strength", "fill_weight", "api_fill_weight", "potency",
                                              "tablet_weight") if k in kw]))
    number, unit = kw[field].split(" ") if " " in kw[field] else (kw[field][:-1], "%")
    if unit == "%":  # a decimal slip: 98.5 % typed 9.85 % or 985 %
        slipped = f"{float(number) / 10 if draw(st.booleans()) else float(number) * 10}%"
    else:  # a unit slip: mg typed as mcg or g
        slipped = f"{number} {draw(st.sampled_from(['mcg', 'g']))}"
    return kw, field, slipped


@given(batch_and_slip())
def test_a_slip_in_one_input_is_refused_naming_that_input(case):
    kw, field, slipped = case
    try:
        capsule_batch(**kw)
    except CompoundingError:
        assume(False)  # the generated batch itself cannot be made (e.g. too little filler for an aliquot)
    with pytest.raises(CompoundingError) as e:
        capsule_batch(**{**kw, field: slipped})
    assert e.value.field == field, str(e.value)


@pytest.mark.parametrize("make, kw, field", [
    (capsule_batch, {"strength": "4.5 mg", "quantity": 90, "fill_weight": "270 mcg"}, "fill_weight"),
    (capsule_batch, {"strength": "4.5 mg", "quantity": 90, "api_fill_weight": "4.5 mg"}, "api_fill_weight"),
    (prepare_liquid, {"source": "api", "concentration": "1 mg/mL", "final_volume": "150 mL", "potency": "9.85%"},
     "potency"),
])
def test_the_api_names_the_same_field(make, kw, field):
    with pytest.raises(CompoundingError) as e:
        make(compounding_date=DATE, **kw)
    assert e.value.field == field
