"""Who may do what, through the service: every role × every action, each refusal a clear error
that names what decided it and changes nothing (every row of every table compared).

Actors: ``admin``; ``tech``, the technician who prepared the batch; ``tech2``, another
technician; ``pharm``, a pharmacist who did not prepare it. The expectations are written out from
issue 11 (not derived from the service's own tables):
admins manage users and never sign; technicians and pharmacists create, prepare and submit their
own batches and receive ingredient lots; only pharmacists verify, release, send back, quarantine,
scrap, recall, allocate released stock, release/reject ingredient lots and approve a filler lot's
learned fill weight; only the preparer records a batch's capsule weight check.
"""

from __future__ import annotations

import pytest

from compounding.errors import InputError, PermissionDenied, StateError

from .conftest import PASSWORDS
from .helpers import (ORDER, batch_with_capsule_weights, capsule_result, db_state, make_batch, quarantined_lot,
                      released_api_lot)

pytestmark = pytest.mark.store

OK = None
ROLE = (PermissionDenied, "role")  # the role may not do this
NOT_PREPARER = (PermissionDenied, "user")  # someone else's batch
STATE = (StateError, "status")  # a released record never changes
ACTORS = ("admin", "tech", "tech2", "pharm")


def _pw(actor: str) -> str:
    return PASSWORDS[actor]


# action: (status the target batch is in (or a lot/user target), the call, {actor: expected})
ACTIONS = {
    "create_batch": (None, lambda s, a, t: s.create_batch(a, kind="capsules", order=ORDER, result=capsule_result()),
                     dict(admin=ROLE, tech=OK, tech2=OK, pharm=OK)),
    "start_preparation": ("draft", lambda s, a, t: s.start_preparation(a, t),
                          dict(admin=ROLE, tech=OK, tech2=NOT_PREPARER, pharm=NOT_PREPARER)),
    "record_weight": ("in_preparation",
                      lambda s, a, t: s.record_weight(a, t, step="naltrexone_hcl", actual="405 mg", tolerance="5%"),
                      dict(admin=ROLE, tech=OK, tech2=NOT_PREPARER, pharm=NOT_PREPARER)),
    "add_ingredient_lot": ("in_preparation+lot", lambda s, a, t: s.add_ingredient_lot_to_batch(a, *t),
                           dict(admin=ROLE, tech=OK, tech2=NOT_PREPARER, pharm=NOT_PREPARER)),
    "allocate_in_preparation": ("in_preparation",
                                lambda s, a, t: s.allocate(a, t, quantity=30, patient="Jane Doe", rx_number="RX1"),
                                dict(admin=ROLE, tech=OK, tech2=NOT_PREPARER, pharm=NOT_PREPARER)),
    "submit_for_review (sign prepared)": ("in_preparation", lambda s, a, t: s.submit_for_review(a, t, password=_pw(a)),
                                          dict(admin=ROLE, tech=OK, tech2=NOT_PREPARER, pharm=NOT_PREPARER)),
    "send_back": ("ready_for_review", lambda s, a, t: s.send_back(a, t, reason="capsule weights missing"),
                  dict(admin=ROLE, tech=ROLE, tech2=ROLE, pharm=OK)),
    "verify (sign verified)": ("ready_for_review", lambda s, a, t: s.verify(a, t, password=_pw(a)),
                               dict(admin=ROLE, tech=ROLE, tech2=ROLE, pharm=OK)),
    "release (sign released)": ("verified", lambda s, a, t: s.release(a, t, password=_pw(a)),
                                dict(admin=ROLE, tech=ROLE, tech2=ROLE, pharm=OK)),
    "quarantine": ("ready_for_review", lambda s, a, t: s.quarantine(a, t, reason="hold for assay"),
                   dict(admin=ROLE, tech=ROLE, tech2=ROLE, pharm=OK)),
    "scrap": ("in_preparation", lambda s, a, t: s.scrap(a, t, reason="spilled"),
              dict(admin=ROLE, tech=ROLE, tech2=ROLE, pharm=OK)),
    "recall": ("released", lambda s, a, t: s.recall(a, t, reason="API lot recalled by supplier"),
               dict(admin=ROLE, tech=ROLE, tech2=ROLE, pharm=OK)),
    "amend a released batch": ("released", lambda s, a, t: s.amend(a, t, order=ORDER, result=capsule_result(),
                                                                    reason="prescriber name corrected"),
                               dict(admin=ROLE, tech=OK, tech2=OK, pharm=OK)),
    "allocate released stock": ("released",
                                lambda s, a, t: s.allocate(a, t, quantity=30, patient="Jane Doe", rx_number="RX1"),
                                dict(admin=ROLE, tech=ROLE, tech2=ROLE, pharm=OK)),
    "edit a released batch (weight)": ("released", lambda s, a, t: s.record_weight(a, t, step="naltrexone_hcl",
                                                                                   actual="400 mg", tolerance="5%"),
                                       dict(admin=ROLE, tech=STATE, tech2=STATE, pharm=STATE)),
    "edit a released batch (ingredient lot)": ("released+lot", lambda s, a, t: s.add_ingredient_lot_to_batch(a, *t),
                                               dict(admin=ROLE, tech=STATE, tech2=STATE, pharm=STATE)),
    "edit a batch under review": ("ready_for_review", lambda s, a, t: s.record_weight(a, t, step="naltrexone_hcl",
                                                                                     actual="400 mg", tolerance="5%"),
                                  dict(admin=ROLE, tech=STATE, tech2=STATE, pharm=STATE)),
    "create_batch_from_lots": ("api_lot", lambda s, a, t: s.create_batch_from_lots(
        a, kind="capsules", order={"strength": "4.5 mg", "quantity": 90}, api_lot=t),
        dict(admin=ROLE, tech=OK, tech2=OK, pharm=OK)),
    "record_capsule_weights": ("in_preparation", lambda s, a, t: s.record_capsule_weights(a, t, ["210 mg"] * 10),
                               dict(admin=ROLE, tech=OK, tech2=NOT_PREPARER, pharm=NOT_PREPARER)),
    "record capsule weights on a released batch": ("released", lambda s, a, t: s.record_capsule_weights(
        a, t, ["210 mg"] * 10), dict(admin=ROLE, tech=STATE, tech2=STATE, pharm=STATE)),
    "approve_fill_weight": ("learned", lambda s, a, t: s.approve_fill_weight(a, t),
                            dict(admin=ROLE, tech=ROLE, tech2=ROLE, pharm=OK)),
    "receive_ingredient_lot": ("lot", lambda s, a, t: s.receive_ingredient_lot(
        a, kind="vehicle", material="purified water", supplier="AquaCo", supplier_lot=f"W-{a}", expiry="2027-01-01"),
        dict(admin=ROLE, tech=OK, tech2=OK, pharm=OK)),
    "release_ingredient_lot": ("lot", lambda s, a, t: s.release_ingredient_lot(a, t),
                               dict(admin=ROLE, tech=ROLE, tech2=ROLE, pharm=OK)),
    "reject_ingredient_lot": ("lot", lambda s, a, t: s.reject_ingredient_lot(a, t, reason="CoA missing"),
                              dict(admin=ROLE, tech=ROLE, tech2=ROLE, pharm=OK)),
    "add_user": ("user", lambda s, a, t: s.add_user(a, username=f"new-{a}", name="New Person", initials="NP",
                                                     role="technician", password="a-long-password"),
                 dict(admin=OK, tech=ROLE, tech2=ROLE, pharm=ROLE)),
    "deactivate_user": ("user", lambda s, a, t: s.deactivate_user(a, t, reason="left the pharmacy"),
                        dict(admin=OK, tech=ROLE, tech2=ROLE, pharm=ROLE)),
}


def _target(store, kind, actor):
    if kind is None:
        return None
    if kind == "lot":
        return quarantined_lot(store)
    if kind == "api_lot":
        return released_api_lot(store)
    if kind == "learned":  # a released batch with its capsule weight check, to learn a fill weight from
        return batch_with_capsule_weights(store, "released", preparer="tech")
    if kind == "user":
        username = f"target-{actor}"
        store.add_user("admin", username=username, name="Target Person", initials="TP", role="technician",
                       password="target-password")
        return username
    if kind.endswith("+lot"):  # a batch, and a released API lot to add to it
        return make_batch(store, kind.removesuffix("+lot"), preparer="tech"), released_api_lot(store)
    return make_batch(store, kind, preparer="tech")


@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_role_and_action(store, action):
    kind, call, expected = ACTIONS[action]
    assert set(expected) == set(ACTORS)
    targets = {actor: _target(store, kind, actor) for actor in ACTORS}
    for actor in ACTORS:
        before = db_state(store)
        outcome = expected[actor]
        if outcome is OK:
            call(store, actor, targets[actor])
            assert db_state(store) != before, f"{actor}: {action} was allowed but changed nothing"
            continue
        error, field = outcome
        with pytest.raises(error) as caught:
            call(store, actor, targets[actor])
        assert caught.value.field == field, f"{actor}: {action}: {caught.value}"
        assert str(caught.value).strip() and "\n" not in str(caught.value)
        assert db_state(store) == before, f"{actor}: refused {action} but something changed"


def test_the_preparer_never_verifies_even_as_a_pharmacist(store):
    lot = make_batch(store, "ready_for_review", preparer="pharm")
    before = db_state(store)
    with pytest.raises(PermissionDenied, match="second person") as caught:
        store.verify("pharm", lot, password=PASSWORDS["pharm"])
    assert caught.value.field == "user" and db_state(store) == before
    assert store.verify("pharm2", lot, password=PASSWORDS["pharm2"]).verifier == "pharm2"


def test_an_admin_cannot_sign_even_with_the_right_password(store):
    lot = make_batch(store, "in_preparation")
    before = db_state(store)
    for method in ("submit_for_review", "verify", "release"):
        with pytest.raises(PermissionDenied) as caught:
            getattr(store, method)("admin", lot, password=PASSWORDS["admin"])
        assert caught.value.field == "role"
    assert db_state(store) == before


@pytest.mark.parametrize("password", ["wrong-password", "", None, PASSWORDS["pharm"]])
def test_signing_needs_the_signers_own_password(store, password):
    lot = make_batch(store, "ready_for_review")
    before = db_state(store)
    with pytest.raises(PermissionDenied) as caught:
        store.verify("pharm2", lot, password=password)  # pharm's password is not pharm2's
    assert caught.value.field == "password" and db_state(store) == before


def test_an_inactive_user_can_do_nothing(store):
    lot = make_batch(store, "ready_for_review")
    store.deactivate_user("admin", "pharm2", reason="left")
    before = db_state(store)
    with pytest.raises(PermissionDenied):
        store.verify("pharm2", lot, password=PASSWORDS["pharm2"])
    with pytest.raises(PermissionDenied) as caught:
        store.scrap("pharm2", lot, reason="x")
    assert caught.value.field == "user" and db_state(store) == before
    with pytest.raises(PermissionDenied):
        store.authenticate("pharm2", PASSWORDS["pharm2"])


def test_an_unknown_user_is_refused_like_a_wrong_password(store):
    with pytest.raises(PermissionDenied) as unknown:
        store.authenticate("nobody", "whatever-password")
    with pytest.raises(PermissionDenied) as wrong:
        store.authenticate("tech", "whatever-password")
    assert str(unknown.value) == str(wrong.value)  # no hint which user names exist
    assert store.authenticate("tech", PASSWORDS["tech"]).role == "technician"


def test_an_unknown_batch_is_named(store):
    with pytest.raises(InputError) as caught:
        store.start_preparation("tech", "LDN-260105-999")
    assert caught.value.field == "lot_number"
