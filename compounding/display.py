"""Numbers and quantities as people read them: rounded once, half-up, with no trailing zeros.

Rules (domain.md §9 and ISMP's error-prone notations): never a trailing zero (``0.5 mg``, not
``0.50 mg``), never a naked decimal (``0.5``, not ``.5``), micrograms as ``mcg`` (a ``µ`` is misread
as ``m``), and a nonzero quantity never shows as zero: when the usual places would round it away,
three significant figures are shown instead.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

import pint

__all__ = ["round_half_up", "format_number", "format_quantity", "format_magnitude", "format_rounded_up",
           "format_exact", "format_weighing", "unit_symbol", "places_for", "display_places", "DISPLAY_PLACES",
           "COUNTS", "GRAMS_FROM"]

# Decimal places shown per unit symbol; anything not listed gets DEFAULT_PLACES. Every figure the
# program shows (screen, warnings, trace, text sheets, the Excel records' number formats, the QA
# check) takes its places from display_places over this table, so one value has one figure everywhere. Counts of capsules and tablets show a whole count whole and a fractional one
# (8.91 tablets' worth) with its fraction: 0 places made the trace say "9 tablets" for 8.91.
DISPLAY_PLACES = {
    "mg": 2, "g": 4, "kg": 6, "mcg": 1, "mL": 2, "L": 4, "µL": 1,
    "mg/mL": 4, "mcg/mL": 2, "g/mL": 4, "mg/capsule": 2, "mg/tablet": 2, "g/mol": 2,
    "capsules": 4, "tablets": 4, "days": 0, "weeks": 0, "%": 2, "": 4,
}
DEFAULT_PLACES = 4
#: units whose whole values are shown whole (0 places) and fractional ones with their fraction
COUNTS = ("capsules", "tablets")

_SYMBOLS = {"µg": "mcg", "μg": "mcg", "ml": "mL", "capsule": "capsules", "tablet": "tablets",
            "day": "days", "week": "weeks", "dimensionless": "", "mg / ml": "mg/mL",
            "percent": "%"}


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, Fraction):
        with localcontext() as ctx:
            ctx.prec = 40
            return Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def round_half_up(value: Any, places: int) -> Decimal:
    """Round like a spreadsheet's ROUND: halves away from zero (2.675 → 2.68 for exact 2.675)."""
    return _to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _never_zero(d: Decimal, places: int) -> int:
    """``places``, or more when they would show a real amount as zero: 3 significant figures."""
    if d != 0 and round_half_up(d, places) == 0:
        return max(places, 2 - d.adjusted())
    return places


def format_number(value: Any, places: int = DEFAULT_PLACES) -> str:
    """``format_number(Fraction(1, 2), 2) == "0.5"``; nonzero values never show as ``0``."""
    d = _to_decimal(value)
    r = round_half_up(d, _never_zero(d, places))
    text = format(r, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text


def format_exact(value: Any) -> str:
    """A typed number exactly, without rounding: ``"1.000"`` → ``"1"``, 1/8 → ``"0.125"``. For
    echoing what a person typed (never for a result); a value with no finite decimal (1/3, from
    "1 mg/3 mL") is shown to 12 places."""
    frac = Fraction(value)
    d = frac.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d != 1:
        return format_number(frac, 12)
    with localcontext() as ctx:
        ctx.prec = 200
        text = format(Decimal(frac.numerator) / Decimal(frac.denominator), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def unit_symbol(unit: pint.Unit) -> str:
    """The symbol shown for a unit: ``mg``, ``mcg``, ``mL``, ``mg/mL``, ``capsules``."""
    text = f"{unit:~}"
    text = _SYMBOLS.get(text, text)
    text = text.replace("µg", "mcg").replace("μg", "mcg").replace(" / ", "/").replace(" * ", "·")
    text = text.replace("ml", "mL").replace("/capsule", "/capsule").replace("/tablet", "/tablet")
    return text


def places_for(unit: pint.Unit | str) -> int:
    """The unit's decimal places (``unit``: a pint unit or its symbol): the most a figure in it carries,
    except a tiny amount (:func:`display_places`)."""
    symbol = unit if isinstance(unit, str) else unit_symbol(unit)
    return DISPLAY_PLACES.get(symbol, DEFAULT_PLACES)


def display_places(value: Any, unit: pint.Unit | str) -> int:
    """The decimal places ``value`` (a number in ``unit``: a pint unit or its symbol, ``"%"`` for a
    percentage's percent value) is shown with: the one rule of the screen, the text sheets and the
    Excel records' number formats (which then drop trailing zeros, as :func:`format_number` does).

    The unit's places (:data:`DISPLAY_PLACES`); a count of capsules or tablets: 0 when whole (or
    unknown), else the unit's places (8.91 tablets' worth); a nonzero amount the unit's places would
    show as 0: three significant figures (0.00123 mg, never 0 mg)."""
    symbol = unit if isinstance(unit, str) else unit_symbol(unit)
    places = places_for(symbol)
    if value is None or isinstance(value, (bool, str)):
        return 0 if symbol in COUNTS else places
    d = _to_decimal(value)
    if symbol in COUNTS and d == d.to_integral_value():
        return 0
    return _never_zero(d, places)


def format_magnitude(q: pint.Quantity, unit: pint.Unit | None = None) -> str:
    """The number of :func:`format_quantity` without its unit: ``"15.23"`` for 15.2284 mg, for a text
    that writes the unit itself ("weigh 15.23 mg")."""
    if unit is not None:
        q = q.to(unit)
    return format_number(q.magnitude, display_places(q.magnitude, q.units))


def format_rounded_up(count: pint.Quantity, unrounded: Any) -> str:
    """A whole count rounded up from a fractional amount, saying so: ``"9 tablets (rounded up from
    8.91)"``; just ``"9 tablets"`` when nothing was rounded. ``unrounded``: a quantity in the count's
    unit, or a plain number of them."""
    shown = format_quantity(count)
    if isinstance(unrounded, pint.Quantity):
        unrounded = unrounded.to(count.units).magnitude
    if Fraction(unrounded) == Fraction(count.magnitude):
        return shown
    return f"{shown} (rounded up from {format_number(unrounded, display_places(unrounded, count.units))})"


def format_quantity(q: pint.Quantity, unit: pint.Unit | None = None, places: int | None = None) -> str:
    """``"4.5 mg"``, ``"99 capsules"``, ``"1 mg/mL"``: converted to ``unit`` if given, rounded once."""
    if unit is not None:
        q = q.to(unit)
    symbol = unit_symbol(q.units)
    if places is None:
        places = display_places(q.magnitude, symbol)
    number = format_number(q.magnitude, places)
    if symbol in ("capsules", "tablets", "days", "weeks") and number == "1":
        symbol = symbol[:-1]
    if not symbol:
        return number
    if symbol == "%":
        return f"{number}%"
    return f"{number} {symbol}"


# Amounts put on a balance are shown in g from this mass up (14.4 g, not 14400 mg): below it a
# pharmacist reads mg off the balance (the MWQs in the data are 82 and 120 mg), above it five
# digits of mg are easy to misread by a factor of ten.
GRAMS_FROM = 10  # g


def format_weighing(q: pint.Quantity, readability: pint.Quantity) -> str:
    """An amount to weigh as the balance shows it: ``"120 mg"``, ``"14.4 g"``, ``"121.8 mg"``.

    ``q`` is already a whole number of ``readability`` steps (:func:`compounding.weighing.round_to`);
    the places shown are those of the step in the unit used (10 mg in g: 2 places, trailing zeros
    dropped), so the text never claims a precision the balance does not have.
    """
    reg = q._REGISTRY
    amount, step = q.to(reg.milligram).magnitude, readability.to(reg.milligram).magnitude
    scale, symbol = (1000, "g") if amount >= GRAMS_FROM * 1000 else (1, "mg")
    places = max(0, -_to_decimal(Fraction(step) / scale).normalize().as_tuple().exponent)
    return f"{format_number(Fraction(amount) / scale, places)} {symbol}"
