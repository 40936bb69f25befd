"""The Excel record's lines speak the glossary (issue 10): a line named by a glossary key and given no
label of its own prints the glossary's label, the words of the text sheet, the CLI help and the app."""

from __future__ import annotations

from fractions import Fraction

import pytest

from compounding import plan_titration
from compounding.excel._common import Line
from compounding.excel._titration import sections
from compounding.glossary import term

DATE = "2026-03-02"


def test_a_line_without_a_label_takes_the_glossary_label():
    assert Line("blend_total", None, "mg", Fraction(8910)).label == "Blend total"
    assert Line("aliquot_stage_2", None, "mg", Fraction(120)).label == term("aliquot_stage").label
    assert Line("blend_total", "Blend (mg)", "mg", Fraction(8910)).label == "Blend (mg)"  # its own, when given
    with pytest.raises(KeyError):
        Line("no_such_name", None, "mg", Fraction(1))  # a line without a label must be a glossary name


@pytest.mark.parametrize("form", ["capsules", "liquid"])
def test_the_titration_record_labels_its_named_lines_from_the_glossary(form):
    plan = plan_titration(stages="1.5mg:14,3mg:14,4.5mg:28", form=form, overage="5%" if form == "liquid" else None,
                          start_date=DATE)
    lines = {l.name: l for s in sections(plan) for l in s.lines}
    named = {"form", "preset", "start_date", "total_days", "total_drug"}
    if form == "liquid":
        named |= {"vehicle", "concentration", "overage", "tablet_strength", "total_volume"}
    assert named <= set(lines)
    assert {n: lines[n].label for n in named} == {n: term(n).label for n in named}
