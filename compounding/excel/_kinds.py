"""The interface every kind of Excel record offers (capsules, liquid, titration), through which the
export and :mod:`compounding.verify` work: nothing else of a kind's module is used from outside."""

from __future__ import annotations

import importlib
from typing import Any, Mapping, Protocol

__all__ = ["RecordKind", "MODULES", "kind_module"]


class RecordKind(Protocol):
    KIND: str

    def sections(self, result: Any, **options: Any) -> list:
        """The named lines of the *Calculations* sheet (inputs, live formulas, the core's values)."""

    def recompute(self, values: Mapping[str, Any]) -> Any:
        """The core's result for the inputs read back from a record's named cells."""

    def options(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Export options the record's cells carry (the liquid label's patient dose)."""

    def build(self, wb: Any, result: Any, record: Any, **options: Any) -> str:
        """Fill a fresh workbook with the record; returns its SHA-256."""


MODULES = {"capsules": "_capsules", "liquid": "_liquid", "titration": "_titration"}


def kind_module(kind: str) -> RecordKind:
    return importlib.import_module(f".{MODULES[kind]}", __package__)  # type: ignore[return-value]
