"""No hidden inputs (issue 10): the reference data is one immutable bundle with a content hash that
results record; a calculation with custom reference data uses and records that data; "today" is an
input given by the caller, not read from the clock deep inside."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from compounding import __version__, capsule_batch, plan_titration, prepare_liquid
from compounding.bud import beyond_use_date, parse_date
from compounding.bundle import content_hash, load_bundle, shipped_bundle
from compounding.errors import InputError
from compounding.orders import CapsuleOrder, compute
from compounding.record import record_of

ROOT = Path(__file__).resolve().parents[1]
DATE = "2026-03-02"


@pytest.fixture
def custom(tmp_path: Path) -> Path:
    """A copy of the shipped formulas/ with the individual capsule limits at 85-115 % (not 90-110 %)."""
    copy = tmp_path / "formulas"
    shutil.copytree(ROOT / "formulas", copy)
    qc = copy / "reference" / "qc.toml"
    text = qc.read_text(encoding="utf-8")
    assert "individual_low = { value = 90," in text and "individual_high = { value = 110," in text
    qc.write_text(text.replace("individual_low = { value = 90,", "individual_low = { value = 85,")
                  .replace("individual_high = { value = 110,", "individual_high = { value = 115,"), encoding="utf-8")
    return copy


def test_the_shipped_bundle_is_loaded_once_and_frozen():
    bundle = shipped_bundle()
    assert shipped_bundle() is bundle and bundle.hash == content_hash(ROOT / "formulas")
    with pytest.raises(dataclasses.FrozenInstanceError):
        bundle.hash = "x"
    with pytest.raises(TypeError):
        bundle.formulas["LDN-CAP-API"] = None  # a read-only mapping


def test_results_record_the_bundle_hash_and_the_engine_version():
    for result in (capsule_batch("4.5 mg", 90, compounding_date=DATE),
                   prepare_liquid(concentration="1 mg/mL", final_volume="50 mL", compounding_date=DATE),
                   plan_titration(stages="1.5mg:14", start_date=DATE)):
        assert result.reference_hash == shipped_bundle().hash and result.engine_version == __version__


def test_a_batch_computed_with_custom_reference_data_uses_and_records_it(custom):
    bundle = load_bundle(custom)
    assert bundle.hash != shipped_bundle().hash
    order = CapsuleOrder.from_text(strength="4.5 mg", quantity="90", compounding_date=DATE)
    shipped, mine = compute(order), compute(order, bundle)
    # the capsule weight limits are fill × 90 % and × 110 % with the shipped data (qc.toml) and
    # fill × 85 % and × 115 % with the custom data; the fill itself does not depend on them
    fill = shipped.fill_weight_per_capsule
    assert mine.fill_weight_per_capsule == fill
    assert (shipped.fill_weight_min, shipped.fill_weight_max) == (fill * Fraction(90, 100), fill * Fraction(110, 100))
    assert (mine.fill_weight_min, mine.fill_weight_max) == (fill * Fraction(85, 100), fill * Fraction(115, 100))
    assert mine.reference_hash == bundle.hash == content_hash(custom)
    assert record_of(mine).reference_hash == bundle.hash
    from compounding.store.record_snapshot import snapshot

    assert snapshot("capsules", mine.order, mine).reference_hash == bundle.hash


def test_changing_any_reference_file_changes_the_hash(custom):
    before = content_hash(custom)
    (custom / "reference" / "bud.toml").write_text((custom / "reference" / "bud.toml").read_text() + "\n")
    assert content_hash(custom) != before


def test_today_is_an_input_not_read_deep_inside():
    with pytest.raises(InputError) as e:
        parse_date(None, "date")
    assert e.value.field == "date" and "missing" in str(e.value)
    with pytest.raises(InputError) as e:
        beyond_use_date("nonaqueous_solid")
    assert e.value.field == "date"
    # an order's date is what it says, whatever day it is computed on
    order = CapsuleOrder.from_text(strength="4.5 mg", quantity=90, compounding_date=DATE)
    assert compute(order).compounding_date == dt.date(2026, 3, 2)


# the entry points that may read the clock: the public compute functions' default, the CLI, the
# worklist reader, the store (which stamps its own records) and the Excel writer (file timestamps)
_CLOCK_ALLOWED = {"capsules.py", "liquids.py", "titration.py", "cli/__init__.py", "worklist/__init__.py",
                  "store/service.py", "excel/_writer.py"}


def test_no_module_reads_the_clock_except_the_entry_points():
    readers = set()
    for path in (ROOT / "compounding").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("today", "now") and \
                    isinstance(node.value, (ast.Name, ast.Attribute)):
                readers.add(path.relative_to(ROOT / "compounding").as_posix())
    assert readers <= _CLOCK_ALLOWED, readers - _CLOCK_ALLOWED


def test_the_cli_computes_with_custom_reference_data_and_records_its_hash(custom, tmp_path, capsys):
    import json

    from compounding.cli import main

    order = CapsuleOrder.from_text(strength="4.5 mg", quantity="90", compounding_date=DATE)
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order.to_json()), encoding="utf-8")
    assert main(["compute", str(path), "--reference", str(custom)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reference_hash"] == content_hash(custom) != shipped_bundle().hash
    assert out["result"]["fill_weight_min"] == {"value": 76.5, "unit": "mg"}  # 90 mg × 85 %


def test_a_result_computed_with_overridden_data_claims_no_bundle_hash():
    import dataclasses as dc

    from compounding.record import record_of
    from compounding.reference import reference

    assert capsule_batch("4.5 mg", 90, compounding_date=DATE, ref=reference()).reference_hash == shipped_bundle().hash
    other = dc.replace(reference(), default_balance="class_iii")  # equal content, but not the bundle's object
    batch = capsule_batch("4.5 mg", 90, compounding_date=DATE, ref=other)
    assert batch.reference_hash is None
    with pytest.raises(TypeError):
        record_of(batch)  # no record without knowing the data it was computed with
