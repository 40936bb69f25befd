"""Worklist planning: grouping, titration expansion, allocation, batch splitting, needs and FEFO
stock, each against numbers worked out by hand (domain.md §2-§5)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from compounding.errors import InputError
from compounding.units import Q, capsule, mg, mL, tablet
from compounding.worklist import read_worklist
from compounding.worklist.plan import WorklistError, plan_worklist
from tests.worklist_support import csv_bytes, row

DATE = "2026-03-02"


def _plan(rows, **kw):
    return plan_worklist(read_worklist(csv_bytes(rows), compounding_date=DATE), **kw)


def _by_title(plan):
    return {(b.title, b.compounding_date.isoformat()): b for b in plan.batches}


def test_identical_preparations_are_one_batch_with_their_allocation_and_extra():
    # 4.5 mg: 30 + 60 ordered, +10 % = 9 extra -> 99 capsules, 4.5 x 99 = 445.5 mg naltrexone HCl
    # 1.5 mg: 100 ordered, +10 capsules -> 110
    plan = _plan([row("RX1", quantity="30"), row("RX2", quantity="60"), row("RX3", strength="1.5 mg", quantity="100")],
                 extra="10%")
    b = _by_title(plan)
    big, small = b[("Naltrexone HCl 4.5 mg capsules", DATE)], b[("Naltrexone HCl 1.5 mg capsules", DATE)]
    assert [(a.rx_number, a.quantity) for a in big.allocations] == [("RX1", Q(30, capsule)), ("RX2", Q(60, capsule))]
    assert big.result.capsules_to_make == Q(99, capsule)
    assert big.result.naltrexone_hcl == Q(Fraction(891, 2), mg)
    assert small.result.capsules_to_make == Q(110, capsule)
    assert len(plan.batches) == 2


def test_a_capsule_titration_joins_the_batches_of_its_strengths():
    # seed_neuropathic: 1.5 mg x 14 d, 3 mg x 14 d, 4.5 mg x 28 d -> 14, 14, 28 capsules
    plan = _plan([row("RX1", quantity="90"), row("T1", strength="", quantity="", titration="seed_neuropathic")])
    b = _by_title(plan)
    assert [(a.rx_number, a.quantity.magnitude) for a in b[("Naltrexone HCl 4.5 mg capsules", DATE)].allocations] \
        == [("RX1", 90), ("T1", 28)]
    assert b[("Naltrexone HCl 1.5 mg capsules", DATE)].allocations[0].quantity == Q(14, capsule)
    assert b[("Naltrexone HCl 3 mg capsules", DATE)].allocations[0].quantity == Q(14, capsule)
    assert b[("Naltrexone HCl 4.5 mg capsules", DATE)].result.capsules_to_make == Q(118, capsule)
    assert [o.rx_number for o in plan.titrations] == ["T1"]


def test_a_liquid_titration_expands_into_fills_made_on_their_own_dates():
    # water vehicle: BUD 14 days. 0.5 mg x 7 + 1 mg x 7 = 10.5 mg = 10.5 mL at 1 mg/mL made on day 1;
    # 1.5 mg x 14 = 21 mL made on day 15 (2026-03-19 for a start on 2026-03-05)
    plan = _plan([row("T2", "oral liquid", "", "", titration="0.5mg:7,1mg:7,1.5mg:14", due="2026-03-05"),
                  row("RX9", "oral liquid", "1 mg/mL", "40 mL", dose="2 mg", due="2026-03-05")],
                 tablet_weight="321 mg")
    b = _by_title(plan)
    first = b[("Naltrexone HCl 1 mg/mL oral liquid", "2026-03-05")]
    second = b[("Naltrexone HCl 1 mg/mL oral liquid", "2026-03-19")]
    assert [(a.rx_number, a.fill, a.quantity) for a in first.allocations] == [("T2", 1, Q(Fraction(21, 2), mL))]
    assert [(a.rx_number, a.fill, a.quantity) for a in second.allocations] == [("T2", 2, Q(21, mL))]
    assert second.result.bud.date == dt.date(2026, 4, 2)
    assert "days 1-7: 0.5 mg = 0.5 mL" in first.allocations[0].schedule
    # the plain liquid Rx is made on the compounding date, not with the titration's first fill
    today = b[("Naltrexone HCl 1 mg/mL oral liquid", DATE)]
    assert today.allocations[0].dose_volume == Q(2, mL)


def test_liquid_batch_volume_with_overage_and_its_needs():
    # 100 + 50 mL at 1 mg/mL, +10 % -> 165 mL, 165 mg = 3.3 tablets: crush 4
    plan = _plan([row("L1", "oral liquid", "1 mg/mL", "100 mL", dose="4.5 mg"),
                  row("L2", "oral liquid", "1 mg/mL", "50 mL", dose="1.5 mg")],
                 liquid_overage="10%", tablet_weight="321 mg")
    (batch,) = plan.batches
    assert batch.result.final_volume == Q(165, mL)
    needs = {n.kind: n.quantity for n in batch.needs}
    assert needs["naltrexone_hcl_50mg_tablets"] == Q(4, tablet)
    assert needs["purified_water"] == Q(165, mL)
    assert needs["container_liquid_bottle"].magnitude == 2


def test_capsule_needs_from_api_without_and_with_an_aliquot():
    # 4.5 mg x 90 = 405 mg API (>= MWQ 120 mg); 0.5 mg x 30 = 15 mg API < 120 mg -> aliquot: weigh 120 mg
    plan = _plan([row("A", quantity="90"), row("B", strength="0.5 mg", quantity="30")])
    b = _by_title(plan)
    big = {n.kind: n.quantity for n in b[("Naltrexone HCl 4.5 mg capsules", DATE)].needs}
    small = {n.kind: n.quantity for n in b[("Naltrexone HCl 0.5 mg capsules", DATE)].needs}
    assert big["naltrexone_hcl_powder"] == Q(405, mg)
    assert big["capsule_shells_size_3"] == Q(90, capsule)
    assert small["naltrexone_hcl_powder"] == Q(120, mg)
    total = {n.kind: n.quantity for n in plan.needs}
    assert total["naltrexone_hcl_powder"] == Q(525, mg) and total["container_capsule_vial"].magnitude == 2


def test_a_group_larger_than_one_batch_is_split_without_splitting_a_container():
    plan = _plan([row(f"R{i}", quantity="4000") for i in range(3)])
    assert [[a.rx_number for a in b.allocations] for b in plan.batches] == [["R0", "R1"], ["R2"]]
    assert [b.lot for b in plan.batches] == ["LDN-260302-001", "LDN-260302-002"]


def test_anticipatory_stock_is_added_unallocated():
    plan = _plan([row("R1", quantity="30")], anticipatory=["capsules:4.5 mg:60"])
    (batch,) = plan.batches
    assert [(a.rx_number, a.quantity.magnitude) for a in batch.allocations] == [("R1", 30), (None, 60)]
    assert batch.result.capsules_to_make == Q(90, capsule)
    with pytest.raises(InputError, match="FORM:STRENGTH:QUANTITY"):
        _plan([row("R1")], anticipatory=["4.5 mg x 60"])


def test_bad_rows_plan_nothing_unless_dropped_and_then_they_are_listed():
    wl = read_worklist(csv_bytes([row("R1"), row("R2", strength="45 mg")]), compounding_date=DATE)
    with pytest.raises(WorklistError) as err:
        plan_worklist(wl)
    assert [(p.row, p.column) for p in err.value.problems] == [(3, "strength")]
    plan = plan_worklist(wl, drop_bad_rows=True)
    assert [(p.row, p.column) for p in plan.dropped] == [(3, "strength")]
    assert plan.as_dict()["dropped_rows"][0]["row"] == 3
    assert [a.rx_number for b in plan.batches for a in b.allocations] == ["R1"]


def test_a_batch_the_core_cannot_make_names_the_batch():
    # 100 mL at 1 mg/mL = 2 tablets (whole); 150 mL = 3 tablets; 130 mL = 2.6 tablets needs a tablet weight
    with pytest.raises(InputError, match=r"batch 1 \(LDN-260302-001.*tablet"):
        _plan([row("L1", "oral liquid", "1 mg/mL", "130 mL", dose="1 mg")])


def test_json_has_batches_with_allocation_and_needs():
    d = _plan([row("R1"), row("R2")]).as_dict()
    assert d["batches"][0]["allocation"][1]["rx_number"] == "R2"
    assert d["batches"][0]["calculation"]["capsules_to_make"] == 60
    assert {n["kind"] for n in d["needs"]} >= {"naltrexone_hcl_powder", "capsule_shells_size_3"}


# --- stock, first-expiry-first-out --------------------------------------------------------------

LOTS = b"""kind,lot,expiry,quantity
naltrexone_hcl_powder,A-LATE,2027-12-31,1 g
naltrexone_hcl_powder,A-EARLY,2026-10-01,300 mg
naltrexone_hcl_powder,A-OLD,2026-04-01,5 g
filler_mcc_ph102,F1,2028-01-01,100 g
capsule_shells_size_3,C1,2028-01-01,150
container_capsule_vial,V1,,2
"""


def test_lots_are_taken_first_expiry_first_out_never_past_the_bud_and_shortages_reported():
    # batch 1: 1.5 mg x 100 = 150 mg; batch 2: 4.5 mg x 90 = 405 mg; BUD 180 days = 2026-08-29.
    # A-OLD expires before the BUD: never used. A-EARLY (300 mg) first: 150 + 150, then A-LATE 255 mg.
    # Shells: 150 for 100 + 90 -> 40 short; vials: 2 for 3 containers -> 1 short.
    plan = _plan([row("R1", quantity="30"), row("R2", quantity="60"), row("R3", strength="1.5 mg", quantity="100")],
                 lots=LOTS)
    takes = [(t.batch_lot[-3:], t.lot, t.quantity) for t in plan.stock.takes if t.kind == "naltrexone_hcl_powder"]
    assert takes == [("001", "A-EARLY", Q(150, mg)), ("002", "A-EARLY", Q(150, mg)), ("002", "A-LATE", Q(255, mg))]
    assert all(t.lot != "A-OLD" for t in plan.stock.takes)
    assert any("A-OLD" in n and "before the BUD" in n for n in plan.stock.notes)
    short = {(s.batch_lot[-3:], s.kind): s.quantity for s in plan.stock.short}
    assert short == {("002", "capsule_shells_size_3"): Q(40, capsule), ("002", "container_capsule_vial"): Q(1, "")}
    left = {l["lot"]: l["left"] for l in plan.stock.as_dict()["lots"]}
    assert left["A-LATE"] == {"value": 0.745, "unit": "g"}  # 1 g - 255 mg, in the lot's own unit


def test_a_bad_lots_file_lists_every_bad_cell():
    from compounding.worklist.stock import LotsError, read_lots

    bad = b"kind,lot,expiry,quantity\nnaltrexone_hcl_powder,A1,,1 g\nfiller_mcc_ph102,F1,2027-02-30,4,5 g\n"
    with pytest.raises(InputError):
        read_lots(bad)  # unquoted comma: refused as a CSV
    bad = b"kind,lot,expiry,quantity\nnaltrexone_hcl_powder,A1,,1 g\nfiller_mcc_ph102,F1,2027-02-30,\"4,5 g\"\n"
    with pytest.raises(LotsError) as err:
        read_lots(bad)
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "expiry"), (3, "expiry"), (3, "quantity")]


def test_each_batch_record_verifies_with_its_allocation_covered():
    # a worklist's batch record is the core's record plus an Allocation sheet: verify passes on it
    # as written (cached results included), and an allocation changed afterwards is named
    import io

    import openpyxl

    from compounding.verify import verify_workbook
    from compounding.worklist.export import record_workbooks

    plan = _plan([row("R1", patient="Ann Lee"), row("R2", "oral liquid", "1 mg/mL", "50 mL", dose="1 mg")])
    files = dict(record_workbooks(plan, pharmacy_name="Test Pharmacy"))
    assert len(files) == 2
    for name, data in files.items():
        report = verify_workbook(data)
        assert report.ok, f"{name}: {report}"
        shown = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        label = {r[0].value: r[1].value for r in shown["Label"].iter_rows() if r[0].value}
        assert label["Preparation"] and label["Beyond-use date"]  # saved results, not blanks
        alloc = shown["Allocation"]
        assert [c.value for c in alloc[1]][:3] == ["Rx number", "Patient", "Quantity"]
        assert alloc["A2"].value in ("R1", "R2") and alloc.protection.sheet
        wb = openpyxl.load_workbook(io.BytesIO(data))
        wb["Allocation"]["B2"].value = "Someone Else"
        out = io.BytesIO()
        wb.save(out)
        report = verify_workbook(out.getvalue())
        assert "Allocation!B2" in {f.cell for f in report.findings}, str(report)
