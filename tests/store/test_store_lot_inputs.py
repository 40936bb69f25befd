"""Lots feed calculations (issue 11): a calculation started from ingredient lots takes the potency,
salt form, potency basis, tablet weight or fill weight from the lots, and their expiries cap the BUD;
a lot that may not be used is refused naming the field it was chosen in, and nothing is stored.
Expected numbers are worked by hand from domain.md (§4 BUD, §5 capsule arithmetic, §8b potency)."""

from __future__ import annotations

import datetime as dt

import pytest

from compounding import capsule_batch
from compounding.errors import InputError, StateError
from compounding.orders import CapsuleOrder, compute
from compounding.store.service import Store

from .conftest import NOW
from .helpers import TODAY, db_state

pytestmark = pytest.mark.store

ORDER = {"strength": "4.5 mg", "quantity": 90}


def api_lot(store, *, release=True, expiry="2027-06-30", supplier_lot="NX-1", **certificate):
    certificate = certificate or {"salt_form": "hcl_anhydrous", "potency": "99.5%"}
    lot = store.receive_ingredient_lot("tech", kind="api", material="naltrexone hydrochloride", supplier="Acme",
                                       supplier_lot=supplier_lot, expiry=expiry, **certificate)
    return store.release_ingredient_lot("pharm", lot.id).id if release else lot.id


def filler_lot(store, fill_weights=None, supplier_lot="MCC-1"):
    lot = store.receive_ingredient_lot("tech", kind="filler", material="mcc_ph102", supplier="FillCo",
                                       supplier_lot=supplier_lot, expiry="2027-12-31", fill_weights=fill_weights)
    return store.release_ingredient_lot("pharm", lot.id).id


def tablet_lot(store):
    lot = store.receive_ingredient_lot("tech", kind="tablets", material="naltrexone 50 mg tablets",
                                       supplier="Teva", supplier_lot="T-1", expiry="2027-03-31",
                                       tablet_weight="321.5 mg")
    return store.release_ingredient_lot("pharm", lot.id).id


def test_an_api_lot_gives_potency_salt_form_and_its_expiry(store):
    lot = api_lot(store)
    given = store.calculation_inputs(api_lot=lot)
    assert given.inputs == {"source": "api", "api_form": "hcl_anhydrous", "potency": "99.5%",
                            "component_expiries": ["2027-06-30"]}
    assert given.lot_ids == (lot,)
    batch = store.create_batch_from_lots("tech", kind="capsules", order=ORDER, api_lot=lot)
    # 4.5 mg × 90 = 405 mg naltrexone HCl; ÷ 0.995 as-is potency = 407.0352 mg of powder
    assert batch.result["api_to_weigh"]["value"] == pytest.approx(405 / 0.995, rel=1e-12)
    # stored as the core's order JSON (what "Save as batch" stores), the lot's figures in it, defaults filled in
    typed_order = CapsuleOrder.from_text(**ORDER, compounding_date=TODAY.isoformat(), **given.inputs)
    assert batch.order == compute(typed_order).order.to_json()
    assert batch.order["kind"] == "capsules" and batch.order["fields"]["potency"] == {"value": "99.5", "unit": "%"}
    assert [x.supplier_lot for x in batch.ingredient_lots] == ["NX-1"]
    typed = capsule_batch("4.5 mg", 90, potency="99.5%", api_form="hcl_anhydrous",
                          compounding_date=TODAY.isoformat(), component_expiries=["2027-06-30"])
    assert batch.result == typed.as_dict()  # the same as typing the lot's figures


def test_a_dihydrate_lot_with_assay_and_water_counts_the_water_once(store):
    lot = api_lot(store, salt_form="hcl_dihydrate", assay="99.5%", water="8.5%")
    batch = store.create_batch_from_lots("tech", kind="capsules", order=ORDER, api_lot=lot)
    fields = batch.order["fields"]
    assert (fields["assay"], fields["water"], fields["api_form"]) == (
        {"value": "99.5", "unit": "%"}, {"value": "8.5", "unit": "%"}, "hcl_dihydrate")
    # domain §8b: as-is potency 99.5 % × (1 − 8.5 %) = 91.0425 % of anhydrous HCl, no hydrate factor on top:
    # 405 mg ÷ 0.910425 = 444.8472 mg
    assert batch.result["api_to_weigh"]["value"] == pytest.approx(405 / 0.910425, rel=1e-12)


def test_a_hydrate_basis_potency_applies_the_salt_factor(store):
    lot = api_lot(store, salt_form="hcl_dihydrate", potency="99%", potency_basis="hcl_dihydrate")
    given = store.calculation_inputs(api_lot=lot)
    assert given.inputs["potency_basis"] == "hcl_dihydrate"
    batch = store.create_batch_from_lots("tech", kind="capsules", order=ORDER, api_lot=lot)
    # content of the dihydrate itself: × MW 413.89 / 377.86 (anhydrous HCl), ÷ 0.99
    factor = batch.result["salt_factor"]
    assert factor == pytest.approx(413.89 / 377.86, rel=1e-4) and factor != 1
    assert batch.result["api_to_weigh"]["value"] == pytest.approx(405 * factor / 0.99, rel=1e-12)


def test_the_earliest_lot_expiry_caps_the_bud(store):
    # capsules: 180 days (USP <795> Table 4) from 2026-01-05 is 2026-07-04; the API lot expires first
    lot = api_lot(store, expiry="2026-03-01")
    filler = filler_lot(store)
    batch = store.create_batch_from_lots("tech", kind="capsules", order=ORDER, api_lot=lot, filler_lot=filler)
    assert batch.result["bud"] == "2026-03-01"
    assert batch.order["fields"]["component_expiries"] == ["2026-03-01", "2027-12-31"]
    far = api_lot(store, supplier_lot="NX-2")
    assert store.create_batch_from_lots("tech", kind="capsules", order=ORDER, api_lot=far)\
        .result["bud"] == "2026-07-04"


def test_a_tablet_lot_gives_its_tablet_weight(store):
    lot = tablet_lot(store)
    assert store.calculation_inputs(tablet_lot=lot).inputs == {
        "source": "tablets", "tablet_weight": "321.5 mg", "component_expiries": ["2027-03-31"]}
    batch = store.create_batch_from_lots("tech", kind="capsules", order=ORDER, tablet_lot=lot)
    assert batch.result["average_tablet_weight"] == {"value": 321.5, "unit": "mg"}
    # 405 mg of drug from 50 mg tablets = 8.1 tablets' worth: 8.1 × 321.5 mg = 2604.15 mg of powder
    assert batch.result["tablet_powder_to_weigh"]["value"] == pytest.approx(2604.15, abs=1)


def test_a_filler_lot_gives_its_fill_weight_for_the_size(store):
    lot, filler = api_lot(store), filler_lot(store, {"1": "212.5 mg"})
    given = store.calculation_inputs(api_lot=lot, filler_lot=filler, capsule_size="1")
    assert (given.inputs["filler"], given.inputs["fill_weight"], given.inputs["capsule_size"]) == (
        "mcc_ph102", "212.5 mg", "1")
    batch = store.create_batch_from_lots("tech", kind="capsules", order=ORDER, api_lot=lot, filler_lot=filler,
                                         capsule_size="1")
    # packing statistic, displacement factor 1: filler = 212.5 − 4.5 ÷ 0.995 = 207.9774 mg per capsule
    assert batch.result["filler_per_capsule"]["value"] == pytest.approx(212.5 - 4.5 / 0.995, rel=1e-12)
    other = store.calculation_inputs(filler_lot=filler, capsule_size="0")
    assert "fill_weight" not in other.inputs and "no measured fill weight for size 0" in other.notes[0]


def test_an_oral_liquid_from_an_api_lot(store):
    lot = api_lot(store)
    order = {"concentration": "1 mg/mL", "final_volume": "100 mL"}
    batch = store.create_batch_from_lots("tech", kind="oral_liquid", order=order, api_lot=lot)
    assert batch.order["kind"] == "oral_liquid"
    assert batch.order["fields"]["potency"] == {"value": "99.5", "unit": "%"} and batch.order["fields"]["source"] == "api"
    # 1 mg/mL × 100 mL = 100 mg naltrexone HCl ÷ 0.995 = 100.5025 mg of powder
    assert batch.result["api_to_weigh"]["value"] == pytest.approx(100 / 0.995, rel=1e-12)
    with pytest.raises(InputError) as caught:
        store.create_batch_from_lots("tech", kind="oral_liquid", order=order, filler_lot=filler_lot(store))
    assert caught.value.field == "filler_lot"


def _refused(store, error, field, **lots):
    before = db_state(store)
    with pytest.raises(error) as caught:
        store.create_batch_from_lots("tech", kind="capsules", order=lots.pop("order", ORDER), **lots)
    assert caught.value.field == field, str(caught.value)
    assert str(caught.value).startswith(field) and "\n" not in str(caught.value)
    assert db_state(store) == before
    return str(caught.value)


def test_unusable_lots_are_refused_naming_the_field(store):
    quarantined = api_lot(store, release=False, supplier_lot="Q-1")
    assert "quarantined" in _refused(store, StateError, "api_lot", api_lot=quarantined)
    rejected = api_lot(store, release=False, supplier_lot="R-1")
    store.reject_ingredient_lot("pharm", rejected, reason="CoA does not match")
    assert "rejected" in _refused(store, StateError, "api_lot", api_lot=rejected)
    filler = filler_lot(store)
    assert "a filler lot" in _refused(store, InputError, "api_lot", api_lot=filler)
    assert "not an ingredient lot" in _refused(store, InputError, "filler_lot", filler_lot=9999)
    good = api_lot(store, supplier_lot="G-1")
    assert "not both" in _refused(store, InputError, "tablet_lot", api_lot=good, tablet_lot=tablet_lot(store))
    typed = {**ORDER, "potency": "98%"}
    assert "no retyping" in _refused(store, InputError, "potency", api_lot=good, order=typed)


def test_a_lot_that_expired_is_refused(store):
    soon = api_lot(store, expiry=(TODAY + dt.timedelta(days=10)).isoformat())
    later = Store(store.engine, clock=lambda: NOW + dt.timedelta(days=11))
    assert "expired on 2026-01-15" in _refused(later, StateError, "api_lot", api_lot=soon)
    # a compounding date after the expiry is refused too, even today
    assert "expired" in _refused(store, StateError, "api_lot", api_lot=soon,
                                 order={**ORDER, "compounding_date": dt.date(2026, 1, 16)})
    assert "not a date" in _refused(store, InputError, "compounding_date", api_lot=soon,
                                    order={**ORDER, "compounding_date": "16/01/2026"})


def test_the_lots_a_calculation_may_start_from(store):
    late = api_lot(store, supplier_lot="LATE", expiry="2027-06-30")
    early = api_lot(store, supplier_lot="EARLY", expiry="2026-02-01")
    api_lot(store, release=False, supplier_lot="QUAR")
    assert [x.id for x in store.usable_ingredient_lots("api")] == [early, late]  # first expiry, first out
    assert [x.id for x in store.usable_ingredient_lots("api", compounding_date="2026-03-01")] == [late]
