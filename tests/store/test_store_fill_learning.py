"""A filler lot's fill weight learned from a released capsule batch's weight check (issue 11):
proposed from the mean net fill (domain §5 packing statistic, displacement factor 1), approved by a
pharmacist only, recorded in the audit trail with the old and new value, used by the next calculation."""

from __future__ import annotations

from fractions import Fraction

import pytest

from compounding.errors import InputError, PermissionDenied, StateError
from compounding.units import Q

from .conftest import PASSWORDS
from .helpers import db_state
from .test_store_lot_inputs import ORDER, api_lot, filler_lot

pytestmark = pytest.mark.store

# ten net fill weights: 208.05 + 209 + 210 + 211 + 212 + 208.5 + 209.5 + 210.5 + 211.5 + 210 = 2100.05 mg,
# mean 210.005 mg, which rounds half-up to 210.01 mg (0.01 mg)
NETS = ("208.05", "209", "210", "211", "212", "208.5", "209.5", "210.5", "211.5", "210")
SHELL = Fraction(48)  # the empty size-1 shell, mg


def _gross(net: str) -> str:
    return f"{float(Fraction(net) + SHELL):g} mg"  # 208.05 -> "256.05 mg"


def _batch(store, status="released", nets=NETS):
    api, filler = api_lot(store), filler_lot(store, {"1": "212.5 mg"})
    lot = store.create_batch_from_lots("tech", kind="capsules", order=ORDER, api_lot=api, filler_lot=filler,
                                       capsule_size="1").lot_number
    store.start_preparation("tech", lot)
    gross = "\n".join(_gross(n) for n in nets)  # as pasted from a balance
    store.record_capsule_weights("tech", lot, gross, shell="48 mg")
    if status != "in_preparation":
        store.submit_for_review("tech", lot, password=PASSWORDS["tech"])
        store.verify("pharm", lot, password=PASSWORDS["pharm"])
        store.release("pharm", lot, password=PASSWORDS["pharm"])
    return lot, api, filler


def test_capsule_weights_are_stored_net_and_signed(store):
    lot, _, _ = _batch(store, "in_preparation")
    batch = store.batch(lot)
    assert batch.capsule_weights == tuple(Q(Fraction(n), "mg") for n in NETS)
    first = store.submit_for_review("tech", lot, password=PASSWORDS["tech"]).signatures[-1].signed_hash
    store.send_back("pharm", lot, reason="reweigh capsule 1")
    store.record_capsule_weights("tech", lot, ["257 mg", *map(_gross, NETS[1:])],
                                 shell="48 mg")
    second = store.submit_for_review("tech", lot, password=PASSWORDS["tech"]).signatures[-1].signed_hash
    assert first != second  # the signature covers the weight check
    event = [e for e in store.history(lot) if e.action == "capsule_weights_recorded"][-1]
    assert event.old_value[0] == "208.05 mg" and event.new_value[0] == "209 mg"


def test_the_proposal_is_the_mean_net_fill(store):
    lot, _, filler = _batch(store)
    p = store.propose_fill_weight(lot)
    assert (p.filler_lot_id, p.capsule_size, p.capsules_weighed) == (filler, "1", 10)
    assert p.mean_net_fill == Q(Fraction("210.005"), "mg")
    assert p.current == Q(Fraction("212.5"), "mg") and p.proposed == Q(Fraction("210.01"), "mg")
    assert "displacement factor 1" in p.method


def test_a_pharmacist_approves_and_the_next_calculation_uses_it(store):
    lot, api, filler = _batch(store)
    before = db_state(store)
    for who in ("tech", "admin"):
        with pytest.raises(PermissionDenied) as caught:
            store.approve_fill_weight(who, lot)
        assert caught.value.field == "role"
    assert db_state(store) == before
    view = store.approve_fill_weight("pharm2", lot)
    assert view.fill_weights == {"1": Q(Fraction("210.01"), "mg")}
    event = store.ingredient_lot_history(filler)[-1]
    assert (event.action, event.actor) == ("fill_weight_learned", "pharm2")
    assert event.old_value == {"capsule_size": "1", "fill_weight": "212.5 mg"}
    assert event.new_value["fill_weight"] == "210.01 mg" and event.new_value["from_batch"] == lot
    assert lot in event.reason
    assert store.calculation_inputs(filler_lot=filler, capsule_size="1").inputs["fill_weight"] == "210.01 mg"
    # the released record keeps what it used
    assert store.batch(lot).order["fields"]["fill_weight"] == {"value": "212.5", "unit": "mg / capsule"}
    assert store.audit_check().ok
    before = db_state(store)
    with pytest.raises(StateError) as caught:  # approving the same proposal twice records nothing twice
        store.approve_fill_weight("pharm", lot)
    assert caught.value.field == "fill_weight" and db_state(store) == before


def test_no_proposal_from_an_unreleased_batch_or_too_few_capsules(store):
    lot, _, _ = _batch(store, "in_preparation")
    with pytest.raises(StateError) as caught:
        store.propose_fill_weight(lot)
    assert caught.value.field == "status"
    few, _, _ = _batch_few(store)
    with pytest.raises(StateError) as caught:
        store.propose_fill_weight(few)
    assert caught.value.field == "capsule_weights" and "needs 10" in str(caught.value)


def _batch_few(store):
    api = api_lot(store, supplier_lot="NX-9")
    filler = filler_lot(store, {"1": "212.5 mg"}, supplier_lot="MCC-9")
    lot = store.create_batch_from_lots("tech", kind="capsules", order=ORDER, api_lot=api, filler_lot=filler,
                                       capsule_size="1").lot_number
    store.start_preparation("tech", lot)
    store.record_capsule_weights("tech", lot, ["210 mg"] * 9)
    store.submit_for_review("tech", lot, password=PASSWORDS["tech"])
    store.verify("pharm", lot, password=PASSWORDS["pharm"])
    store.release("pharm", lot, password=PASSWORDS["pharm"])
    return lot, api, filler


@pytest.mark.parametrize("weights, shell, field", [
    (["4,5 mg"], None, "capsule_weights"), (["-1 g"], None, "capsule_weights"), ([], None, "capsule_weights"),
    (["40 mg"], "48 mg", "capsule_weights"), (["250 mg"], "-1 mg", "shell"), (["210 mg"] * 91, None, "capsule_weights"),
    (210, None, "capsule_weights")])
def test_bad_capsule_weights_are_refused(store, weights, shell, field):
    lot, _, _ = _batch(store, "in_preparation")
    before = db_state(store)
    with pytest.raises(InputError) as caught:
        store.record_capsule_weights("tech", lot, weights, shell=shell)
    assert caught.value.field == field and db_state(store) == before


def test_with_the_drugs_own_fill_weight_the_displacement_is_taken_out(store):
    api, filler = api_lot(store), filler_lot(store, {"1": "212.5 mg"})
    order = {**ORDER, "api_fill_weight": "300 mg"}
    lot = store.create_batch_from_lots("tech", kind="capsules", order=order, api_lot=api, filler_lot=filler,
                                       capsule_size="1").lot_number
    store.start_preparation("tech", lot)
    store.record_capsule_weights("tech", lot, ["210 mg"] * 10)
    store.submit_for_review("tech", lot, password=PASSWORDS["tech"])
    store.verify("pharm", lot, password=PASSWORDS["pharm"])
    store.release("pharm", lot, password=PASSWORDS["pharm"])
    p = store.propose_fill_weight(lot)
    # d = 4.5 mg ÷ 0.995 = 900/199 mg; PS_filler = (210 − d) ÷ (1 − d ÷ 300) = (40890/199) ÷ (196/199)
    # = 40890/196 = 208.6224… mg → 208.62 mg
    assert p.drug_powder_per_capsule == Q(Fraction(900, 199), "mg")
    assert p.api_fill_weight == Q(300, "mg") and p.proposed == Q(Fraction("208.62"), "mg")
    assert "PS_drug" in p.method


def test_a_batch_saved_with_an_order_object_proposes_too(store):
    # the same batch as _batch, its order stored as the core's order JSON ({"kind", "fields"}) rather
    # than keyword arguments: the proposal recalculates the record from it, and is the same mean
    from compounding.orders import CapsuleOrder, compute

    api, filler = api_lot(store), filler_lot(store, {"1": "212.5 mg"})
    result = compute(CapsuleOrder.from_text(**ORDER, potency="99.5%", api_form="hcl_anhydrous", capsule_size="1",
                                            filler="mcc_ph102", fill_weight="212.5 mg",
                                            compounding_date="2026-01-05"))
    lot = store.create_batch("tech", kind="capsules", order=result.order, result=result,
                             ingredient_lots=[api, filler]).lot_number
    store.start_preparation("tech", lot)
    store.record_capsule_weights("tech", lot, "\n".join(_gross(n) for n in NETS), shell="48 mg")
    store.submit_for_review("tech", lot, password=PASSWORDS["tech"])
    store.verify("pharm", lot, password=PASSWORDS["pharm"])
    store.release("pharm", lot, password=PASSWORDS["pharm"])
    p = store.propose_fill_weight(lot)
    assert (p.filler_lot_id, p.capsule_size, p.capsules_weighed) == (filler, "1", 10)
    assert p.current == Q(Fraction("212.5"), "mg") and p.proposed == Q(Fraction("210.01"), "mg")
