"""Adversarial input: the CLI and the core refuse bad input with one clear line, never a traceback.

Project rule: bad input gets a clear error, never a wrong number or a traceback; the message names the
field, the value and what is allowed. ``compounding.cli.main`` is run in-process: exit 2 with one line
on stderr for a refusal, exit 0 for a result; exit 3 ("internal error") is always a bug.

Decisions on ambiguous input (what a pharmacist would expect), pinned by ``TABLE`` below:

* ``+4.5 mg`` is accepted (a plus sign is only a sign); ``-0 mg`` is zero and refused where zero is.
* ``4.5 MG`` / ``4.5 Mg`` are refused: unit symbols are case-sensitive (``Mg`` is a megagram); the
  message says to write ``mg``.
* ``1e3 mg`` is refused everywhere (scientific notation is not how a dose is written; write 1000 mg).
* Digits of other scripts (``４.５ mg``, ``٤``) are refused: the record shows the number as typed.
* Surrounding whitespace is ignored; a line break inside a value is refused.
* An option given as an empty string (``--filler ""``) is refused, not read as "use the default".
* Dates are ``YYYY-MM-DD`` on the calendar, years 2000-2099 (``2026-02-30`` refused).
* Absurd sizes are refused: stages over 365 days, more than 60 stages, a titration step larger than
  the LDN range, liquids outside 0.01-500 mg/mL or 1-1000 mL, more than 100 tablets, a liquid MWQ
  above 10 g, a tablet weight outside 50-2000 mg.
"""

from __future__ import annotations

import contextlib
import io
import json
import math

import pytest
from hypothesis import given, strategies as st

from compounding.capsules import capsule_batch
from compounding.cli import main
from compounding.errors import CompoundingError
from compounding.liquids import prepare_liquid
from compounding.titration import plan_titration


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse
            code = e.code
    return code, out.getvalue(), err.getvalue()


BASE = {
    "capsules": ["--strength", "4.5 mg", "--quantity", "90", "--date", "2026-03-02"],
    "liquid": ["--concentration", "1 mg/mL", "--volume", "50 mL", "--date", "2026-03-02"],
    "titration": ["--start", "1.5 mg", "--step", "1.5 mg", "--every", "14", "--target", "4.5 mg",
                  "--start-date", "2026-03-02"],
}
# options that need a context to matter
CONTEXT = {("capsules", "--tablet-weight"): ["--source", "tablets"],
           ("capsules", "--potency"): ["--source", "api"],
           ("liquid", "--potency"): ["--source", "api"],
           ("titration", "--concentration"): ["--form", "liquid"],
           ("titration", "--overage"): ["--form", "liquid"],
           ("titration", "--vehicle"): ["--form", "liquid"]}
# what an error about an option may call it
FIELDS = {"--volume": ("final_volume", "--volume"), "--date": ("date",), "--start-date": ("start_date",),
          "--component-expiry": ("component_expiries",), "--capsule-size": ("capsule_size",),
          "--tablet-weight": ("tablet_weight",), "--fill-weight": ("fill_weight",),
          "--api-fill-weight": ("api_fill_weight",), "--stages": ("stages",), "--preset": ("preset",)}

OPTIONS = {
    "capsules": ["--strength", "--quantity", "--extra", "--potency", "--tablet-weight", "--capsule-size",
                 "--filler", "--fill-weight", "--api-fill-weight", "--balance", "--mwq", "--date",
                 "--component-expiry", "--formula"],
    "liquid": ["--concentration", "--volume", "--tablets", "--tablet-weight", "--vehicle", "--formula",
               "--doses", "--potency", "--balance", "--mwq", "--date", "--component-expiry"],
    "titration": ["--preset", "--start", "--step", "--every", "--target", "--maintain", "--stages",
                  "--concentration", "--vehicle", "--overage", "--start-date"],
}


def argv_for(sub: str, option: str, value: str) -> list[str]:
    base = list(BASE[sub])
    if sub == "liquid" and option == "--tablets":
        base = ["--volume", "50 mL", "--date", "2026-03-02"]
    if sub == "titration" and option in ("--stages", "--preset"):
        base = ["--start-date", "2026-03-02"]
    if option in base:  # replace, do not duplicate
        i = base.index(option)
        base = base[:i] + base[i + 2:]
    return [sub] + base + CONTEXT.get((sub, option), []) + [option, value]


def field_names(option: str) -> tuple[str, ...]:
    return FIELDS.get(option, (option.lstrip("-").replace("-", "_"),)) + (option,)


def _no_bad_numbers(obj, path="$"):
    if isinstance(obj, dict):
        if set(obj) == {"value", "unit"} and isinstance(obj["value"], (int, float)):
            assert obj["value"] >= 0, f"negative quantity at {path}: {obj}"
        for k, v in obj.items():
            _no_bad_numbers(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _no_bad_numbers(v, f"{path}[{i}]")
    elif isinstance(obj, float):
        assert math.isfinite(obj), f"{path} = {obj}"


def _reject_constant(name):
    raise AssertionError(f"JSON has {name}")


def check_contract(argv: list[str], code: int, out: str, err: str) -> None:
    shown = [a if len(a) < 80 else a[:40] + "…" for a in argv]
    assert code in (0, 2), f"exit {code} for {shown!r}: {err[:300]}"
    if code == 2:
        assert out == "", f"stdout on refusal for {argv!r}"
        assert err.endswith("\n") and err.count("\n") == 1 and err.strip(), f"not one line: {err!r}"
        for ugly in ("Fraction(", "<Quantity", "Traceback", "internal error"):
            assert ugly not in err, err
    elif "--json" in argv:
        data = json.loads(out, parse_constant=_reject_constant)
        _no_bad_numbers(data)


# --- table: each hostile value per option, with the expected outcome ---------------------------

REFUSED_EVERYWHERE = [
    "", "   ", "\n", "abc", "nan", "NaN mg", "inf mg", "-inf mg", "４.５ mg", "٤", "4.5\nmg", "1" * 5000,
    "1" * 5000 + " mg", "x" * 5000, "%", "mg/0 mL", "4.5 mg mg", "4.5 MG", "4.5 Mg", "1e3 mg", "4.5 mg/",
    "-4.5 mg", "²", "\x00",
]
MASS_OPTIONS = {("capsules", o) for o in ("--strength", "--tablet-weight", "--fill-weight", "--api-fill-weight",
                                          "--mwq")} | {("liquid", o) for o in ("--tablet-weight", "--mwq", "--doses")} | \
               {("titration", o) for o in ("--start", "--step", "--target")}
# refused by the option's own range or kind
REFUSED_MASS = ["0 mg", "-0 mg", "99999999999999999999 mg", "4.5 mL", "4.5 mcg/mL", "1/2 mg", "4.5 kg"]

ACCEPTED = [  # (subcommand, option, value): a pharmacist would expect these to work
    ("capsules", "--strength", "+4.5 mg"), ("capsules", "--strength", "4.5mg"),
    ("capsules", "--strength", " 4.5 mg \n"), ("capsules", "--strength", "4500 mcg"),
    ("capsules", "--strength", "4.5\tmg"), ("capsules", "--quantity", "90 capsules"),
    ("capsules", "--extra", "10%"), ("capsules", "--extra", "0"), ("capsules", "--mwq", "4.5 g"),
    ("liquid", "--concentration", "1 mg / mL"), ("liquid", "--concentration", "5 mg/5 mL"),
    ("liquid", "--date", "2026-02-28"), ("titration", "--every", "2 weeks"),
    ("titration", "--stages", "1.5mg:14,,"), ("titration", "--overage", "10%"),
]

REFUSED = [  # (subcommand, option, value, field named in the message)
    ("capsules", "--quantity", "0", "quantity"), ("capsules", "--quantity", "1e9", "quantity"),
    ("capsules", "--quantity", "1000000000", "quantity"), ("capsules", "--quantity", "٣", "quantity"),
    ("capsules", "--quantity", "4.5 mg", "quantity"), ("capsules", "--quantity", "2.5", "quantity"),
    ("capsules", "--extra", "-10%", "extra"), ("capsules", "--extra", "%", "extra"),
    ("capsules", "--extra", "١٠", "extra"), ("capsules", "--potency", "98.5", "potency"),
    ("capsules", "--date", "2026-02-30", "date"), ("capsules", "--date", "9999-12-31", "date"),
    ("capsules", "--date", "0001-01-01", "date"), ("capsules", "--date", "2026W052", "date"),
    ("capsules", "--component-expiry", "9999-12-31", "component_expiries"),
    ("capsules", "--filler", "", "--filler"), ("capsules", "--balance", " ", "--balance"),
    ("capsules", "--strength", "4.5 g", "strength"),
    ("liquid", "--concentration", "4.5 mcg/mL", "concentration"),
    ("liquid", "--concentration", "99999 mg/mL", "concentration"),
    ("liquid", "--concentration", "1 g/mL", "concentration"),
    ("liquid", "--concentration", "1 mg/0 mL", "concentration"),
    ("liquid", "--concentration", "4.5 mg", "concentration"),
    ("liquid", "--volume", "50 L", "final_volume"), ("liquid", "--volume", "0.001 mL", "final_volume"),
    ("liquid", "--volume", "50 mg", "final_volume"),
    ("liquid", "--tablets", "1000000000", "tablets"), ("liquid", "--tablets", "99999999999999999999", "tablets"),
    ("liquid", "--mwq", "4.5 kg", "mwq"), ("liquid", "--tablet-weight", "4.5 mcg", "tablet_weight"),
    ("liquid", "--doses", "", "--doses"), ("liquid", "--vehicle", "", "--vehicle"),
    ("titration", "--step", "4.5 g", "step"), ("titration", "--step", "1.5 kg", "step"),
    ("titration", "--every", "1000000000", "every"), ("titration", "--every", "0", "every"),
    ("titration", "--every", "1.5 days", "every"), ("titration", "--every", "٣", "every"),
    ("titration", "--every", "²", "every"),
    ("titration", "--maintain", "99999999999999999999", "maintain"),
    ("titration", "--stages", "4.5 mg:99999999", "stages[0].days"),
    ("titration", "--stages", ",".join(["1 mg:1"] * 100), "stages"),
    ("titration", "--stages", "1.5mg:14,3mg:0", "stages[1].days"),
    ("titration", "--stages", "1.5 mg:14:3", "stages"), ("titration", "--stages", ":", "stages"),
    ("titration", "--concentration", "4.5 mcg/mL", "concentration"),
    ("titration", "--start-date", "2026-02-30", "start_date"),
    ("titration", "--start-date", "9999-12-31", "start_date"),
]


def _cases():
    for sub, options in OPTIONS.items():
        for option in options:
            for value in REFUSED_EVERYWHERE:
                yield pytest.param(sub, option, value, None, id=f"{sub}{option}={value[:12]!r}")
    for sub, option in sorted(MASS_OPTIONS):
        for value in REFUSED_MASS:
            if (sub, option, value) == ("capsules", "--mwq", "4.5 kg") or option == "--step" and "0" in value:
                continue  # 4.5 kg > 10 g is refused below; a zero step is a CalculationError (tested below)
            yield pytest.param(sub, option, value, None, id=f"{sub}{option}={value!r}")


@pytest.mark.parametrize("sub, option, value, field", list(_cases()))
def test_hostile_value_is_refused_with_one_line_naming_the_field(sub, option, value, field):
    argv = argv_for(sub, option, value)
    code, out, err = run(argv)
    check_contract(argv, code, out, err)
    assert code == 2, f"{argv!r} was accepted: {out[:200]}"
    assert any(name in err for name in field_names(option)), err


@pytest.mark.parametrize("sub, option, value, field", REFUSED, ids=lambda v: str(v)[:20])
def test_specific_refusals(sub, option, value, field):
    argv = argv_for(sub, option, value)
    code, out, err = run(argv)
    check_contract(argv, code, out, err)
    assert code == 2, f"{argv!r} was accepted"
    assert field in err, err
    assert len(err) < 400, err


@pytest.mark.parametrize("sub, option, value", ACCEPTED, ids=lambda v: str(v)[:20])
def test_legitimate_spellings_are_accepted(sub, option, value):
    argv = argv_for(sub, option, value) + ["--json"]
    code, out, err = run(argv)
    check_contract(argv, code, out, err)
    assert code == 0, err


@pytest.mark.parametrize("value, hint", [("4.5 MG", "write mg"), ("4.5 Mg", "megagram"),
                                         ("1e3 mg", "1000 mg"), ("４.５ mg", "0-9"),
                                         ("4.5\nmg", "line break"), ("4.5 mg/", "'/'")])
def test_messages_say_what_to_write(value, hint):
    code, _, err = run(argv_for("capsules", "--strength", value))
    assert code == 2 and hint in err, err


def test_long_value_is_shortened_in_the_message():
    code, _, err = run(argv_for("capsules", "--strength", "1" * 5000 + " mg"))
    assert code == 2 and len(err) < 300 and "too long" in err, err


def test_duplicated_flags_take_the_last_and_never_crash():
    argv = ["capsules", "--strength", "1 mg", "--strength", "4.5 mg", "--quantity", "90", "--json",
            "--date", "2026-03-02"]
    code, out, err = run(argv)
    check_contract(argv, code, out, err)
    assert code == 0 and json.loads(out)["strength"]["value"] == 4.5


# --- fuzz: mixtures of valid and hostile values -------------------------------------------------

HOSTILE = st.sampled_from(REFUSED_EVERYWHERE + REFUSED_MASS + [
    "0", "-1", "1e9", "2026-02-30", "10%", "-10%", "0 days", "2 weeks", "1.5mg:14", "4.5 mg:0",
    "1/2", "mg", "4.5 mcg", "0.0000001 mg", "+4.5 mg", "99999999999999999999", "٤٥", "1,5 mg", ".5 mg",
    "4.5 gr", "5 cc", "5 tsp", "1 mg/5", "5 mg/5 mL", "1 mg/-5 mL", "100%", "api", "tablets", "000", "5"])
VALID = {
    "--strength": ["4.5 mg", "1.5 mg", "0.1 mg", "3 mg"], "--quantity": ["90", "30", "1", "10000"],
    "--extra": ["2", "10%", "0"], "--potency": ["98.5%", "100%"], "--tablet-weight": ["321 mg", "200 mg"],
    "--capsule-size": ["0", "1", "3", "000"], "--filler": ["mcc_ph102"], "--fill-weight": ["270 mg"],
    "--api-fill-weight": ["400 mg"], "--balance": ["class_iii"], "--mwq": ["120 mg", "82 mg"],
    "--date": ["2026-03-02"], "--component-expiry": ["2027-01-01", "2026-04-01"],
    "--formula": ["LDN-CAPS-API-1", "LDN-LIQ-WATER-1"], "--concentration": ["1 mg/mL", "0.5 mg/mL", "5 mg/5 mL"],
    "--volume": ["50 mL", "150 mL", "100 mL"], "--tablets": ["1", "3"], "--vehicle": ["purified_water"],
    "--doses": ["0.5mg,1.5mg,4.5mg", "4.5 mg"], "--preset": ["ldnrt_slow", "seed_neuropathic"],
    "--start": ["1.5 mg", "0.5 mg"], "--step": ["1.5 mg", "0.5 mg"], "--every": ["14", "7 days"],
    "--target": ["4.5 mg", "3 mg"], "--maintain": ["28", "2 weeks"], "--stages": ["1.5mg:14,3mg:14,4.5mg:28"],
    "--overage": ["5%"], "--start-date": ["2026-03-02"],
}


@st.composite
def cli_argv(draw):
    sub = draw(st.sampled_from(sorted(OPTIONS)))
    options = draw(st.lists(st.sampled_from(OPTIONS[sub]), min_size=1, max_size=6))
    argv = [sub] + draw(st.sampled_from([BASE[sub], []]))
    for option in options:
        value = draw(st.one_of(st.sampled_from(VALID.get(option, ["x"])), HOSTILE,
                               st.text(max_size=12)))
        argv += [option, value]
    if sub == "titration" and draw(st.booleans()):
        argv += ["--form", "liquid"]
    if sub != "titration" and draw(st.booleans()):
        argv += ["--source", draw(st.sampled_from(["api", "tablets"]))]
    argv += draw(st.sampled_from([["--json"], []]))
    return argv, options


@given(cli_argv())
def test_fuzz_cli_exit_0_or_2_with_clean_output(case):
    argv, options = case
    code, out, err = run(argv)
    check_contract(argv, code, out, err)
    if code == 2 and not err.startswith(f"error: python -m compounding {argv[0]}: argument"):
        # a refusal names a field; with several options it may be any option given (or a required one)
        given_fields = [n for o in OPTIONS[argv[0]] for n in field_names(o)]
        assert any(n in err for n in given_fields + ["source", "form", "quantity", "strength", "dose",
                                                     "mwq", "capsule_size", "tablet_weight"]), err


# --- fuzz the core directly: only CompoundingError may escape ------------------------------------

ANY = st.one_of(st.none(), HOSTILE, st.text(max_size=10), st.integers(-10, 10**12),
                st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.just([]), st.just(()))


def _core(fn, **kwargs):
    try:
        fn(**kwargs)
    except CompoundingError as e:
        text = str(e)
        assert "\n" not in text and text.strip() and len(text) < 1000, text
        assert "Fraction(" not in text and "<Quantity" not in text, text


@given(strength=st.one_of(st.sampled_from(VALID["--strength"]), ANY),
       quantity=st.one_of(st.sampled_from(VALID["--quantity"]), ANY),
       extra=ANY, potency=ANY, tablet_weight=st.one_of(st.just("321 mg"), ANY), mwq=ANY,
       capsule_size=st.one_of(st.none(), st.sampled_from(["0", "1", "5", "000", "7", ""])),
       source=st.sampled_from([None, "api", "tablets", "x"]), date=st.one_of(st.just("2026-03-02"), ANY))
def test_fuzz_capsule_batch_raises_only_compounding_errors(strength, quantity, extra, potency, tablet_weight,
                                                           mwq, capsule_size, source, date):
    _core(capsule_batch, strength=strength, quantity=quantity, extra=extra, potency=potency,
          tablet_weight=tablet_weight, mwq=mwq, capsule_size=capsule_size, source=source,
          compounding_date=date)


@given(concentration=st.one_of(st.sampled_from(VALID["--concentration"]), ANY),
       final_volume=st.one_of(st.sampled_from(VALID["--volume"]), ANY), tablets=ANY,
       tablet_weight=ANY, doses=ANY, potency=ANY, mwq=ANY, source=st.sampled_from([None, "api", "tablets"]),
       date=st.one_of(st.just("2026-03-02"), ANY))
def test_fuzz_prepare_liquid_raises_only_compounding_errors(concentration, final_volume, tablets, tablet_weight,
                                                            doses, potency, mwq, source, date):
    _core(prepare_liquid, concentration=concentration, final_volume=final_volume, tablets=tablets,
          tablet_weight=tablet_weight, doses=doses, potency=potency, mwq=mwq, source=source,
          compounding_date=date)


@given(start=st.one_of(st.sampled_from(VALID["--start"]), ANY), step=ANY,
       every=st.one_of(st.sampled_from(VALID["--every"]), ANY), target=st.one_of(st.just("4.5 mg"), ANY),
       maintain=ANY, stages=st.one_of(st.none(), HOSTILE, st.just("1.5mg:14,4.5mg:1")),
       form=st.sampled_from(["capsules", "liquid"]), concentration=ANY, overage=ANY,
       date=st.one_of(st.just("2026-03-02"), ANY))
def test_fuzz_plan_titration_raises_only_compounding_errors(start, step, every, target, maintain, stages, form,
                                                            concentration, overage, date):
    _core(plan_titration, start=start, step=step, every=every, target=target, maintain=maintain,
          stages=stages, form=form, concentration=concentration, overage=overage, start_date=date)


# Regression: a value starting with "-" after its option ("--strength -1mg", "--extra -10%") got
# argparse's "expected one argument", which names neither the value nor what is allowed.
@pytest.mark.parametrize("argv, field, value", [
    (["capsules", "--strength", "-1mg", "--quantity", "90"], "strength", "-1mg"),
    (["capsules", "--strength", "4.5mg", "--quantity", "90", "--extra", "-10%"], "extra", "-10%"),
    (["capsules", "--strength", "4.5mg", "--quantity", "-3"], "quantity", "-3"),
    (["liquid", "--concentration", "-1mg/mL", "--volume", "50mL"], "concentration", "-1mg/mL"),
])
def test_negative_value_after_its_option_is_refused_by_the_core(argv, field, value, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = captured.err.strip()
    assert "\n" not in line and f"{field} = '{value}'" in line and "allowed" in line
