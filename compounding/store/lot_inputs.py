"""A calculation started from ingredient lots: the core's inputs come from the lots, not retyped.

* API powder lot → ``source="api"``, ``api_form`` (its salt form), ``potency_basis``, and the
  certificate's ``assay`` and ``water`` when it gave them (the core works out the as-is potency,
  domain §8b), else its as-is ``potency``.
* 50 mg tablet lot → ``source="tablets"`` and its measured ``tablet_weight``.
* Filler lot (capsules) → ``filler`` and, when the lot has one for the chosen ``capsule_size``, its
  measured ``fill_weight`` (a packing statistic beats the table, domain §5).
* Every lot → ``component_expiries``: the core caps the beyond-use date at the earliest one
  (USP <795>, domain §4).

A lot that is not released (quarantined, rejected) or has expired by the compounding date is
refused, naming the field it was chosen in (``api_lot``, ``tablet_lot``, ``filler_lot``,
``vehicle_lots``). The inputs are JSON-ready text, so they go into the stored order as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InputError, StateError
from .columns import fraction_text
from .views import LotView

__all__ = ["LotInputs", "LOT_FIELDS", "inputs_from_lots", "merge_order"]

# the field a lot is chosen in -> the kind of lot it must be
LOT_FIELDS = {"api_lot": "api", "tablet_lot": "tablets", "filler_lot": "filler", "vehicle_lots": "vehicle"}
_KIND_NAMES = {"api": "an API powder lot", "tablets": "a 50 mg tablet lot", "filler": "a filler lot",
               "vehicle": "a vehicle lot"}


@dataclass(frozen=True)
class LotInputs:
    """What the chosen lots give a calculation."""

    inputs: dict[str, Any]  # keyword arguments of capsule_batch / prepare_liquid
    lot_ids: tuple[int, ...]  # to record on the batch (create_batch(ingredient_lots=…))
    lots: tuple[LotView, ...]
    notes: tuple[str, ...] = ()  # what the pharmacist should know (e.g. no fill weight for this size)


def _percent(q: Any) -> str:
    return f"{fraction_text(q.to('percent').magnitude)}%"


def _mg(q: Any) -> str:
    return f"{fraction_text(q.to('mg').magnitude)} mg"


def check_usable(field: str, lot: LotView, on: dt.date) -> None:
    """A lot chosen in ``field`` must be of the field's kind, released, and not expired on ``on``."""
    kind = LOT_FIELDS[field]
    if lot.kind != kind:
        raise InputError(f"is {_KIND_NAMES[lot.kind]} ({lot.supplier_lot}), not {_KIND_NAMES[kind]}", field=field,
                         value=lot.supplier_lot, allowed=_KIND_NAMES[kind])
    if lot.status != "released":
        raise StateError(f"is {lot.status}: only a released lot can be used ({lot.supplier} {lot.supplier_lot})",
                         field=field, value=lot.supplier_lot, allowed="a released lot")
    if lot.expiry < on:
        raise StateError(f"expired on {lot.expiry.isoformat()}, before the compounding date {on.isoformat()} "
                         f"({lot.supplier} {lot.supplier_lot})", field=field, value=lot.supplier_lot,
                         allowed=f"a lot expiring on {on.isoformat()} or later")


def inputs_from_lots(lots: Mapping[str, Any], *, kind: str, on: dt.date,
                     capsule_size: str | None = None) -> LotInputs:
    """The core's inputs from ``lots`` ({"api_lot": LotView, "filler_lot": …, "vehicle_lots": [LotView]})."""
    chosen = [(f, lot) for f, v in lots.items() if v is not None
              for lot in (v if f == "vehicle_lots" else [v])]
    for field, lot in chosen:
        if field not in LOT_FIELDS:
            raise TypeError(f"unexpected lot field {field!r}")
        check_usable(field, lot, on)
    by_field = {f: lot for f, lot in chosen if f != "vehicle_lots"}
    if "api_lot" in by_field and "tablet_lot" in by_field:
        raise InputError("is given with an API lot: a batch is made from API powder or from tablets, not both",
                         field="tablet_lot", value=by_field["tablet_lot"].supplier_lot, allowed="leave one out")
    if kind != "capsules" and "filler_lot" in by_field:
        raise InputError("applies to capsules only", field="filler_lot", value=by_field["filler_lot"].supplier_lot)
    inputs: dict[str, Any] = {}
    notes: list[str] = []
    if "api_lot" in by_field:
        inputs.update(_api_inputs(by_field["api_lot"]))
    if "tablet_lot" in by_field:
        inputs.update(source="tablets", tablet_weight=_mg(by_field["tablet_lot"].tablet_weight))
    if "filler_lot" in by_field:
        inputs.update(_filler_inputs(by_field["filler_lot"], capsule_size, notes))
    elif capsule_size is not None:
        inputs["capsule_size"] = capsule_size
    if chosen:
        inputs["component_expiries"] = sorted({lot.expiry.isoformat() for _, lot in chosen})
    ids = tuple(dict.fromkeys(lot.id for _, lot in chosen))
    return LotInputs(inputs, ids, tuple(lot for _, lot in chosen), tuple(notes))


def _api_inputs(lot: LotView) -> dict[str, Any]:
    out: dict[str, Any] = {"source": "api", "api_form": lot.salt_form}
    if lot.assay is not None:
        out.update(assay=_percent(lot.assay), water=_percent(lot.water))
    else:
        out["potency"] = _percent(lot.potency)
    if lot.potency_basis is not None:
        out["potency_basis"] = lot.potency_basis
    return out


def _filler_inputs(lot: LotView, capsule_size: str | None, notes: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"filler": lot.material}
    if capsule_size is None:
        if lot.fill_weights:
            raise InputError("is needed to take the filler lot's measured fill weight", field="capsule_size",
                             allowed=", ".join(lot.fill_weights))
        return out
    out["capsule_size"] = capsule_size
    if capsule_size in lot.fill_weights:
        out["fill_weight"] = _mg(lot.fill_weights[capsule_size])
    else:
        notes.append(f"Filler lot {lot.supplier_lot} has no measured fill weight for size {capsule_size}: "
                     "the calculation uses the reference estimate.")
    return out


def merge_order(order: Mapping[str, Any], lot_inputs: LotInputs) -> dict[str, Any]:
    """The order with the lots' inputs; a value typed for what a lot already gives is refused."""
    merged = dict(order)
    for key, value in lot_inputs.inputs.items():
        if key == "capsule_size" and merged.get(key) in (None, value):
            merged[key] = value
            continue
        if merged.get(key) not in (None, "", [], ()):
            if key == "component_expiries":
                merged[key] = sorted({*map(str, merged[key]), *value})
                continue
            raise InputError("comes from the chosen ingredient lot: leave it out (no retyping)", field=key,
                             value=merged[key], allowed=f"{value} (from the lot)")
        merged[key] = value
    return merged
