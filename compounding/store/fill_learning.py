"""A filler lot's fill weight learned from a released capsule batch's weight check.

Method (domain §5, packing-statistic method; §7 weight check). The capsules of the batch were
filled level-full from the blend, so the mean net fill weight M (mean of gross − shell of every
capsule weighed, exact) is what one capsule of that size holds of the blend. In the core's
packing-statistic method a capsule holds PS_filler of filler less what the drug displaces:

    filler per capsule = PS_filler − d × PS_filler ÷ PS_drug      (d: drug powder per capsule)
    M = d + filler per capsule

* without the drug's own fill weight (displacement factor 1, what the core assumes then):
  M = d + PS_filler − d, so **PS_filler = M**;
* with it: **PS_filler = (M − d) ÷ (1 − d ÷ PS_drug)**.

The proposal is rounded half-up to 0.01 mg (a hundredth of the finest balance step a weight check
uses), once, as the figure to store. A pharmacist approves it; the next calculation from that lot
uses it. The batch's own record is not touched: it keeps the fill weight it was calculated with.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pint

from ..display import round_half_up
from ..errors import StateError
from ..qc import required_count
from ..units import Q, capsule, mg

__all__ = ["FillWeightProposal", "propose", "PLACES"]

PLACES = 2  # mg decimals of a learned fill weight


@dataclass(frozen=True)
class FillWeightProposal:
    batch: str  # lot number of the released batch it is learned from
    filler_lot_id: int
    filler_lot: str  # supplier lot
    capsule_size: str
    capsules_weighed: int
    mean_net_fill: pint.Quantity  # exact
    drug_powder_per_capsule: pint.Quantity  # exact, d
    api_fill_weight: pint.Quantity | None  # PS_drug, when the batch was calculated with it
    current: pint.Quantity | None  # the lot's fill weight for this size now
    proposed: pint.Quantity  # rounded to 0.01 mg
    method: str  # the formula, in words

    def as_dict(self) -> dict[str, Any]:
        from ..jsonout import to_jsonable

        return {k: to_jsonable(getattr(self, k)) for k in self.__dataclass_fields__}


def propose(*, batch: str, status: str, result: Any, weights: tuple[pint.Quantity, ...], filler_lot: Any) -> \
        FillWeightProposal:
    """The proposal from a released batch (``result``: its recalculated CapsuleBatch)."""
    if status != "released":
        raise StateError(f"is {status}: a fill weight is learned only from a released batch", field="status",
                         value=status, allowed="released")
    needed = required_count(int(result.capsules_to_make.magnitude))
    if len(weights) < needed:
        raise StateError(f"has {len(weights)} capsule weight(s) recorded; the weight check needs {needed}",
                         field="capsule_weights", value=len(weights), allowed=f"at least {needed}")
    mean = Q(sum((Fraction(w.to(mg).magnitude) for w in weights), Fraction(0)) / len(weights), mg)
    d = _mg_per_capsule(result.drug_powder_per_capsule)
    ps_drug = None if result.api_fill_weight is None else _mg_per_capsule(result.api_fill_weight)
    if ps_drug is None:
        ps, method = mean, "PS_filler = mean net fill (displacement factor 1: the drug displaces its own mass)"
    else:
        ps = (mean - d) / (1 - (d / ps_drug).to("dimensionless").magnitude)
        method = "PS_filler = (mean net fill − drug powder per capsule) ÷ (1 − drug powder ÷ PS_drug)"
    proposed = Q(Fraction(round_half_up(Fraction(ps.to(mg).magnitude), PLACES)), mg)
    return FillWeightProposal(batch, filler_lot.id, filler_lot.supplier_lot, result.capsule_size, len(weights),
                              mean, d, ps_drug, filler_lot.fill_weights.get(result.capsule_size), proposed, method)


def _mg_per_capsule(q: pint.Quantity) -> pint.Quantity:
    """mg (a per-capsule quantity of the core, "mg/capsule", as a plain mass per capsule)."""
    per = q.to(mg / capsule) if "[capsule_count]" in str(q.dimensionality) else q.to(mg)
    return Q(Fraction(per.magnitude), mg)
