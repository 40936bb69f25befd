"""Issue 10, no hidden inputs: a capsule batch or liquid computed with custom reference data is
exported with that data (its master formula's steps, its QC limits), never with the shipped figures
read behind the caller's back; a result exported with data other than the bundle it records is refused."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from compounding.bundle import load_bundle
from compounding.capsules import capsule_batch
from compounding.errors import InputError
from compounding.excel import workbook
from compounding.excel._capsules import sections as capsule_sections
from compounding.liquids import prepare_liquid
from compounding.titration import plan_titration

ROOT = Path(__file__).resolve().parents[1]
DATE = "2026-03-02"
STEP = "Weigh the naltrexone HCl (or take the aliquot) and the filler."
MY_STEP = "Weigh the naltrexone HCl on balance B-7 (our SOP 12)."


@pytest.fixture(scope="module")
def custom(tmp_path_factory) -> Path:
    """The shipped formulas/ with the mean fill tolerance at 5 % (shipped: 3 %), one capsule procedure
    step and the liquid's yield range rewritten."""
    copy = tmp_path_factory.mktemp("bundle") / "formulas"
    shutil.copytree(ROOT / "formulas", copy)
    qc = copy / "reference" / "qc.toml"
    text = qc.read_text(encoding="utf-8")
    assert "mean_tolerance = { value = 3," in text
    qc.write_text(text.replace("mean_tolerance = { value = 3,", "mean_tolerance = { value = 5,"), encoding="utf-8")
    api = copy / "ldn-capsules-api.toml"
    text = api.read_text(encoding="utf-8")
    assert STEP in text
    api.write_text(text.replace(STEP, MY_STEP), encoding="utf-8")
    return copy


def _texts(wb) -> str:
    return "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)


def _line(secs, name):
    return next(line for s in secs for line in s.lines if line.name == name)


def test_a_capsule_record_carries_the_bundle_the_batch_was_computed_with(custom):
    bundle = load_bundle(custom)
    b = capsule_batch("4.5 mg", 90, compounding_date=DATE, bundle=bundle)
    # the record's fill tolerance and weight-check mean limit are the bundle's 5 %, not the shipped 3 %
    secs = capsule_sections(b, bundle=bundle)
    assert _line(secs, "qc_mean_tolerance").core == Fraction(5, 100)
    assert _line(secs, "fill_tolerance").core == Fraction(5, 100)
    text = _texts(workbook(b, bundle=bundle))
    assert MY_STEP in text and STEP not in text  # the procedure of the bundle's master formula


def test_a_record_is_never_written_with_other_reference_data_than_its_results(custom):
    bundle = load_bundle(custom)
    mine = capsule_batch("4.5 mg", 90, compounding_date=DATE, bundle=bundle)
    shipped = capsule_batch("4.5 mg", 90, compounding_date=DATE)
    for result, given in ((mine, None), (shipped, bundle)):  # before: exported silently with the shipped data
        with pytest.raises(InputError) as e:
            workbook(result, bundle=given)
        assert e.value.field == "bundle" and "not the reference data this result was computed with" in str(e.value)
    liquid = prepare_liquid(concentration="1 mg/mL", final_volume="50 mL", compounding_date=DATE, bundle=bundle)
    workbook(liquid, bundle=bundle, patient_dose="1.5 mg")  # the liquid record reads the same bundle
    with pytest.raises(InputError) as e:
        workbook(liquid)
    assert e.value.field == "bundle"


def test_a_titration_record_takes_no_bundle(custom):
    with pytest.raises(InputError) as e:
        workbook(plan_titration(stages="1.5mg:14", start_date=DATE), bundle=load_bundle(custom))
    assert e.value.field == "bundle"
