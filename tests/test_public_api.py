"""The package's public surface: ``__all__``, lazy re-exports, and a light ``import compounding``."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

import compounding

REPO = Path(__file__).resolve().parents[1]
PUBLIC = {"__version__", "capsule_batch", "CapsuleBatch", "parse_quantity", "Q", "ureg", "CompoundingError",
          "InputError", "UnitError", "RangeError", "CalculationError", "DataError", "beyond_use_date",
          "plan_aliquot", "format_quantity", "reference", "formulas"}


def test_all_lists_the_public_names():
    # Other public names (e.g. liquid_preparation, titration_plan) may be added; none may go missing.
    assert PUBLIC <= set(compounding.__all__)
    assert len(compounding.__all__) == len(set(compounding.__all__))
    assert set(compounding.__all__) == {"__version__", *compounding._EXPORTS}  # one dict is the list
    assert compounding.__version__ == "0.1.0"


@pytest.mark.parametrize("name", sorted(set(compounding.__all__)))
def test_each_public_name_resolves(name):
    assert getattr(compounding, name) is not None
    assert name in dir(compounding)


def test_names_are_the_core_objects():
    from compounding import capsules, errors, units
    assert compounding.capsule_batch is capsules.capsule_batch and compounding.Q is units.Q
    assert compounding.ureg is units.ureg and compounding.DataError is errors.DataError
    assert isinstance(compounding.reference, types.ModuleType) and callable(compounding.reference.reference)
    assert isinstance(compounding.formulas, types.ModuleType) and callable(compounding.formulas.formulas)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        compounding.no_such_name  # noqa: B018


def test_importing_the_package_loads_nothing_heavy():
    code = ("import sys, compounding; "
            "print(sorted(m for m in sys.modules if m.startswith('compounding') or m == 'pint'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['compounding']"


def test_public_api_end_to_end():
    b = compounding.capsule_batch("4.5 mg", 30, compounding_date="2026-01-05")
    assert isinstance(b, compounding.CapsuleBatch)
    assert compounding.format_quantity(b.naltrexone_hcl) == "135 mg"
    with pytest.raises(compounding.InputError):
        compounding.parse_quantity("4.5 gr", "strength", "mass")
