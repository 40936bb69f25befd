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
from .units import Q, dimensionless, exact, mg, percent

__all__ = ["entered_mwq", "MWQ_LOWEST", "MWQ_HIGHEST", "mwq_from_sensitivity", "mwq_from_scale_interval", "mwq_from_repeatability",
           "percent_error", "weighing_error", "sensitivity_from_pointer", "AliquotStage",
           "AliquotPlan", "plan_aliquot", "plan_single_stage", "round_to", "weighable", "WEIGHING_KEYS",
           "stage_keys", "Weighing", "BlendTarget", "BlendOutcome", "follow_blend", "blend_outcome",
           "acceptable_window", "plan_blend", "BlendPlan"]


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

    ``factor`` is the planned dilution. In an exact plan mixture_total = factor × aliquot_to_take;
    in a plan rounded to a balance's readability the diluent is worked out from the drug as
    weighed, so the ratio is near the factor and ``drug_in_aliquot`` is what the rounded
    weighings really put in the aliquot."""

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
    aliquot must hold; ``diluent_in_aliquot`` is the diluent carried into the batch with it.
    ``readability`` is the balance step every amount was rounded to (None: an exact plan)."""

    required: pint.Quantity
    mwq: pint.Quantity
    stages: tuple[AliquotStage, ...]
    readability: pint.Quantity | None = None

    @property
    def final(self) -> AliquotStage:
        return self.stages[-1]

    @property
    def diluent_in_aliquot(self) -> pint.Quantity:
        return self.final.aliquot_to_take - self.final.drug_in_aliquot

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


# --- Rounding to a balance's readability ----------------------------------------------------------

def round_to(amount: pint.Quantity, step: pint.Quantity, how: str = "nearest") -> pint.Quantity:
    """``amount`` as a whole number of ``step`` [mg]: nearest (halves up), ``"up"`` or ``"down"``."""
    n = exact((amount / step).to(dimensionless).magnitude)
    k = {"nearest": math.floor(n + Fraction(1, 2)), "up": math.ceil(n), "down": math.floor(n)}[how]
    return (step * k).to(mg)


def weighable(amount: pint.Quantity, readability: pint.Quantity, mwq: pint.Quantity) -> pint.Quantity:
    """``amount`` rounded to the balance's readability; an amount at or above the MWQ never
    rounds below it (then it is the first step at or above the MWQ)."""
    w = round_to(amount, readability)
    if amount >= mwq > w:
        w = round_to(mwq, readability, "up")
    return w


def _aliquot_step(readability: pint.Quantity | None) -> pint.Quantity:
    """Aliquot sizes are whole mg (easy to write and weigh), or whole steps of a coarser balance."""
    if readability is None or readability <= Q(1, mg):
        step = readability or Q(1, mg)
        return step * math.ceil((Q(1, mg) / step).to(dimensionless).magnitude)
    return readability.to(mg)


def _dilute(material: pint.Quantity, held: pint.Quantity, wanted: pint.Quantity, factor: int,
            mwq: pint.Quantity, readability: pint.Quantity | None, aliquot: pint.Quantity | None = None,
            plan_mwq: pint.Quantity | None = None) -> AliquotStage:
    """Dilute ``material`` (holding ``held`` of drug powder) so that an aliquot holds ``wanted``.

    The aliquot is at least the MWQ and large enough that the diluent, held × aliquot ÷ wanted −
    material, is at least the MWQ too. Rounded to a readability, the diluent is worked out from
    the material as weighed, so the rounding of an earlier weighing is corrected here, and the
    drug in the aliquot is what these rounded amounts hold.
    """
    plan_mwq = plan_mwq or mwq
    if aliquot is None:
        need = max(plan_mwq, wanted * (plan_mwq + material) / held)
        aliquot = round_to(need, _aliquot_step(readability), "up")
    total = held * aliquot / wanted  # the mixture in which `aliquot` holds exactly `wanted`
    if readability is None:
        return AliquotStage(factor, material, total - material, total, aliquot, wanted)
    diluent = weighable(total - material, readability, mwq)
    total = material + diluent
    return AliquotStage(factor, material, diluent, total, aliquot, held * aliquot / total)


def _first_weighing(drug: pint.Quantity, mwq: pint.Quantity, readability: pint.Quantity | None) -> pint.Quantity:
    return drug if readability is None else weighable(drug, readability, mwq)


def plan_single_stage(required: pint.Quantity, mwq: pint.Quantity, *, factor: int | None = None,
                      aliquot: pint.Quantity | None = None, readability: pint.Quantity | None = None,
                      plan_mwq: pint.Quantity | None = None) -> AliquotPlan:
    """One dilution. By default factor = ceil(MWQ ÷ required) and the smallest aliquot ≥ MWQ.

    A chosen ``factor`` or ``aliquot`` (as in a textbook problem) is checked against the rules:
    drug weighed ≥ MWQ, aliquot ≥ MWQ, and the aliquot holds exactly ``required``. With a
    ``readability``, every amount is a whole number of its steps (see :func:`_dilute`);
    ``plan_mwq`` (≥ MWQ) plans as if the balance's MWQ were larger, for a larger factor.
    """
    least = math.ceil(((plan_mwq or mwq) / required).to(dimensionless).magnitude)
    if factor is None:
        factor = least
    if factor < 1:
        raise InputError("must be a whole number of at least 1", field="factor", value=factor)
    drug = required * factor
    if drug < mwq:
        raise CalculationError(f"drug weighed ({drug.to(mg):~} ) would be below the MWQ", field="factor",
                               value=factor, allowed=f"a factor of at least {math.ceil((mwq / required).to(dimensionless).magnitude)}")
    if aliquot is not None and aliquot < mwq:
        raise CalculationError("the aliquot is below the balance's MWQ", field="aliquot",
                               value=aliquot, allowed=f"at least {mwq.to(mg):~}")
    if aliquot is not None and aliquot <= required:
        raise CalculationError("the aliquot must be larger than the drug it holds", field="aliquot",
                               value=aliquot)
    drug = _first_weighing(drug, mwq, readability)
    stage = _dilute(drug, drug, required, factor, mwq, readability, aliquot, plan_mwq)
    return AliquotPlan(required, mwq, (stage,), readability)


def plan_aliquot(required: pint.Quantity, mwq: pint.Quantity, *, max_factor_per_stage: int = 100,
                 factor: int | None = None, aliquot: pint.Quantity | None = None,
                 readability: pint.Quantity | None = None, plan_mwq: pint.Quantity | None = None) -> AliquotPlan:
    """Plan the dilution that lets ``required`` (below the MWQ) be measured.

    One stage when ceil(MWQ ÷ required) ≤ ``max_factor_per_stage``; otherwise two stages with
    factors n1 × n2 ≥ MWQ ÷ required: weigh n1·n2·required, dilute by n1, take an aliquot holding
    n2·required, dilute that by n2, and take the final aliquot holding ``required``.

    Without ``readability`` the plan is exact (the textbook answer). With it, each amount is a
    whole number of the balance's steps and each diluent is worked out from the amounts before
    it as weighed, so the final aliquot holds ``required`` within the rounding of the diluents.
    """
    needed = math.ceil(((plan_mwq or mwq) / required).to(dimensionless).magnitude)
    if factor is not None or aliquot is not None or needed <= max_factor_per_stage:
        return plan_single_stage(required, mwq, factor=factor, aliquot=aliquot, readability=readability,
                                 plan_mwq=plan_mwq)
    n1 = math.isqrt(needed - 1) + 1  # ceil(sqrt(needed))
    n2 = math.ceil(needed / n1)
    if n1 > max_factor_per_stage or n2 > max_factor_per_stage:
        raise CalculationError("needs more than two dilution stages; use a stock trituration",
                               field="drug_required", value=required)
    drug = _first_weighing(required * n1 * n2, mwq, readability)
    stage1 = _dilute(drug, drug, required * n2, n1, mwq, readability, plan_mwq=plan_mwq)
    stage2 = _dilute(stage1.aliquot_to_take, stage1.drug_in_aliquot, required, n2, mwq, readability,
                     plan_mwq=plan_mwq)
    return AliquotPlan(required, mwq, (stage1, stage2), readability)


# --- The weighings of a powder blend, and the batch they make -----------------------------------
#
# A weighing key names one amount put on the balance, the same in JSON, sheets and the CLI's
# --actual-<key> options: drug (the drug powder: API or crushed tablets; an aliquot plan's first
# weighing), diluent / diluent_2 (filler added in aliquot stage 1 / 2), aliquot / aliquot_2 (the
# aliquot taken in stage 1 / 2), filler (filler added to the blend).

WEIGHING_KEYS = ("drug", "diluent", "aliquot", "diluent_2", "aliquot_2", "filler")


def stage_keys(stage: int) -> tuple[str, str]:
    """The (diluent, aliquot) weighing keys of aliquot stage 1 or 2."""
    suffix = "" if stage == 1 else f"_{stage}"
    return f"diluent{suffix}", f"aliquot{suffix}"


@dataclass(frozen=True)
class Weighing:
    """One amount to put on the balance: ``amount`` is a whole number of ``readability`` steps;
    ``low``-``high`` is the window of actual weights that keeps the batch within its limits
    (every other weighing as planned), shown at the readability too."""

    key: str
    what: str
    amount: pint.Quantity
    readability: pint.Quantity
    mwq: pint.Quantity
    low: pint.Quantity | None = None
    high: pint.Quantity | None = None

    @property
    def shown(self) -> str:
        from .display import format_weighing

        return format_weighing(self.amount, self.readability)

    @property
    def window(self) -> str:
        from .display import format_weighing

        if self.low is None or self.high is None:
            return ""
        return f"{format_weighing(self.low, self.readability)} to {format_weighing(self.high, self.readability)}"

    @property
    def below_mwq(self) -> bool:
        return self.amount < self.mwq

    def as_dict(self) -> dict:
        from .jsonout import to_jsonable

        return {"key": self.key, "what": self.what, "amount": to_jsonable(self.amount), "shown": self.shown,
                "readability": to_jsonable(self.readability), "mwq": to_jsonable(self.mwq),
                "below_mwq": self.below_mwq, "acceptable_low": to_jsonable(self.low),
                "acceptable_high": to_jsonable(self.high)}


@dataclass(frozen=True)
class BlendTarget:
    """What a capsule blend must deliver: ``required`` drug powder [mg] in an exact ``blend`` [mg]
    for ``capsules`` of ``strength`` at ``fill_weight`` each; the drug per capsule within
    ``low``-``high`` of the strength and the fill weight within ± ``fill_tolerance`` of its target."""

    required: pint.Quantity
    blend: pint.Quantity
    capsules: pint.Quantity
    strength: pint.Quantity
    fill_weight: pint.Quantity
    low: Fraction
    high: Fraction
    fill_tolerance: Fraction


@dataclass(frozen=True)
class BlendOutcome:
    """The batch a set of weighings makes (``basis``: "planned" from the targets, or "actual").

    ``weights`` holds the amount used for each weighing key; ``actual`` the keys given as actually
    weighed (the others are taken as planned)."""

    basis: str
    weights: dict[str, pint.Quantity]
    actual: tuple[str, ...]
    drug_powder: pint.Quantity
    blend_total: pint.Quantity
    fill_weight_per_capsule: pint.Quantity
    fill_weight_min: pint.Quantity
    fill_weight_max: pint.Quantity
    drug_per_capsule: pint.Quantity
    percent_of_target: pint.Quantity
    within_limits: bool
    reasons: tuple[str, ...]

    def as_dict(self) -> dict:
        from .jsonout import to_jsonable

        return {"basis": self.basis, "weights": {k: to_jsonable(v) for k, v in self.weights.items()},
                "actual": list(self.actual),
                **{k: to_jsonable(getattr(self, k)) for k in (
                    "drug_powder", "blend_total", "fill_weight_per_capsule", "fill_weight_min",
                    "fill_weight_max", "drug_per_capsule", "percent_of_target")},
                "within_limits": self.within_limits, "reasons": list(self.reasons)}


def follow_blend(weights: dict[str, pint.Quantity], stages: int) -> tuple[pint.Quantity, pint.Quantity]:
    """(drug powder in the blend, blend total) [mg] that these weighings make.

    Each aliquot carries the drug of its mixture in proportion to its weight: drug × aliquot ÷
    (material + diluent). Raises CalculationError when an aliquot is heavier than its mixture.
    """
    drug = material = weights["drug"].to(mg)
    for i in range(1, stages + 1):
        diluent_key, aliquot_key = stage_keys(i)
        mixture = material + weights[diluent_key]
        aliquot = weights[aliquot_key].to(mg)
        if aliquot > mixture:
            raise CalculationError(f"is more than the stage {i} mixture it is taken from "
                                   f"({_mg(mixture)} mg)", field=f"actual_{aliquot_key}", value=aliquot,
                                   allowed=f"at most {_mg(mixture)} mg")
        drug, material = drug * aliquot / mixture, aliquot
    return drug, (material + weights.get("filler", Q(0, mg))).to(mg)


def _mg(q: pint.Quantity) -> str:
    from .display import format_number

    return format_number(q.to(mg).magnitude, 2)


def blend_outcome(target: BlendTarget, weights: dict[str, pint.Quantity], stages: int, *,
                  basis: str = "planned", actual: tuple[str, ...] = ()) -> BlendOutcome:
    """Blend, fill weight, drug per capsule and % of target from ``weights``, and whether the
    batch stays within its limits (drug per capsule within low-high of the strength; fill weight
    within ± fill_tolerance of the target fill weight)."""
    from .display import format_quantity as fq

    drug, blend = follow_blend(weights, stages)
    ratio = exact((drug / target.required).to(dimensionless).magnitude)
    per_capsule = target.strength * ratio
    fill = blend / target.capsules
    reasons = []
    if not target.low <= ratio <= target.high:
        reasons.append(f"drug per capsule {fq(per_capsule * Q(1, 'capsule'), mg)} is "
                       f"{fq(Q(ratio, dimensionless).to(percent))} of the target, outside "
                       f"{fq(Q(target.low, dimensionless).to(percent))}-{fq(Q(target.high, dimensionless).to(percent))}")
    drift = exact((fill / target.fill_weight).to(dimensionless).magnitude) - 1
    if abs(drift) > target.fill_tolerance:
        reasons.append(f"fill weight per capsule {fq(fill * Q(1, 'capsule'), mg)} is "
                       f"{fq(Q(1 + drift, dimensionless).to(percent))} of the planned "
                       f"{fq(target.fill_weight * Q(1, 'capsule'), mg)}, more than "
                       f"±{fq(Q(target.fill_tolerance, dimensionless).to(percent))} away")
    return BlendOutcome(basis, dict(weights), tuple(actual), drug, blend, fill, fill * target.low,
                        fill * target.high, per_capsule, Q(ratio, dimensionless).to(percent),
                        not reasons, tuple(reasons))


def acceptable_window(target: BlendTarget, weights: dict[str, pint.Quantity], stages: int, key: str,
                      readability: pint.Quantity, mwq: pint.Quantity) -> tuple[pint.Quantity, pint.Quantity] | None:
    """The lowest and highest actual weight for ``key`` (whole readability steps, every other
    weighing as planned) that keep the batch within its limits; never below the MWQ for an
    amount planned at or above it. None when the planned amount itself is outside the limits.

    Each limit is monotonic in each weighing, so the acceptable weights form one interval: it is
    found by doubling away from the planned amount and then halving, in whole steps. The search
    runs on plain fractions of a mg (the same arithmetic as :func:`blend_outcome`, without units).
    """
    step = exact(readability.to(mg).magnitude)
    plain = {k: exact(v.to(mg).magnitude) for k, v in weights.items()}
    required, blend_target = exact(target.required.to(mg).magnitude), \
        exact((target.fill_weight * target.capsules).to(mg).magnitude)
    steps0 = plain[key] / step

    def ok(steps: int) -> bool:
        if steps <= 0:
            return False
        w = {**plain, key: step * steps}
        drug = material = w["drug"]
        for i in range(1, stages + 1):
            diluent_key, aliquot_key = stage_keys(i)
            mixture = material + w[diluent_key]
            if w[aliquot_key] > mixture:
                return False
            drug, material = drug * w[aliquot_key] / mixture, w[aliquot_key]
        blend = material + w.get("filler", 0)
        return (target.low <= drug / required <= target.high
                and abs(blend / blend_target - 1) <= target.fill_tolerance)

    if steps0.denominator != 1 or not ok(int(steps0)):
        return None
    start = int(steps0)
    floor = math.ceil((mwq / readability).to(dimensionless).magnitude) if weights[key] >= mwq else 1
    low = start - _reach(lambda j: start - j >= floor and ok(start - j))
    high = start + _reach(lambda j: ok(start + j))
    return (readability * low).to(mg), (readability * high).to(mg)


def _reach(ok_at) -> int:
    """The largest j ≥ 0 with ok_at(j), given ok_at(0) and that ok_at holds on an interval."""
    good, bad = 0, 1
    while ok_at(bad):
        good, bad = bad, bad * 2
        if bad > 2 ** 40:  # never: every limit bounds every weighing
            return good
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if ok_at(mid) else (good, mid)
    return good


@dataclass(frozen=True)
class BlendPlan:
    """How a blend is weighed: the aliquot plan (None: the drug powder is weighed directly), the
    weighings in order, the exact filler to add (filler in blend − diluent carried in the
    aliquot), and the batch the planned weighings make."""

    aliquot: AliquotPlan | None
    weighings: tuple[Weighing, ...]
    filler_to_add: pint.Quantity
    planned: BlendOutcome


def plan_blend(target: BlendTarget, filler_in_blend: pint.Quantity, mwq: pint.Quantity,
               readability: pint.Quantity, *, names: dict[str, str], max_factor_per_stage: int = 100,
               field: str = "balance") -> BlendPlan:
    """Weighings at the balance's readability that deliver the dose within the target's limits.

    The drug powder is weighed directly when the batch needs at least the MWQ, else by an aliquot
    plan computed from the rounded weighings. When the rounded plan misses the limits (a balance
    too coarse for its MWQ), the plan changes: it is made again as if the MWQ were 2, 4, 8 times
    larger (a larger factor and aliquot, so the rounding weighs less); if none fits, the batch is
    refused with the reason. ``names`` gives the words for "drug" and "filler".
    """
    failure: BlendPlan | CalculationError | None = None
    for scale in (1, 2, 4, 8):
        plan_mwq = (mwq * scale).to(mg)
        if scale > 1 and target.required >= plan_mwq:
            continue  # the same direct weighing again
        try:
            plan = _blend_plan(target, filler_in_blend, mwq, readability, plan_mwq, names, max_factor_per_stage)
        except CalculationError as exc:
            failure = failure or exc
            continue
        if plan.planned.within_limits:
            return plan
        failure = plan if not isinstance(failure, BlendPlan) else failure
    if isinstance(failure, BlendPlan):
        from .display import format_quantity

        raise CalculationError(
            f"at this balance's readability ({format_quantity(readability)}) no weighing plan keeps the "
            f"batch within its limits: {'; '.join(failure.planned.reasons)}", field=field,
            allowed="a balance with a finer readability (e.g. an analytical balance, 0.1 mg)")
    raise failure  # type: ignore[misc]


def _blend_plan(target: BlendTarget, filler_in_blend: pint.Quantity, mwq: pint.Quantity,
                readability: pint.Quantity, plan_mwq: pint.Quantity, names: dict[str, str],
                max_factor: int) -> BlendPlan:
    required = target.required
    drug_name, filler_name = names["drug"], names["filler"]
    what: dict[str, str] = {}
    if required >= plan_mwq:
        aliquot = None
        weights = {"drug": weighable(required, readability, mwq)}
        what["drug"] = drug_name
        carried = Q(0, mg)
    else:
        aliquot = plan_aliquot(required, mwq, max_factor_per_stage=max_factor, readability=readability,
                               plan_mwq=plan_mwq)
        carried = aliquot.diluent_in_aliquot
        if carried > filler_in_blend:
            raise CalculationError(
                f"the batch holds only {_mg(filler_in_blend)} mg of filler, less than the {_mg(carried)} mg "
                "of diluent an aliquot carries: make more capsules or use a stock trituration", field="quantity")
        weights = {"drug": aliquot.stages[0].drug_to_weigh}
        what["drug"] = f"{drug_name} for aliquot stage 1"
        for i, st in enumerate(aliquot.stages, 1):
            dk, ak = stage_keys(i)
            weights[dk], weights[ak] = st.diluent_to_add, st.aliquot_to_take
            what[dk] = f"{filler_name} (diluent), aliquot stage {i}"
            what[ak] = f"aliquot of the stage {i} mixture"
    filler_to_add = (filler_in_blend - carried).to(mg)
    filler = round_to(filler_to_add, readability)
    if filler.magnitude > 0:
        weights["filler"] = filler
        what["filler"] = f"{filler_name} to add to the blend"
    stages = 0 if aliquot is None else len(aliquot.stages)
    planned = blend_outcome(target, weights, stages)
    weighings = []
    for key, amount in weights.items():
        window = acceptable_window(target, weights, stages, key, readability, mwq) if planned.within_limits else None
        weighings.append(Weighing(key, what[key], amount, readability, mwq, *(window or (None, None))))
    return BlendPlan(aliquot, tuple(weighings), filler_to_add, planned)
