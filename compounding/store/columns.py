"""Column types the store needs on both engines: UTC times and exact quantities with their unit.

* :class:`UTCDateTime` takes only timezone-aware datetimes and gives back aware UTC datetimes
  (SQLite has no time zones: it stores naive UTC text; PostgreSQL ``timestamptz``).
* :class:`ExactQuantity` stores a pint quantity as exact text in a fixed unit ("98.5" in %,
  "321.25" in mg, or "1/3" when a fraction has no finite decimal) and gives back a quantity with a
  :class:`~fractions.Fraction` magnitude. A NUMERIC column would not do: SQLite keeps NUMERIC as a
  binary float, and the core's arithmetic is exact.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from functools import lru_cache

import pint
from sqlalchemy import DateTime, String
from sqlalchemy.types import TypeDecorator

from ..units import Q, exact, ureg

__all__ = ["UTCDateTime", "ExactQuantity", "fraction_text", "unit_of"]


class UTCDateTime(TypeDecorator):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a stored time must be timezone-aware (UTC)")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def fraction_text(value: Fraction) -> str:
    """Exact text of a fraction: a decimal when it has a finite one ("0.994009"), else "n/d"."""
    value = Fraction(value)
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = value * 10 ** places  # an integer now
    sign = "-" if scaled < 0 else ""
    digits = str(abs(int(scaled))).rjust(places + 1, "0")
    whole, frac = digits[: len(digits) - places], digits[len(digits) - places:]
    return f"{sign}{whole}.{frac}".rstrip("0").rstrip(".") if places else f"{sign}{whole}"


class ExactQuantity(TypeDecorator):
    """A pint quantity kept exactly, converted to ``unit`` ("mg", "percent", "mL") in the column."""

    impl = String(40)
    cache_ok = True

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, pint.Quantity):
            raise TypeError(f"expected a quantity in {self.unit}, got {value!r}")
        unit = unit_of(self.unit)
        return fraction_text(exact((value if value.units == unit else value.to(unit)).magnitude))

    def process_result_value(self, value, dialect):
        return None if value is None else Q(Fraction(value), unit_of(self.unit))


@lru_cache(maxsize=None)
def unit_of(name: str) -> pint.Unit:
    """The registry's unit for a name, parsed once (pint parses a unit string on every use)."""
    return ureg.Unit(name)
