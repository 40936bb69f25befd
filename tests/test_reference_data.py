"""compounding.reference and compounding.formulas: the shipped data loads, every figure has its
source, and each deliberately broken fixture (tests/fixtures/broken/<fault>/) is refused with a
DataError naming the file and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compounding.data import FORMULAS_DIR, REFERENCE_DIR, Figure
from compounding.errors import DataError
from compounding.formulas import load_formulas
from compounding.reference import load_reference, reference
from compounding.units import Q, mg, mL

BROKEN = Path(__file__).resolve().parent / "fixtures" / "broken"


def _figures(obj, path="") -> list[tuple[str, Figure]]:
    if isinstance(obj, Figure):
        return [(path, obj)]
    if isinstance(obj, dict):
        return [f for k, v in obj.items() for f in _figures(v, f"{path}.{k}")]
    if hasattr(obj, "__dataclass_fields__"):
        return [f for k in obj.__dataclass_fields__ for f in _figures(getattr(obj, k), f"{path}.{k}")]
    return []


def test_shipped_reference_data_loads():
    ref = reference()
    assert set(ref.capsule_sizes) == {"000", "00", "0", "1", "2", "3", "4", "5"}
    assert ref.capsule_sizes["3"].quantity == Q("0.30", mL)
    assert {"hcl_anhydrous", "hcl_dihydrate", "base"} <= set(ref.forms)
    assert ref.balance("class_iii").mwq == Q(120, mg)
    assert ref.balance("analytical_0_1mg").mwq == Q(82, mg)
    assert ref.balance("class_iii").readability.quantity == Q(10, mg)  # NIST HB 44: e ≥ 0.01 g
    assert ref.balance("analytical_0_1mg").readability.quantity == Q("0.1", mg)
    assert ref.filler("calcium_carbonate").status == "refuse" and ref.filler("slow_release").status == "refuse"
    assert ref.filler("lactose_monohydrate").status == "warn"
    assert int(ref.bud_category("nonaqueous_solid").days.quantity.to("day").magnitude) == 180


def test_every_shipped_figure_has_a_source():
    figures = _figures(reference())
    assert len(figures) > 30
    assert [p for p, f in figures if not f.source.strip()] == []


def test_shipped_formulas_load():
    table = load_formulas(FORMULAS_DIR)
    assert "LDN-CAP-API" in table
    assert {f.source for f in table.values() if f.preparation == "capsules"} == {"api", "tablets"}


def _reference_with(fault: str, tmp_path: Path) -> Path:
    """The shipped reference files, with the broken fixture's file(s) put in their place."""
    directory = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, directory)
    for broken in (BROKEN / fault).glob("*.toml"):
        shutil.copy(broken, directory / broken.name)
    return directory


@pytest.mark.parametrize("fault, file, key", [
    ("unknown_key", "capsules.toml", "colour"),
    ("missing_unit", "capsules.toml", "sizes.3.unit"),
    ("wrong_dimension", "capsules.toml", "sizes.3.unit"),
    ("impossible_value", "capsules.toml", "sizes.3.value"),
    ("missing_source", "bud.toml", "categories.nonaqueous_solid.days.source"),
    ("filler_size_not_a_capsule_size", "fillers.toml", "fillers.mcc_ph102.fill_weight.6"),
    ("readability_above_mwq", "balances.toml", "balances.class_iii.readability"),
])
def test_broken_reference_data_names_file_and_key(fault, file, key, tmp_path):
    with pytest.raises(DataError) as info:
        load_reference(_reference_with(fault, tmp_path))
    assert info.value.field == f"{file}: {key}", str(info.value)
    assert f"{file}: {key}" in str(info.value) and "\n" not in str(info.value)


def test_duplicate_formula_id_names_file_and_key(tmp_path):
    for f in FORMULAS_DIR.glob("*.toml"):
        shutil.copy(f, tmp_path / f.name)
    shutil.copy(BROKEN / "duplicate_formula_id" / "duplicate.toml", tmp_path / "duplicate.toml")
    with pytest.raises(DataError) as info:
        load_formulas(tmp_path)
    assert info.value.field in ("duplicate.toml: id", "ldn-capsules-api.toml: id")
    assert "LDN-CAP-API" in str(info.value)


def test_every_broken_fixture_has_a_test():
    tested = {"unknown_key", "missing_unit", "wrong_dimension", "impossible_value", "missing_source",
              "filler_size_not_a_capsule_size", "duplicate_formula_id", "readability_above_mwq"}
    assert {p.name for p in BROKEN.iterdir() if p.is_dir()} == tested


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(DataError, match="naltrexone.toml"):
        load_reference(tmp_path)
