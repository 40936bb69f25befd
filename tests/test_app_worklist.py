"""The Worklist page through Streamlit's AppTest: upload → validation report (row, column, reason) →
drop the bad rows → the plan (batches, allocations, needs, dropped rows) → files; refusals in words;
with a configured store, "Create batches"."""

from __future__ import annotations

import json

import pytest

from tests.support import REPO_ROOT
from tests.worklist_support import csv_bytes, row

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = str(REPO_ROOT / "app.py")
DATE = "2026-03-02"
SMALL = [row("RX-1", patient="Ann Lee", quantity="30"), row("RX-2", patient="Bo Diaz", quantity="60"),
         row("RX-3", strength="45 mg"), row("RX-4", form="tablet"), row("RX-1", patient="Cy Ng")]


@pytest.fixture(autouse=True)
def _no_store(monkeypatch):
    for name in ("LDN_DATA_DIR", "LDN_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def start(upload: tuple[str, bytes] | None = None, **state) -> AppTest:
    import datetime as dt

    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["wl.date"] = dt.date.fromisoformat(DATE)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    at.switch_page("app_pages/worklist.py").run()
    assert not at.exception, at.exception
    if upload:
        at.file_uploader(key="wl.file").set_value((upload[0], upload[1], "application/octet-stream")).run()
        assert not at.exception, at.exception
    return at


def texts(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success") for e in getattr(at, kind)]
    parts += [t.value.reset_index().to_string() for t in at.table]
    parts += [e.label for e in at.expander]
    return "\n".join(parts)


def report(at) -> list[tuple[int, str, str]]:
    frame = at.table[0].value.reset_index()
    return [(int(r["row"]), r["column"], r["reason"]) for _, r in frame.iterrows()]


def downloads(at) -> set[str]:
    return {b.key for b in at.get("download_button")}


def test_the_page_offers_the_templates_before_any_upload():
    at = start()
    assert {"wl.download_template_csv", "wl.download_template_xlsx", "wl.download_template_json"} <= downloads(at)
    assert any("Upload a worklist" in i.value for i in at.info)


def test_bad_rows_are_reported_and_nothing_is_planned_until_dropped():
    at = start(("day.csv", csv_bytes(SMALL)))
    problems = report(at)
    # header = row 1: RX-1 is on rows 2 and 6 (a duplicate: both flagged), 45 mg on row 4, "tablet" on row 5
    assert [(r, c) for r, c, _ in problems] == [(2, "rx_number"), (4, "strength"), (5, "form"), (6, "rx_number")]
    assert "duplicate" in problems[0][2] and "row 6" in problems[0][2]
    assert "45 mg" in problems[1][2] and "tablet" in problems[2][2]
    assert "4 problem(s) on 4 of 5 rows" in at.error[0].value
    assert "Batch plan" not in texts(at) and "wl.write" not in {b.key for b in at.button}

    at.checkbox[0].check().run()
    assert not at.exception, at.exception
    text = texts(at)
    assert "Batch plan" in text and "Dropped rows (not planned): 4 problem(s) on 4 row(s)" in text
    # only RX-2 is left: one 4.5 mg batch of 60 capsules, allocated to Bo Diaz
    batch = next(e.label for e in at.expander if e.label.startswith("Batch 1"))
    assert "LDN-260302-001" in batch and "4.5 mg capsules" in batch and "make 60 capsules" in batch
    assert "Bo Diaz" in text and "Ann Lee" not in text.split("Batch plan")[1].split("Dropped")[0]
    assert {"wl.download_json"} <= downloads(at)


def test_files_are_written_with_labels_once_the_pharmacy_is_given():
    at = start(("day.csv", csv_bytes(SMALL[:2] + [row("RX-9", strength="", quantity="", titration="ldnrt_slow",
                                                         directions="Follow the dose chart")])))
    at.button(key="wl.write").click().run()
    assert not at.exception, at.exception
    assert "wl.download_zip" in downloads(at) and "wl.download_labels" not in downloads(at)
    assert any("pharmacy's name" in i.value for i in at.info)
    assert at.get("progress") and "Done" in at.get("progress")[0].proto.text
    at.text_input(key="wl.pharmacy").input("Riverside Pharmacy")
    at.text_input(key="wl.pharmacy_contact").input("12 High St, 555-0100").run()
    assert "wl.download_zip" not in downloads(at)  # written for other inputs: hidden until written again
    at.button(key="wl.write").click().run()
    assert not at.exception, at.exception
    assert {"wl.download_zip", "wl.download_labels", "wl.download_charts"} <= downloads(at)
    labels = next(b for b in at.get("download_button") if b.key == "wl.download_labels")
    # a label per container: RX-1 and RX-2, and ldnrt_slow's seven strengths (1.5 mg + 0.5 mg steps to 4.5 mg)
    assert labels.proto.label == "Labels (PDF, 9)"


def test_a_file_that_is_not_a_worklist_is_refused_in_words():
    at = start(("scan.pdf", b"%PDF-1.7 not a worklist"))
    assert "Not read" in at.error[0].value and "is a PDF, not a worklist" in at.error[0].value
    assert "Batch plan" not in texts(at)


def test_a_missing_column_is_reported_on_the_header_row_and_cannot_be_dropped():
    header = ("rx_number", "patient", "form", "strength", "quantity", "directions")
    at = start(("day.csv", csv_bytes(SMALL[:2], header=header)))
    assert report(at) == [(1, "prescriber", "column is missing from the header row")]
    assert not at.checkbox and "Batch plan" not in texts(at)


def test_a_json_list_of_orders_is_planned_like_the_csv():
    orders = [{"rx_number": "RX-7", "patient": "Eve Park", "prescriber": "Dr X", "form": "capsules",
               "strength": {"value": 1.5, "unit": "mg"}, "quantity": 90, "directions": "One at bedtime"}]
    at = start(("orders.json", json.dumps(orders).encode()))
    assert "All 1 prescription rows of orders.json are valid." in [s.value for s in at.success]
    assert any("1.5 mg capsules" in e.label and "make 90 capsules" in e.label for e in at.expander)


def test_a_planning_refusal_names_the_option_to_fix():
    # 90 mL at 1 mg/mL is 90 mg of naltrexone HCl, 1.8 of the 50 mg tablets: crushed tablets are weighed
    rows = [row("RX-1", "oral liquid", "1 mg/mL", "90 mL", dose="4.5 mg", directions="Take 4.5 mL")]
    at = start(("day.csv", csv_bytes(rows)))
    message = at.error[0].value
    assert message.startswith("Not planned. **Average tablet weight**") and "tablets" in message
    at.text_input(key="wl.tablet_weight").input("321 mg").run()
    assert not at.error and any("1 mg/mL oral liquid" in e.label for e in at.expander)


def test_lots_on_hand_show_what_is_short():
    lots = b"kind,lot,expiry,quantity\nnaltrexone_hcl_powder,API-1,2027-12-31,100 mg\n"
    at = start(("day.csv", csv_bytes(SMALL[:2])))
    at.session_state["wl.potency"] = "100%"
    at.file_uploader(key="wl.lots.file").set_value(("lots.csv", lots, "text/csv")).run()
    assert not at.exception, at.exception
    # 90 capsules × 4.5 mg at 100 % = 405 mg of naltrexone HCl; 100 mg on hand: 305 mg short
    assert any(e.value.startswith("Short:") for e in at.error)
    assert "305 mg" in texts(at)


# --- with the store -------------------------------------------------------------------------------

@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    from compounding.store import Store

    monkeypatch.setenv("LDN_DATA_DIR", str(tmp_path))
    store = Store.open()
    store.add_user(None, username="admin", name="Ada Admin", initials="AA", role="admin", password="admin-secret-1")
    store.add_user("admin", username="tech", name="Tom Tech", initials="TT", role="technician",
                   password="tech-secret-01")
    yield store
    store.close()


@pytest.mark.store
def test_create_batches_as_the_signed_in_user(store_dir):
    at = start(("day.csv", csv_bytes(SMALL[:2])), user="tech")
    at.button(key="wl.create").click().run()
    assert not at.exception, at.exception
    assert "1 draft batch(es) created" in at.success[-1].value
    stored = store_dir.search_batches().items
    assert len(stored) == 1 and stored[0].status == "draft" and stored[0].preparer == "tech"
    batch = store_dir.batch(stored[0].lot_number)
    assert {(a.rx_number, a.quantity) for a in batch.allocations} == {("RX-1", 30), ("RX-2", 60)}
    # the plan now carries the store's lot, and there is nothing left to create
    assert any(stored[0].lot_number in e.label for e in at.expander) and not any(b.key == "wl.create" for b in at.button)
    # a changed option makes a new plan of the same file: creating it again must be asked for
    at.text_input(key="wl.extra").input("2").run()
    assert f"already created from this file ({stored[0].lot_number})" in at.warning[-1].value
    assert not any(b.key == "wl.create" for b in at.button)
    at.checkbox(key="wl.again").check().run()
    at.button(key="wl.create").click().run()
    assert store_dir.search_batches().total == 2


@pytest.mark.store
def test_without_a_signed_in_user_the_store_user_signs_with_a_password(store_dir):
    at = start(("day.csv", csv_bytes(SMALL[:2])))
    assert at.selectbox(key="wl.store_user").options == ["tech"]  # the admin may not create batches
    at.text_input(key="wl.store_password").input("wrong-password").run()
    at.button(key="wl.create").click().run()
    assert "No batch was created" in at.error[-1].value and store_dir.search_batches().total == 0
    at.text_input(key="wl.store_password").input("tech-secret-01").run()
    at.button(key="wl.create").click().run()
    assert not at.exception, at.exception
    assert store_dir.search_batches().total == 1


def test_the_pages_inputs_survive_a_visit_to_another_page():
    at = start()
    at.text_input(key="wl.extra").input("10%")
    at.text_input(key="wl.tablet_weight").input("321 mg").run()
    at.switch_page("app_pages/capsules.py").run()
    at.switch_page("app_pages/worklist.py").run()
    assert not at.exception, at.exception
    assert at.text_input(key="wl.extra").value == "10%"
    assert at.text_input(key="wl.tablet_weight").value == "321 mg"


@pytest.mark.store
def test_a_plan_the_store_cannot_take_is_refused_with_every_reason_and_nothing_stored(store_dir):
    # 0.5 mg a day for 7 days at 1 mg/mL is 3.5 mL: the store counts allocations in whole mL
    rows = SMALL[:2] + [row("RX-5", "oral liquid", "1 mg/mL", "", titration="0.5mg:7,1mg:7",
                            directions="Follow the dose chart")]
    at = start(("day.csv", csv_bytes(rows)), user="tech")
    at.session_state["wl.tablet_weight"] = "321 mg"
    at.run()
    at.button(key="wl.create").click().run()
    assert not at.exception, at.exception
    assert "No batch was created" in at.error[-1].value
    assert any("RX-5" in m.value and "not a whole number of mL" in m.value for m in at.markdown)
    assert store_dir.search_batches().total == 0


def test_dropping_bad_rows_is_chosen_again_for_another_file():
    at = start(("day.csv", csv_bytes(SMALL)))
    at.checkbox[0].check().run()
    assert "Batch plan" in texts(at)
    at.file_uploader(key="wl.file").set_value(("next.csv", csv_bytes(SMALL[:3]), "text/csv")).run()
    assert not at.exception, at.exception
    assert [(r, c) for r, c, _ in report(at)] == [(4, "strength")]
    assert "Batch plan" not in texts(at) and at.checkbox[0].value is False
