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
