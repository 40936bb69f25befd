"""Orders are values (issue 10, "an order is a value"): frozen, built from typed text or JSON, written
back to JSON without loss; computing an order gives the result the compute functions give, and the
result carries its order with the defaults the calculation chose filled in."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compounding import capsule_batch, plan_titration, prepare_liquid
from compounding.errors import InputError, UnitError
from compounding.orders import (CapsuleOrder, LiquidOrder, TitrationOrder, compute, exact_text,
                                order_from_json)
from compounding.units import Q, percent

DATE = "2026-03-02"


# --- exact values ------------------------------------------------------------------------------

@pytest.mark.parametrize("value, text", [
    (Fraction(9, 2), "4.5"), (Fraction(90), "90"), (Fraction(-1, 8), "-0.125"), (Fraction(1, 3), "1/3"),
    (Fraction(1, 20), "0.05"), (Fraction(197, 2), "98.5"), (Fraction(0), "0"), (Fraction(7, 6), "7/6"),
    (Fraction(1, 1000), "0.001")])
def test_exact_text_is_the_shortest_exact_decimal_or_a_fraction(value, text):
    assert exact_text(value) == text and Fraction(text) == value


@given(st.fractions(max_denominator=10 ** 6))
def test_exact_text_reads_back_to_the_same_fraction(value):
    assert Fraction(exact_text(value)) == value


# --- generated orders round-trip through JSON ------------------------------------------------------

_mags = st.fractions(min_value=Fraction(1, 1000), max_value=Fraction(10 ** 5), max_denominator=3000)


def _q(unit):
    return st.builds(lambda m: Q(m, unit), _mags)


_opt = lambda s: st.none() | s  # noqa: E731
_dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
_text = st.text(min_size=1, max_size=20)
_keys = st.sampled_from(["drug", "diluent", "aliquot", "diluent_2", "aliquot_2", "filler"])

capsule_orders = st.builds(
    CapsuleOrder, strength=_opt(_q("mg") | _q("mcg") | _q("g")), quantity=_opt(st.integers(0, 10 ** 6)),
    extra=_opt(st.integers(0, 1000) | _q(percent)), source=_opt(_text), formula=_opt(_text),
    potency=_opt(_q(percent)), assay=_opt(_q(percent)), water=_opt(_q(percent)), api_form=_opt(_text),
    tablet_weight=_opt(_q("mg/tablet")), capsule_size=_opt(_text), fill_weight=_opt(_q("mg/capsule")),
    drug_bulk_density=_opt(_q("g/mL")), mwq=_opt(_q("mg")), readability=_opt(_q("mg")),
    qc_limits=_opt(st.tuples(_q(percent), _q(percent))), compounding_date=_opt(_dates),
    component_expiries=st.lists(_dates, max_size=3).map(tuple),
    actual_weights=st.dictionaries(_keys, _q("mg"), max_size=3).map(lambda d: tuple(sorted(d.items()))))
liquid_orders = st.builds(
    LiquidOrder, concentration=_opt(_q("mg/mL") | _q("g/L")), final_volume=_opt(_q("mL") | _q("L")),
    tablets=_opt(st.integers(0, 100)), vehicle=_opt(_text), doses=st.lists(_q("mg"), max_size=4).map(tuple),
    compounding_date=_opt(_dates), potency=_opt(_q(percent)), mwq=_opt(_q("mg")),
    day_one_is_compounding_day=st.booleans())
titration_orders = st.builds(
    TitrationOrder, start=_opt(_q("mg")), step=_opt(_q("mg")), every=_opt(st.integers(1, 365)),
    target=_opt(_q("mg")), stages=st.lists(st.tuples(_q("mg"), st.integers(1, 365)), max_size=4).map(tuple),
    form=st.sampled_from(["capsules", "liquid"]), concentration=_opt(_q("mg/mL")),
    start_date=_opt(_dates), overage=_opt(_q(percent)))


def _same(a, b) -> bool:
    """Equal field by field (pint's == converts units), and equal as orders (the same JSON)."""
    fields = type(a).TYPES
    return all(getattr(a, f) == getattr(b, f) for f in fields) and a == b


@given(capsule_orders | liquid_orders | titration_orders)
def test_an_order_survives_json_exactly(order):
    text = json.dumps(order.to_json())  # through real JSON text, as a file or a database keeps it
    back = order_from_json(json.loads(text))
    assert type(back) is type(order) and _same(back, order)
    assert back.to_json_text() == order.to_json_text()  # stable: equal orders, equal canonical text


def test_an_order_is_frozen_and_hashable():
    order = CapsuleOrder.from_text(strength="4.5 mg", quantity="90", compounding_date=DATE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        order.quantity = 100
    same = CapsuleOrder.from_text(strength="4.5 mg", quantity=90, compounding_date=dt.date(2026, 3, 2))
    assert same == order and hash(same) == hash(order) and len({order, same}) == 1
    # the same amount typed in another unit is another order (and another record)
    assert CapsuleOrder.from_text(strength="4500 mcg", quantity=90, compounding_date=DATE) != order


# --- from typed text: the one parser, refusals name their field ---------------------------------------

def test_from_text_holds_the_parsed_values():
    order = CapsuleOrder.from_text(strength="4.5 mg", quantity="90", extra="10%", potency="98.5%",
                                   compounding_date=DATE, component_expiries=["2026-06-01"])
    assert order.strength == Q(Fraction(9, 2), "mg") and order.quantity == 90
    assert order.extra == Q(10, percent) and order.potency == Q(Fraction(197, 2), percent)
    assert order.compounding_date == dt.date(2026, 3, 2) and order.component_expiries == (dt.date(2026, 6, 1),)
    assert order.to_json()["fields"]["strength"] == {"value": "4.5", "unit": "mg"}
    assert CapsuleOrder.from_text(strength="4.5 mg", extra="2").extra == 2


@pytest.mark.parametrize("fields, field, error", [
    (dict(strength="4,5 mg"), "strength", InputError), (dict(strength="4.5"), "strength", UnitError),
    (dict(quantity="ninety"), "quantity", InputError), (dict(potency="98.5"), "potency", UnitError),
    (dict(compounding_date="02/03/2026"), "compounding_date", InputError),
    (dict(colour="red"), "colour", InputError)])
def test_from_text_refuses_bad_text_naming_the_field(fields, field, error):
    with pytest.raises(error) as e:
        CapsuleOrder.from_text(**fields)
    assert e.value.field == field


def test_from_json_refuses_an_inexact_or_unitless_quantity():
    obj = CapsuleOrder.from_text(strength="4.5 mg", quantity=90).to_json()
    for bad in (4.5, {"value": 4.5, "unit": "mg"}, {"value": "4.5", "unit": "furlong"}, {"value": "x", "unit": "mg"}):
        obj["fields"]["strength"] = bad
        with pytest.raises(InputError) as e:
            CapsuleOrder.from_json(obj)
        assert e.value.field == "strength"
    with pytest.raises(InputError) as e:
        LiquidOrder.from_json(obj)  # a capsule order is not a liquid order
    assert e.value.field == "order"


# --- computing an order -------------------------------------------------------------------------

def test_a_capsule_order_computes_the_batch_the_function_computes_and_carries_its_order():
    batch = capsule_batch("4.5 mg", 90, extra="10%", compounding_date=DATE)
    order = batch.order
    # the defaults the batch chose are in its order (formulas/LDN-CAP-API.toml: size 3, MCC PH 102)
    assert (order.formula, order.source, order.capsule_size, order.filler) == ("LDN-CAP-API", "api", "3", "mcc_ph102")
    assert order.compounding_date == dt.date(2026, 3, 2) and order.balance == "class_iii"
    again = compute(CapsuleOrder.from_json(json.loads(json.dumps(order.to_json()))))
    assert again.as_dict() == batch.as_dict() and again.order == order
    typed = compute(CapsuleOrder.from_text(strength="4.5 mg", quantity="90", extra="10%", compounding_date=DATE))
    assert typed.as_dict() == batch.as_dict() and typed.order == order


def test_a_liquid_order_computes_the_preparation_and_carries_its_order():
    prep = prepare_liquid(concentration="1 mg/mL", final_volume="100 mL", doses="0.5mg,1.5mg,4.5mg",
                          compounding_date=DATE)
    assert (prep.order.vehicle, prep.order.source, prep.order.mwq) == ("purified_water", "tablets", None)
    again = compute(order_from_json(json.loads(json.dumps(prep.order.to_json()))))
    assert again.as_dict() == prep.as_dict() and again.order == prep.order


def test_a_titration_order_computes_the_plan_and_carries_its_order():
    plan = plan_titration(stages="1.5mg:14,3mg:2 weeks", form="liquid", start_date=DATE)
    assert plan.order.stages == ((Q("1.5", "mg"), 14), (Q(3, "mg"), 14))
    assert plan.order.concentration == Q(1, "mg/mL")  # the preferred standard concentration, filled in
    again = compute(order_from_json(plan.order.to_json()))
    assert again.as_dict() == plan.as_dict() and again.order == plan.order


def test_actual_weights_are_part_of_the_order():
    batch = capsule_batch("4.5 mg", 90, compounding_date=DATE, actual_weights={"filler": "10000 mg", "drug": None})
    assert batch.order.actual_weights == (("filler", Q(10000, "mg")),)
    assert compute(batch.order).as_dict() == batch.as_dict()


# --- the command line: python -m compounding compute ORDER.json ------------------------------------

def test_the_cli_computes_an_order_file_and_prints_its_record(tmp_path, capsys):
    from compounding.cli import main
    from compounding.record import record_hash

    batch = capsule_batch("4.5 mg", 90, extra="10%", potency="98.5%", compounding_date=DATE)
    path = tmp_path / "order.json"
    path.write_text(json.dumps(batch.order.to_json()), encoding="utf-8")
    assert main(["compute", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["order"] == batch.order.to_json() and out["result"] == batch.as_dict()
    assert out["record_hash"] == record_hash(batch)


def test_the_cli_refuses_an_order_it_cannot_compute_in_one_line(tmp_path, capsys):
    from compounding.cli import main

    path = tmp_path / "order.json"
    path.write_text('{"kind": "capsules", "fields": {"strength": {"value": "45", "unit": "mg"}, "quantity": 90,'
                    ' "compounding_date": "2026-03-02"}}', encoding="utf-8")
    assert main(["compute", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: strength = 45 mg: is outside the low-dose naltrexone range") and err.count("\n") == 1
    path.write_text("{not json", encoding="utf-8")
    assert main(["compute", str(path)]) == 2
    assert capsys.readouterr().err.startswith("error: file = ")


@pytest.mark.parametrize("argv, make", [
    (["capsules", "--strength", "4.5mg", "--quantity", "90", "--extra", "10%", "--date", DATE],
     lambda: capsule_batch("4.5 mg", 90, extra="10%", compounding_date=DATE)),
    (["liquid", "--concentration", "1mg/mL", "--volume", "50mL", "--doses", "0.5mg,1.5mg", "--date", DATE],
     lambda: prepare_liquid(concentration="1 mg/mL", final_volume="50 mL", doses="0.5mg,1.5mg",
                            compounding_date=DATE)),
    (["titration", "--stages", "1.5mg:14,3mg:14", "--form", "liquid", "--start-date", DATE],
     lambda: plan_titration(stages="1.5mg:14,3mg:14", form="liquid", start_date=DATE))])
def test_the_cli_saves_the_order_it_computed(argv, make, tmp_path, capsys):
    from compounding.cli import main
    from compounding.record import record_hash

    path = tmp_path / "order.json"
    assert main([*argv, "--json", "--save-order", str(path)]) == 0
    capsys.readouterr()
    result = make()
    assert json.loads(path.read_text(encoding="utf-8")) == result.order.to_json()
    assert main(["compute", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["record_hash"] == record_hash(result)
