"""JSON at the edge: quantities as ``{"value": number, "unit": "mg"}``, dates as ISO strings."""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction
from typing import Any

import pint

from .display import unit_symbol

__all__ = ["to_jsonable", "quantity_json"]


def quantity_json(q: pint.Quantity) -> dict[str, Any]:
    """``{"value": 4.5, "unit": "mg"}``; the unit is one pint parses back (``mcg`` → ``µg``)."""
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
