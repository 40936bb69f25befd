"""The golden cases in ``tests/data/reference/cases.json`` as data for parametrized tests.

Each case has ``inputs`` (name -> [value, unit]) and ``expected`` (name -> [value, unit, tolerance]).
The file is part of the repository (see ``tests/data/reference/README.md`` for where it comes from);
the environment variable ``LDN_REFERENCE_CASES`` may name another copy. A missing file is an error,
never a skip: the golden cases are what the suite is for.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import pint

from compounding.units import Q, exact, ureg

ENV_VAR = "LDN_REFERENCE_CASES"
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "reference" / "cases.json"

# Units in the cases file that are words, not pint units.
_UNIT_ALIASES = {"%": "percent", "1": "", "division": ""}
NON_QUANTITY_UNITS = {"bool", "date", "-"}


def cases_path() -> Path:
    return Path(os.environ.get(ENV_VAR) or DEFAULT_PATH)


@lru_cache(maxsize=4)
def _load(path: Path) -> tuple[dict[str, Any], ...]:
    if not path.is_file():
        raise FileNotFoundError(f"reference cases not found at {path} (set {ENV_VAR} to its path); "
                                "the golden-case tests cannot run without it")
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, list) or not all(isinstance(c, dict) and "id" in c for c in data):
        raise ValueError(f"{path}: expected a JSON list of cases with an 'id' each")
    return tuple(data)


def load_cases() -> tuple[dict[str, Any], ...]:
    """Every case in the file (raises FileNotFoundError if it is missing)."""
    return _load(cases_path())


def case(case_id: str) -> dict[str, Any]:
    for c in load_cases():
        if c["id"] == case_id:
            return c
    raise KeyError(f"no reference case {case_id!r} in {cases_path()}")


def ids_in(category: str) -> list[str]:
    return [c["id"] for c in load_cases() if c["category"] == category]


def unit_of(text: str) -> pint.Unit:
    return ureg.Unit(_UNIT_ALIASES.get(text, text))


def quantity(entry: list[Any]) -> pint.Quantity:
    """``[4.5, "mg"]`` (an input, or an expected value without its tolerance) as an exact quantity."""
    value, unit = entry[0], entry[1]
    return Q(value, unit_of(unit))


def text(entry: list[Any]) -> str:
    """An input as a person would type it: ``[4.5, "mg"]`` -> ``"4.5 mg"``, ``[98.5, "%"]`` -> ``"98.5%"``."""
    value, unit = entry[0], entry[1]
    return f"{value}%" if unit == "%" else f"{value} {unit}"


def check(actual: Any, expected: list[Any]) -> str | None:
    """None when ``actual`` matches ``[value, unit, tolerance]`` in the expected unit, else why not."""
    value, unit, tolerance = expected
    if unit in NON_QUANTITY_UNITS:
        shown = actual.isoformat() if hasattr(actual, "isoformat") else actual
        return None if shown == value else f"got {shown!r}, expected {value!r}"
    if not isinstance(actual, pint.Quantity):
        return f"got {actual!r}, a {type(actual).__name__}, expected a quantity in {unit!r}"
    try:
        got = actual.to(unit_of(unit)).magnitude
    except pint.DimensionalityError:
        return f"got {actual:~}, which is not convertible to {unit!r}"
    if abs(exact(got) - exact(value)) > exact(tolerance):  # exact: a tolerance of 0 means equal
        return f"got {float(got)!r} {unit}, expected {value} ± {tolerance}"
    return None
