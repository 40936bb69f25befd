"""The audit trail is append-only (the database refuses UPDATE and DELETE) and hash-chained: with
the triggers dropped, any edit, deletion or re-hashed forgery is named by the chain check."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from compounding.store.audit import event_hash
from compounding.store.models import AuditEvent

from .helpers import make_batch

pytestmark = pytest.mark.store


@pytest.fixture
def trail(store):
    """Some history: the seeded users plus two batches through review (events 1 … n)."""
    make_batch(store, "released")
    make_batch(store, "in_preparation")
    report = store.audit_check()
    assert report.ok and report.events > 12, str(report)
    return store


def _sql(store, *statements):
    with store.engine.begin() as c:
        for statement in statements:
            c.execute(text(statement))


def _drop_triggers(store):
    if store.engine.dialect.name == "postgresql":
        _sql(store, "DROP TRIGGER audit_events_append_only ON audit_events")
    else:
        _sql(store, "DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete")


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 7",
    "UPDATE audit_events SET actor_name = 'pharm' WHERE seq = 7",
    "DELETE FROM audit_events WHERE seq = 7",
    "DELETE FROM audit_events",
])
def test_the_database_refuses_to_change_the_trail(trail, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        _sql(trail, statement)
    assert trail.audit_check().ok


def test_an_edited_event_is_named(trail):
    _drop_triggers(trail)
    _sql(trail, "UPDATE audit_events SET new_value = '{\"status\":\"released\"}' WHERE seq = 8")
    report = trail.audit_check()
    assert not report.ok and report.broken_seq == 8 and "changed" in report.problem
    assert str(report).startswith("BROKEN at event 8")


def test_a_forged_event_with_a_recomputed_hash_breaks_the_next_link(trail):
    _drop_triggers(trail)
    with Session(trail.engine) as s:  # the forger knows the hashing rule and recomputes event 8's hash
        forged = s.get(AuditEvent, 8)
        s.expunge(forged)
    forged.reason = "forged"
    _sql(trail, f"UPDATE audit_events SET reason = 'forged', hash = '{event_hash(forged)}' WHERE seq = 8")
    report = trail.audit_check()
    assert not report.ok and report.broken_seq == 9 and "prev_hash" in report.problem


def test_a_deleted_event_is_named(trail):
    _drop_triggers(trail)
    _sql(trail, "DELETE FROM audit_events WHERE seq = 6")
    report = trail.audit_check()
    assert not report.ok and report.broken_seq == 6 and "missing" in report.problem


def test_events_deleted_from_the_end_are_noticed(trail):
    _drop_triggers(trail)
    last = trail.audit_check().events
    _sql(trail, f"DELETE FROM audit_events WHERE seq > {last - 2}")
    report = trail.audit_check()
    assert not report.ok and report.broken_seq == last - 1 and "missing" in report.problem


def test_an_empty_trail_is_intact(store):
    with store.engine.begin() as c:  # the seeded users made events: a brand-new store has none
        assert c.execute(text("SELECT count(*) FROM audit_events")).scalar() == 5
    assert store.audit_check().ok
