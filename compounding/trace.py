"""The calculation trace: every number a result shows, with the words, formula and inputs behind it.

A result carries its trace as a tuple of :class:`Step`. Each step has a ``key`` (the one name of
that quantity everywhere: JSON, sheet, screen), the words a pharmacist reads, the formula in
words and symbols, the named inputs with their units, and the value with its unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import pint

from .display import format_number, format_quantity

__all__ = ["Step", "Trace"]


@dataclass(frozen=True)
class Step:
    key: str
    description: str
    formula: str
    inputs: tuple[tuple[str, Any], ...]
    value: Any

    def __str__(self) -> str:
        shown = ", ".join(f"{name} = {_show(v)}" for name, v in self.inputs)
        return f"{self.description}: {self.formula}" + (f" with {shown}" if shown else "") + \
            f" → {_show(self.value)}"

    def as_dict(self) -> dict[str, Any]:
        from .jsonout import to_jsonable

        return {"key": self.key, "description": self.description, "formula": self.formula,
                "inputs": {name: to_jsonable(v) for name, v in self.inputs},
                "value": to_jsonable(self.value)}


def _show(value: Any) -> str:
    if isinstance(value, pint.Quantity):
        return format_quantity(value)
    if isinstance(value, Fraction):  # a plain number (tablets equivalent, salt factor): 0.9, not 9/10
        return format_number(value)
    return str(value)


@dataclass
class Trace:
    """Collects steps while a calculation runs; ``steps`` is frozen into the result at the end."""

    steps: list[Step] = field(default_factory=list)

    def add(self, key: str, description: str, formula: str, value: Any, **inputs: Any) -> Any:
        """Record a step and return its value, so a calculation reads ``x = trace.add(...)``."""
        self.steps.append(Step(key, description, formula, tuple(inputs.items()), value))
        return value

    def note(self, key: str, description: str, value: Any) -> Any:
        """Record a value that is an input or a choice rather than a computation."""
        self.steps.append(Step(key, description, "given", (), value))
        return value

    def freeze(self) -> tuple[Step, ...]:
        return tuple(self.steps)
