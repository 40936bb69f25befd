"""A worklist plan into the batch-record store: one draft batch per planned batch, with its allocations.

    from compounding.worklist.drafts import create_draft_batches, relabel
    created = create_draft_batches(store, "tech", plan)   # [(plan lot, BatchView), ...]
    plan = relabel(plan, {plan_lot: view.lot_number for plan_lot, view in created})

The store hands out its own lot numbers (``LDN-YYMMDD-NNN`` by the day the draft is saved), so
:func:`relabel` gives the plan the store's lots before labels and records are printed: a label's
barcode must name the lot the store knows.

Every batch is checked before the first one is written (the store counts allocations in whole
capsules or whole mL, and takes a patient name and an Rx number in its own stricter form), so a plan
the store cannot take is refused whole, with every reason, and nothing is stored. Each batch is
saved with its allocations in one transaction (``Store.create_batch(allocations=…)``, the same
checks as ``Store.allocate``): a draft never exists without them.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any, Mapping

from ..errors import CompoundingError, InputError

__all__ = ["StoreRefusal", "batch_order", "batch_allocations", "create_draft_batches", "relabel"]


class StoreRefusal(InputError):
    """The plan cannot go into the store as it is; ``problems`` lists every reason (nothing was stored)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"cannot be stored: {len(problems)} problem(s); nothing was stored", field="plan",
                         allowed="whole capsules / whole mL per container, names and Rx numbers the store takes")
        self.problems = tuple(problems)


def batch_order(plan: Any, batch: Any) -> dict[str, Any]:
    """A planned batch described as JSON, for a result that carries no order of its own."""
    from ..jsonout import to_jsonable

    return {"source": "worklist", "worklist": plan.source, "plan_lot": batch.lot, "form": batch.form,
            "formula": batch.formula, "strength": to_jsonable(batch.strength),
            "concentration": to_jsonable(batch.concentration),
            "compounding_date": batch.compounding_date.isoformat(),
            "containers": len(batch.allocations)}


def batch_allocations(batch: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """(allocations for ``Store.create_batch``, problems): whole numbers of capsules or mL only."""
    from ..display import format_quantity
    from ..store import validate

    out, problems = [], []
    for a in batch.allocations:
        who = a.rx_number or "anticipatory stock"
        amount = Fraction(a.quantity.magnitude)
        if amount.denominator != 1:
            problems.append(f"batch {batch.lot}, {who}: {format_quantity(a.quantity)} is not a whole number of "
                            f"{'capsules' if batch.form == 'capsules' else 'mL'}, and the store records "
                            "allocations in whole units")
            continue
        if a.rx_number is None:
            out.append({"quantity": int(amount), "anticipatory": True})
            continue
        try:
            prescriber = getattr(a, "prescriber", None)  # the record's "Prescriber" comes from the allocation
            out.append({"quantity": int(amount), "patient": validate.person_name(a.patient, "patient"),
                        "rx_number": validate.rx_number(a.rx_number),
                        "prescriber": validate.person_name(prescriber, "prescriber") if prescriber else None})
        except CompoundingError as exc:
            problems.append(f"batch {batch.lot}, {who}: {exc}")
    return out, problems


def create_draft_batches(store: Any, actor: str, plan: Any) -> list[tuple[str, Any]]:
    """One draft per batch of ``plan``, created by ``actor``; [(plan lot, the store's BatchView)]."""
    prepared, problems = [], []
    for b in plan.batches:
        allocations, bad = batch_allocations(b)
        problems += bad
        prepared.append((b, allocations))
    if problems:
        raise StoreRefusal(problems)
    created = []
    for b, allocations in prepared:
        kind = "capsules" if b.form == "capsules" else "oral_liquid"
        # the core's order the result was computed from (issue 10: the store can recompute the record
        # from it); a description of the planned batch only where a result carries none
        order = getattr(b.result, "order", None) or batch_order(plan, b)
        view = store.create_batch(actor, kind=kind, order=order, result=b.result, allocations=allocations)
        created.append((b.lot, view))
    return created


def relabel(plan: Any, lots: Mapping[str, str]) -> Any:
    """``plan`` with its batch lots renamed (``{plan lot: store lot}``), stock takes and shorts too."""
    batches = tuple(dataclasses.replace(b, lot=lots.get(b.lot, b.lot)) for b in plan.batches)
    stock = plan.stock
    if stock is not None:
        stock = dataclasses.replace(
            stock, takes=tuple(dataclasses.replace(t, batch_lot=lots.get(t.batch_lot, t.batch_lot)) for t in stock.takes),
            short=tuple(dataclasses.replace(s, batch_lot=lots.get(s.batch_lot, s.batch_lot)) for s in stock.short))
    return dataclasses.replace(plan, batches=batches, stock=stock)
