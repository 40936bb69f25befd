"""A suite that runs in reasonable time and whose property tests test something (issue 8, item 11).

Example counts come from the Hypothesis profiles in ``tests/conftest.py`` only (a quick ``dev``
default, thousands under ``ci``); a property test of results must mostly compute results, which
:func:`tests.support.properties.mostly_computes` checks.
"""

from __future__ import annotations

import re
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.properties import computed, hypothesis_profile, mostly_computes, refused, share_problem

TESTS = Path(__file__).resolve().parent
# "@settings(" or "max_examples" in a test module: example counts belong to the profiles
HARD_CODED = re.compile(r"@settings\(|max_examples\s*=")


def test_no_test_module_sets_its_own_example_count_or_deadline():
    modules = sorted(TESTS.rglob("*.py"))
    assert TESTS / "test_capsules_properties.py" in modules
    offending = [f"{m.relative_to(TESTS)}:{n}" for m in modules if m.name != "conftest.py"
                 for n, line in enumerate(m.read_text(encoding="utf-8").splitlines(), 1)
                 if HARD_CODED.search(line) and m != Path(__file__).resolve()]
    assert offending == []


@pytest.mark.parametrize("environ, profile", [
    ({}, "dev"), ({"CI": "true"}, "ci"), ({"CI": "1"}, "ci"), ({"CI": "false"}, "dev"), ({"CI": ""}, "dev"),
    ({"HYPOTHESIS_PROFILE": "ci"}, "ci"), ({"CI": "true", "HYPOTHESIS_PROFILE": "dev"}, "dev"),
])
def test_profile_follows_the_environment(environ, profile):
    assert hypothesis_profile(environ) == profile


def test_profiles_quick_for_development_and_thorough_in_ci():
    dev, ci = settings.get_profile("dev"), settings.get_profile("ci")
    assert 50 <= dev.max_examples <= 100 and ci.max_examples >= 1000
    assert dev.deadline is None and ci.deadline is None  # a busy machine is not a failure
    assert ci.derandomize and ci.database is None  # a CI failure reproduces on rerun


def test_the_profile_of_this_run_is_loaded():
    assert settings.default.max_examples == settings.get_profile(hypothesis_profile()).max_examples


@pytest.mark.parametrize("tally, ok", [
    (Counter(computed=80, refused=20), True), (Counter(computed=100), True),
    (Counter(computed=79, refused=21), False), (Counter(refused=100), False), (Counter(), False),
])
def test_share_of_computed_examples(tally, ok):
    assert (share_problem(tally, Fraction(4, 5)) is None) == ok


def test_a_property_test_whose_examples_are_all_refused_fails():
    @mostly_computes()
    @given(st.integers())
    def every_example_refused(n):
        refused()

    with pytest.raises(AssertionError, match=r"only 0 of \d+ generated examples \(0%\) computed"):
        every_example_refused()


def test_a_property_test_whose_examples_compute_passes():
    seen = []

    @mostly_computes()
    @given(st.integers(0, 99))
    def mostly_computed(n):
        seen.append(n)
        refused() if n == 50 else computed()

    mostly_computed()
    assert seen  # it ran examples


def test_outcomes_outside_a_decorated_test_are_an_error():
    with pytest.raises(RuntimeError, match="mostly_computes"):
        computed()
