"""Bad input is refused with a message naming the field, and nothing is stored (every row of
every table compared before and after)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from compounding.errors import InputError

from .helpers import TODAY, capsule_result, db_state, make_batch, ORDER

pytestmark = pytest.mark.store

LONG = "x" * 10_000
SQL = "'; DROP TABLE batches; --"
API = dict(kind="api", material="naltrexone hydrochloride", supplier="Acme", supplier_lot="NX-9", expiry="2027-06-30",
           salt_form="hcl_anhydrous", potency="99.5%")


def _api(**changes):
    return lambda s, lot: s.receive_ingredient_lot("tech", **{**API, **changes})


BAD = {
    "expiry in the past": (_api(expiry="2026-01-04"), "expiry"),  # the store's today is 2026-01-05
    "expiry not a date": (_api(expiry="30/06/2027"), "expiry"),
    "potency 985 %": (_api(potency="985%"), "potency"),
    "potency without % sign": (_api(potency="98.5"), "potency"),
    "potency and assay both": (_api(assay="99.5%"), "potency"),
    "assay outside the USP monograph": (_api(potency=None, assay="120%", water="0.5%"), "assay"),
    "API lot without potency": (_api(potency=None), "potency"),
    "unknown salt form": (_api(salt_form="hcl"), "salt_form"),
    "tablet weight on an API lot": (_api(tablet_weight="321 mg"), "tablet_weight"),
    "duplicate supplier lot": (lambda s, lot: s.receive_ingredient_lot("tech", **{**API, "supplier_lot": "NX-1"}),
                               "supplier_lot"),
    "SQL as a supplier lot": (_api(supplier_lot=SQL), "supplier_lot"),
    "right-to-left override in a supplier": (_api(supplier="Acme \u202eemcA"), "supplier"),
    "tablets lot weighing 5 mg": (lambda s, lot: s.receive_ingredient_lot(
        "tech", kind="tablets", material="naltrexone 50 mg tablets", supplier="Teva", supplier_lot="T1",
        expiry="2027-01-01", tablet_weight="5 mg"), "tablet_weight"),
    "unknown filler": (lambda s, lot: s.receive_ingredient_lot(
        "tech", kind="filler", material="sand", supplier="F", supplier_lot="F1", expiry="2027-01-01"), "material"),
    "fill weight for capsule size 9": (lambda s, lot: s.receive_ingredient_lot(
        "tech", kind="filler", material="mcc_ph102", supplier="F", supplier_lot="F1", expiry="2027-01-01",
        fill_weights={"9": "300 mg"}), "capsule_size"),
    "weight 4,5 mg": (lambda s, lot: s.record_weight("tech", lot, step="naltrexone_hcl", actual="4,5 mg",
                                                     tolerance="5%"), "actual"),
    "weight -1 g": (lambda s, lot: s.record_weight("tech", lot, step="naltrexone_hcl", actual="-1 g",
                                                   tolerance="5%"), "actual"),
    "weight 0 mg": (lambda s, lot: s.record_weight("tech", lot, step="naltrexone_hcl", actual="0 mg",
                                                   tolerance="5%"), "actual"),
    "weight in mL": (lambda s, lot: s.record_weight("tech", lot, step="naltrexone_hcl", actual="4 mL",
                                                    tolerance="5%"), "actual"),
    "weight of a step the result does not have": (lambda s, lot: s.record_weight(
        "tech", lot, step="capsule_size", actual="4 mg", tolerance="5%"), "step"),
    "tolerance 50 %": (lambda s, lot: s.record_weight("tech", lot, step="naltrexone_hcl", actual="405 mg",
                                                      tolerance="50%"), "tolerance"),
    "10,000-character reason": (lambda s, lot: s.quarantine("pharm", lot, reason=LONG), "reason"),
    "10,000-character reason approving a fill weight": (lambda s, lot: s.approve_fill_weight("pharm", lot,
                                                                                             reason=LONG), "reason"),
    "potency basis that is not a form": (_api(potency_basis="sulfate"), "potency_basis"),
    "hydrate potency basis with an assay": (_api(potency=None, assay="99.5%", water="8.5%", salt_form="hcl_dihydrate",
                                                 potency_basis="hcl_dihydrate"), "potency_basis"),
    "capsule weight 4,5 mg": (lambda s, lot: s.record_capsule_weights("tech", lot, ["4,5 mg"]), "capsule_weights"),
    "capsule weight -1 g": (lambda s, lot: s.record_capsule_weights("tech", lot, "210 mg\n-1 g"),
                            "capsule_weights"),
    "SQL pasted as capsule weights": (lambda s, lot: s.record_capsule_weights("tech", lot, SQL), "capsule_weights"),
    "SQL as an API lot id": (lambda s, lot: s.calculation_inputs(api_lot="1; DROP TABLE batches"), "api_lot"),
    "compounding date not a date": (lambda s, lot: s.calculation_inputs(compounding_date="05/01/2026"),
                                    "compounding_date"),
    "potency typed beside an API lot": (lambda s, lot: s.create_batch_from_lots(
        "tech", kind="capsules", order={**ORDER, "potency": "985%"}, api_lot=s.ingredient_lots(kind="api")[0].id),
        "potency"),
    "reason with a line break": (lambda s, lot: s.scrap("pharm", lot, reason="spilled\nDROP"), "reason"),
    "empty reason": (lambda s, lot: s.scrap("pharm", lot, reason="  "), "reason"),
    "allocation of 0 capsules": (lambda s, lot: s.allocate("tech", lot, quantity=0, patient="Jane Doe",
                                                           rx_number="RX1"), "quantity"),
    "allocation beyond the batch": (lambda s, lot: s.allocate("tech", lot, quantity=91, patient="Jane Doe",
                                                              rx_number="RX1"), "quantity"),
    "patient with SQL": (lambda s, lot: s.allocate("tech", lot, quantity=1, patient=SQL, rx_number="RX1"),
                         "patient"),
    "patient name 10,000 characters": (lambda s, lot: s.allocate("tech", lot, quantity=1, patient=LONG,
                                                                 rx_number="RX1"), "patient"),
    "Rx number with a quote": (lambda s, lot: s.allocate("tech", lot, quantity=1, patient="Jane Doe",
                                                         rx_number="RX'1"), "rx_number"),
    "batch of an unknown kind": (lambda s, lot: s.create_batch("tech", kind="ointment", order=ORDER,
                                                               result=capsule_result()), "kind"),
    "user name with a space": (lambda s, lot: s.add_user("admin", username="new user", name="New Person",
                                                         initials="NP", role="technician", password="long-password"),
                               "username"),
    "user name taken": (lambda s, lot: s.add_user("admin", username="tech", name="New Person", initials="NP",
                                                  role="technician", password="long-password"), "username"),
    "short password": (lambda s, lot: s.add_user("admin", username="newbie", name="New Person", initials="NP",
                                                 role="technician", password="short"), "password"),
    "unknown role": (lambda s, lot: s.add_user("admin", username="newbie", name="New Person", initials="NP",
                                               role="owner", password="long-password"), "role"),
    "name with digits": (lambda s, lot: s.add_user("admin", username="newbie", name="R2D2", initials="RD",
                                                   role="technician", password="long-password"), "name"),
    "search: SQL in the patient box": (lambda s, lot: s.search_batches(patient=SQL), "patient"),
    "search: SQL in the lot number box": (lambda s, lot: s.search_batches(lot_number="LDN' OR 1=1 --"),
                                          "lot_number"),
    "search: SQL in the ingredient lot box": (lambda s, lot: s.search_batches(ingredient_lot="x'; DELETE FROM x"),
                                              "ingredient_lot"),
    "search: SQL in the strength box": (lambda s, lot: s.search_batches(strength="4.5 mg; DROP TABLE users"),
                                        "strength"),
    "search: unknown status": (lambda s, lot: s.search_batches(status="done' --"), "status"),
    "search: bad date": (lambda s, lot: s.search_batches(date_from="yesterday"), "date_from"),
    "search: page size 10,000": (lambda s, lot: s.search_batches(page_size=10_000), "page_size"),
}


@pytest.fixture
def prepared(store):
    """A batch in preparation by tech, and an API lot NX-1 already received and released."""
    store.release_ingredient_lot("pharm", store.receive_ingredient_lot("tech", **{**API, "supplier_lot": "NX-1"}).id)
    return make_batch(store, "in_preparation")


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_naming_the_field(store, prepared, case):
    call, field = BAD[case]
    before = db_state(store)
    with pytest.raises(InputError) as caught:
        call(store, prepared)
    assert caught.value.field == field, str(caught.value)
    message = str(caught.value)
    assert message.startswith(field) and "\n" not in message and len(message) < 400
    assert db_state(store) == before
    assert set(inspect(store.engine).get_table_names()) >= {"batches", "users", "audit_events"}


def test_a_name_with_an_apostrophe_is_a_name_not_sql(store, prepared):
    store.allocate("tech", prepared, quantity=30, patient="O'Brien,  Siobhán", rx_number="RX-7/1")
    page = store.search_batches(patient="o'brien, siobhán")
    assert [b.lot_number for b in page.items] == [prepared]


def test_expiry_today_is_still_accepted(store):
    lot = store.receive_ingredient_lot("tech", **{**API, "expiry": TODAY.isoformat()})
    assert lot.expiry == TODAY and lot.status == "quarantined"
