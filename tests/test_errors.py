"""compounding.errors: the tree, the structured fields, and one-line messages."""

from __future__ import annotations

import pytest

from compounding import errors
from compounding.errors import (CalculationError, CompoundingError, DataError, InputError, PermissionDenied,
                                RangeError, StateError, UnitError)
from compounding.units import Q, mg


def test_the_tree():
    assert issubclass(InputError, CompoundingError) and issubclass(InputError, ValueError)
    assert issubclass(UnitError, InputError) and issubclass(RangeError, InputError)
    assert issubclass(CalculationError, CompoundingError) and not issubclass(CalculationError, InputError)
    assert issubclass(DataError, CompoundingError) and issubclass(DataError, ValueError)
    assert not issubclass(DataError, InputError)
    # the store's refusals are CompoundingErrors (one message at an edge) but not bad input
    for cls in (PermissionDenied, StateError):
        assert issubclass(cls, CompoundingError) and not issubclass(cls, (InputError, ValueError))
    assert set(errors.__all__) == {"CompoundingError", "InputError", "UnitError", "RangeError",
                                   "CalculationError", "DataError", "PermissionDenied", "StateError"}


def test_fields_and_message():
    e = RangeError("is out of range", field="strength", value="5 mg", allowed="0.1-4.5 mg")
    assert (e.field, e.value, e.allowed, e.message) == ("strength", "5 mg", "0.1-4.5 mg", "is out of range")
    assert str(e) == "strength = '5 mg': is out of range (allowed: 0.1-4.5 mg)"


def test_message_shows_a_quantity_as_written():
    assert str(InputError("is too small", field="mwq", value=Q("0.5", mg))) == "mwq = 0.5 mg: is too small"


@pytest.mark.parametrize("value", [None, object(), float("nan"), [1, 2], Q("0.0001", mg)])
def test_a_message_always_builds_on_one_line(value):
    text = str(CalculationError("cannot be made", field="x", value=value))
    assert text.startswith("x") and "\n" not in text


def test_without_a_field_it_is_just_the_message():
    assert str(CalculationError("cannot be made")) == "cannot be made"


def test_catchable_as_value_error_at_an_edge():
    with pytest.raises(ValueError):
        raise UnitError("bad unit", field="strength", value="4.5 gr")
