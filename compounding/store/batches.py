"""Pure pieces of a batch record: weight verdicts against the stored targets, the batch quantity,
the audit summary of a batch, and the hash of what a signature signs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from fractions import Fraction
from functools import lru_cache
from typing import Any

import pint
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError
from ..units import Q, exact
from . import validate
from .columns import fraction_text, unit_of
from .models import ActualWeight, Allocation, Batch, BatchIngredientLot, CapsuleWeight, IngredientLot
from .record_snapshot import canonical_json, sha256_text

__all__ = ["weight_spec", "planned_weighing", "actual_weighings", "PLAN_WEIGHING", "verdict", "batch_total", "summary", "content_hash", "quantity_text", "TOLERANCE_RANGE"]

TOLERANCE_RANGE = (Fraction(1, 1000), Fraction(20, 100))  # 0.1 % to 20 % of the target
_MASS_UNITS = {"mg", "g", "µg", "mcg", "kg"}


def quantity_text(q: pint.Quantity) -> str:
    """Exact text of a stored quantity ("411.5 mg", "5 %"), for hashes and audit values."""
    return f"{fraction_text(exact(q.magnitude))} {_symbol(q.units)}"


@lru_cache(maxsize=None)
def _symbol(units: pint.Unit) -> str:
    return f"{units:~}"  # pint formats slowly: once per unit


def verdict(target: pint.Quantity, actual: pint.Quantity, tolerance: pint.Quantity) -> str:
    """under / within / over: |actual − target| ≤ tolerance × target is within (exact)."""
    allowed = target * tolerance.to("dimensionless").magnitude
    if actual < target - allowed:
        return "under"
    if actual > target + allowed:
        return "over"
    return "within"


# The result's weighed amounts that the weighing plan puts on the balance (weighing key of `weighings`):
# the bench is told the plan's amount (at the balance's readability), so that is the target.
PLAN_WEIGHING = {"api_to_weigh": "drug", "tablet_powder_to_weigh": "drug", "filler_to_weigh": "filler",
                 "filler_to_add": "filler"}


def weight_spec(result: Mapping[str, Any], *, step: Any, actual: Any, tolerance: Any) -> dict[str, Any]:
    """A weight entry checked against the target of ``step``: the weighing plan's amount when the
    result weighs that step (``weighings``), else ``result[step]`` (the amount the calculation gave)."""
    steps = sorted(k for k, v in result.items() if _is_mass(v))
    if step not in steps:
        raise InputError("is not a weighed quantity of this batch's result", field="step", value=step,
                         allowed=", ".join(steps))
    actual_q = validate.positive_mass(actual, "actual")
    tol = validate.percentage(tolerance, "tolerance", low=TOLERANCE_RANGE[0], high=TOLERANCE_RANGE[1],
                              allowed="0.1% to 20% of the target, e.g. 5%")
    target = _mass(planned_weighing(result, step) or result[step])
    return {"step": step, "target": target, "actual": actual_q, "tolerance": tol,
            "verdict": verdict(target, actual_q, tol)}


def planned_weighing(result: Mapping[str, Any], step: str) -> Mapping[str, Any] | None:
    """The amount the weighing plan tells the bench to weigh for ``step`` (JSON mass), or None."""
    key = PLAN_WEIGHING.get(step)
    drug_step = "tablet_powder_to_weigh" if result.get("source") == "tablets" else "api_to_weigh"
    if key == "drug" and step != drug_step or step == "filler_to_weigh" and result.get("aliquot"):
        return None  # not one weighing: the other source's amount, or filler added plus aliquot diluent
    for w in result.get("weighings") or ():
        if isinstance(w, Mapping) and w.get("key") == key and _is_mass(w.get("amount")):
            return w["amount"]
    return None


def actual_weighings(result: Mapping[str, Any], weights: Iterable[Any]) -> dict[str, pint.Quantity]:
    """Recorded actual weights by weighing key (``drug``, ``filler``): what ``capsules.recalculate`` takes."""
    out = {}
    for w in weights:
        if planned_weighing(result, w.step) is not None:
            out[PLAN_WEIGHING[w.step]] = w.actual
    return out


def _mass(value: Mapping[str, Any]) -> pint.Quantity:
    unit = unit_of(value["unit"].replace("µg", "mcg"))
    return Q(Fraction(repr(value["value"])), unit).to(unit_of("mg"))


def _is_mass(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("unit") in _MASS_UNITS and \
        isinstance(value.get("value"), (int, float)) and not isinstance(value.get("value"), bool)


def batch_total(result_json: str) -> int | None:
    """How much a batch makes, in the unit allocations count: capsules, or mL of liquid (None: unknown)."""
    result = json.loads(result_json)
    if isinstance(result.get("capsules_to_make"), int):
        return result["capsules_to_make"]
    volume = result.get("final_volume")
    if isinstance(volume, Mapping) and volume.get("unit") == "mL":
        return int(volume["value"])
    return None


def summary(batch: Batch) -> dict[str, Any]:
    """What the audit trail records about a new batch (the snapshot itself is covered by its hash)."""
    return {"lot_number": batch.lot_number, "kind": batch.kind, "status": batch.status,
            "strength": batch.strength, "record_hash": batch.record_hash, "engine_version": batch.engine_version,
            "reference_hash": batch.reference_hash}


def content_hash(s: Session, batch: Batch) -> str:
    """SHA-256 of what a signature signs: the record identity, ingredient lots, weights, allocations (but
    those made from released stock afterwards) and the capsule weight check."""
    s.flush()
    lots = s.execute(select(IngredientLot).join(BatchIngredientLot)
                     .where(BatchIngredientLot.batch_id == batch.id).order_by(IngredientLot.id)).scalars()
    weights = s.execute(select(ActualWeight).where(ActualWeight.batch_id == batch.id)
                        .order_by(ActualWeight.step)).scalars()
    # stock allocated after release was not signed (and cannot have been): it is in the audit trail
    allocations = s.execute(select(Allocation).where(Allocation.batch_id == batch.id,
                                                     Allocation.after_release.is_(False))
                            .order_by(Allocation.id)).scalars()
    capsules = s.execute(select(CapsuleWeight.net_weight).where(CapsuleWeight.batch_id == batch.id)
                         .order_by(CapsuleWeight.position)).scalars()
    q = lambda v: None if v is None else quantity_text(v)  # noqa: E731
    content = {
        **summary(batch), "status": None, "amends_id": batch.amends_id,
        "ingredient_lots": [{"kind": x.kind, "material": x.material, "supplier": x.supplier,
                             "supplier_lot": x.supplier_lot, "expiry": x.expiry.isoformat(),
                             "potency": q(x.potency), "salt_form": x.salt_form, "potency_basis": x.potency_basis,
                             "tablet_weight": q(x.tablet_weight)} for x in lots],
        "weights": [{"step": w.step, "target": q(w.target), "actual": q(w.actual), "tolerance": q(w.tolerance),
                     "verdict": w.verdict} for w in weights],
        # a prescriber only when recorded: what was signed before the column existed hashes as it did
        "allocations": [{"anticipatory": a.anticipatory, "patient": a.patient, "rx_number": a.rx_number,
                         "quantity": a.quantity, **({"prescriber": a.prescriber} if a.prescriber else {})}
                        for a in allocations],
        "capsule_weights": [q(w) for w in capsules],
    }
    return sha256_text(canonical_json(content))
