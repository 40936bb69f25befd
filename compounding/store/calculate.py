"""The core's calculation for a stored order, so a stored result can be calculated again: to save a
batch from lots, and to export a stored record to Excel (the spreadsheet is built from the live
result, and :func:`recalculate` proves it is the stored one).

A stored order has one of two forms:

* the core's order JSON ``{"kind": …, "fields": {…}}`` (:mod:`compounding.orders`; what an order
  object is stored as: worklist drafts, the app's "Save as batch", ``Store.create_batch_from_lots``),
  calculated by
  :func:`compounding.orders.compute`; its kind must be the batch's;
* the older keyword form: the keyword arguments of the core function of the batch's kind (JSON
  text, dates as ISO), as earlier records hold it (batches saved from lots before they stored
  order JSON, and callers that pass keyword dicts): still read, rebuilt and exported.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import InputError, StateError
from .record_snapshot import canonical_json

__all__ = ["calculate", "recalculate", "order_object", "is_order_json", "CORE_FUNCTIONS"]

# batch kind -> "module:function" of the core
CORE_FUNCTIONS = {"capsules": "capsules:capsule_batch", "oral_liquid": "liquids:prepare_liquid",
                  "titration": "titration:plan_titration"}


def is_order_json(order: Any) -> bool:
    """Whether a stored order is the core's order JSON (else the keyword form). No core function takes
    a ``fields`` argument, so the two forms cannot be mistaken for each other."""
    return isinstance(order, Mapping) and set(order) == {"kind", "fields"}


def calculate(kind: str, order: Any) -> Any:
    """The core's result of ``order`` (an order object, its JSON, or keyword arguments) for a batch of ``kind``."""
    import importlib

    if kind not in CORE_FUNCTIONS:
        raise InputError("is not a preparation kind", field="kind", value=kind, allowed=", ".join(CORE_FUNCTIONS))
    if hasattr(order, "to_json"):
        order = order.to_json()
    if is_order_json(order):
        return _compute(kind, order)
    module, _, name = CORE_FUNCTIONS[kind].partition(":")
    function = getattr(importlib.import_module(f"compounding.{module}"), name)
    try:
        return function(**order)
    except TypeError as exc:  # an order key the core does not take
        raise InputError(f"is not an order the calculator takes ({exc})", field="order") from None


def order_object(kind: str, fields: Mapping[str, Any]) -> Any:
    """The core's order of ``kind`` from typed fields (text, or JSON-ready values such as ISO dates):
    a field the order does not have is refused naming it."""
    from ..orders import ORDER_KINDS

    if kind not in ORDER_KINDS:
        raise InputError("is not a preparation kind", field="kind", value=kind, allowed=", ".join(ORDER_KINDS))
    return ORDER_KINDS[kind].from_text(**fields)


def _compute(kind: str, order: Mapping[str, Any]) -> Any:
    from ..orders import compute, order_from_json

    if order["kind"] != kind:  # a liquid's order on a capsule batch is a broken record, not a liquid
        raise InputError(f"is the order of a {order['kind']} preparation, stored on a {kind} batch", field="kind",
                         value=order["kind"], allowed=kind)
    return compute(order_from_json(order))


def recalculate(kind: str, order_json: str, result_json: str) -> Any:
    """The core result of a stored order, refused unless it is byte for byte the stored result."""
    result = calculate(kind, json.loads(order_json))
    if canonical_json(result.as_dict()) != result_json:
        raise StateError("gives a different result with this version of the calculator than the one stored: "
                         "the stored record stands, but cannot be rebuilt as a live spreadsheet",
                         field="record", allowed="the calculator version and reference data the batch was saved with")
    return result
