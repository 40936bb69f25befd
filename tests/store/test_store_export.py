"""Excel from the store (issue 11): a batch's record with its lot number, ingredient lots, actual
weights, signatures and status; the same record exports to the same bytes; ``verify`` passes on it;
the recall summary lists every batch that used an ingredient lot. Through the service and the CLI."""

from __future__ import annotations

import hashlib
import io
import json

import openpyxl
import pytest
from sqlalchemy import text

from compounding.errors import InputError, StateError
from compounding.verify import verify_workbook

from .conftest import PASSWORDS
from .helpers import ORDER, capsule_result, db_state
from .test_store_cli import cli
from .test_store_lot_inputs import api_lot, filler_lot

pytestmark = pytest.mark.store


def _texts(data: bytes) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
                     if c.value is not None)


def _released(store):
    api = api_lot(store)
    lot = store.create_batch("tech", kind="capsules", order=ORDER, result=capsule_result(), ingredient_lots=[api],
                             weights=[{"step": "naltrexone_hcl", "actual": "405.1 mg", "tolerance": "5%"}],
                             allocations=[{"quantity": 90, "patient": "Jane Doe", "rx_number": "RX-1"}]).lot_number
    store.start_preparation("tech", lot)
    store.submit_for_review("tech", lot, password=PASSWORDS["tech"])
    store.verify("pharm", lot, password=PASSWORDS["pharm"])
    store.release("pharm2", lot, password=PASSWORDS["pharm2"])
    return lot, api


def test_the_exported_record_carries_what_the_store_holds_and_verifies(store, tmp_path):
    lot, _ = _released(store)
    data = store.export_batch(lot, pharmacy_name="Example Pharmacy")
    shown = _texts(data)
    for expected in (lot, "Status: released", "Acme lot NX-1, expires 2027-06-30, potency 99.5 %",
                     "naltrexone_hcl: target 405 mg, actual 405.1 mg (tolerance 5 %): within",
                     "Tom Tech, signed 2026-01-05 09:30:00 UTC", "Pia Pharm, signed 2026-01-05 09:30:00 UTC",
                     "Paul Pharm, signed 2026-01-05 09:30:00 UTC", "Jane Doe",
                     "released by Paul Pharm, 2026-01-05 09:30:00 UTC, signed hash", store.batch(lot).record_hash):
        assert expected in shown, expected
    path = tmp_path / "record.xlsx"
    path.write_bytes(data)
    report = verify_workbook(path)
    assert report.ok, str(report)


def test_an_oral_liquid_from_a_lot_exports_and_verifies(store, tmp_path):
    lot = store.create_batch_from_lots("tech", kind="oral_liquid", api_lot=api_lot(store),
                                       order={"concentration": "1 mg/mL", "final_volume": "100 mL"}).lot_number
    path = tmp_path / "liquid.xlsx"
    path.write_bytes(store.export_batch(lot))
    assert verify_workbook(path).ok and "Acme lot NX-1" in _texts(path.read_bytes())


def test_the_same_record_exports_to_the_same_bytes(store):
    lot, _ = _released(store)
    first, second = store.export_batch(lot), store.export_batch(lot)
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    store.recall("pharm", lot, reason="supplier recall of the API lot")  # the record changed: so does the file
    third = store.export_batch(lot)
    assert third != first and "Status: recalled (supplier recall of the API lot)" in _texts(third)


def test_content_changed_behind_the_service_shows_on_the_record(store):
    lot, _ = _released(store)
    assert store.signature_check(lot) is True
    assert "Signed content: unchanged since the last signature" in _texts(store.export_batch(lot))
    # a weight edited in SQL after release by someone who can also drop the database's guard (migration 0004)
    drop = ("DROP TRIGGER actual_weights_locked ON actual_weights" if store.engine.dialect.name == "postgresql"
            else "DROP TRIGGER actual_weights_locked_update")
    with store.engine.begin() as c:
        c.execute(text(drop))
        c.execute(text("UPDATE actual_weights SET actual = '399' WHERE step = 'naltrexone_hcl'"))
    assert store.signature_check(lot) is False
    assert "Signed content: CHANGED after the last signature" in _texts(store.export_batch(lot))


def test_a_draft_exports_with_blanks_to_sign(store):
    lot = store.create_batch("tech", kind="capsules", order=ORDER, result=capsule_result()).lot_number
    shown = _texts(store.export_batch(lot))
    assert "Status: draft" in shown and "Signatures: none" in shown and "Ingredient lots: none recorded" in shown
    assert "Signed content" not in shown and store.signature_check(lot) is None


def test_a_record_this_engine_calculates_differently_is_refused(store):
    changed = capsule_result().as_dict() | {"bud": "2099-01-01"}  # not what the core gives for the order
    lot = store.create_batch("tech", kind="capsules", order=ORDER, result=changed).lot_number
    with pytest.raises(StateError) as caught:
        store.export_batch(lot)
    assert caught.value.field == "record"


def test_recall_lists_every_batch_that_used_the_lot(store):
    lot, api = _released(store)
    other_api = api_lot(store, supplier_lot="NX-2")
    uses_it = store.create_batch_from_lots("tech2", kind="capsules", order={"strength": "1.5 mg", "quantity": 30},
                                           api_lot=api, filler_lot=filler_lot(store)).lot_number
    store.create_batch_from_lots("tech", kind="capsules", order={"strength": "3 mg", "quantity": 30},
                                 api_lot=other_api)
    assert [b.lot_number for b in store.batches_using_lot(api)] == [lot, uses_it]
    wb = openpyxl.load_workbook(io.BytesIO(store.export_recall(api)))
    rows = [[c.value for c in row] for row in wb["Recall"].iter_rows(min_row=6)]
    assert [(r[0], r[2], r[3], r[7]) for r in rows] == [(lot, "4.5 mg", "released", "Jane Doe, Rx RX-1 (90)"),
                                                        (uses_it, "1.5 mg", "draft", None)]
    assert "NX-1" in wb["Recall"]["A1"].value and store.export_recall(api) == store.export_recall(api)
    with pytest.raises(InputError) as caught:
        store.export_recall(9999)
    assert caught.value.field == "ingredient_lot"


def test_cli_export_and_recall(db_url, store, tmp_path):
    lot, api = _released(store)
    env = {"LDN_DATABASE_URL": db_url}
    out = cli("records", "export", lot.lower(), str(tmp_path / "a.xlsx"), "--json", env=env)
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert shown["lot_number"] == lot
    assert shown["sha256"] == hashlib.sha256((tmp_path / "a.xlsx").read_bytes()).hexdigest()
    again = cli("records", "export", lot, str(tmp_path / "b.xlsx"), "--json", env=env)
    assert json.loads(again.stdout)["sha256"] == shown["sha256"]
    checked = cli("verify", str(tmp_path / "a.xlsx"), env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lots = json.loads(cli("records", "lots", "--kind", "api", "--json", env=env).stdout)
    assert [(x["id"], x["supplier_lot"], x["status"]) for x in lots] == [(api, "NX-1", "released")]
    recall = cli("records", "recall", str(api), str(tmp_path / "r.xlsx"), "--json", env=env)
    assert recall.returncode == 0, recall.stderr
    assert json.loads(recall.stdout)["batches"] == [{"lot_number": lot, "status": "released"}]
    before = db_state(store)
    bad = cli("records", "recall", "x'; DROP TABLE batches; --", str(tmp_path / "s.xlsx"), env=env)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ingredient_lot")
    assert db_state(store) == before and not (tmp_path / "s.xlsx").exists()


def test_a_batch_saved_with_an_order_object_exports_and_verifies(store, tmp_path):
    # the order as the core's order object (stored as its JSON {"kind", "fields"}), not keyword arguments:
    # 4.5 mg × 90 at 100 % potency weighs 405 mg of naltrexone HCl, as in the keyword form
    from compounding.orders import CapsuleOrder, compute

    result = compute(CapsuleOrder.from_text(**ORDER))
    lot = store.create_batch("tech", kind="capsules", order=result.order, result=result).lot_number
    assert store.batch(lot).order["kind"] == "capsules"
    path = tmp_path / "order.xlsx"
    path.write_bytes(store.export_batch(lot))
    assert verify_workbook(path).ok
    assert "405 mg" in _texts(path.read_bytes())


def test_an_order_of_another_kind_than_the_batch_is_refused(store):
    from compounding.orders import LiquidOrder, compute

    liquid = compute(LiquidOrder.from_text(concentration="1 mg/mL", final_volume="100 mL",
                                           compounding_date=ORDER["compounding_date"]))
    lot = store.create_batch("tech", kind="capsules", order=liquid.order, result=capsule_result()).lot_number
    with pytest.raises(InputError) as caught:
        store.export_batch(lot)
    assert caught.value.field == "kind"


def test_a_batch_from_lots_stores_order_json_and_an_older_keyword_record_still_exports(store, tmp_path):
    # loose end 1: create_batch_from_lots stored the keyword form; it stores the core's order JSON now
    api = api_lot(store)
    lot = store.create_batch_from_lots("tech", kind="capsules", order={"strength": "4.5 mg", "quantity": 90},
                                       api_lot=api).lot_number
    order = store.batch(lot).order
    assert set(order) == {"kind", "fields"} and order["fields"]["strength"] == {"value": "4.5", "unit": "mg"}
    # an earlier record saved from the same lot in the keyword form is still rebuilt and exported
    keyword = {"strength": "4.5 mg", "quantity": 90, "compounding_date": "2026-01-05", "source": "api",
               "api_form": "hcl_anhydrous", "potency": "99.5%", "component_expiries": ["2027-06-30"]}
    from compounding.store.calculate import calculate

    older = store.create_batch("tech", kind="capsules", order=keyword, result=calculate("capsules", keyword),
                               ingredient_lots=[api]).lot_number
    assert "fields" not in store.batch(older).order
    for number, name in ((lot, "json.xlsx"), (older, "keyword.xlsx")):
        path = tmp_path / name
        path.write_bytes(store.export_batch(number))
        assert verify_workbook(path).ok
        # 4.5 mg × 90 = 405 mg of naltrexone HCl ÷ 0.995 as-is potency = 407.04 mg of powder
        assert "407.04 mg" in _texts(path.read_bytes()), number
    assert store.batch(lot).result == store.batch(older).result  # the same calculation, either form


def test_a_batch_saved_with_a_prescriber_exports_it_on_the_record(store, tmp_path):
    # loose end 2: the export read order["prescriber"], which the order JSON never holds; the prescriber is the
    # prescription's, stored with its patient and Rx number on the allocation
    from compounding.orders import CapsuleOrder, compute
    from tests.excel_support import named_cell

    result = compute(CapsuleOrder.from_text(**ORDER))
    lot = store.create_batch("tech", kind="capsules", order=result.order, result=result, allocations=[
        {"quantity": 90, "patient": "Jane Doe", "rx_number": "RX-1", "prescriber": "Dr. A. Smith"}]).lot_number
    assert store.batch(lot).allocations[0].prescriber == "Dr. A. Smith"
    path = tmp_path / "prescriber.xlsx"
    path.write_bytes(store.export_batch(lot))
    wb = openpyxl.load_workbook(path)
    assert (named_cell(wb, "record_prescriber").value, named_cell(wb, "record_patient").value) == (
        "Dr. A. Smith", "Jane Doe")
    assert "Jane Doe, Rx RX-1, prescriber Dr. A. Smith (90)" in _texts(path.read_bytes())
    assert verify_workbook(path).ok
    # two prescriptions from two prescribers: the field says so, the notes name each
    other = store.create_batch("tech", kind="capsules", order=result.order, result=result, allocations=[
        {"quantity": 45, "patient": "Jane Doe", "rx_number": "RX-1", "prescriber": "Dr. A. Smith"},
        {"quantity": 45, "patient": "Joe Roe", "rx_number": "RX-2", "prescriber": "Dr. B. Jones"}]).lot_number
    wb = openpyxl.load_workbook(io.BytesIO(store.export_batch(other)))
    assert named_cell(wb, "record_prescriber").value == "2 prescribers: see notes"
    assert "Joe Roe, Rx RX-2, prescriber Dr. B. Jones (45)" in _texts(store.export_batch(other))


def test_a_prescriber_is_a_name_and_never_on_anticipatory_stock(store):
    lot = store.create_batch("tech", kind="capsules", order=ORDER, result=capsule_result()).lot_number
    before = db_state(store)
    for alloc, field in (({"patient": "Jane Doe", "rx_number": "RX-1", "prescriber": "Dr X'; DROP TABLE users"},
                          "prescriber"),
                         ({"anticipatory": True, "prescriber": "Dr. A. Smith"}, "prescriber")):
        with pytest.raises(InputError) as caught:
            store.allocate("tech", lot, quantity=10, **alloc)
        assert caught.value.field == field
    assert db_state(store) == before
