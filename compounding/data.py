"""Reference data and master formulas, read from TOML files under ``formulas/``.

Every figure in a data file is written with its unit and its source::

    molecular_weight = { value = 377.86, unit = "g/mol", source = "USP 28 monograph" }

The loader is strict (in the manner of OpenFisca's parameter loader): an unknown key, a missing key,
a missing or wrong unit, or an impossible value raises :class:`DataError` naming the file and the
key. Schemas are small declarative dicts; :func:`check` walks a parsed file against one.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import pint

from .errors import DataError
from .units import Quantity, exact, ureg

__all__ = ["FORMULAS_DIR", "REFERENCE_DIR", "read_toml", "check", "Qty", "Text", "Number", "Flag",
           "Choice", "TableOf", "ListOf", "Optional", "figure_quantity"]

FORMULAS_DIR = Path(__file__).resolve().parent.parent / "formulas"
REFERENCE_DIR = FORMULAS_DIR / "reference"


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise DataError("file not found", field=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"is not valid TOML: {exc}", field=str(path)) from None


# --- Schema pieces: each is a callable (value, where) -> converted value, raising DataError ------

Where = str


def _fail(where: Where, message: str, value: Any = None) -> DataError:
    return DataError(message, field=where, value=value)


@dataclass(frozen=True)
class Figure:
    """A quantity from a data file together with its source."""

    quantity: pint.Quantity
    source: str


class Qty:
    """A figure ``{ value, unit, source }``; ``dimension`` like ``"[mass] / [volume]"``."""

    def __init__(self, dimension: str, *, minimum: Fraction | int | None = 0, strict_min: bool = True,
                 maximum: Fraction | int | None = None, source: bool = True) -> None:
        self.dimensionality = ureg.get_dimensionality(dimension)
        self.minimum, self.strict_min, self.maximum, self.source = minimum, strict_min, maximum, source

    def __call__(self, value: Any, where: Where) -> Figure:
        if not isinstance(value, dict):
            raise _fail(where, "must be a table { value = ..., unit = \"...\", source = \"...\" }", value)
        allowed = {"value", "unit", "source", "note"}
        unknown = set(value) - allowed
        if unknown:
            raise _fail(f"{where}.{sorted(unknown)[0]}", "unknown key", None)
        for key in ("value", "unit") + (("source",) if self.source else ()):
            if key not in value:
                raise _fail(f"{where}.{key}", "is missing")
        raw = value["value"]
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise _fail(f"{where}.value", "must be a number", raw)
        try:
            magnitude = exact(raw)
        except (ValueError, TypeError, ZeroDivisionError):
            raise _fail(f"{where}.value", "must be a finite number", raw) from None
        try:
            unit = ureg.Unit(value["unit"])
        except Exception:  # noqa: BLE001 - pint raises several kinds
            raise _fail(f"{where}.unit", "is not a known unit", value["unit"]) from None
        if unit.dimensionality != self.dimensionality:
            raise _fail(f"{where}.unit", f"must have dimension {_dimension_text(self.dimensionality)}",
                        value["unit"])
        q = Quantity(magnitude, unit)
        base = q.to_root_units().magnitude  # limits are in root units (a percent limit of 1 = 100 %)
        if self.minimum is not None and (base <= self.minimum if self.strict_min
                                         else base < self.minimum):
            raise _fail(f"{where}.value", f"must be {'>' if self.strict_min else '>='} "
                        f"{self.minimum}", raw)
        if self.maximum is not None and base > self.maximum:
            raise _fail(f"{where}.value", f"must be at most {self.maximum} ({unit:~} in root units)", raw)
        return Figure(q, str(value.get("source", "")))


def _dimension_text(dims: Any) -> str:
    """``[length] ** 3``: pint cannot format a dimensionality whose exponents are Fractions."""
    parts = [k if v == 1 else f"{k} ** {int(v) if Fraction(v).denominator == 1 else v}"
             for k, v in dict(dims).items()]
    return " * ".join(parts) or "dimensionless"


def figure_quantity(fig: Figure) -> pint.Quantity:
    return fig.quantity


class Text:
    def __init__(self, *, nonempty: bool = True) -> None:
        self.nonempty = nonempty

    def __call__(self, value: Any, where: Where) -> str:
        if not isinstance(value, str) or (self.nonempty and not value.strip()):
            raise _fail(where, "must be non-empty text", value)
        return value


class Number:
    def __init__(self, *, minimum: float | None = None, maximum: float | None = None,
                 integer: bool = False) -> None:
        self.minimum, self.maximum, self.integer = minimum, maximum, integer

    def __call__(self, value: Any, where: Where) -> Fraction:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(where, "must be a number", value)
        if self.integer and not isinstance(value, int):
            raise _fail(where, "must be a whole number", value)
        v = exact(value)
        if (self.minimum is not None and v < self.minimum) or (self.maximum is not None and v > self.maximum):
            raise _fail(where, f"must be between {self.minimum} and {self.maximum}", value)
        return v


class Flag:
    def __call__(self, value: Any, where: Where) -> bool:
        if not isinstance(value, bool):
            raise _fail(where, "must be true or false", value)
        return value


class Choice:
    def __init__(self, *choices: str) -> None:
        self.choices = choices

    def __call__(self, value: Any, where: Where) -> str:
        if value not in self.choices:
            raise _fail(where, f"must be one of {', '.join(self.choices)}", value)
        return value


class Optional:
    """Marks a key as optional in a table schema; ``default`` is used when it is absent."""

    def __init__(self, inner: Callable[[Any, Where], Any], default: Any = None) -> None:
        self.inner, self.default = inner, default

    def __call__(self, value: Any, where: Where) -> Any:
        return self.inner(value, where)


class ListOf:
    def __init__(self, item: Callable[[Any, Where], Any], *, nonempty: bool = True) -> None:
        self.item, self.nonempty = item, nonempty

    def __call__(self, value: Any, where: Where) -> tuple:
        if not isinstance(value, list) or (self.nonempty and not value):
            raise _fail(where, "must be a non-empty list" if self.nonempty else "must be a list", value)
        return tuple(self.item(v, f"{where}[{i}]") for i, v in enumerate(value))


class TableOf:
    """A table with named keys (``fields``), or any keys whose values follow ``values``."""

    def __init__(self, fields: dict[str, Any] | None = None, *, values: Any = None,
                 nonempty: bool = True) -> None:
        self.fields, self.values, self.nonempty = fields, values, nonempty

    def __call__(self, value: Any, where: Where) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _fail(where, "must be a table", value)
        prefix = f"{where}." if where else ""
        if self.values is not None:
            if self.nonempty and not value:
                raise _fail(where, "must not be empty")
            return {k: self.values(v, f"{prefix}{k}") for k, v in value.items()}
        assert self.fields is not None
        unknown = [k for k in value if k not in self.fields]
        if unknown:
            raise _fail(f"{prefix}{unknown[0]}", f"unknown key (allowed: {', '.join(self.fields)})")
        out: dict[str, Any] = {}
        for key, spec in self.fields.items():
            if key not in value:
                if isinstance(spec, Optional):
                    out[key] = spec.default
                    continue
                raise _fail(f"{prefix}{key}", "is missing")
            out[key] = spec(value[key], f"{prefix}{key}")
        return out


def check(path: Path, schema: TableOf) -> dict[str, Any]:
    """Read ``path`` and check it against ``schema``; errors name ``file: key``."""
    raw = read_toml(path)
    try:
        return schema(raw, "")
    except DataError as exc:
        raise DataError(exc.message, field=f"{path.name}: {exc.field}" if exc.field else path.name,
                        value=exc.value, allowed=exc.allowed) from None
