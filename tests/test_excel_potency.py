"""The potency basis in the Excel records (issue 9.1): the basis is a line of the record, the salt
factor's live formula follows it, and verify recomputes every way of entering a lot.

Hand-worked values: 450 mg ÷ (0.995 × 0.913) = 495.357 mg (dihydrate, assay and water);
450 × 413.89 ÷ 377.86 = 492.913 mg (dihydrate, no potency); 150 mg ÷ 0.9 = 166.667 mg (liquid)."""

from __future__ import annotations

import openpyxl
import pytest

from compounding.capsules import capsule_batch
from compounding.excel import write_workbook
from compounding.excel._capsules import sections as capsule_sections
from compounding.excel._liquid import sections as liquid_sections
from compounding.liquids import prepare_liquid
from compounding.verify import verify_workbook
from tests.excel_support import assert_lines_agree, calculator_value, load_values, named_cell, recalculate_many

DATE = "2026-03-02"


def _records():
    caps = lambda **kw: capsule_batch("4.5 mg", 100, compounding_date=DATE, fill_weight="270 mg",  # noqa: E731
                                      capsule_size="1", **kw)
    return {
        "dihydrate-assay": caps(api_form="hcl_dihydrate", assay="99.5%", water="8.7%"),
        "dihydrate-bare": caps(api_form="hcl_dihydrate"),
        "dihydrate-hydrate-basis": caps(api_form="hcl_dihydrate", potency="99%", potency_basis="hcl_dihydrate"),
        "base-potency": caps(api_form="base", potency="99%"),
        "liquid-dihydrate": prepare_liquid(source="api", concentration="1 mg/mL", final_volume="150 mL",
                                           api_form="hcl_dihydrate", potency="90%", compounding_date=DATE),
        "liquid-assay": prepare_liquid(source="api", concentration="1 mg/mL", final_volume="150 mL",
                                       api_form="hcl_dihydrate", assay="99.5%", water="8.7%",
                                       compounding_date=DATE),
    }


def _sections(r):
    return capsule_sections(r) if hasattr(r, "capsules_to_make") else liquid_sections(r)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    d = tmp_path_factory.mktemp("potency")
    return {k: (r, write_workbook(r, d / f"{k}.xlsx")) for k, r in _records().items()}


def test_the_record_carries_the_basis_and_the_hand_worked_amount(written):
    r, path = written["dihydrate-assay"]
    wb = openpyxl.load_workbook(path)
    assert named_cell(wb, "potency_basis").value == "hcl_anhydrous"
    row = [c.value for c in named_cell(wb, "potency").parent[named_cell(wb, "potency").row]]
    assert any("as-is content of naltrexone hydrochloride (anhydrous)" in str(v) for v in row), row
    assert abs(calculator_value(wb, "api_to_weigh") - 495.357) < 1e-3
    assert named_cell(wb, "salt_factor").value.startswith("=IF(OR(ISNUMBER(potency),ISNUMBER(assay))")


@pytest.mark.parametrize("key", list(_records()))
def test_every_way_of_entering_a_lot_verifies(written, key):
    report = verify_workbook(written[key][1])
    assert report.ok, str(report)


def test_the_formulas_follow_the_basis_in_libreoffice(written, soffice, tmp_path):
    # a record whose potency is blanked in the sheet falls back to the pure dihydrate (× 1.0954)
    r, path = written["dihydrate-assay"]
    wb = openpyxl.load_workbook(path)
    named_cell(wb, "assay").value = None
    named_cell(wb, "water").value = None
    wb.save(tmp_path / "blanked.xlsx")
    paths = [p for _, p in written.values()] + [tmp_path / "blanked.xlsx"]
    out = recalculate_many(paths, tmp_path / "out", soffice)
    for (key, (rec, _)), converted in zip(written.items(), out):
        assert_lines_agree(_sections(rec), load_values(converted))
    blanked = load_values(out[-1])
    assert abs(named_cell(blanked, "api_to_weigh").value - 450 * 413.89 / 377.86) < 1e-6
