"""Invariants shared by the example tests and the property tests (not a test module itself)."""

from __future__ import annotations

from fractions import Fraction

import pint

from compounding.units import mg


def aliquot_violations(plan, required: pint.Quantity, mwq: pint.Quantity) -> list[str]:
    """Every rule of the aliquot method that ``plan`` breaks, recomputed from its stage amounts.

    The drug actually reaching the final aliquot is followed through the stages as a
    concentration (drug ÷ mixture), independently of the plan's own ``drug_in_aliquot``.
    """
    problems = []
    drug_in_hand = Fraction(0)  # pure drug into stage 1; then the drug in the previous aliquot
    for i, s in enumerate(plan.stages, 1):
        weighed = s.drug_to_weigh.to(mg).magnitude
        mixture = s.mixture_total.to(mg).magnitude
        aliquot = s.aliquot_to_take.to(mg).magnitude
        diluent = s.diluent_to_add.to(mg).magnitude
        if s.drug_to_weigh < mwq:
            problems.append(f"stage {i}: drug weighed {weighed} mg < MWQ")
        if s.aliquot_to_take < mwq:
            problems.append(f"stage {i}: aliquot {aliquot} mg < MWQ")
        if s.factor * aliquot != mixture:
            problems.append(f"stage {i}: factor {s.factor} × aliquot {aliquot} != mixture {mixture}")
        if weighed + diluent != mixture:
            problems.append(f"stage {i}: drug + diluent != mixture")
        if diluent <= 0:
            problems.append(f"stage {i}: diluent {diluent} mg is not positive")
        if isinstance(s.factor, bool) or not isinstance(s.factor, int) or s.factor < 1:
            problems.append(f"stage {i}: factor {s.factor!r} is not a whole number ≥ 1")
        if i == 1:
            drug_in_hand = Fraction(weighed)
        drug_in_aliquot = Fraction(drug_in_hand) * Fraction(aliquot) / Fraction(mixture)
        if i > 1 and s.drug_to_weigh != plan.stages[i - 2].aliquot_to_take:
            problems.append(f"stage {i}: does not dilute stage {i - 1}'s aliquot")
        drug_in_hand = drug_in_aliquot
    if drug_in_hand != required.to(mg).magnitude:
        problems.append(f"final aliquot holds {drug_in_hand} mg, not the required {required.to(mg).magnitude}")
    if plan.final.drug_in_aliquot.to(mg).magnitude != required.to(mg).magnitude:
        problems.append("plan.final.drug_in_aliquot is not the required amount")
    return problems


def rounded_plan_violations(plan, mwq: pint.Quantity, readability: pint.Quantity) -> list[str]:
    """The rules an aliquot plan rounded to a balance's readability must keep (issue 8.5): every
    amount weighed is a whole number of readability steps and at least the MWQ, each mixture is
    what was weighed into it, stage 2 dilutes stage 1's aliquot, and each stage's
    ``drug_in_aliquot`` is what these amounts really hold (followed through as concentrations)."""
    problems = []
    step = readability.to(mg).magnitude
    held = None
    for i, s in enumerate(plan.stages, 1):
        amounts = {"drug_to_weigh": s.drug_to_weigh, "diluent_to_add": s.diluent_to_add,
                   "aliquot_to_take": s.aliquot_to_take}
        for name, q in amounts.items():
            m = Fraction(q.to(mg).magnitude)
            if (m / step).denominator != 1:
                problems.append(f"stage {i}: {name} {m} mg is not a whole number of {step} mg steps")
            if q < mwq:
                problems.append(f"stage {i}: {name} {m} mg < MWQ")
        weighed, diluent = Fraction(s.drug_to_weigh.to(mg).magnitude), Fraction(s.diluent_to_add.to(mg).magnitude)
        mixture, aliquot = Fraction(s.mixture_total.to(mg).magnitude), Fraction(s.aliquot_to_take.to(mg).magnitude)
        if weighed + diluent != mixture:
            problems.append(f"stage {i}: drug + diluent != mixture")
        if i > 1 and s.drug_to_weigh != plan.stages[i - 2].aliquot_to_take:
            problems.append(f"stage {i}: does not dilute stage {i - 1}'s aliquot")
        held = weighed if held is None else held
        held = held * aliquot / mixture
        if Fraction(s.drug_in_aliquot.to(mg).magnitude) != held:
            problems.append(f"stage {i}: drug_in_aliquot is not what the weighings hold ({held} mg)")
    return problems
