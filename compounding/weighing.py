"""Weighing: minimum weighable quantity (MWQ), weighing error, and aliquot (trituration) plans.

References: USP <41> Balances; UNC Pharmaceutical Compounding Lab, "Weighing" and aliquots;
Ansel's Pharmaceutical Calculations ch. 3 (aliquot method). Masses are pint quantities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pint

from .errors import CalculationError, InputError
from .units import Q, dimensionless, mg, percent

__all__ = ["entered_mwq", "MWQ_LOWEST", "MWQ_HIGHEST", "mwq_from_sensitivity", "mwq_from_scale_interval", "mwq_from_repeatability",
           "percent_error", "weighing_error", "sensitivity_from_pointer", "AliquotStage",
           "AliquotPlan", "plan_aliquot", "plan_single_stage"]


# An entered MWQ outside these is a unit slip, not a balance: the best microbalances a pharmacy
# might own (0.001 mg scale interval) have an MWQ of 0.82 mg by USP <41>; "4.5 mcg" typed for
# "4.5 mg" would silently switch off every aliquot warning.
MWQ_LOWEST = Q("0.5", mg)
MWQ_HIGHEST = Q(10000, mg)


def entered_mwq(value: Any, field: str = "mwq") -> pint.Quantity:
    """A minimum weighable quantity typed by the user, refused when no real balance has it."""
    from .units import as_quantity
    from .errors import RangeError

    q = as_quantity(value, field, "mass").to(mg)
    if not (MWQ_LOWEST <= q <= MWQ_HIGHEST):
        hint = "(mg, not mcg)" if q < MWQ_LOWEST else "(mg, not g)"
        raise RangeError(f"is not the MWQ of a compounding balance; check the unit {hint}"
                         if q.magnitude > 0 else "must be greater than zero", field=field,
                         value=value if isinstance(value, str) else q,
                         allowed="0.5 mg to 10 g, e.g. 120 mg (Class III balance) or 82 mg (0.1 mg analytical)")
    return q


def mwq_from_sensitivity(sensitivity: pint.Quantity, max_error: pint.Quantity) -> pint.Quantity:
    """MWQ [mg] = SR × 100 ÷ acceptable % error (SR 6 mg at 5 % → 120 mg)."""
    return (sensitivity / max_error.to(dimensionless)).to(mg)


def mwq_from_scale_interval(scale_interval: pint.Quantity, factor: pint.Quantity | int = 820) -> pint.Quantity:
    """USP <41>: MWQ = 820 × scale interval d, when the repeatability SD is below 0.41 d."""
    if isinstance(factor, pint.Quantity):
        factor = factor.to(dimensionless).magnitude
    return (scale_interval * factor).to(mg)


def mwq_from_repeatability(sd: pint.Quantity) -> pint.Quantity:
    """USP <41>: MWQ = 2000 × repeatability standard deviation."""
    return (sd * 2000).to(mg)


def percent_error(sensitivity: pint.Quantity, quantity_weighed: pint.Quantity) -> pint.Quantity:
    """Largest potential weighing error [%] = SR ÷ quantity weighed × 100."""
    return (sensitivity / quantity_weighed).to(percent)


def weighing_error(intended: pint.Quantity, actual: pint.Quantity) -> tuple[pint.Quantity, pint.Quantity]:
    """Error of a weighing: (|actual − intended| [mg], that as % of intended)."""
    error = abs(actual - intended).to(mg)
    return error, (error / intended).to(percent)


def sensitivity_from_pointer(test_weight: pint.Quantity, divisions: int) -> pint.Quantity:
    """The sensitivity requirement is the weight that moves the pointer one division."""
    return (test_weight / divisions).to(mg)


@dataclass(frozen=True)
class AliquotStage:
    """One dilution: weigh ``drug_to_weigh``, add ``diluent_to_add`` to make ``mixture_total``,
    then take ``aliquot_to_take``, which holds ``drug_in_aliquot`` of the material diluted.
    ``factor`` = mixture_total ÷ aliquot_to_take."""

    factor: int
    drug_to_weigh: pint.Quantity
    diluent_to_add: pint.Quantity
    mixture_total: pint.Quantity
    aliquot_to_take: pint.Quantity
    drug_in_aliquot: pint.Quantity

    def as_dict(self) -> dict:
        from .jsonout import to_jsonable

        return {k: to_jsonable(getattr(self, k)) for k in
                ("factor", "drug_to_weigh", "diluent_to_add", "mixture_total", "aliquot_to_take",
                 "drug_in_aliquot")}


@dataclass(frozen=True)
class AliquotPlan:
    """One or two stages; stage 2 dilutes stage 1's aliquot. ``required`` is what the last
    aliquot must hold; ``diluent_in_aliquot`` is the diluent carried into the batch with it."""

    required: pint.Quantity
    mwq: pint.Quantity
    stages: tuple[AliquotStage, ...]

    @property
    def final(self) -> AliquotStage:
        return self.stages[-1]

    @property
    def diluent_in_aliquot(self) -> pint.Quantity:
        return self.final.aliquot_to_take - self.required

    def as_dict(self) -> dict:
        first, final = self.stages[0], self.stages[-1]
        out = {"drug_to_weigh": first.as_dict()["drug_to_weigh"],
               "diluent_to_add": first.as_dict()["diluent_to_add"],
               "mixture_total": first.as_dict()["mixture_total"],
               "aliquot_to_take": first.as_dict()["aliquot_to_take"],
               "factor": first.factor,
               "final_aliquot_to_take": final.as_dict()["aliquot_to_take"],
               "drug_in_final_aliquot": final.as_dict()["drug_in_aliquot"]}
        if len(self.stages) > 1:
            out["stages"] = [s.as_dict() for s in self.stages]
        return out


def _stage(drug_to_weigh: pint.Quantity, factor: int, aliquot: pint.Quantity) -> AliquotStage:
    mixture = aliquot * factor
    return AliquotStage(factor, drug_to_weigh, mixture - drug_to_weigh, mixture, aliquot,
                        drug_to_weigh / factor)


def _default_aliquot(held: pint.Quantity, factor: int, mwq: pint.Quantity) -> pint.Quantity:
    """Smallest aliquot ≥ MWQ whose diluent (factor × (aliquot − held)) is also ≥ MWQ, rounded
    up to a whole mg so the amounts are weighable as written."""
    need = max(mwq, held + mwq / factor)
    whole = Fraction(math.ceil(need.to(mg).magnitude))
    return Q(whole, mg)


def plan_single_stage(required: pint.Quantity, mwq: pint.Quantity, *, factor: int | None = None,
                      aliquot: pint.Quantity | None = None) -> AliquotPlan:
    """One dilution. By default factor = ceil(MWQ ÷ required) and the smallest aliquot ≥ MWQ.

    A chosen ``factor`` or ``aliquot`` (as in a textbook problem) is checked against the rules:
    drug weighed ≥ MWQ, aliquot ≥ MWQ, and the aliquot holds exactly ``required``.
    """
    if factor is None:
        factor = math.ceil((mwq / required).to(dimensionless).magnitude)
    if factor < 1:
        raise InputError("must be a whole number of at least 1", field="factor", value=factor)
    drug = required * factor
    if drug < mwq:
        raise CalculationError(f"drug weighed ({drug.to(mg):~} ) would be below the MWQ", field="factor",
                               value=factor, allowed=f"a factor of at least {math.ceil((mwq / required).to(dimensionless).magnitude)}")
    if aliquot is None:
        aliquot = _default_aliquot(required, factor, mwq)
    if aliquot < mwq:
        raise CalculationError("the aliquot is below the balance's MWQ", field="aliquot",
                               value=aliquot, allowed=f"at least {mwq.to(mg):~}")
    if aliquot <= required:
        raise CalculationError("the aliquot must be larger than the drug it holds", field="aliquot",
                               value=aliquot)
    return AliquotPlan(required, mwq, (_stage(drug, factor, aliquot),))


def plan_aliquot(required: pint.Quantity, mwq: pint.Quantity, *, max_factor_per_stage: int = 100,
                 factor: int | None = None, aliquot: pint.Quantity | None = None) -> AliquotPlan:
    """Plan the dilution that lets ``required`` (below the MWQ) be measured.

    One stage when ceil(MWQ ÷ required) ≤ ``max_factor_per_stage``; otherwise two stages with
    factors n1 × n2 ≥ MWQ ÷ required: weigh n1·n2·required, dilute by n1, take an aliquot holding
    n2·required, dilute that by n2, and take the final aliquot holding ``required``.
    """
    needed = math.ceil((mwq / required).to(dimensionless).magnitude)
    if factor is not None or aliquot is not None or needed <= max_factor_per_stage:
        return plan_single_stage(required, mwq, factor=factor, aliquot=aliquot)
    n1 = math.isqrt(needed - 1) + 1  # ceil(sqrt(needed))
    n2 = math.ceil(needed / n1)
    if n1 > max_factor_per_stage or n2 > max_factor_per_stage:
        raise CalculationError("needs more than two dilution stages; use a stock trituration",
                               field="drug_required", value=required)
    held_1 = required * n2
    drug = required * n1 * n2
    stage1 = _stage(drug, n1, _default_aliquot(held_1, n1, mwq))
    stage2 = _stage(stage1.aliquot_to_take, n2, _default_aliquot(stage1.aliquot_to_take / n2, n2, mwq))
    stage2 = AliquotStage(n2, stage2.drug_to_weigh, stage2.diluent_to_add, stage2.mixture_total,
                          stage2.aliquot_to_take, required)
    return AliquotPlan(required, mwq, (stage1, stage2))
