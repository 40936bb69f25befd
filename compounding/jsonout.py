"""JSON at the edge: quantities as ``{"value": number, "unit": "mg"}``, dates as ISO strings."""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction
from typing import Any

import pint

from .display import unit_symbol

__all__ = ["to_jsonable", "quantity_json"]


_COUNTS = ("[capsule_count]", "[tablet_count]")


def quantity_json(q: pint.Quantity) -> Any:
    """``{"value": 4.5, "unit": "mg"}``, with a unit any pint registry parses back.

    Capsule and tablet counts are this program's own dimensions, so they leave as plain integers,
    and a mass per capsule leaves as a mass (the key says what it is per: ``fill_weight_per_capsule``).
    """
    dims = q.dimensionality
    counts = [d for d in _COUNTS if dims.get(d)]
    if counts:
        if len(dims) == 1 and dims[counts[0]] == 1:
            return to_jsonable(q.magnitude)
        for d in counts:
            unit = q._REGISTRY.Unit(d.strip("[]").removesuffix("_count"))
            q = q * (1 * unit) ** (-dims[d])
    symbol = unit_symbol(q.units).replace("mcg", "µg")
    magnitude = q.magnitude
    if isinstance(magnitude, Fraction):
        magnitude = int(magnitude) if magnitude.denominator == 1 else float(magnitude)
    return {"value": magnitude, "unit": symbol}


def to_jsonable(value: Any) -> Any:
    if isinstance(value, pint.Quantity):
        return quantity_json(value)
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "as_dict"):
            return value.as_dict()
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value
