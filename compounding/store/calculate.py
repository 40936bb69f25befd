"""The core's calculation for a stored order: the keyword arguments of the core function of its kind.

A stored order is exactly what the core was called with (JSON text, dates as ISO), so the result
can be calculated again: to save a batch from lots, and to export a stored record to Excel (the
spreadsheet is built from the live result, and :func:`recalculate` proves it is the stored one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import InputError, StateError
from .record_snapshot import canonical_json

__all__ = ["calculate", "recalculate", "CORE_FUNCTIONS"]

# batch kind -> "module:function" of the core
CORE_FUNCTIONS = {"capsules": "capsules:capsule_batch", "oral_liquid": "liquids:prepare_liquid",
                  "titration": "titration:plan_titration"}


def calculate(kind: str, order: Mapping[str, Any]) -> Any:
    """The core's result of ``order`` (its keyword arguments) for a batch of ``kind``."""
    import importlib

    if kind not in CORE_FUNCTIONS:
        raise InputError("is not a preparation kind", field="kind", value=kind, allowed=", ".join(CORE_FUNCTIONS))
    module, _, name = CORE_FUNCTIONS[kind].partition(":")
    function = getattr(importlib.import_module(f"compounding.{module}"), name)
    try:
        return function(**order)
    except TypeError as exc:  # an order key the core does not take
        raise InputError(f"is not an order the calculator takes ({exc})", field="order") from None


def recalculate(kind: str, order_json: str, result_json: str) -> Any:
    """The core result of a stored order, refused unless it is byte for byte the stored result."""
    result = calculate(kind, json.loads(order_json))
    if canonical_json(result.as_dict()) != result_json:
        raise StateError("gives a different result with this version of the calculator than the one stored: "
                         "the stored record stands, but cannot be rebuilt as a live spreadsheet",
                         field="record", allowed="the calculator version and reference data the batch was saved with")
    return result
