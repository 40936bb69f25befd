"""Checks on what people type into the store: text, names, lot numbers, dates, weights, percentages.

Each check returns the cleaned value or raises an :class:`~compounding.errors.InputError` naming the
field; nothing reaches the database unchecked. Queries are always parameterised, so this is not
what stops SQL injection: it is what makes a pasted ``'; DROP TABLE …`` a clear message instead of
an empty search.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from fractions import Fraction
from typing import Any

import pint

from ..errors import InputError, RangeError
from ..units import Q, as_fraction, parse_quantity, percent, ureg

__all__ = ["text", "optional_text", "person_name", "name_key", "lot_number", "supplier_lot", "rx_number", "iso_date",
           "future_expiry", "positive_mass", "percentage", "whole_number", "MAX_NAME", "MAX_REASON"]

_MG = 1 * ureg.mg
MAX_NAME = 200
MAX_REASON = 2000  # characters: a reason is a sentence or a paragraph, not a pasted document
# Bidirectional controls reverse what is printed after them (issue 10, label finding 10).
_BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LOT_NUMBER = re.compile(r"^LDN-\d{6}-\d{3,}(?:-A\d+)?$")
_SUPPLIER_LOT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./_-]*$")
_RX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_-]*$")
_PERSON_PUNCT = set(" '.,-’")


def text(value: Any, field: str, *, max_len: int = MAX_NAME, allowed: str | None = None) -> str:
    """One line of printable text, stripped, 1 to ``max_len`` characters."""
    allowed = allowed or f"text of 1 to {max_len} characters on one line"
    if not isinstance(value, str):
        raise InputError("must be text", field=field, value=value, allowed=allowed)
    cleaned = value.strip()
    if not cleaned:
        raise InputError("is empty", field=field, value=value, allowed=allowed)
    if len(cleaned) > max_len:
        raise InputError(f"is too long ({len(cleaned)} characters)", field=field, value=value, allowed=allowed)
    if any(c in _BIDI for c in cleaned):
        raise InputError("has a right-to-left or other direction control character, which reorders "
                         "what is printed", field=field, value=value, allowed=allowed)
    if any(not c.isprintable() for c in cleaned):
        raise InputError("has a line break or control character", field=field, value=value, allowed=allowed)
    return cleaned


def optional_text(value: Any, field: str, **kw) -> str | None:
    return None if value is None or (isinstance(value, str) and not value.strip()) else text(value, field, **kw)


def person_name(value: Any, field: str) -> str:
    """A person's name: letters (any script), spaces and ' . , - only (so O'Brien, not SQL)."""
    allowed = "a name: letters, spaces and ' . , - (up to 200 characters)"
    cleaned = text(value, field, allowed=allowed)
    bad = [c for c in cleaned if not (unicodedata.category(c)[0] in "LM" or c in _PERSON_PUNCT)]
    if bad:
        raise InputError(f"has characters a name does not have ({''.join(sorted(set(bad)))})", field=field,
                         value=value, allowed=allowed)
    return " ".join(cleaned.split())


def name_key(name: str) -> str:
    """The search key of a person's name: case-folded, NFKC, single spaces ("Smith, Jane" = "smith, jane")."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _pattern(value: Any, field: str, pattern: re.Pattern, max_len: int, allowed: str) -> str:
    cleaned = text(value, field, max_len=max_len, allowed=allowed)
    if not pattern.match(cleaned):
        raise InputError("is not in the expected form", field=field, value=value, allowed=allowed)
    return cleaned


def lot_number(value: Any, field: str = "lot_number") -> str:
    allowed = "a lot number such as LDN-260105-001 (an amendment: LDN-260105-001-A1)"
    return _pattern(value.upper() if isinstance(value, str) else value, field, _LOT_NUMBER, 40, allowed)


def supplier_lot(value: Any, field: str = "supplier_lot") -> str:
    allowed = "letters, digits, space and . / _ - (up to 100 characters), starting with a letter or digit"
    return _pattern(value, field, _SUPPLIER_LOT, 100, allowed)


def rx_number(value: Any, field: str = "rx_number") -> str:
    return _pattern(value, field, _RX, 40, "letters, digits and / _ - (up to 40 characters)")


def iso_date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise InputError("must be a date, not a date and time", field=field, value=str(value), allowed="YYYY-MM-DD")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InputError("is not a date", field=field, value=value, allowed="a date as YYYY-MM-DD")


def future_expiry(value: Any, today: dt.date, field: str = "expiry") -> dt.date:
    expiry = iso_date(value, field)
    if expiry < today:
        raise RangeError("is in the past: an expired lot cannot be received", field=field, value=str(expiry),
                         allowed=f"{today.isoformat()} or later")
    return expiry


def positive_mass(value: Any, field: str) -> pint.Quantity:
    """A mass typed by a person ("4.5 mg", "0.25 g"), greater than zero, in mg."""
    q = parse_quantity(value, field, "mass") if isinstance(value, str) else value
    if not isinstance(q, pint.Quantity) or q.dimensionality != _MG.dimensionality:
        raise InputError("must be a mass with its unit", field=field, value=value, allowed="e.g. 4.5 mg")
    if q.magnitude <= 0:
        raise RangeError("must be greater than zero", field=field, value=value, allowed="a mass above 0, e.g. 4.5 mg")
    return Q(Fraction(q.to(_MG.units).magnitude), _MG.units)


def percentage(value: Any, field: str, *, low: Fraction, high: Fraction, allowed: str) -> pint.Quantity:
    """A percentage typed with its sign ("98.5%"), within [low, high] (fractions of 1)."""
    return Q(as_fraction(value, field, low=low, high=high, allowed=allowed) * 100, percent)


def whole_number(value: Any, field: str, *, minimum: int = 1, maximum: int = 1_000_000) -> int:
    allowed = f"a whole number from {minimum} to {maximum}"
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError("is not a whole number", field=field, value=value, allowed=allowed)
    if not minimum <= value <= maximum:
        raise RangeError("is out of range", field=field, value=value, allowed=allowed)
    return value
