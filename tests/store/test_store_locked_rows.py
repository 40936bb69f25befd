"""Defence in depth (migration 0004): the database itself refuses to change a submitted or released
batch's rows — actual weights, capsule weights, ingredient lots used, allocations — and to reopen a
released batch, the same rule the service enforces; the service's own paths (allocating released
stock, recall, amendment, editing while in preparation, sending back) still work. Raw SQL through
the engine, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from compounding.errors import StateError
from compounding.store.migrate import downgrade, upgrade
from compounding.store.models import ActualWeight
from compounding.store.service import Store

from .conftest import PASSWORDS
from .test_store_export import _texts
from .helpers import ORDER, batch_with_capsule_weights, capsule_result, db_state, make_batch, released_api_lot

pytestmark = pytest.mark.store

WEIGHT = {"step": "naltrexone_hcl", "actual": "405.1 mg", "tolerance": "5%"}
ALLOCATION = {"quantity": 60, "patient": "Jane Doe", "rx_number": "RX-1", "prescriber": "Dr. A. Smith"}


def _batch(store, status: str) -> tuple[str, int]:
    """A capsule batch at ``status`` with two lots, an actual weight, ten capsule weights and an allocation."""
    lot = batch_with_capsule_weights(store, "in_preparation")
    store.record_weight("tech", lot, step=WEIGHT["step"], actual=WEIGHT["actual"], tolerance=WEIGHT["tolerance"])
    store.allocate("tech", lot, **ALLOCATION)
    store.record_capsule_weights("tech", lot, ["210 mg"] * 10)
    steps = {"in_preparation": [], "ready_for_review": ["submit"], "verified": ["submit", "verify"],
             "released": ["submit", "verify", "release"], "recalled": ["submit", "verify", "release", "recall"]}
    for step in steps[status]:
        if step == "submit":
            store.submit_for_review("tech", lot, password=PASSWORDS["tech"])
        elif step == "recall":
            store.recall("pharm", lot, reason="supplier recall")
        else:
            getattr(store, step)("pharm2", lot, password=PASSWORDS["pharm2"])
    with store.engine.connect() as c:
        batch_id = c.execute(text("SELECT id FROM batches WHERE lot_number = :l"), {"l": lot}).scalar_one()
    return lot, batch_id


def _tampering(batch_id: int, other_id: int) -> list[str]:
    """Every kind of change a person with SQL access might try on the batch ``batch_id``."""
    b = batch_id
    return [
        f"UPDATE actual_weights SET actual = '399' WHERE batch_id = {b}",
        f"UPDATE actual_weights SET verdict = 'within', recorded_by_id = 1 WHERE batch_id = {b}",
        f"DELETE FROM actual_weights WHERE batch_id = {b}",
        f"INSERT INTO actual_weights (batch_id, step, target, actual, tolerance, verdict, recorded_by_id, "
        f"recorded_at) VALUES ({b}, 'filler_to_add', '1', '1', '5', 'within', 2, CURRENT_TIMESTAMP)",
        f"UPDATE actual_weights SET batch_id = {other_id} WHERE batch_id = {b}",  # moved out of the batch
        f"UPDATE actual_weights SET batch_id = {b} WHERE batch_id = {other_id}",  # moved into it
        f"UPDATE capsule_weights SET net_weight = '250' WHERE batch_id = {b}",
        f"DELETE FROM capsule_weights WHERE batch_id = {b} AND position = 1",
        f"INSERT INTO capsule_weights (batch_id, position, net_weight, recorded_by_id, recorded_at) "
        f"VALUES ({b}, 99, '210', 2, CURRENT_TIMESTAMP)",
        f"DELETE FROM batch_ingredient_lots WHERE batch_id = {b}",
        f"UPDATE batch_ingredient_lots SET ingredient_lot_id = ingredient_lot_id WHERE batch_id = {b}",
        f"UPDATE allocations SET quantity = 1 WHERE batch_id = {b}",
        f"UPDATE allocations SET prescriber = 'Dr. Someone Else' WHERE batch_id = {b}",
        f"DELETE FROM allocations WHERE batch_id = {b}",
        _ALLOCATE.format(batch=b, after_release="FALSE"),  # passed off as signed with the record
    ]


_ALLOCATE = ("INSERT INTO allocations (batch_id, anticipatory, quantity, recorded_by_id, recorded_at, after_release) "
             "VALUES ({batch}, TRUE, 1, 4, CURRENT_TIMESTAMP, {after_release})")


def _refused(store, statements: list[str]) -> None:
    before = db_state(store)
    for sql in statements:
        with pytest.raises(DBAPIError, match="batch record locked"), store.engine.begin() as c:
            c.execute(text(sql))
    assert db_state(store) == before


@pytest.mark.parametrize("status", ["ready_for_review", "verified", "released", "recalled"])
def test_the_database_refuses_changes_to_a_submitted_or_released_batch(store, status):
    lot, batch_id = _batch(store, status)
    _, other_id = _batch(store, "in_preparation")
    _refused(store, _tampering(batch_id, other_id))
    assert store.signature_check(lot) is True  # what was signed is what is stored


def test_a_released_batch_is_never_reopened_in_sql(store):
    lot, batch_id = _batch(store, "released")
    statements = [f"UPDATE batches SET status = '{s}' WHERE id = {batch_id}"
                  for s in ("draft", "in_preparation", "ready_for_review", "verified", "quarantined", "scrapped")]
    _refused(store, statements)
    store.recall("pharm", lot, reason="supplier recall")
    _refused(store, [f"UPDATE batches SET status = '{s}' WHERE id = {batch_id}" for s in ("released", "draft")])



def test_only_a_released_batch_takes_stock_allocations_after_release(store):
    # "after release" allocations are left out of the signed content, so nothing else may pose as one
    _, preparing = _batch(store, "in_preparation")
    _, verified = _batch(store, "verified")
    _refused(store, [_ALLOCATE.format(batch=b, after_release="TRUE") for b in (preparing, verified)])
    lot, released = _batch(store, "released")
    with store.engine.begin() as c:
        c.execute(text(_ALLOCATE.format(batch=released, after_release="TRUE")))
    assert store.batch(lot).allocations[-1].after_release and store.signature_check(lot) is True


def test_rows_of_a_batch_in_preparation_still_change(store):
    # the rule is the service's, no stricter: while a batch is prepared its rows may change
    lot, batch_id = _batch(store, "in_preparation")
    _, other_id = _batch(store, "in_preparation")
    with store.engine.begin() as c:
        for sql in _tampering(batch_id, other_id)[:4]:
            c.execute(text(sql))
    assert store.batch(lot).weights[-1].step == "filler_to_add"


def test_the_services_own_paths_still_work(store):
    lot, _ = _batch(store, "released")
    # after release a pharmacist allocates stock to a prescription (an INSERT on a released batch)
    store.allocate("pharm", lot, quantity=30, patient="Joe Roe", rx_number="RX-2")
    assert [a.quantity for a in store.batch(lot).allocations] == [60, 30]
    store.recall("pharm", lot, reason="prescriber name misspelt on the label")  # released -> recalled
    amendment = store.amend("tech2", lot, order=ORDER, result=capsule_result(),
                            reason="prescriber name corrected")
    new = amendment.lot_number
    assert [w.step for w in amendment.weights] == ["naltrexone_hcl"] and len(amendment.capsule_weights) == 10
    store.start_preparation("tech2", new)
    store.record_weight("tech2", new, step="naltrexone_hcl", actual="404.9 mg", tolerance="5%")  # UPDATE
    store.record_capsule_weights("tech2", new, ["211 mg"] * 10)  # DELETE + INSERT
    store.add_ingredient_lot_to_batch("tech2", new, released_api_lot(store))
    store.allocate("tech2", new, quantity=60, patient="Jane Doe", rx_number="RX-1", prescriber="Dr. A. Smith")
    store.submit_for_review("tech2", new, password=PASSWORDS["tech2"])
    store.send_back("pharm", new, reason="weigh the API again")  # back to preparation: editable again
    store.record_weight("tech2", new, step="naltrexone_hcl", actual="405 mg", tolerance="5%")
    store.submit_for_review("tech2", new, password=PASSWORDS["tech2"])
    store.verify("pharm", new, password=PASSWORDS["pharm"])
    store.release("pharm", new, password=PASSWORDS["pharm"])
    store.allocate("pharm2", new, quantity=10, anticipatory=True)  # stock allocated after release
    assert store.batch(new).status == "released" and store.signature_check(new) is True
    assert store.audit_check().ok


def test_a_locked_row_written_around_the_service_check_is_a_clear_refusal(store):
    # the service's own check is _editable(); were it ever bypassed, the trigger's refusal reaches the user as
    # a StateError on the status, and nothing is stored
    lot, batch_id = _batch(store, "released")
    before = db_state(store)
    weight = store.batch(lot).weights[0]

    def work(s):
        s.add(ActualWeight(batch_id=batch_id, step="filler_to_add", target=weight.target, actual=weight.actual,
                           tolerance=weight.tolerance, verdict="within", recorded_by_id=2,
                           recorded_at=weight.recorded_at))
        s.flush()

    with pytest.raises(StateError) as caught:
        store._write(work)
    assert caught.value.field == "status" and "locked" in str(caught.value)
    assert db_state(store) == before


def test_postgresql_refuses_truncate(store):
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _batch(store, "released")
    _refused(store, [f"TRUNCATE {t} CASCADE" for t in ("actual_weights", "capsule_weights",
                                                      "batch_ingredient_lots", "allocations")])


def test_downgrade_removes_the_triggers_and_upgrade_restores_them(store, db_url):
    lot, batch_id = _batch(store, "released")
    sql = f"UPDATE actual_weights SET actual = '399' WHERE batch_id = {batch_id}"
    store.engine.dispose()
    downgrade(db_url, "0003")
    with store.engine.begin() as c:
        c.execute(text(sql))  # without 0004 only the signature check sees it
    assert store.signature_check(lot) is False
    store.engine.dispose()
    upgrade(db_url)
    _refused(store, [sql.replace("'399'", "'405.1'")])


def test_stock_allocated_after_release_is_flagged_in_the_audit_trail(store):
    lot, _ = _batch(store, "released")
    store.allocate("pharm", lot, quantity=5, anticipatory=True)
    event = store.history(lot)[-1]
    assert (event.action, event.actor, event.new_value["after_release"]) == ("allocated", "pharm", True)
    shown = _texts(store.export_batch(lot))
    assert "anticipatory stock (5) after release" in shown, [x for x in shown.splitlines() if "Allocated" in x]
    assert "Signed content: unchanged since the last signature" in _texts(store.export_batch(lot))


def test_upgrading_an_existing_store_flags_what_was_allocated_after_release(store, db_url):
    import datetime as dt

    from .conftest import NOW

    lot = make_batch(store, "released", allocations=[{"quantity": 60, "patient": "Jane Doe", "rx_number": "RX-1"}])
    later = Store(store.engine, clock=lambda: NOW + dt.timedelta(hours=1))
    later.allocate("pharm", lot, quantity=5, anticipatory=True)
    store.engine.dispose()
    downgrade(db_url, "0002")  # a store from before migration 0003, with stock allocated after release
    upgrade(db_url)
    assert [a.after_release for a in store.batch(lot).allocations] == [False, True]
    assert store.signature_check(lot) is True
