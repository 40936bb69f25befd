"""Issue 10, an order is a value: the order a capsule batch carries is the typed inputs parsed once by
the order parser (units as typed, exact), with the defaults the batch chose filled in; computing that
order gives the same batch and the same order back. (Why the order is not rebuilt from the stages'
parsed inputs: those are converted, 4500 mcg → 4.5 mg/capsule, and the order JSON keeps what was typed.)"""

from __future__ import annotations

import pytest

from compounding.capsules import capsule_batch
from compounding.orders import CapsuleOrder, compute, order_from_json, resolved

DATE = "2026-03-02"
CASES = [
    dict(strength="4.5 mg", quantity=90),
    dict(strength="4500 mcg", quantity="90", potency="98.5%", fill_weight="0.27 g", capsule_size="1"),
    dict(strength="1.5 mg", quantity=60, extra="10%", method="density", drug_bulk_density="0.5 g/mL",
         filler_bulk_density="0.6 g/mL"),
    dict(strength="0.1 mg", quantity=10, actual_weights={"drug": "121 mg"}),
    dict(strength="3 mg", quantity=100, mwq="120 mg", readability="0.1 mg", qc_limits=("90%", "110%")),
    dict(strength="2 mg", quantity=30, source="tablets", tablet_weight="321 mg", extra="3"),
    dict(strength="4.5 mg", quantity=90, assay="99.5%", water="8.7%", api_form="hcl_dihydrate",
         component_expiries=["2027-01-01"]),
    dict(strength="4.5 mg", quantity=90, strength_basis="base", capsule_size="1", fill_weight="270 mg",
         api_fill_weight="350 mg"),
]


@pytest.mark.parametrize("typed", CASES, ids=[c["strength"] + "-" + str(i) for i, c in enumerate(CASES)])
def test_the_batch_carries_its_typed_order_resolved_and_computing_it_round_trips(typed):
    b = capsule_batch(**typed, compounding_date=DATE)
    given = CapsuleOrder.from_text(**typed, compounding_date=DATE)
    assert b.order == resolved(given, formula=b.formula_id, source=b.source, capsule_size=b.capsule_size,
                               filler=b.filler, compounding_date=b.compounding_date,
                               balance=None if "mwq" in typed else b.balance)
    assert order_from_json(b.order.to_json()) == b.order  # the JSON holds it exactly
    again = compute(b.order)
    assert again.order == b.order and again.as_dict() == b.as_dict()
