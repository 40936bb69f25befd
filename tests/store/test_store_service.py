"""The batch-record service on both engines: lot numbers, ingredient lots, weights against their
targets, allocations, the review workflow with signatures, amendments, search and history."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from compounding import capsule_batch
from compounding.capsules import recalculate
from compounding.store.batches import actual_weighings
from compounding.errors import StateError
from compounding.store.record_snapshot import canonical_json, record_hash
from compounding.store.service import Store
from compounding.units import Q

from .conftest import NOW, PASSWORDS
from .helpers import ORDER, TODAY, capsule_result, db_state, make_batch, released_api_lot

pytestmark = pytest.mark.store


def test_lot_numbers_count_up_per_day(store):
    assert [make_batch(store) for _ in range(3)] == ["LDN-260105-001", "LDN-260105-002", "LDN-260105-003"]
    tomorrow = Store(store.engine, clock=lambda: NOW + dt.timedelta(days=1))
    assert make_batch(tomorrow) == "LDN-260106-001"


def test_a_save_that_fails_stores_nothing_not_even_its_number(store):
    quarantined = store.receive_ingredient_lot("tech", kind="vehicle", material="purified water", supplier="A",
                                               supplier_lot="W1", expiry="2027-01-01").id
    make_batch(store)
    before = db_state(store)
    with pytest.raises(StateError) as caught:  # refused inside the transaction, after the number was drawn
        store.create_batch("tech", kind="capsules", order=ORDER, result=capsule_result(), ingredient_lots=[quarantined])
    assert caught.value.field == "ingredient_lot" and "quarantined" in str(caught.value)
    assert db_state(store) == before
    assert make_batch(store) == "LDN-260105-002"  # numbers of stored batches stay consecutive


def test_the_snapshot_keeps_order_result_and_their_hash(store):
    lot = make_batch(store)
    batch = store.batch(lot)
    result = capsule_result().as_dict()
    assert batch.order == ORDER and batch.result == json.loads(canonical_json(result))
    assert batch.record_hash == record_hash(ORDER, result, batch.engine_version, batch.reference_hash)
    assert batch.strength == "4.5 mg" and batch.status == "draft" and batch.preparer == "tech"


def test_an_api_lot_gets_its_potency_from_assay_and_water(store):
    lot = store.receive_ingredient_lot("tech", kind="api", material="naltrexone hydrochloride", supplier="Acme",
                                       supplier_lot="NX-7", expiry="2027-01-01", salt_form="hcl_dihydrate",
                                       assay="99.5%", water="8.5%")
    # domain §8b: as-is potency = assay × (1 − water) = 99.5 % × 0.915 = 91.0425 %
    assert lot.potency == Q(Fraction("91.0425"), "percent") and lot.status == "quarantined"
    assert store.release_ingredient_lot("pharm", lot.id).status == "released"
    with pytest.raises(StateError):
        store.reject_ingredient_lot("pharm", lot.id, reason="too late")


def test_a_filler_lot_keeps_its_fill_weights(store):
    lot = store.receive_ingredient_lot("tech", kind="filler", material="mcc_ph102", supplier="FillCo",
                                       supplier_lot="MCC-1", expiry="2027-01-01",
                                       fill_weights={"1": "212.5 mg", "3": "0.125 g"})
    assert lot.fill_weights == {"1": Q(Fraction("212.5"), "mg"), "3": Q(125, "mg")}


def test_quarantined_rejected_and_expired_lots_cannot_be_used(store):
    lot = make_batch(store, "in_preparation")
    quarantined = store.receive_ingredient_lot("tech", kind="vehicle", material="water", supplier="A",
                                               supplier_lot="Q1", expiry="2027-01-01").id
    rejected = store.receive_ingredient_lot("tech", kind="vehicle", material="water", supplier="A",
                                            supplier_lot="R1", expiry="2027-01-01").id
    store.reject_ingredient_lot("pharm", rejected, reason="CoA does not match")
    expiring = released_api_lot(store, expiry=TODAY + dt.timedelta(days=10))
    later = Store(store.engine, clock=lambda: NOW + dt.timedelta(days=11))  # the lot has expired by then
    before = db_state(store)
    for who, lot_id, word in ((store, quarantined, "quarantined"), (store, rejected, "rejected"),
                              (later, expiring, "expired")):
        with pytest.raises(StateError, match=word) as caught:
            who.add_ingredient_lot_to_batch("tech", lot, lot_id)
        assert caught.value.field == "ingredient_lot"
    assert db_state(store) == before
    store.add_ingredient_lot_to_batch("tech", lot, expiring)  # still good today
    used = [x.supplier_lot for x in store.batch(lot).ingredient_lots]
    assert used == [store.ingredient_lots(kind="api")[0].supplier_lot]


@pytest.mark.parametrize("actual, verdict", [
    ("384.7 mg", "under"), ("384.75 mg", "within"), ("405 mg", "within"), ("0.42525 g", "within"),
    ("425.3 mg", "over")])
def test_weight_verdicts_against_the_stored_target(store, actual, verdict):
    # target: naltrexone HCl 4.5 mg × 90 = 405 mg; 5 % of it is 20.25 mg, so within = 384.75 … 425.25 mg
    lot = make_batch(store, "in_preparation")
    weight = store.record_weight("tech", lot, step="naltrexone_hcl", actual=actual, tolerance="5%").weights[0]
    assert weight.target == Q(405, "mg") and weight.verdict == verdict


def test_a_reweighing_replaces_the_entry_and_the_trail_keeps_both(store):
    lot = make_batch(store, "in_preparation")
    store.record_weight("tech", lot, step="naltrexone_hcl", actual="380 mg", tolerance="5%")
    batch = store.record_weight("tech", lot, step="naltrexone_hcl", actual="404.9 mg", tolerance="5%")
    assert [(w.actual, w.verdict) for w in batch.weights] == [(Q(Fraction("404.9"), "mg"), "within")]
    events = [e for e in store.history(lot) if e.action == "weight_recorded"]
    assert events[1].old_value["actual"] == "380 mg" and events[1].new_value["actual"] == "404.9 mg"


def test_the_whole_review_with_signatures(store):
    api = released_api_lot(store)
    lot = store.create_batch("tech", kind="capsules", order=ORDER, result=capsule_result(), ingredient_lots=[api],
                             weights=[{"step": "naltrexone_hcl", "actual": "405.1 mg", "tolerance": "5%"}],
                             allocations=[{"anticipatory": True, "quantity": 90}]).lot_number
    store.start_preparation("tech", lot)
    store.submit_for_review("tech", lot, password=PASSWORDS["tech"])
    store.send_back("pharm", lot, reason="capsule weight check missing")
    assert store.batch(lot).status == "in_preparation"
    store.submit_for_review("tech", lot, password=PASSWORDS["tech"])
    store.verify("pharm", lot, password=PASSWORDS["pharm"])
    batch = store.release("pharm2", lot, password=PASSWORDS["pharm2"])
    assert batch.status == "released" and batch.verifier == "pharm"
    assert [(s.meaning, s.printed_name) for s in batch.signatures] == [
        ("prepared", "Tom Tech"), ("prepared", "Tom Tech"), ("verified", "Pia Pharm"), ("released", "Paul Pharm")]
    assert all(s.signed_at == NOW and s.signed_at.tzinfo is not None for s in batch.signatures)
    assert len({s.signed_hash for s in batch.signatures}) == 1  # nothing changed between the signatures
    assert str(batch.signatures[-1]) == "released by Paul Pharm, 2026-01-05 09:30:00 UTC"
    trail = store.history(lot)
    assert [e.action for e in trail if e.action != "signed"] == [
        "batch_created", "ingredient_lot_used", "weight_recorded", "allocated", "start_preparation",
        "submit_for_review", "send_back", "submit_for_review", "verify", "release"]
    send_back = next(e for e in trail if e.action == "send_back")
    assert (send_back.actor, send_back.old_value, send_back.new_value, send_back.reason) == (
        "pharm", {"status": "ready_for_review"}, {"status": "in_preparation"}, "capsule weight check missing")


def test_a_signature_signs_the_content(store):
    lot = make_batch(store, "in_preparation")
    first = store.submit_for_review("tech", lot, password=PASSWORDS["tech"]).signatures[-1].signed_hash
    store.send_back("pharm", lot, reason="re-weigh")
    store.record_weight("tech", lot, step="naltrexone_hcl", actual="405 mg", tolerance="5%")
    second = store.submit_for_review("tech", lot, password=PASSWORDS["tech"]).signatures[-1].signed_hash
    assert first != second


def test_quarantine_then_release_needs_a_verification(store):
    unverified = make_batch(store, "ready_for_review")
    store.quarantine("pharm", unverified, reason="hold: balance out of calibration")
    with pytest.raises(StateError, match="never verified"):
        store.release("pharm", unverified, password=PASSWORDS["pharm"])
    verified = make_batch(store, "verified")
    store.quarantine("pharm", verified, reason="hold for capsule weights")
    assert store.release("pharm", verified, password=PASSWORDS["pharm"]).status == "released"
    assert store.scrap("pharm", unverified, reason="balance fault confirmed").status == "scrapped"


def test_a_released_record_never_changes_and_is_amended(store):
    lot = make_batch(store, "released")
    before = store.batch(lot)
    corrected = {**ORDER, "prescriber": "Dr. A. Example"}
    amendment = store.amend("tech2", lot, order=corrected, result=capsule_result(), reason="prescriber added")
    assert (amendment.lot_number, amendment.amends, amendment.status) == (f"{lot}-A1", lot, "draft")
    assert amendment.order == corrected and amendment.preparer == "tech2"
    assert store.batch(lot) == before  # the original is untouched
    second = store.amend("pharm", lot, order=ORDER, result=capsule_result(), reason="prescriber removed again")
    assert second.lot_number == f"{lot}-A2"
    # the amendment goes through review again; its preparer cannot verify it
    store.start_preparation("tech2", amendment.lot_number)
    store.submit_for_review("tech2", amendment.lot_number, password=PASSWORDS["tech2"])
    assert store.verify("pharm", amendment.lot_number, password=PASSWORDS["pharm"]).status == "verified"
    with pytest.raises(StateError):
        store.amend("tech", amendment.lot_number, order=ORDER, result=capsule_result(), reason="not released yet")


def test_the_database_itself_refuses_to_change_a_released_record(store):
    lot = make_batch(store, "released")
    for sql in (f"UPDATE batches SET order_json = '{{}}' WHERE lot_number = '{lot}'",
                f"UPDATE batches SET record_hash = 'x' WHERE lot_number = '{lot}'",
                f"DELETE FROM batches WHERE lot_number = '{lot}'",
                "UPDATE signatures SET printed_name = 'Someone Else'", "DELETE FROM signatures"):
        with pytest.raises(DBAPIError, match="never|append-only"), store.engine.begin() as c:
            c.execute(text(sql))
    store.recall("pharm", lot, reason="supplier recall")  # its status may still move to recalled


def test_the_database_itself_refuses_the_preparer_as_verifier(store):
    lot = make_batch(store, "ready_for_review")
    with pytest.raises(DBAPIError, match="verifier_not_preparer|check"), store.engine.begin() as c:
        c.execute(text(f"UPDATE batches SET verifier_id = preparer_id WHERE lot_number = '{lot}'"))


def test_search_by_each_field_and_paging(store):
    api = released_api_lot(store, supplier_lot="API-42")
    lots = [make_batch(store) for _ in range(5)]
    store.add_ingredient_lot_to_batch("tech", lots[1], api)
    store.allocate("tech", lots[2], quantity=30, patient="Jane Doe", rx_number="RX-1")
    store.start_preparation("tech", lots[3])
    assert [b.lot_number for b in store.search_batches(lot_number=lots[4].lower()).items] == [lots[4]]
    assert [b.lot_number for b in store.search_batches(ingredient_lot="API-42").items] == [lots[1]]
    assert [b.lot_number for b in store.search_batches(patient="  JANE   doe ").items] == [lots[2]]
    assert [b.lot_number for b in store.search_batches(status="in_preparation").items] == [lots[3]]
    assert store.search_batches(strength="4500 mcg").total == 5 and store.search_batches(strength="1 mg").total == 0
    assert store.search_batches(date_from=TODAY, date_to=TODAY).total == 5
    assert store.search_batches(date_from=TODAY + dt.timedelta(days=1)).total == 0
    pages = [store.search_batches(page=p, page_size=2) for p in (1, 2, 3)]
    assert [len(p.items) for p in pages] == [2, 2, 1] and pages[0].pages == 3
    assert [b.lot_number for p in pages for b in p.items] == lots[::-1]  # newest first


def test_users_and_the_bootstrap(store):
    from compounding.errors import InputError, PermissionDenied

    with pytest.raises(PermissionDenied, match="administrator exists"):
        store.add_user(None, username="eve", name="Eve", initials="E", role="admin", password="eve-password-1")
    with pytest.raises(StateError, match="last active administrator"):
        store.deactivate_user("admin", "admin", reason="testing")
    assert [u.username for u in store.users()] == ["admin", "pharm", "pharm2", "tech", "tech2"]
    with pytest.raises(InputError):
        store.deactivate_user("admin", "nobody", reason="x")


@pytest.mark.parametrize("actual, verdict", [("427.4 mg", "under"), ("427.5 mg", "within"), ("472 mg", "within"),
                                             ("472.6 mg", "over")])
def test_a_weight_is_checked_against_the_amount_the_bench_was_told_to_weigh(store, actual, verdict):
    # 4.5 mg × (90 + 10 % = 99 capsules) at 100 % potency: 445.5 mg naltrexone HCl calculated. A Class III
    # balance weighs in 10 mg steps (NIST HB 44), so the plan says weigh 445.5 ÷ 10 = 44.55 → 45 steps = 450 mg
    # (nearest, halves up). 5 % of 450 mg is 22.5 mg: within = 427.5 … 472.5 mg. Against the calculated
    # 445.5 mg (±22.275 mg) 427.4 mg would pass and 472 mg would be over.
    result = capsule_batch("4.5 mg", 90, extra="10%", potency="100%", balance="class_iii",
                           compounding_date=TODAY.isoformat())
    order = {**ORDER, "extra": "10%"}
    lot = store.create_batch("tech", kind="capsules", order=order, result=result).lot_number
    store.start_preparation("tech", lot)
    batch = store.record_weight("tech", lot, step="api_to_weigh", actual=actual, tolerance="5%")
    weight = batch.weights[0]
    assert (weight.target, weight.verdict) == (Q(450, "mg"), verdict)
    assert batch.result["api_to_weigh"] == {"value": 445.5, "unit": "mg"}  # the calculated amount stays
    # the recalculated drug per capsule follows the same weighing: 4.5 mg × actual ÷ 445.5 mg = actual ÷ 99
    again = recalculate(result, actual_weighings(batch.result, batch.weights))
    assert again.actual.drug_per_capsule == Q(Fraction(actual.split()[0]) / 99, "mg/capsule")


def test_the_filler_weight_is_checked_against_the_planned_filler(store):
    # same batch: blend 99 × 90 mg = 8910 mg; filler 8910 − 445.5 = 8464.5 mg calculated, but the plan fills
    # the blend up from the 450 mg weighed: 8910 − 450 = 8460 mg, a whole number of 10 mg steps
    result = capsule_batch("4.5 mg", 90, extra="10%", potency="100%", balance="class_iii",
                           compounding_date=TODAY.isoformat())
    lot = store.create_batch("tech", kind="capsules", order={**ORDER, "extra": "10%"}, result=result,
                             weights=[{"step": "filler_to_weigh", "actual": "8460 mg", "tolerance": "0.1%"}]
                             ).lot_number
    weight = store.batch(lot).weights[0]
    assert (weight.target, weight.verdict) == (Q(8460, "mg"), "within")
