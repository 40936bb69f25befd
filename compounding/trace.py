"""The calculation trace: every number a result shows, with the words, formula and inputs behind it.

A result carries its trace as a tuple of :class:`Step`. Each step has a ``key`` (the one name of
that quantity everywhere: JSON, sheet, screen), the words a pharmacist reads, the formula in
words and symbols, the named inputs with their units, and the value with its unit.

A step's words are its key's glossary label (``term(key).label``), then the case's detail in
parentheses where there is one: "Filler fill weight used (Microcrystalline cellulose, size 1,
measured)". The label is never typed at a call site, so the trace, the sheet, the JSON and the Excel
record say one name for one thing. A vehicle component (its key is its name, from vehicles.toml) is
the one exception: its words are the component's name, passed as ``label``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import pint

from .display import format_number, format_quantity
from .glossary import term

__all__ = ["Step", "Trace", "words"]


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


def words(key: str, detail: str | None = None, label: str | None = None) -> str:
    """A step's words: the glossary label of its key, then the case's detail in parentheses."""
    head = label if label is not None else term(key).label
    return f"{head} ({detail})" if detail else head


@dataclass
class Trace:
    """Collects steps while a calculation runs; ``steps`` is frozen into the result at the end."""

    steps: list[Step] = field(default_factory=list)

    def add(self, key: str, formula: str, value: Any, *, detail: str | None = None, label: str | None = None,
            **inputs: Any) -> Any:
        """Record a step and return its value, so a calculation reads ``x = trace.add(...)``. Its words are
        the key's glossary label (or ``label``, for a name that comes from data), with ``detail`` in
        parentheses."""
        self.steps.append(Step(key, words(key, detail, label), formula, tuple(inputs.items()), value))
        return value

    def note(self, key: str, value: Any, *, detail: str | None = None) -> Any:
        """Record a value that is an input or a choice rather than a computation."""
        return self.add(key, "given", value, detail=detail)

    def freeze(self) -> tuple[Step, ...]:
        return tuple(self.steps)
