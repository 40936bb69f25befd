"""compounding.check: a QA pharmacist's amounts against the core's recalculation."""

from fractions import Fraction

import pytest

from compounding.check import CHECKABLE, classify, independent_check, salt_ratios
from compounding.errors import CompoundingError, InputError
from compounding.units import Q, mg

# CAP-05 (reference/cases.md): 4.5 mg × 90 + 10 %, size 1, MCC 270 mg, drug 350 mg
CAP05 = dict(strength="4.5 mg", quantity=90, extra="10%", capsule_size="1", fill_weight="270 mg",
             api_fill_weight="350 mg", compounding_date="2026-01-01")


def status(amounts, prescription=CAP05, preparation="capsules"):
    r = independent_check(preparation, prescription, amounts)
    return {c.key: c.status for c in r.comparisons}, r


def test_cap05_all_agree():
    statuses, r = status({"capsules_to_make": 99, "naltrexone_hcl": "445.5 mg", "api_to_weigh": "445.5 mg",
                          "filler_per_capsule": "266.53 mg", "filler_to_weigh": "26386.33 mg",
                          "blend_total": "26831.83 mg", "fill_weight_per_capsule": "271.03 mg"})
    assert set(statuses.values()) == {"agree"} and r.verdict == "AGREE"
    assert r.not_entered == ()


@pytest.mark.parametrize("typed", ["266.5 mg", "266.53 mg", "267 mg", "266.5286 mg", "0.26653 g", "266528.6 mcg"])
def test_agree_within_the_rounding_the_pharmacist_used(typed):
    statuses, _ = status({"filler_per_capsule": typed})
    assert statuses == {"filler_per_capsule": "agree"}


@pytest.mark.parametrize("typed", ["266.52 mg", "266.6 mg", "268 mg"])
def test_a_wrong_last_digit_differs(typed):
    statuses, r = status({"filler_per_capsule": typed})
    assert statuses == {"filler_per_capsule": "differ"} and r.verdict == "DIFFERENCES"


@pytest.mark.parametrize("typed, times", [("4455 mg", "10 times larger"), ("44.55 mg", "10 times smaller"),
                                          ("445.5 g", "1 000 times larger"), ("445.5 mcg", "1 000 times smaller"),
                                          ("4.455 mg", "100 times smaller")])
def test_ten_fold(typed, times):
    statuses, r = status({"naltrexone_hcl": typed})
    assert statuses == {"naltrexone_hcl": "ten-fold"} and r.verdict == "STOP"
    c = r.comparisons[0]
    assert c.loud and times in c.message and "TEN-FOLD" in c.message


def test_mg_mcg_mix_up_named():
    _, r = status({"naltrexone_hcl": "445.5 g"})
    assert "mg/mcg/g mix-up" in r.comparisons[0].message


@pytest.mark.parametrize("typed, factor", [
    ("493.08 mg", "1.1068"),   # weighed as if the strength were base: × HCl/base
    ("402.51 mg", "0.9035"),   # base ÷ HCl
    ("488 mg", "1.0954"),      # dihydrate ÷ anhydrous HCl (445.5 × 1.0954 = 487.99)
    ("406.7 mg", "0.9129"),    # anhydrous ÷ dihydrate
])
def test_salt_factor(typed, factor):
    statuses, r = status({"api_to_weigh": typed})
    assert statuses == {"api_to_weigh": "salt-factor"} and r.verdict == "STOP"
    assert factor in r.comparisons[0].message and "SALT-FACTOR" in r.comparisons[0].message


def test_salt_ratios_come_from_the_reference_molecular_weights():
    ratios = sorted(float(r) for r in salt_ratios())
    assert len(ratios) == 6
    for expected in (0.9035, 1.1068, 1.0954, 1 / 1.0954):
        assert any(abs(r - expected) < 5e-5 for r in ratios)


def test_classify_prefers_agree_then_ten_fold_then_salt():
    salts = salt_ratios()
    assert classify(Fraction(10), Fraction(10), typed_decimals=0, display_places=2, salts=salts)[0] == "agree"
    assert classify(Fraction(100), Fraction(10), typed_decimals=0, display_places=2, salts=salts)[0] == "ten-fold"
    assert classify(Fraction("11.068"), Fraction(10), typed_decimals=3, display_places=2, salts=salts)[0] == \
        "salt-factor"
    assert classify(Fraction("10.5"), Fraction(10), typed_decimals=1, display_places=2, salts=salts)[0] == "differ"
    # counts agree only when equal
    assert classify(Fraction(100), Fraction(99), typed_decimals=0, display_places=0, count=True)[0] == "differ"


def test_counts_and_hints():
    statuses, r = status({"capsules_to_make": 100})
    assert statuses == {"capsules_to_make": "differ"}
    # extra capsules forgotten: batch amount for 90 instead of 99
    _, r = status({"naltrexone_hcl": "405 mg"})
    assert "extra capsules left out" in r.comparisons[0].message
    # potency left out: the QA weighed 445.5 mg where 452.28 mg (÷ 98.5 %) is needed
    _, r = status({"api_to_weigh": "445.5 mg"}, dict(CAP05, potency="98.5%"))
    assert r.comparisons[0].status == "differ" and "potency correction left out" in r.comparisons[0].message


def test_tablets_source_and_not_applicable():
    rx = dict(CAP05, formula="LDN-CAP-TAB", tablet_weight="321 mg")
    statuses, r = status({"tablets_to_crush": 9, "tablet_powder_to_weigh": "2860.11 mg", "api_to_weigh": "445.5 mg"},
                         rx)
    assert statuses["tablets_to_crush"] == "agree"
    assert statuses["tablet_powder_to_weigh"] == "agree"  # 445.5 × 321 / 50 = 2860.11
    assert statuses["api_to_weigh"] == "not-applicable"


def test_oral_liquid():
    rx = dict(tablets=1, final_volume="50 mL", compounding_date="2026-01-01")
    statuses, r = status({"concentration": "1 mg/mL", "naltrexone_hcl": "50 mg", "final_volume": "500 mL"}, rx,
                         "oral_liquid")
    assert statuses == {"concentration": "agree", "naltrexone_hcl": "agree", "final_volume": "ten-fold"}


def test_checkable_tables_name_real_attributes():
    from compounding.capsules import capsule_batch

    b = capsule_batch(**CAP05)
    for c in CHECKABLE["capsules"].values():
        c.value(b)  # raises AttributeError if a key drifted from the result


@pytest.mark.parametrize("amounts, field", [
    ({}, "qa.amounts"),
    ({"capsules_to_make": None, "blend_total": ""}, "qa.amounts"),
    ({"blend_total": "27 mL"}, "qa.blend_total"),
    ({"blend_total": "27"}, "qa.blend_total"),
    ({"blend_total": "-27 mg"}, "qa.blend_total"),
    ({"capsules_to_make": "99.5"}, "qa.capsules_to_make"),
    ({"no_such_amount": "1 mg"}, "qa.no_such_amount"),
])
def test_invalid_amounts(amounts, field):
    with pytest.raises(InputError) as err:
        independent_check("capsules", CAP05, amounts)
    assert err.value.field == field


def test_invalid_prescription_raises_the_core_error():
    with pytest.raises(CompoundingError) as err:
        independent_check("capsules", dict(CAP05, strength="45 mg"), {"blend_total": "1 mg"})
    assert err.value.field == "strength"
    with pytest.raises(InputError) as err:
        independent_check("tablets", CAP05, {"blend_total": "1 mg"})
    assert err.value.field == "preparation"


def test_json():
    _, r = status({"naltrexone_hcl": "4455 mg"})
    d = r.as_dict()
    assert d["verdict"] == "STOP" and d["comparisons"][0]["status"] == "ten-fold"
    assert d["comparisons"][0]["expected"] == {"value": 445.5, "unit": "mg"}
    assert Q(1, mg)  # units import kept for readers of this file


# --- an exported Excel record, through compounding.verify ---------------------------------------

def _record(tamper=None) -> bytes:
    import io

    import openpyxl

    from compounding.capsules import capsule_batch
    from compounding.excel import workbook_bytes

    data = workbook_bytes(capsule_batch(**CAP05))
    if tamper is None:
        return data
    wb = openpyxl.load_workbook(io.BytesIO(data))
    tamper(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _set_calculator_value(wb, name, factor):
    sheet, coord = next((d.attr_text.split("!") for n, d in wb.defined_names.items() if n == name))
    ws = wb[sheet.strip("'")]
    row = ws[coord.replace("$", "")].row
    ws.cell(row=row, column=4).value = ws.cell(row=row, column=4).value * factor


def test_check_record_untouched_agrees():
    from compounding.check import check_record

    r = check_record(_record())
    assert r.verdict == "AGREE" and r.report.checked > 20 and not r.findings


@pytest.mark.parametrize("factor, status", [(10, "ten-fold"), (Fraction(37786, 34140), "salt-factor"),
                                            (Fraction(101, 100), "differ")])
def test_check_record_classifies_a_changed_value(factor, status):
    from compounding.check import check_record

    r = check_record(_record(lambda wb: _set_calculator_value(wb, "api_to_weigh", float(factor))))
    found = [f for f in r.findings if f.finding.name == "api_to_weigh"]
    assert found and found[0].status == status
    assert r.verdict == ("DIFFERENCES" if status == "differ" else "STOP")
    assert r.as_dict()["findings"][0]["status"]


def test_check_record_refuses_other_files():
    from compounding.check import check_record
    from compounding.verify import UnreadableWorkbook

    with pytest.raises(UnreadableWorkbook):
        check_record(b"not a workbook")


def test_liquid_dose_volumes():
    # 5 mg/mL (TT-03): 4.5 mg is 0.9 mL; 9 mL is a ten-fold error, 0.09 mL too
    rx = dict(source="api", concentration="5 mg/mL", final_volume="30 mL", compounding_date="2026-01-01")
    r = independent_check("oral_liquid", rx, {}, dose_volumes=[("4.5 mg", "0.9 mL"), ("4.5 mg", "9 mL"),
                                                               ("0.5 mg", "0.01 mL"), (None, None)])
    assert [c.status for c in r.comparisons] == ["agree", "ten-fold", "ten-fold"]
    assert r.comparisons[1].label == "Volume for 4.5 mg at 5 mg/mL"
    with pytest.raises(InputError) as err:
        independent_check("oral_liquid", rx, {}, dose_volumes=[("45 mg", "9 mL")])
    assert err.value.field == "qa.dose_volumes[0].dose"
    with pytest.raises(InputError) as err:
        independent_check("capsules", CAP05, {}, dose_volumes=[("4.5 mg", "9 mL")])
    assert err.value.field == "qa.dose_volumes"
