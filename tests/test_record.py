"""Record identity in the core (issue 10): the canonical form of a record (order + result + reference
hash + engine version) and its SHA-256 live in compounding.record; the store delegates to it, and the
QA check and the store do not reach into private Excel modules."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from compounding import __version__, capsule_batch, plan_titration, prepare_liquid
from compounding.bundle import shipped_bundle
from compounding.orders import CapsuleOrder, compute
from compounding.record import Record, canonical_json, canonical_value, record_hash, record_of
from compounding.units import Q, percent

ROOT = Path(__file__).resolve().parents[1]
DATE = "2026-03-02"


def test_the_canonical_form_is_sorted_compact_json_and_its_hash_is_sha256():
    rec = Record({"kind": "capsules", "fields": {"b": 1, "a": "4.5"}}, {"µ": "ü"}, "ref", "9.9")
    text = '{"engine_version":"9.9","order":{"fields":{"a":"4.5","b":1},"kind":"capsules"},' \
           '"reference_hash":"ref","result":{"µ":"ü"}}'
    assert rec.canonical_json() == text
    assert rec.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_canonical_values_are_exact():
    assert canonical_value(Q("4.5", "mg")) == "9/2" and canonical_value(0.1) == "1/10"
    assert canonical_value(dt.date(2026, 3, 2)) == "2026-03-02" and canonical_value(True) is True


def _batch():
    return capsule_batch("4.5 mg", 90, extra="10%", potency="98.5%", compounding_date=DATE)


def test_a_result_is_a_record_of_its_order_result_reference_and_engine():
    batch = _batch()
    rec = record_of(batch)
    assert rec.order == batch.order.to_json() and rec.result == batch.as_dict()
    assert rec.reference_hash == shipped_bundle().hash and rec.engine_version == __version__
    assert record_hash(batch) == rec.sha256 == record_hash(compute(batch.order))


def test_the_record_hash_is_stable_across_runs():
    code = ("from compounding import capsule_batch; from compounding.record import record_hash; "
            f"print(record_hash(capsule_batch('4.5 mg', 90, extra='10%', potency='98.5%', compounding_date='{DATE}')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == record_hash(_batch())


_OTHER = {"mass": Q(3, "mg"), "capsules": 91, "extra": 3, "text": "other", "percent": Q(99, percent),
          "mass_per_tablet": Q(321, "mg/tablet"), "mass_per_capsule": Q(150, "mg/capsule"),
          "density": Q("0.5", "g/mL"), "percents": (Q(85, percent), Q(115, percent)),
          "date": dt.date(2026, 3, 3), "dates": (dt.date(2026, 9, 1),), "weights": (("filler", Q(9000, "mg")),)}


@pytest.mark.parametrize("field", list(CapsuleOrder.TYPES))
def test_the_record_hash_changes_when_any_order_field_changes(field):
    batch = _batch()
    changed = dataclasses.replace(batch.order, **{field: _OTHER[CapsuleOrder.TYPES[field]]})
    assert changed != batch.order
    rec = record_of(batch)
    assert dataclasses.replace(rec, order=changed.to_json()).sha256 != rec.sha256


def test_a_changed_order_computes_a_changed_record():
    batch = _batch()
    for change in (dict(strength=Q(3, "mg")), dict(quantity=91), dict(compounding_date=dt.date(2026, 3, 3)),
                   dict(potency=Q(99, percent))):
        assert record_hash(compute(dataclasses.replace(batch.order, **change))) != record_hash(batch)


@pytest.mark.parametrize("make, kind", [
    (_batch, "capsules"),
    (lambda: prepare_liquid(concentration="1 mg/mL", final_volume="100 mL", compounding_date=DATE), "oral_liquid"),
    (lambda: plan_titration(stages="1.5mg:14,3mg:14", start_date=DATE), "titration")])
def test_the_store_reports_the_core_record_hash(make, kind):
    from compounding.store.record_snapshot import record_hash as store_hash
    from compounding.store.record_snapshot import reference_hash, snapshot

    result = make()
    snap = snapshot(kind, result.order, result)
    assert snap.record_hash == record_hash(result)
    assert json.loads(snap.order_json) == result.order.to_json()
    assert reference_hash() == shipped_bundle().hash == snap.reference_hash
    rec = record_of(result)
    assert store_hash(rec.order, rec.result, rec.engine_version, rec.reference_hash) == rec.sha256


def test_the_excel_record_uses_the_core_canonical_json():
    from compounding.excel._common import Line, Section, record_hash as excel_hash  # noqa: F401
    from compounding.record import digest

    lines = [type("L", (), {"name": "strength", "core": Q("4.5", "mg")})()]
    sections = [type("S", (), {"lines": lines})()]
    expected = '{"extra":null,"kind":"capsules","lines":[["strength","9/2"]]}'
    assert excel_hash("capsules", sections) == digest(json.loads(expected)) \
        == hashlib.sha256(expected.encode()).hexdigest()


def _imports(path: Path) -> set[str]:
    """Modules a file imports, resolved against the compounding package."""
    rel = path.relative_to(ROOT).with_suffix("")
    package = list(rel.parts[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            out.add(module)
            out.update(f"{module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


@pytest.mark.parametrize("path", [ROOT / "compounding" / "check.py", ROOT / "compounding" / "record.py",
                                  ROOT / "compounding" / "orders.py", ROOT / "compounding" / "bundle.py",
                                  *sorted((ROOT / "compounding" / "store").glob("*.py"))],
                         ids=lambda p: p.name)
def test_the_check_and_the_store_do_not_reach_into_private_excel_modules(path):
    private = [m for m in _imports(path) if m.startswith("compounding.excel._")]
    assert private == []
