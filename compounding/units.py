"""One unit registry for the whole program, and the one parser for quantities people type.

Magnitudes are exact :class:`fractions.Fraction` values, so that 90 capsules + 10 % is exactly 99
and ``drug + filler == blend`` holds to the last digit; rounding happens once, for display
(:mod:`compounding.display`). Unit constants are built once here: in pint 0.25 a unit given as a
string is parsed again on every use.

Users type quantities (``"4.5 mg"``, ``"1500 mcg"``, ``"0.5 mg/mL"``, ``"120 mg/5 mL"``,
``"98.5%"``). :func:`parse_quantity` accepts only the units listed for the *kind* of quantity
asked for and refuses, with a reason, the symbols that cause compounding errors (``gr`` is grain,
not gram; ``cc``; a naked decimal ``.5``; a comma decimal ``4,5``).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pint

from .errors import InputError, RangeError, UnitError

__all__ = [
    "ureg", "Quantity", "Q", "exact", "parse_quantity", "as_quantity", "as_count", "as_fraction",
    "check_positive", "check_within", "KINDS", "mg", "g", "mcg", "kg", "mL", "L", "capsule", "tablet", "day", "week", "percent",
    "dimensionless", "mg_per_mL", "g_per_mL", "g_per_mol", "mg_per_capsule", "mg_per_tablet",
]

ureg = pint.UnitRegistry(str(Path(__file__).with_name("units.txt")), non_int_type=Fraction,
                         autoconvert_offset_to_baseunit=False)
ureg.formatter.default_format = "~"
# Not pint.set_application_registry(ureg): importing a library must not replace the registry of the
# application that imports it (issue 10). Quantities are built with Q/ureg from this module.
Quantity = ureg.Quantity

# Unit constants, built once.
mg = ureg.Unit("milligram")
g = ureg.Unit("gram")
kg = ureg.Unit("kilogram")
mcg = ureg.Unit("microgram")
mL = ureg.Unit("milliliter")
L = ureg.Unit("liter")
mol = ureg.Unit("mole")
capsule = ureg.Unit("capsule")
tablet = ureg.Unit("tablet")
day = ureg.Unit("day")
week = ureg.Unit("week")
percent = ureg.Unit("percent")
dimensionless = ureg.Unit("")
mg_per_mL = mg / mL
g_per_mL = g / mL
g_per_mol = g / mol
mg_per_capsule = mg / capsule
mg_per_tablet = mg / tablet


def exact(value: Any) -> Fraction:
    """Return ``value`` as an exact Fraction; floats are read as the decimal they print as.

    ``exact(0.1) == Fraction(1, 10)``: a float handed to the core stands for the decimal a person
    typed, not for its binary approximation.
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return Fraction(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        return Fraction(value)
    if isinstance(value, str):
        return Fraction(value)
    raise TypeError(f"cannot use {type(value).__name__} as a number")


def Q(value: Any, unit: pint.Unit | str) -> pint.Quantity:
    """Build an exact quantity: ``Q("4.5", mg)``, ``Q(90, capsule)``."""
    if isinstance(unit, str):
        unit = ureg.Unit(unit)
    return Quantity(exact(value), unit)


# --- What may be typed, by kind of quantity -----------------------------------------------------

_MASS = {"mg": mg, "g": g, "kg": kg, "mcg": mcg, "µg": mcg, "μg": mcg, "ug": mcg,
         "milligram": mg, "milligrams": mg, "gram": g, "grams": g, "microgram": mcg,
         "micrograms": mcg}
_VOLUME = {"mL": mL, "ml": mL, "L": L, "l": L, "milliliter": mL, "milliliters": mL,
           "millilitre": mL, "millilitres": mL, "µL": ureg.Unit("microliter"),
           "μL": ureg.Unit("microliter"), "uL": ureg.Unit("microliter")}
_COUNT_CAPSULE = {"": capsule, "capsule": capsule, "capsules": capsule, "caps": capsule,
                  "cap": capsule}
_COUNT_TABLET = {"": tablet, "tablet": tablet, "tablets": tablet, "tab": tablet, "tabs": tablet}
_DURATION = {"d": day, "day": day, "days": day, "week": week, "weeks": week, "wk": week}
_PERCENT = {"%": percent, "percent": percent}

# Symbols that are dangerous in a pharmacy, with the reason given to the user.
_DANGEROUS = {
    "gr": "'gr' is the apothecary grain (64.8 mg), not gram; write g or mg",
    "grain": "grains are not used here; write g or mg",
    "grains": "grains are not used here; write g or mg",
    "gm": "'gm' is an error-prone abbreviation; write g",
    "cc": "'cc' is an error-prone abbreviation (ISMP); write mL",
    "μ": "a bare 'µ' is ambiguous; write mcg",
    "µ": "a bare 'µ' is ambiguous; write mcg",
    "u": "'u'/'U' (units) is an error-prone abbreviation and not a mass; write mg or mcg",
    "U": "'u'/'U' (units) is an error-prone abbreviation and not a mass; write mg or mcg",
    "IU": "international units are not a mass; write mg or mcg",
    "dr": "drams are not used here; write g or mL",
    "oz": "ounces are not used here; write g or mL",
    "tsp": "teaspoons are not a measure for compounding; write mL",
    "tbsp": "tablespoons are not a measure for compounding; write mL",
    "minim": "minims are not used here; write mL",
}


class Kind:
    """A kind of quantity: its name, the units that may be typed for it, and how to say so."""

    def __init__(self, name: str, units: dict[str, pint.Unit], *, per: dict[str, pint.Unit] | None = None,
                 allowed: str, example: str) -> None:
        self.name = name
        self.units = units
        self.per = per  # denominators, for ratios like mg/mL
        self.allowed = allowed
        self.example = example
        sample = next(iter(units.values()))
        if per:
            sample = sample / next(iter(per.values()))
        self.dimensionality = (1 * sample).dimensionality


KINDS: dict[str, Kind] = {
    "mass": Kind("mass", _MASS, allowed="a mass in mg, g or mcg", example="4.5 mg"),
    "volume": Kind("volume", _VOLUME, allowed="a volume in mL or L", example="50 mL"),
    "concentration": Kind("concentration", _MASS, per=_VOLUME,
                          allowed="a concentration such as mg/mL or mg/5 mL", example="1 mg/mL"),
    "density": Kind("density", _MASS, per=_VOLUME, allowed="a bulk density in g/mL",
                    example="0.3 g/mL"),
    "mass_per_capsule": Kind("mass_per_capsule", _MASS, per=_COUNT_CAPSULE,
                             allowed="a mass per capsule, e.g. mg or mg/capsule", example="270 mg"),
    "mass_per_tablet": Kind("mass_per_tablet", _MASS, per=_COUNT_TABLET,
                            allowed="a mass per tablet, e.g. mg or mg/tablet", example="321 mg"),
    "duration": Kind("duration", _DURATION, allowed="a number of days or weeks", example="14 days"),
    "percent": Kind("percent", _PERCENT, allowed="a percentage with its % sign", example="98.5%"),
}

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_UNIT = r"[^\s\d/.,+-][^\s/\d]*"  # a unit starts with a non-digit
# re.ASCII: \d is 0-9 only. Other scripts' digits ("４.５", "٤") are refused, not read as numbers:
# the record must show the number exactly as the balance and the label show it.
_PATTERN = re.compile(
    rf"^\s*(?P<num>{_NUMBER})[ \t]*(?P<unit>{_UNIT}(?:[ \t]+{_UNIT})?)?[ \t]*"
    rf"(?:(?P<slash>/)[ \t]*(?P<pernum>{_NUMBER})?[ \t]*(?P<perunit>{_UNIT})?)?\s*$", re.ASCII
)
MAX_TEXT = 100  # characters; longer text is not a quantity someone typed


def _refuse_odd_text(text: str, field: str, allowed: str) -> None:
    """Refuse text no person types as a quantity: too long, other scripts' digits, line breaks."""
    if len(text) > MAX_TEXT:
        raise InputError(f"is too long ({len(text)} characters) to be a quantity", field=field,
                         value=text, allowed=allowed)
    if any(c.isdigit() and not c.isascii() for c in text):
        raise InputError("has digits that are not 0-9; type the number with the digits 0-9",
                         field=field, value=text, allowed=allowed)
    if any(not c.isprintable() and c != "\t" for c in text.strip()):
        raise InputError("has a line break or control character inside; type one value on one line",
                         field=field, value=text, allowed=allowed)


def _refuse_comma(stripped: str, field: str, text: Any, allowed: str) -> None:
    """Refuse a comma in a number, saying what to write: "0,5" → "write 0.5". Three digits after a
    single comma ("1,000") are ambiguous (one, or one thousand), so both readings are offered."""
    m = re.match(r"^([+-]?\d+)((?:,\d+)+)", stripped)
    if not m:
        return
    groups = m.group(2)[1:].split(",")
    if len(groups) == 1 and len(groups[0]) != 3:
        advice = f"write {m.group(1)}.{groups[0]}"
    elif len(groups) == 1:
        decimal = format(Decimal(f"{m.group(1)}.{groups[0]}").normalize(), "f")
        advice = f"write {decimal} or {m.group(1)}{groups[0]}, whichever you mean"
    else:
        advice = f"write {m.group(1)}{''.join(groups)} without separators"
    raise InputError(f"has a comma in the number; {advice} (a point for decimals, no thousands separator)",
                     field=field, value=text, allowed=allowed)


def _refuse_number_text(text: str, field: str, kind: Kind) -> None:
    """Give a precise reason for text that does not even start like a quantity."""
    stripped = text.strip()
    if not stripped:
        raise InputError("is empty; enter a value", field=field, value=text,
                         allowed=f"{kind.allowed}, e.g. {kind.example}")
    if re.match(r"^[+-]?(nan|inf|infinity)\b", stripped, re.IGNORECASE):
        raise RangeError("is not a finite number", field=field, value=text,
                         allowed=f"{kind.allowed}, e.g. {kind.example}")
    if re.match(r"^[+-]?[0-9.]+[eE][+-]?[0-9]", stripped):
        raise InputError("is in scientific notation; write the number out (1000 mg, not 1e3 mg)",
                         field=field, value=text, allowed=f"{kind.allowed}, e.g. {kind.example}")
    _refuse_comma(stripped, field, text, f"e.g. {kind.example}")
    raise InputError("is not a number with a unit", field=field, value=text,
                     allowed=f"{kind.allowed}, e.g. {kind.example}")


def _lookup(symbol: str, table: dict[str, pint.Unit], field: str, text: str, kind: Kind) -> pint.Unit:
    if symbol in table:
        return table[symbol]
    if symbol in _DANGEROUS:
        raise UnitError(_DANGEROUS[symbol], field=field, value=text, allowed=kind.allowed)
    same = [k for k in table if k and k.lower() == symbol.lower()]
    if same:  # "MG", "Mg", "MCG", "ML": case matters ("Mg" is a megagram, "mG" nothing)
        raise UnitError(f"'{symbol}' is not a unit symbol here: unit symbols are case-sensitive "
                        f"(Mg would be a megagram); write {same[0]}", field=field, value=text,
                        allowed=f"{kind.allowed}, e.g. {kind.example}")
    other = [k for k in KINDS.values() if k is not kind and k.per is None and symbol in k.units]
    if other:
        raise UnitError(f"'{symbol}' is a unit of {other[0].name}, but a {kind.name} is needed",
                        field=field, value=text, allowed=f"{kind.allowed}, e.g. {kind.example}")
    raise UnitError(f"unknown or not allowed unit '{symbol}'", field=field, value=text,
                    allowed=f"{kind.allowed}, e.g. {kind.example}")


def parse_quantity(text: str, field: str, kind: str) -> pint.Quantity:
    """Parse what a person typed into an exact quantity of the given kind.

    ``parse_quantity("1500 mcg", "strength", "mass")`` gives 1500 mcg (exact). Refuses an empty
    text, NaN/inf, a naked decimal (".5"), a comma decimal, units of another dimension, unknown
    units and error-prone symbols, each with an :class:`InputError` naming ``field``.
    """
    k = KINDS[kind]
    if not isinstance(text, str):
        raise InputError("must be text to parse", field=field, value=text, allowed=k.allowed)
    _refuse_odd_text(text, field, f"{k.allowed}, e.g. {k.example}")
    m = _PATTERN.match(text)
    if not m:
        _refuse_number_text(text, field, k)
    num, unit = m.group("num"), (m.group("unit") or "").strip()
    if num.lstrip("+-").startswith("."):
        raise InputError("has a naked decimal point; write a zero before it (0.5, not .5)",
                         field=field, value=text, allowed=f"e.g. {k.example}")
    pernum, perunit = m.group("pernum"), m.group("perunit")
    if m.group("slash") and perunit is None and pernum is None:
        raise UnitError("ends with '/' but nothing follows it", field=field, value=text,
                        allowed=f"{k.allowed}, e.g. {k.example}")
    if pernum is not None and pernum.lstrip("+-").startswith("."):
        raise InputError("has a naked decimal point; write a zero before it", field=field,
                         value=text, allowed=f"e.g. {k.example}")
    if " " in unit:  # "mg capsule" and the like: two units side by side are not allowed
        raise UnitError(f"'{unit}' is not one unit", field=field, value=text, allowed=k.allowed)
    magnitude = Fraction(num)
    if k.per is None:
        if pernum is not None or perunit is not None:
            raise UnitError("a ratio was given but a single quantity is needed", field=field,
                            value=text, allowed=f"{k.allowed}, e.g. {k.example}")
        if not unit:
            raise UnitError("has no unit", field=field, value=text,
                            allowed=f"{k.allowed}, e.g. {k.example}")
        return Quantity(magnitude, _lookup(unit, k.units, field, text, k))
    # ratios: mass per volume (mg/mL, mg/5 mL) or mass per dosage unit (mg, mg/capsule)
    if not unit:
        raise UnitError("has no unit", field=field, value=text, allowed=f"{k.allowed}, e.g. {k.example}")
    top = _lookup(unit, k.units, field, text, k)
    if perunit is None and pernum is None and "" in k.per:
        return Quantity(magnitude, top / k.per[""])
    if perunit is None:
        raise UnitError(f"'{text.strip()}' is not a {k.name}", field=field, value=text,
                        allowed=f"{k.allowed}, e.g. {k.example}")
    bottom = _lookup(perunit, k.per, field, text, k)
    divisor = Fraction(pernum) if pernum is not None else Fraction(1)
    if divisor <= 0:
        raise RangeError("divides by zero or a negative amount", field=field, value=text,
                         allowed=k.allowed)
    return Quantity(magnitude / divisor, top / bottom)


def as_quantity(value: Any, field: str, kind: str) -> pint.Quantity:
    """Accept typed text or a pint quantity of the right dimension; make its magnitude exact.

    A bare number is refused: a mass without its unit is how mg turns into g.
    """
    k = KINDS[kind]
    if isinstance(value, str):
        return parse_quantity(value, field, kind)
    if isinstance(value, pint.Quantity):
        if value.dimensionality != k.dimensionality:
            if k.per is not None and k.per.get("") is not None and \
                    value.dimensionality == (1 * next(iter(k.units.values()))).dimensionality:
                value = value / k.per[""]  # "270 mg" given for a mass per capsule
            else:
                # (a dimensionality with Fraction exponents cannot be formatted: name the unit)
                raise UnitError(f"is in {value.units:~}, but a {k.name} is needed", field=field,
                                value=value, allowed=k.allowed)
        try:
            return Quantity(exact(value.magnitude), value.units)
        except (ValueError, TypeError):
            raise RangeError("is not a finite number", field=field, value=str(value),
                             allowed=k.allowed) from None
    if value is None:
        raise InputError("is missing", field=field, allowed=f"{k.allowed}, e.g. {k.example}")
    raise UnitError("has no unit", field=field, value=value, allowed=f"{k.allowed}, e.g. {k.example}")


def as_count(value: Any, field: str, unit: pint.Unit, *, minimum: int = 1,
             maximum: int | None = None) -> pint.Quantity:
    """A whole number of capsules or tablets, from an int, typed text or a quantity."""
    allowed = f"a whole number from {minimum}" + (f" to {maximum}" if maximum else "")
    typed = value  # errors show what was given, not the number parsed from it
    if isinstance(value, pint.Quantity):
        if value.units != unit:
            raise UnitError(f"must be counted in {unit:~}", field=field, value=typed, allowed=allowed)
        value = value.magnitude
    if isinstance(value, str):
        _refuse_odd_text(value, field, allowed)
        text = value.strip()
        words = {capsule: _COUNT_CAPSULE, tablet: _COUNT_TABLET}[unit]
        m = re.match(r"^([+-]?\d+(?:\.\d*)?)[ \t]*([^\s\d]*)$", text, re.ASCII)
        if not m:
            _refuse_comma(text, field, typed, allowed)
            raise InputError("is not a whole number", field=field, value=typed, allowed=allowed)
        if m.group(2) not in words:
            raise UnitError(f"'{m.group(2)}' is not a count of {unit:~}s", field=field,
                            value=typed, allowed=allowed)
        value = Fraction(m.group(1))
    if isinstance(value, bool) or value is None:
        raise InputError("is missing" if value is None else "is not a number", field=field,
                         value=typed, allowed=allowed)
    try:
        number = exact(value)
    except (ValueError, TypeError):
        raise InputError("is not a finite number", field=field, value=typed, allowed=allowed) from None
    if number.denominator != 1:
        raise RangeError("must be a whole number", field=field, value=typed, allowed=allowed)
    if number < minimum or (maximum is not None and number > maximum):
        raise RangeError("is out of range", field=field, value=typed, allowed=allowed)
    return Quantity(int(number), unit)


def as_fraction(value: Any, field: str, *, low: Fraction, high: Fraction,
                allowed: str) -> Fraction:
    """A percentage typed as "98.5%" (or a pint percent/dimensionless quantity) as an exact ratio.

    A bare number is refused: "98.5" could mean 98.5 % or 9850 %.
    """
    if isinstance(value, str):
        q = parse_quantity(value, field, "percent")
    elif isinstance(value, pint.Quantity):
        if not value.dimensionless:
            raise UnitError("must be a percentage", field=field, value=value, allowed=allowed)
        try:
            q = Quantity(exact(value.magnitude), value.units)
        except (ValueError, TypeError):
            raise RangeError("is not a finite number", field=field, value=str(value),
                             allowed=allowed) from None
    elif value is None:
        raise InputError("is missing", field=field, allowed=allowed)
    else:
        raise UnitError("needs its % sign", field=field, value=value, allowed=allowed)
    ratio = exact(q.to(dimensionless).magnitude)
    if not (low <= ratio <= high):
        raise RangeError("is out of range", field=field, value=value, allowed=allowed)
    return ratio


# --- ranges of a parsed quantity (refused by field, as the parser refuses) -----------------------

def check_positive(q: pint.Quantity, field: str, allowed: str) -> pint.Quantity:
    """``q`` when above zero; refused with ``field`` otherwise."""
    if q.magnitude <= 0:
        raise RangeError("must be greater than zero", field=field, value=q, allowed=allowed)
    return q


def check_within(q: pint.Quantity, field: str, value: Any, low: pint.Quantity, high: pint.Quantity,
                 what: str) -> pint.Quantity:
    """``q`` when ``low`` ≤ q ≤ ``high``; refused with the text typed (``value``) where it was text."""
    if not (low <= q <= high):
        raise RangeError("must be greater than zero" if q.magnitude <= 0 else "is out of range", field=field,
                         value=value if isinstance(value, str) else q,
                         allowed=f"{what} from {_shown(low)} to {_shown(high)}")
    return q


def _shown(q: pint.Quantity) -> str:
    from .display import format_quantity  # display imports nothing of the core

    return format_quantity(q)
