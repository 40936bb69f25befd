"""A worklist plan into the store ("Create batches" on the Worklist page): one draft per planned batch,
with the plan's allocations, on both engines; a plan the store cannot take stores nothing."""

from __future__ import annotations

import pytest

from compounding.worklist import read_worklist
from compounding.worklist.drafts import StoreRefusal, create_draft_batches, relabel
from compounding.worklist.plan import plan_worklist
from tests.worklist_support import csv_bytes, row

from .helpers import TODAY, db_state

pytestmark = pytest.mark.store


def _plan(rows, **options):
    wl = read_worklist(csv_bytes(rows), compounding_date=TODAY.isoformat())
    return plan_worklist(wl, tablet_weight="321 mg", **options)


ROWS = [row("RX-1", patient="Ann Lee", quantity="30"), row("RX-2", patient="Bo Diaz", quantity="60"),
        row("RX-3", patient="Cy Ng", strength="1.5 mg", quantity="30"),
        row("RX-4", "oral liquid", "1 mg/mL", "100 mL", dose="4.5 mg", patient="Di O'Neil",
            directions="Take 4.5 mL by mouth at bedtime")]


def test_create_batches_makes_one_draft_per_batch_with_the_plans_allocations(store):
    plan = _plan(ROWS, anticipatory=["capsules:4.5 mg:20"])
    created = create_draft_batches(store, "tech", plan)
    # worked by hand from ROWS: capsules are planned before liquids, 1.5 mg before 4.5 mg; the store
    # numbers its drafts by its own day (the tests' clock: 2026-01-05)
    expected = {
        "1.5 mg": {("Cy Ng", "RX-3", 30)},
        "4.5 mg": {("Ann Lee", "RX-1", 30), ("Bo Diaz", "RX-2", 60), (None, None, 20)},
        "1 mg/mL": {("Di O'Neil", "RX-4", 100)},
    }
    assert [lot for _, lot in ((p, v.lot_number) for p, v in created)] == [
        "LDN-260105-001", "LDN-260105-002", "LDN-260105-003"]
    assert [p for p, _ in created] == [b.lot for b in plan.batches]
    seen = {}
    for plan_lot, view in created:
        stored = store.batch(view.lot_number)
        assert stored.status == "draft" and stored.preparer == "tech"
        planned = next(b for b in plan.batches if b.lot == plan_lot)
        assert stored.order == planned.result.order.to_json()  # the core's order: the record can be recomputed
        seen[stored.strength] = {(a.patient, a.rx_number, a.quantity) for a in stored.allocations}
        assert all(a.anticipatory == (a.rx_number is None) for a in stored.allocations)
    assert seen == expected
    # the 4.5 mg batch makes exactly what is allocated (30 + 60 + 20 = 110 capsules, no extra asked)
    caps45 = next(v for _, v in created if v.strength == "4.5 mg")
    assert caps45.result["capsules_to_make"] == 110


def test_a_fraction_of_a_ml_is_refused_whole_and_nothing_is_stored(store):
    # 0.5 mg a day for 7 days at 1 mg/mL is 3.5 mL: the first fill is not a whole number of mL
    rows = ROWS + [row("RX-5", "oral liquid", "1 mg/mL", "", titration="0.5mg:7,1mg:7,1.5mg:14",
                       directions="Follow the dose chart")]
    plan = _plan(rows)
    before = db_state(store)
    with pytest.raises(StoreRefusal) as caught:
        create_draft_batches(store, "tech", plan)
    assert caught.value.field == "plan"
    assert any("RX-5" in p and "not a whole number of mL" in p for p in caught.value.problems)
    assert db_state(store) == before


def test_a_user_who_may_not_create_batches_stores_nothing(store):
    from compounding.errors import PermissionDenied

    before = db_state(store)
    with pytest.raises(PermissionDenied):
        create_draft_batches(store, "admin", _plan(ROWS))  # admins manage users, never prepare
    assert db_state(store) == before


def test_relabel_gives_the_plan_the_stores_lots():
    plan = _plan(ROWS)
    lots = {b.lot: f"LDN-260105-{i:03d}" for i, b in enumerate(plan.batches, 1)}
    renamed = relabel(plan, lots)
    assert [b.lot for b in renamed.batches] == ["LDN-260105-001", "LDN-260105-002", "LDN-260105-003"]
    assert [b.allocations for b in renamed.batches] == [b.allocations for b in plan.batches]
    assert renamed.as_dict()["batches"][0]["lot"] == "LDN-260105-001"


def test_every_draft_from_a_plan_exports_to_excel_and_verifies(store, tmp_path):
    # the drafts store the core's order JSON ({"kind", "fields"}): the export calculates the record again
    # from it, and verify (recalculating from the file's own inputs) agrees with what the store holds
    from compounding.verify import verify_workbook

    created = create_draft_batches(store, "tech", _plan(ROWS))
    assert len(created) == 3  # 1.5 mg capsules, 4.5 mg capsules, 1 mg/mL liquid
    for _, view in created:
        path = tmp_path / f"{view.lot_number}.xlsx"
        path.write_bytes(store.export_batch(view.lot_number))
        report = verify_workbook(path)
        assert report.ok, (view.lot_number, str(report))


def test_each_prescription_keeps_its_prescriber_and_the_record_prints_it(store):
    rows = [row("RX-1", patient="Ann Lee", quantity="30", prescriber="Dr A. Smith"),
            row("RX-2", patient="Bo Diaz", quantity="60", prescriber="Dr B. Jones")]
    (_, view), = create_draft_batches(store, "tech", _plan(rows))
    stored = store.batch(view.lot_number)
    assert {(a.rx_number, a.prescriber) for a in stored.allocations} == {("RX-1", "Dr A. Smith"),
                                                                         ("RX-2", "Dr B. Jones")}
    from compounding.store.export import record_fields

    assert record_fields(stored)["prescriber"] == "2 prescribers: see notes"
