"""JSON worklists: a list of prescriptions, each with the CSV's column names (validated exactly as the
CSV: same orders, same problems on the same row numbers) or holding the core's order JSON (issue 10,
``{"kind": …, "fields": {…}}``), through the reader, the CLI and the template."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compounding.errors import InputError
from compounding.worklist import read_table, read_worklist
from tests.worklist_support import csv_bytes, row

DATE = "2026-03-02"
ROOT = Path(__file__).resolve().parents[1]


def _json(rows) -> bytes:
    return json.dumps([{k: v for k, v in r.items() if v != ""} for r in rows]).encode()


def _same(a, b) -> None:
    assert a.problems == b.problems
    assert [(o.row, o.rx_number, o.form, o.strength, o.concentration, o.quantity, o.dose, o.titration_text)
            for o in a.orders] == [(o.row, o.rx_number, o.form, o.strength, o.concentration, o.quantity, o.dose,
                                    o.titration_text) for o in b.orders]


CELLS = {
    "form": st.sampled_from(["capsules", "oral liquid", "pills", ""]),
    "strength": st.sampled_from(["4.5 mg", "1.5 mg", "4,5 mg", "45 mg", "1 mg/mL", ""]),
    "quantity": st.sampled_from(["30", "90", "0", "100 mL", "-5", ""]),
    "dose": st.sampled_from(["", "4.5 mg", "3 mg"]),
    "titration": st.sampled_from(["", "", "ldnrt_slow", "0.5mg:7,1mg:7", "nonsense"]),
    "due": st.sampled_from(["", "2026-03-05", "2026-02-30"]),
    "rx": st.sampled_from(["RX-1", "RX-2", "RX-3", "RX-4", ""]),
}


@given(st.lists(st.fixed_dictionaries(CELLS), min_size=1, max_size=6))
def test_json_rows_are_validated_exactly_as_the_same_csv(cells):
    rows = [row(c["rx"], c["form"], c["strength"], c["quantity"], c["dose"], titration=c["titration"], due=c["due"])
            for c in cells]
    _same(read_worklist(_json(rows), compounding_date=DATE), read_worklist(csv_bytes(rows), compounding_date=DATE))


def test_a_value_and_unit_object_reads_as_the_quantity_typed():
    as_text = [row("RX-1", strength="1.5 mg", quantity="60")]
    as_objects = [dict(as_text[0], strength={"value": 1.5, "unit": "mg"}, quantity=60)]
    wl = read_worklist(json.dumps(as_objects).encode(), compounding_date=DATE)
    _same(wl, read_worklist(csv_bytes(as_text), compounding_date=DATE))
    assert wl.kind == "json" and wl.orders[0].quantity.magnitude == 60


def test_rows_are_numbered_as_a_spreadsheet_of_them_would_be():
    rows = [row("RX-1"), row("RX-2", strength="4,5 mg")]
    wrapped = json.dumps({"orders": json.loads(_json(rows))}).encode()  # the {"orders": [...]} form too
    wl = read_worklist(wrapped, compounding_date=DATE)
    assert [(p.row, p.column) for p in wl.problems] == [(3, "strength")]  # the second order: row 3


@pytest.mark.parametrize("data, words", [
    (b"[1, 2]", "row 2 (order 1 of the list) is not a JSON object"),
    (b"[]", "is an empty list of orders"),
    (b'{"rx_number": "RX-1"}', "is JSON but not a list of orders"),
    (b'[{"rx_number": "RX-1",}]', "is not valid JSON (line 1, column 23"),  # the } after the trailing comma
    (b"[" * 100_000, "is not valid JSON"),
])
def test_json_that_is_not_a_list_of_orders_is_refused_in_words(data, words):
    with pytest.raises(InputError) as caught:
        read_table(data, "orders.json")
    assert caught.value.field == "file" and words in str(caught.value)


def test_a_nested_value_is_refused_by_its_column_with_the_text_shown():
    bad = [dict(row("RX-1"), quantity=[30])]
    wl = read_worklist(json.dumps(bad).encode(), compounding_date=DATE)
    assert [(p.row, p.column) for p in wl.problems] == [(2, "quantity")] and "[30]" in wl.problems[0].reason


def test_cli_plans_a_json_worklist_and_writes_the_json_template(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "compounding", "worklist", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    template = tmp_path / "t.json"
    assert run("template", str(template)).returncode == 0
    orders = json.loads(template.read_text())
    assert [o["rx_number"] for o in orders] == ["RX-1001", "RX-1002", "RX-1003", "RX-1004"]
    p = run("plan", str(template), "--date", DATE, "--tablet-weight", "321mg", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["prescriptions"] == 4
    bad = tmp_path / "bad.json"
    bad.write_bytes(_json([row("RX-1"), row("RX-2", form="pills")]))
    r = run("plan", str(bad), "--date", DATE)
    assert r.returncode == 2 and r.stderr.strip() == ("row 3, column form: 'pills': is not a form "
                                                      "(allowed: capsules, oral liquid)")


# --- the core's order JSON (issue 10) inside a prescription -----------------------------------------

def _orders():
    from compounding.orders import CapsuleOrder, LiquidOrder, TitrationOrder

    return [CapsuleOrder.from_text(strength="1.5 mg", quantity="60").to_json(),
            LiquidOrder.from_text(concentration="1 mg/mL", final_volume="100 mL", doses="4.5 mg").to_json(),
            TitrationOrder.from_text(preset="ldnrt_slow").to_json(),
            TitrationOrder.from_text(stages="0.5mg:7,1mg:7", form="liquid", concentration="1 mg/mL",
                                     start_date="2026-03-05").to_json()]


def test_prescriptions_holding_core_orders_are_planned_as_the_same_rows():
    people = dict(patient="Ann Lee", prescriber="Dr X", directions="Take as directed")
    items = [dict(people, rx_number=f"RX-{i}", order=o) for i, o in enumerate(_orders(), 1)]
    rows = [row("RX-1", strength="1.5 mg", quantity="60", directions="Take as directed"),
            row("RX-2", "oral liquid", "1 mg/mL", "100 mL", dose="4.5 mg", directions="Take as directed"),
            row("RX-3", strength="", quantity="", titration="ldnrt_slow", directions="Take as directed"),
            row("RX-4", "oral liquid", "1 mg/mL", "", titration="0.5mg:7,1mg:7", due="2026-03-05",
                directions="Take as directed")]
    wl = read_worklist(json.dumps(items).encode(), compounding_date=DATE)
    _same(wl, read_worklist(csv_bytes(rows), compounding_date=DATE))
    assert wl.problems == () and len(wl.orders) == 4


def test_an_order_field_a_worklist_row_does_not_hold_is_a_problem_of_that_row():
    from compounding.orders import CapsuleOrder

    people = dict(patient="Ann Lee", prescriber="Dr X", directions="Take one")
    with_potency = CapsuleOrder.from_text(strength="4.5 mg", quantity="30", potency="98.5%").to_json()
    items = [dict(people, rx_number="RX-1", order=_orders()[0]), dict(people, rx_number="RX-2", order=with_potency),
             dict(people, rx_number="RX-3", order={"kind": "tablets", "fields": {}})]
    wl = read_worklist(json.dumps(items).encode(), compounding_date=DATE)
    assert [o.rx_number for o in wl.orders] == ["RX-1"]
    by_row = {(p.row, p.column): p.reason for p in wl.problems}
    # the potency belongs to the API lot, set once for the plan (--potency), never silently dropped
    assert "field potency is given" in by_row[(3, "order")]
    assert "'tablets': is not an order kind" in by_row[(4, "order")]
