"""The CLI help speaks the glossary (issue 10): every option that sets a glossary field opens its help
with that field's label, unit and meaning, on every subcommand; the option's own words (examples,
defaults) follow."""

from __future__ import annotations

import re

import pytest

from compounding.cli import SUBCOMMANDS, glossary_key, parser_for
from compounding.glossary import term


def _named(name: str):
    parser = parser_for(name)
    keys = getattr(__import__(f"compounding.cli.{name.replace('-', '_')}", fromlist=["x"]), "GLOSSARY_KEYS", {})
    return parser, [(a, glossary_key(a, keys)) for a in parser._actions if glossary_key(a, keys)]


@pytest.mark.parametrize("name", list(SUBCOMMANDS))
def test_every_option_named_by_the_glossary_opens_with_its_words(name):
    parser, named = _named(name)
    parser.format_help()  # every help text formats ("%" escaped)
    for action, key in named:
        t = term(key)
        meaning = re.split(r";\s+in\s", t.description)[0]
        assert action.help.startswith(t.label), (action.option_strings, action.help)
        assert meaning.replace("%", "%%") in action.help, (action.option_strings, action.help)


def test_the_calculation_subcommands_take_their_options_words_from_the_glossary():
    counts = {name: len(_named(name)[1]) for name in ("capsules", "liquid", "titration", "weight-check")}
    # capsules: 19 order fields, 6 actual weights, date, expiry, xlsx and the record's 10 fields + 2
    assert counts["capsules"] >= 35 and counts["liquid"] >= 30 and counts["titration"] >= 20
    assert counts["weight-check"] >= 9


@pytest.mark.parametrize("name, option, start", [
    ("liquid", "--volume", "Final volume (mL): The volume the liquid is made up to; e.g. 150mL"),
    ("liquid", "--component-expiry", "Component expiries: Expiry dates of the components"),
    ("capsules", "--actual-diluent-2", "Actual weight: diluent, aliquot stage 2 (mg)"),
    ("capsules", "--patient", "Patient: The patient's name"),
    ("capsules", "--lot", "Internal lot / Rx number: "),
    ("weight-check", "--low", "Capsule weight limit, low (%): Weight check"),
    ("titration", "--target", "Target dose (mg): The maintenance dose a titration reaches; e.g. 4.5mg"),
    ("compute", "file", "Order: An order as JSON"),
])
def test_an_option_whose_name_differs_from_its_field_reads_as_the_field(name, option, start):
    parser = parser_for(name)
    action = next(a for a in parser._actions if option in a.option_strings or a.dest == option)
    assert action.help.replace("%%", "%").startswith(start), action.help  # as printed


def test_an_option_that_means_something_else_here_keeps_its_own_words():
    # the weight check's --target is a fill weight, the glossary's target a titration's dose
    action = next(a for a in parser_for("weight-check")._actions if "--target" in a.option_strings)
    assert action.help == "target fill weight per capsule, e.g. 271.03mg"


def test_a_refused_record_field_names_the_option_to_retype(tmp_path, capsys):
    from compounding.cli import main

    # a lot number is printed in every page header: at most 60 characters (excel/_fields.py)
    code = main(["capsules", "--strength", "4.5mg", "--quantity", "90", "--date", "2026-03-02",
                 "--xlsx", str(tmp_path / "r.xlsx"), "--lot", "x" * 61])
    assert code == 2
    assert capsys.readouterr().err.startswith("error: --lot: lot_number")
