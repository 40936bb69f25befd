"""The Streamlit app through Streamlit's AppTest: every page's happy path with reference values, each
kind of bad input (an error beside the field, the inputs kept, no exception), and navigation."""

from __future__ import annotations

import re

import pytest

from tests.support import REPO_ROOT

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = str(REPO_ROOT / "app.py")
PAGES = {
    "app_pages/capsules.py": "Capsules",
    "app_pages/oral_liquid.py": "Oral liquid",
    "app_pages/titration.py": "Titration plan",
    "app_pages/independent_check.py": "Independent check (QA)",
    "app_pages/weight_check.py": "Weight check",
    "app_pages/reference_data.py": "Reference data",
}


def start(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    if page:
        at.switch_page(page).run()
        assert not at.exception
    return at


def values(at, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def all_text(at) -> str:
    parts = values(at, "markdown") + values(at, "caption") + values(at, "error") + values(at, "warning")
    parts += values(at, "info") + values(at, "success") + values(at, "subheader")
    for t in at.table:
        parts.append(t.value.to_string())
    return "\n".join(parts)


def errors(at) -> list[str]:
    return values(at, "error")


def typed(value) -> str:
    """What a person types for ``value`` in a quantity's text box: 4.5 → "4.5", None → ""."""
    return "" if value is None else str(value)


def set_inputs(at, prefix: str, **inputs) -> AppTest:
    """``strength=(4.5, "mg")`` types 4.5 in the quantity's text box and chooses its unit;
    ``quantity=90`` types 90; ``capsule_size="1"`` sets a select box."""
    for name, value in inputs.items():
        key = f"{prefix}.{name}"
        if isinstance(value, tuple):
            at.text_input(key=key).set_value(typed(value[0]))
            if any(s.key == f"{key}.unit" for s in at.selectbox):  # one-unit fields have no chooser
                at.selectbox(key=f"{key}.unit").set_value(value[1])
        elif isinstance(value, str) and any(s.key == key for s in at.selectbox):
            at.selectbox(key=key).set_value(value)
        elif isinstance(value, str) and any(t.key == key for t in at.text_area):
            at.text_area(key=key).set_value(value)
        else:
            at.text_input(key=key).set_value(typed(value))
    return at


def submit(at, prefix: str) -> AppTest:
    at.button(key=f"{prefix}.calculate").click().run()
    assert not at.exception, at.exception
    return at


# --- navigation -----------------------------------------------------------------------------------

def test_app_opens_on_capsules_with_no_exception():
    at = start()
    assert values(at, "title") == ["Capsules"]
    assert not errors(at)


@pytest.mark.parametrize("page, title", list(PAGES.items()))
def test_navigation_to_every_page(page, title):
    at = start(page)
    assert values(at, "title") == [title]
    assert not errors(at)


def test_navigation_keeps_each_page_independent():
    at = start("app_pages/weight_check.py")
    at.switch_page("app_pages/reference_data.py").run()
    at.switch_page("app_pages/capsules.py").run()
    assert values(at, "title") == ["Capsules"] and not at.exception


# --- capsules -------------------------------------------------------------------------------------

CAP05 = dict(strength=(4.5, "mg"), quantity=90, extra=(10.0, "%"), capsule_size="1", fill_weight=(270.0, "mg"),
             api_fill_weight=(350.0, "mg"))


def capsules(**inputs) -> AppTest:
    at = start()
    if "formula" in inputs:
        at.selectbox(key="cap.formula").set_value(inputs.pop("formula")).run()
    if "method" in inputs:
        at.radio(key="cap.method").set_value(inputs.pop("method")).run()
    return submit(set_inputs(at, "cap", **inputs), "cap")


def test_capsules_cap05_reference_values():
    at = capsules(**CAP05)
    m = metrics(at)
    assert m["Capsules to make"] == "99"
    # issue 8.5: amounts to weigh at the Class III balance's 10 mg readability, in g from 10 g:
    # 4.5 mg × 99 = 445.5 mg → 450 mg; filler 26386.33 mg → 26390 mg = 26.39 g
    assert m["Naltrexone HCl powder to weigh"] == "450 mg"
    assert m["Filler to add"] == "26.39 g"
    # 4.5 × 450 ÷ 445.5 = 4.5454… mg (101.01%), shown by the one display rule for mg (2 places)
    assert m["Drug per capsule delivered"] == "4.55 mg"
    assert "101.01% of the 4.5 mg strength" in all_text(at)
    assert m["Blend total"] == "26831.83 mg"
    assert m["Fill weight per capsule"] == "271.03 mg"
    text = all_text(at)
    assert "266.53 mg" in text  # filler per capsule, in the ingredient table
    assert "90 ordered + 9 extra" in text
    assert "243.93 mg to 298.13 mg (90%-110%)" in text  # QC range
    assert "180 days" in text
    assert not errors(at)
    trace = [e for e in at.expander if "Calculation trace" in e.label]
    assert trace and "Filler per capsule: filler fill weight − filler displaced" in trace[0].markdown[0].value


def test_capsules_results_survive_reruns_and_downloads():
    at = capsules(**CAP05)
    keys = {b.key for b in at.get("download_button")}
    assert {"cap.download_json", "cap.download_txt"} <= keys
    at.run()  # e.g. after a download click or any other widget
    assert metrics(at)["Capsules to make"] == "99"
    at.text_input(key="cap.record.lot_number").set_value("LOT-1").run() if any(
        t.key == "cap.record.lot_number" for t in at.text_input) else None
    assert metrics(at)["Capsules to make"] == "99"


def test_capsules_recalculated_from_the_actual_weights():
    # issue 8.6, CAP-05 weighed 452 mg drug and 26.4 g filler (targets 450 mg, 26.39 g): blend
    # 452 + 26400 = 26852 mg; fill 26852 ÷ 99 = 271.23 mg; drug 4.5 × 452 ÷ 445.5 = 4.5657 mg (101.46 %)
    at = capsules(**CAP05)
    submit(set_inputs(at, "cap.actual", drug=(452.0, "mg"), filler=(26.4, "g")), "cap.actual")
    m = metrics(at)
    assert m["Drug per capsule, actual"] == "4.57 mg"  # 4.5656… mg, 2 places for mg (one display rule)
    assert "101.46% of the strength" in all_text(at)
    assert m["Fill weight per capsule, actual"] == "271.23 mg"
    assert m["Blend total, actual"] == "26852 mg"
    assert "the batch is within its limits" in all_text(at) and not errors(at)
    assert m["Naltrexone HCl powder to weigh"] == "450 mg"  # the plan stays on screen
    assert "410 mg to 490 mg" in all_text(at)  # its acceptable window, in the "What to weigh" table


def test_capsules_actual_weight_refused_beside_its_field_keeps_the_result():
    at = capsules(**CAP05)
    submit(set_inputs(at, "cap.actual", drug=(0.0, "mg")), "cap.actual")
    assert any("greater than zero" in e for e in errors(at))
    assert metrics(at)["Capsules to make"] == "99"


def test_capsules_with_potency_and_dihydrate_show_the_salt_factor():
    # no potency: the lot is taken as pure dihydrate, 445.5 × 413.89/377.86 = 487.977 mg
    at = capsules(**CAP05, api_form="hcl_dihydrate")
    # weighed at the Class III balance's 10 mg steps (issue 8.5): 490 mg
    assert metrics(at)["Naltrexone HCl powder to weigh"] == "490 mg"
    assert "calculated need 487.98 mg" in all_text(at)
    assert "salt factor 1.0954" in all_text(at)
    # assay and water (anhydrous basis) already count the water of hydration (issue 9.1):
    # 445.5 ÷ (0.995 × 0.913) = 490.4 mg, no salt factor on top
    at = capsules(**CAP05, assay=99.5, water=8.7, api_form="hcl_dihydrate")
    assert metrics(at)["Naltrexone HCl powder to weigh"] == "490 mg"
    assert "calculated need 490.4 mg" in all_text(at)
    # 98.5 % "potency" for a dihydrate cannot be anhydrous content (at most 94.01 %): refused, not guessed
    at = capsules(**CAP05, potency=98.5, api_form="hcl_dihydrate")
    assert errors(at) and "potency" in " ".join(errors(at)).lower()


def test_capsules_from_tablets():
    at = capsules(formula="LDN-CAP-TAB", **CAP05, tablet_weight=(321.0, "mg"))
    m = metrics(at)
    assert m["Tablet powder to weigh"] == "2860 mg"  # 445.5 × 321 ÷ 50 = 2860.11 mg, at 10 mg steps
    assert "crush 9 tablets" in all_text(at)


def test_capsules_aliquot_plan_for_a_tiny_dose():
    # AL-06: 0.1 mg × 100 capsules: 10 mg of powder, below the 120 mg MWQ
    at = capsules(strength=(0.1, "mg"), quantity=100, capsule_size="1", fill_weight=(270.0, "mg"))
    text = all_text(at)
    assert "Aliquot (trituration) plan" in text
    assert "below the balance's MWQ" in text
    assert len(at.table) >= 2
    # the big number is what goes on the balance (10 mg cannot be weighed): the aliquot's 120 mg
    assert metrics(at)["Powder to weigh for the aliquot"] == "120 mg"
    ingredients = at.table[0].value
    assert list(ingredients["In the blend"])[0] == "10 mg" and list(ingredients["Weigh"])[0] == "120 mg"
    assert list(ingredients["Weigh"])[1] == metrics(at)["Filler to add"]


def test_capsules_mcg_strength_is_converted():
    at = capsules(**dict(CAP05, strength=(1500.0, "mcg")))
    assert metrics(at)["Naltrexone HCl powder to weigh"] == "150 mg"  # 1.5 mg × 99 = 148.5 mg, at 10 mg steps


def test_capsules_density_method():
    at = capsules(method="density", strength=(4.5, "mg"), quantity=90, drug_bulk_density=(0.5, "g/mL"))
    assert metrics(at)["Capsules to make"] == "90"
    trace = next(e for e in at.expander if "Calculation trace" in e.label).markdown[0].value
    assert "Filler per capsule: free volume × filler bulk density" in trace


BAD_CAPSULE_INPUTS = [
    ("strength blank", dict(CAP05, strength=(None, "mg")), "strength", "is missing"),
    ("strength out of range", dict(CAP05, strength=(45.0, "mg")), "strength", "outside the low-dose naltrexone range"),
    ("g for mg", dict(CAP05, strength=(4.5, "g")), "strength", "did you mean 4.5 mg"),
    ("negative strength", dict(CAP05, strength=(-4.5, "mg")), "strength", "outside"),
    ("zero capsules", dict(CAP05, quantity=0), "quantity", "out of range"),
    ("no capsules", dict(CAP05, quantity=None), "quantity", "is missing"),
    ("fractional extra", dict(CAP05, extra=(2.5, "capsules")), "extra", "whole number"),
    ("extra above 100 %", dict(CAP05, extra=(150.0, "%")), "extra", "out of range"),
    ("potency out of range", dict(CAP05, potency=150.0), "potency", "out of range"),
    ("potency and assay", dict(CAP05, potency=98.0, assay=99.0), "potency", "either the as-is potency"),
    ("zero fill weight", dict(CAP05, fill_weight=(0.0, "mg")), "fill_weight", "greater than zero"),
    ("water without assay", dict(CAP05, water=5.0), "water", "needs the assay"),
    ("calcium carbonate", dict(CAP05, filler="calcium_carbonate"), "filler", "impair"),
    ("MWQ zero", dict(CAP05, mwq=(0.0, "mg")), "mwq", "greater than zero"),
    ("QC low above 100", dict(CAP05, qc_low=120.0), "qc_low", "out of range"),
]


@pytest.mark.parametrize("case, inputs, field, words", BAD_CAPSULE_INPUTS, ids=[c[0] for c in BAD_CAPSULE_INPUTS])
def test_capsules_bad_input_shows_error_keeps_inputs(case, inputs, field, words):
    at = capsules(**inputs)
    errs = errors(at)
    assert any(words in e for e in errs), errs
    assert any(e.startswith("Not calculated") for e in errs)  # the pointer above the form
    assert not at.metric  # no result beside an error
    for name, value in inputs.items():  # every input kept as typed
        key = f"cap.{name}"
        if isinstance(value, tuple):
            assert at.text_input(key=key).value == typed(value[0])
            if any(s.key == f"{key}.unit" for s in at.selectbox):
                assert at.selectbox(key=f"{key}.unit").value == value[1]
        elif isinstance(value, str):
            assert at.selectbox(key=key).value == value
        else:
            assert at.text_input(key=key).value == typed(value)


def test_capsules_error_sits_beside_its_field():
    at = capsules(**dict(CAP05, strength=(45.0, "mg")))
    # the error block directly follows the strength input in the same column
    column = next(c for c in at.columns if any(n.key == "cap.strength" for n in c.text_input))
    assert any("outside the low-dose" in e.value for e in column.error)


def test_capsules_tablets_without_tablet_weight():
    at = capsules(formula="LDN-CAP-TAB", **CAP05)
    assert any("weigh at least 10-20 tablets" in e for e in errors(at))


def test_capsules_overfill_suggests_a_larger_size():
    at = capsules(formula="LDN-CAP-TAB", strength=(4.5, "mg"), quantity=90, capsule_size="5",
                  fill_weight=(39.0, "mg"), tablet_weight=(600.0, "mg"))
    # 4.5 mg × 600/50 = 54 mg of tablet powder per capsule: more than size 5 holds
    assert any("fills a size 5 capsule by itself" in e and "use size 4" in e for e in errors(at))


def test_capsules_error_then_fix_clears_the_error():
    at = capsules(**dict(CAP05, strength=(45.0, "mg")))
    assert errors(at)
    at = submit(set_inputs(at, "cap", strength=(4.5, "mg")), "cap")
    assert not errors(at) and metrics(at)["Capsules to make"] == "99"


def test_capsules_to_weight_check_carries_the_target():
    at = capsules(**CAP05)
    at.button(key="cap.to_weight_check").click().run()
    assert values(at, "title") == ["Weight check"]
    assert at.text_input(key="qc.target").value == "271.03"
    assert any("LDN-CAP-API" in i for i in values(at, "info"))


# --- weight check ---------------------------------------------------------------------------------

WEIGHTS = "\n".join(["270.1", "271.5", "272.0", "270.8", "271.2", "270.5", "271.9", "271.0", "270.6", "271.4"])


def weight_check(**inputs) -> AppTest:
    at = start("app_pages/weight_check.py")
    upload = inputs.pop("file", None)
    if upload:
        at.file_uploader(key="qc.file").set_value(upload)
    if "mode" in inputs:
        at.radio(key="qc.mode").set_value(inputs.pop("mode"))
    return submit(set_inputs(at, "qc", **inputs), "qc")


def test_weight_check_pass():
    at = weight_check(target=(271.03, "mg"), weights=WEIGHTS)
    m = metrics(at)
    assert m["Mean net fill weight"] == "271.1 mg"
    assert m["Outside limits"] == "0"
    assert m["Relative standard deviation"] == "0.23%"  # SD 0.6254 mg ÷ 271.1 mg
    assert any("PASS" in s for s in values(at, "success"))
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the plot with the limits


def test_weight_check_fail_names_the_capsule():
    at = weight_check(target=(271.03, "mg"), weights=WEIGHTS + "\n230")
    assert any("FAIL" in e and "#11 (230 mg" in e for e in errors(at))


def test_weight_check_csv_upload_in_grams():
    csv = b"No.,Weight (g)\n1,0.2712\n2,0.2708\n3,0.2711\n"
    at = weight_check(target=(271.03, "mg"), file=("balance.csv", csv, "text/csv"))
    assert "3 capsules weighed (from balance.csv)" in values(at, "subheader")
    assert metrics(at)["Lightest"] == "270.8 mg"


def test_weight_check_gross_weights():
    at = weight_check(target=(271.03, "mg"), mode="gross", shell=(48.0, "mg"), weights="319.03\n319.53")
    assert metrics(at)["Mean net fill weight"] == "271.28 mg"


def test_weight_check_two_capsules_is_incomplete_not_pass():
    """Issue 8.4: two weights gave PASS with a warning underneath, while the Excel sheet said INCOMPLETE."""
    at = weight_check(target=(271.03, "mg"), weights="271.2\n270.8")
    assert not values(at, "success")
    assert any(x.startswith("**INCOMPLETE**: no verdict yet, 2 of 10 capsules weighed") and "weigh 8 more" in x
               for x in values(at, "warning")), values(at, "warning")


def test_weight_check_a_small_batch_is_complete_when_every_capsule_is_weighed():
    at = weight_check(target=(271.03, "mg"), weights="271.2\n270.8\n271", batch_size=3)
    assert any("PASS" in x for x in values(at, "success"))


def test_weight_check_carries_the_batch_size_from_the_capsules_page():
    at = capsules(**CAP05)
    at.button(key="cap.to_weight_check").click().run()
    assert at.text_input(key="qc.batch_size").value == "99"


SIZE3 = "\n".join(["88", "89.5", "90", "90.5", "91", "92", "89", "90.2", "90.8", "91.5"])


def test_weight_check_says_which_balance_it_needs():
    """Issue 9.5: size 3 capsules of 90 mg on the Class III balance (MWQ 120 mg) got no word."""
    at = weight_check(target=(90.0, "mg"), weights=SIZE3)
    warns = values(at, "warning")
    assert any("less than the MWQ of the Class III (formerly Class A) prescription balance, 120 mg" in x
               and "use the analytical balance, 0.1 mg scale interval" in x for x in warns), warns
    assert any("cannot resolve the limits 81 mg to 99 mg" in x and "needs 2.25 mg or better" in x for x in warns)
    at.selectbox(key="qc.balance").set_value("analytical_0_1mg")
    at = submit(at, "qc")
    assert not any("MWQ" in x or "resolve" in x for x in values(at, "warning"))
    assert any(c.startswith("Balance: the analytical balance, 0.1 mg scale interval (USP <41>) (MWQ 82 mg) will do.")
               for c in values(at, "caption"))


def test_weight_check_takes_the_balance_from_the_capsules_page():
    at = capsules(**CAP05, balance="analytical_0_1mg")
    at.button(key="cap.to_weight_check").click().run()
    assert at.selectbox(key="qc.balance").value == "analytical_0_1mg"


BAD_WEIGHT_INPUTS = [
    ("bad line", dict(target=(271.03, "mg"), weights="271.2\nabc"), "line 2"),
    ("first line not a weight", dict(target=(271.03, "mg"), weights="abc\n271.2\n270.8"), "line 1: 'abc' is not a weight"),
    ("more weights than capsules", dict(target=(271.03, "mg"), weights="271.2\n270.8\n271", batch_size=2),
     "3 weights for a batch of 2"),
    ("naked decimal", dict(target=(271.03, "mg"), weights=".5"), "naked decimal"),
    ("no weights", dict(target=(271.03, "mg"), weights=""), "no weights"),
    ("no target", dict(target=(None, "mg"), weights=WEIGHTS), "is missing"),
    ("gross without shell", dict(target=(271.03, "mg"), mode="gross", weights=WEIGHTS), "gross capsules"),
    ("low limit above 100", dict(target=(271.03, "mg"), weights=WEIGHTS, low=120.0), "out of range"),
]


@pytest.mark.parametrize("case, inputs, words", BAD_WEIGHT_INPUTS, ids=[c[0] for c in BAD_WEIGHT_INPUTS])
def test_weight_check_bad_input(case, inputs, words):
    at = weight_check(**inputs)
    assert any(words in e for e in errors(at)), errors(at)
    assert not at.metric
    if "weights" in inputs:
        assert at.text_area(key="qc.weights").value == inputs["weights"]


def test_weight_check_both_pasted_and_uploaded():
    at = weight_check(target=(271.03, "mg"), weights="271", file=("b.csv", b"271\n", "text/csv"))
    assert any("both pasted and uploaded" in e for e in errors(at))


# --- oral liquid ----------------------------------------------------------------------------------

def liquid(**inputs) -> AppTest:
    at = start("app_pages/oral_liquid.py")
    if "source" in inputs:
        at.radio(key="liq.source").set_value(inputs.pop("source")).run()
    if "doses" in inputs:
        at.multiselect(key="liq.doses").set_value(inputs.pop("doses"))
    return submit(set_inputs(at, "liq", **inputs), "liq")


def test_liquid_lq01_one_tablet_in_50_ml():
    # LQ-01: one 50 mg tablet in 50 mL = 1 mg/mL; 1.5 / 3 / 4.5 mL
    at = liquid(tablets=1, final_volume=(50.0, "mL"), doses=[1.5, 3.0, 4.5])
    m = metrics(at)
    assert m["Concentration"] == "1 mg/mL"
    assert m["Final volume"] == "50 mL"
    assert m["Whole 50 mg tablets to use"] == "1 tablet"
    assert m["Beyond-use date"]
    doses = at.table[1].value
    assert list(doses["Volume at 1 mg/mL"]) == ["1.5 mL", "3 mL", "4.5 mL"]
    # issue 8.7: 4.5 mL is on the 10 mL syringe's 0.5 mL marks, so 1 mg/mL stays and nothing else is recommended
    assert list(doses["On a mark"]) == ["yes", "yes", "yes"]
    assert list(doses["Oral syringe"])[2] == "10 mL oral syringe (0.5 mL marks)"
    # 50 mL lasts 33, 17 and 11 days at 1.5, 3 and 4.5 mg; the BUD of water is 14 days
    assert list(doses["Days per bottle"]) == ["14 days (limited by the BUD; lasts 33 days)",
                                              "14 days (limited by the BUD; lasts 17 days)", "11 days"]
    text = all_text(at)
    assert "Concentration: 1 mg/mL" in text  # the banner
    assert "Recommended concentration" not in text
    assert "Shake well" in text or "shake well" in text.lower()


def test_liquid_days_per_bottle_limited_by_the_bud():
    # issue 8.7: 150 mL at 1 mg/mL lasts 150/4.5 = 33 days at 4.5 mg; the BUD of water is 14 days
    at = liquid(tablets=3, final_volume=(150.0, "mL"), doses=[4.5])
    assert list(at.table[1].value["Days per bottle"]) == ["14 days (limited by the BUD; lasts 33 days)"]


def test_liquid_concentration_printed_with_every_result():
    at = liquid(tablets=1, final_volume=(50.0, "mL"), doses=[1.5])
    captions = values(at, "caption")
    assert any("at 1 mg/mL" in c for c in captions) and any("for 1 mg/mL" in c for c in captions)
    assert any("1 mg/mL" in s for s in values(at, "subheader"))


def test_liquid_lq04_partial_tablet_by_powder():
    # LQ-04: 0.5 mg/mL × 60 mL = 30 mg = 0.6 tablet; powder = 30 × 321 / 50 = 192.6 mg
    at = liquid(concentration=(0.5, "mg/mL"), final_volume=(60.0, "mL"), tablet_weight=(321.0, "mg"))
    assert metrics(at)["Tablet powder to weigh"] == "192.6 mg"


def test_liquid_from_powder_with_aliquot():
    at = liquid(source="api", concentration=(1.0, "mg/mL"), final_volume=(50.0, "mL"), potency=98.5)
    m = metrics(at)
    assert m["Naltrexone HCl in the batch"] == "50 mg"
    assert "below the MWQ" in all_text(at)


def test_liquid_custom_dose_typed():
    at = liquid(tablets=1, final_volume=(50.0, "mL"), doses=[1.5, "2.25"])
    assert "2.25 mL" in list(at.table[1].value["Volume at 1 mg/mL"])


BAD_LIQUID_INPUTS = [
    ("only one of three", dict(tablets=1), "give two of tablets, concentration and final volume"),
    ("part tablet without weight", dict(concentration=(0.5, "mg/mL"), final_volume=(60.0, "mL")), "must be measured"),
    ("inconsistent three", dict(tablets=1, concentration=(1.0, "mg/mL"), final_volume=(60.0, "mL")), "do not agree"),
    ("zero volume", dict(tablets=1, final_volume=(0.0, "mL")), "greater than zero"),
    ("dose out of range", dict(tablets=1, final_volume=(50.0, "mL"), doses=[45.0]), "outside the low-dose"),
    ("typed dose not a number", dict(tablets=1, final_volume=(50.0, "mL"), doses=["abc"]), "not a number"),
]


@pytest.mark.parametrize("case, inputs, words", BAD_LIQUID_INPUTS, ids=[c[0] for c in BAD_LIQUID_INPUTS])
def test_liquid_bad_input(case, inputs, words):
    at = liquid(**dict(inputs))
    assert any(words in e for e in errors(at)), errors(at)
    assert not at.metric
    for name, value in inputs.items():
        if isinstance(value, tuple):
            assert at.text_input(key=f"liq.{name}").value == typed(value[0])
        elif name == "tablets":
            assert at.text_input(key="liq.tablets").value == typed(value)


# --- titration ------------------------------------------------------------------------------------

def titration(**inputs) -> AppTest:
    at = start("app_pages/titration.py")
    for radio in ("mode", "form"):
        if radio in inputs:
            at.radio(key=f"tit.{radio}").set_value(inputs.pop(radio)).run()
    return submit(set_inputs(at, "tit", **inputs), "tit")


def test_titration_tt02_liquid_preset():
    # TT-02: 1.5 mg + 0.5 mg every 2 weeks to 4.5 mg, two weeks at 4.5 mg, 1 mg/mL
    at = titration(form="liquid", preset="ldnrt_slow")
    m = metrics(at)
    assert m["Days in the plan"] == "98"
    assert m["Naltrexone HCl over the plan"] == "294 mg"
    assert m["Liquid over the plan"] == "294 mL"
    assert m["Concentration"] == "1 mg/mL"
    stages = at.table[0].value
    assert list(stages["Volume at 1 mg/mL"]) == ["1.5 mL", "2 mL", "2.5 mL", "3 mL", "3.5 mL", "4 mL", "4.5 mL"]
    assert len(at.dataframe[0].value) == 98  # the dated patient chart
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_titration_explicit_capsule_stages():
    # as TT-01 (one capsule per dose of its strength), with the editor's default stages 1.5:14, 3:14, 4.5:28
    at = titration(mode="stages")
    m = metrics(at)
    assert m["Capsules to dispense"] == "56"  # default stages 1.5:14, 3:14, 4.5:28
    dispense = at.table[1].value
    assert list(dispense["Capsules"]) == ["14", "14", "28"]
    assert any("126 capsules of 1.5 mg" in c for c in values(at, "caption"))


def test_titration_own_regimen_weekly_liquid_5mg_per_ml():
    # TT-03: 0.5 mg + 0.5 mg weekly to 4.5 mg at 5 mg/mL: 0.1 ... 0.9 mL; 9 weeks = 31.5 mL
    at = titration(form="liquid", preset="(own regimen)", start=(0.5, "mg"), step=(0.5, "mg"), every=(1, "weeks"),
                   target=(4.5, "mg"), maintain=(7, "days"), concentration=(5.0, "mg/mL"))
    m = metrics(at)
    assert m["Days in the plan"] == "63"
    assert m["Liquid over the plan"] == "31.5 mL"
    assert "0.9 mL" in list(at.table[0].value["Volume at 5 mg/mL"])


BAD_TITRATION_INPUTS = [
    ("target out of range", dict(preset="(own regimen)", start=(1.5, "mg"), target=(45.0, "mg"), every=(14, "days")),
     "outside the low-dose"),
    ("start above target", dict(preset="(own regimen)", start=(4.5, "mg"), target=(1.5, "mg"), every=(14, "days")),
     "above the target"),
    ("no start", dict(preset="(own regimen)", target=(4.5, "mg"), every=(14, "days")), "is missing"),
    ("zero step", dict(preset="(own regimen)", start=(1.5, "mg"), step=(0.0, "mg"), target=(4.5, "mg"),
                       every=(14, "days")), "never reaches the target"),
    ("step in mcg", dict(preset="(own regimen)", start=(1.5, "mg"), step=(0.5, "mcg"), target=(4.5, "mg"),
                         every=(14, "days")), "right unit"),
]


@pytest.mark.parametrize("case, inputs, words", BAD_TITRATION_INPUTS, ids=[c[0] for c in BAD_TITRATION_INPUTS])
def test_titration_bad_input(case, inputs, words):
    at = titration(**inputs)
    assert any(words in e for e in errors(at)), errors(at)
    assert not at.metric
    assert at.selectbox(key="tit.preset").value == "(own regimen)"
    for name, value in inputs.items():
        if isinstance(value, tuple):
            assert at.text_input(key=f"tit.{name}").value == typed(value[0])


# --- independent check ----------------------------------------------------------------------------

def qa(**inputs) -> AppTest:
    at = start("app_pages/independent_check.py")
    amounts = {f"amount.{k}": v for k, v in inputs.pop("amounts", {}).items()}
    return submit(set_inputs(at, "qa", **inputs, **amounts), "qa")


def test_qa_all_agree():
    at = qa(**CAP05, amounts={"capsules_to_make": 99, "naltrexone_hcl": (445.5, "mg"),
                              "api_to_weigh": (445.5, "mg"), "filler_per_capsule": (266.53, "mg"),
                              "blend_total": (26.83183, "g"), "fill_weight_per_capsule": (271.03, "mg")})
    assert any("All 6 amounts agree" in s for s in values(at, "success"))
    assert not errors(at)


def test_qa_ten_fold_and_salt_factor_are_loud():
    at = qa(**CAP05, amounts={"naltrexone_hcl": (4455.0, "mg"), "api_to_weigh": (493.08, "mg")})
    errs = errors(at)
    assert any(e.startswith("## STOP") for e in errs)
    assert any("TEN-FOLD ERROR" in e for e in errs)
    assert any("SALT-FACTOR ERROR" in e and "1.1068" in e for e in errs)


def test_qa_double_the_drug_is_a_stop():
    # 891 mg is 2 × 445.5 mg: not ten-fold, not a salt factor, but a dose-determining amount doubled
    at = qa(**CAP05, amounts={"api_to_weigh": (891.0, "mg")})
    errs = errors(at)
    assert errs[0].startswith("## STOP: 1 dangerous difference")
    assert any("Naltrexone HCl powder to weigh" in e and "DOSE ERROR: 2 times larger" in e for e in errs), errs
    assert list(at.table[0].value["Result"]) == ["DOSE ERROR (× 2 or more)"]


def test_qa_mcg_mix_up():
    at = qa(**CAP05, amounts={"naltrexone_hcl": (445.5, "mcg")})
    assert any("1 000 times smaller" in e and "mg/mcg/g" in e for e in errors(at))


def test_qa_difference_is_a_warning():
    at = qa(**CAP05, amounts={"capsules_to_make": 100})
    assert any("Differences found" in w for w in values(at, "warning"))


def test_qa_does_not_show_the_capsules_page_result():
    at = capsules(**CAP05)
    at.switch_page("app_pages/independent_check.py").run()
    assert not at.text_input(key="qa.strength").value  # nothing carried over
    assert not at.metric


@pytest.mark.parametrize("inputs, words", [
    (dict(CAP05), "enter at least one amount"),
    (dict(CAP05, amounts={"naltrexone_hcl": (-4.0, "mg")}), "greater than zero"),
    (dict(CAP05, strength=(45.0, "mg"), amounts={"capsules_to_make": 99}), "outside the low-dose"),
])
def test_qa_bad_input(inputs, words):
    at = qa(**inputs)
    assert any(words in e for e in errors(at)), errors(at)
    assert not at.table


# --- reference data -------------------------------------------------------------------------------

def test_reference_data_lists_figures_with_sources():
    at = start("app_pages/reference_data.py")
    text = all_text(at)
    for expected in ("Torpac capsule size chart", "0.5 mL", "microcrystalline cellulose (Avicel PH-102)",
                     "NOT for LDN", "120 mg", "USP <795> (2023) Table 4", "180 days", "377.86 g/mol",
                     "How to add a formula", "formulas/"):
        assert expected in text, expected
    assert any("LDN-CAP-API" in e.label for e in at.expander)


def test_qa_uploaded_record_agrees_and_a_tampered_one_stops():
    from tests.test_check import _record, _set_calculator_value

    at = start("app_pages/independent_check.py")
    at.file_uploader(key="qa_record.file").set_value(("batch.xlsx", _record(), "application/octet-stream")).run()
    assert not at.exception
    assert any("every one of" in s and "agrees" in s for s in values(at, "success"))
    tampered = _record(lambda wb: _set_calculator_value(wb, "api_to_weigh", 10.0))
    at.file_uploader(key="qa_record.file").set_value(("batch.xlsx", tampered, "application/octet-stream")).run()
    errs = errors(at)
    assert any("STOP" in e for e in errs)
    assert any(e.startswith("Naltrexone HCl powder to weigh: the record says 4455 mg;") and "TEN-FOLD" in e
               for e in errs), errs
    assert not any("api_to_weigh" in e for e in errs)


@pytest.mark.parametrize("name, value, words", [
    ("strength", 45, "Strength per capsule (as naltrexone hydrochloride (anhydrous)): the file's input is 45 mg, "
                     "but the record was calculated with 4.5 mg — TEN-FOLD ERROR"),
    ("potency", 0.0985, "As-is potency: the file's input is 9.85%, but the record was calculated "
                        "with 98.5% — TEN-FOLD ERROR"),
    ("potency", 0.49, "As-is potency: the file's input is 49%, but the record was calculated "
                      "with 98.5% — DOSE ERROR: 2.01 times smaller"),
])
def test_qa_uploaded_record_edited_tenfold_stops_in_the_pages_words(name, value, words):
    """Issue 8.3: an edited strength (45 mg) or potency (9.85 %) showed only "1 value(s) differ"."""
    from tests.test_check import _potency_record, _set_input

    at = start("app_pages/independent_check.py")
    edited = _potency_record(lambda wb: _set_input(wb, name, value))
    at.file_uploader(key="qa_record.file").set_value(("batch-L1.xlsx", edited, "application/octet-stream")).run()
    assert not at.exception
    errs = errors(at)
    assert errs[0].startswith("## STOP: 1 dangerous difference in batch-L1.xlsx"), errs
    assert any(e.startswith(words) for e in errs), errs
    shown = "\n".join(errs + values(at, "warning"))
    for raw in ("<Quantity", "<bytes>", "strength =", "potency =", "value(s)"):
        assert raw not in shown
    assert not values(at, "success")


def test_qa_uploaded_file_that_is_not_a_record():
    at = start("app_pages/independent_check.py")
    at.file_uploader(key="qa_record.file").set_value(("x.xlsx", b"PK not really", "application/octet-stream")).run()
    assert not at.exception
    assert any("not" in e.lower() for e in errors(at))
    assert any("x.xlsx" in e for e in errors(at)) and not any("<bytes>" in e for e in errors(at))


def test_inputs_and_results_survive_a_visit_to_another_page():
    at = capsules(**CAP05)
    at.switch_page("app_pages/reference_data.py").run()
    at.switch_page("app_pages/capsules.py").run()
    assert not at.exception
    assert at.text_input(key="cap.strength").value == "4.5"
    assert at.selectbox(key="cap.capsule_size").value == "1"
    assert metrics(at)["Capsules to make"] == "99"


def test_qa_oral_liquid_dose_volume_ten_fold():
    at = start("app_pages/independent_check.py")
    at.radio(key="qa.preparation").set_value("oral_liquid").run()
    set_inputs(at, "qal", tablets=1, final_volume=(50.0, "mL"), **{"amount.concentration": (1.0, "mg/mL")})
    set_inputs(at, "qal", **{"dv0.dose": (4.5, "mg"), "dv0.volume": (45.0, "mL"),
                             "dv1.dose": (1.5, "mg"), "dv1.volume": (1.5, "mL")})
    at = submit(at, "qal")
    errs = errors(at)
    assert any("TEN-FOLD" in e and "Volume for 4.5 mg at 1 mg/mL" in e for e in errs), errs
    table = at.table[0].value
    assert list(table["Result"]) == ["agrees", "TEN-FOLD ERROR", "agrees"]


def test_qa_oral_liquid_bad_dose():
    at = start("app_pages/independent_check.py")
    at.radio(key="qa.preparation").set_value("oral_liquid").run()
    set_inputs(at, "qal", tablets=1, final_volume=(50.0, "mL"), **{"dv0.dose": (45.0, "mg"),
                                                                   "dv0.volume": (45.0, "mL")})
    at = submit(at, "qal")
    assert any("outside the low-dose" in e for e in errors(at))
    assert at.text_input(key="qal.dv0.dose").value == "45.0"


def test_random_capsule_inputs_never_raise_and_never_show_a_stale_result():
    """Whatever a pharmacist types, the page shows a result or an error beside a field, never both and
    never a traceback."""
    import random

    rng = random.Random(5)
    at = start()
    numbers = [None, 0.0, -1.0, 0.1, 4.5, 45.0, 1e9, 0.0001, 99.5, 270.0]
    for _ in range(25):
        inputs = dict(strength=(rng.choice(numbers), rng.choice(["mg", "mcg", "g"])),
                      quantity=rng.choice([None, 0, 1, 90, 100000]),
                      extra=(rng.choice(numbers), rng.choice(["%", "capsules"])),
                      capsule_size=rng.choice(["000", "1", "5"]),
                      filler=rng.choice(["mcc_ph102", "lactose_monohydrate", "calcium_carbonate"]),
                      fill_weight=(rng.choice(numbers), rng.choice(["mg", "g"])),
                      potency=rng.choice([None, 98.5, 0.0, 200.0]))
        submit(set_inputs(at, "cap", **inputs), "cap")
        errs = errors(at)
        assert not any("failed unexpectedly" in e for e in errs), (inputs, errs)
        assert bool(errs) != bool(at.metric), (inputs, errs)


def test_random_liquid_and_titration_inputs_never_raise():
    import random

    rng = random.Random(7)
    numbers = [None, 0.0, -1.0, 0.5, 1.0, 4.5, 50.0, 1e9, 0.001]
    at = start("app_pages/oral_liquid.py")
    for _ in range(15):
        inputs = dict(tablets=rng.choice([None, 0, 1, 3, 1000]),
                      concentration=(rng.choice(numbers), rng.choice(["mg/mL", "mcg/mL"])),
                      final_volume=(rng.choice(numbers), rng.choice(["mL", "L"])),
                      tablet_weight=(rng.choice(numbers), "mg"))
        at.multiselect(key="liq.doses").set_value(rng.sample([0.5, 1.5, 4.5, "abc", "-2", "0"], 2))
        submit(set_inputs(at, "liq", **inputs), "liq")
        errs = errors(at)
        assert not any("failed unexpectedly" in e for e in errs), (inputs, errs)
        assert bool(errs) != bool(at.metric), (inputs, errs)
    at = start("app_pages/titration.py")
    at.selectbox(key="tit.preset").set_value("(own regimen)")
    for _ in range(15):
        inputs = dict(start=(rng.choice(numbers), "mg"), step=(rng.choice(numbers), rng.choice(["mg", "mcg"])),
                      target=(rng.choice(numbers), "mg"), every=(rng.choice([None, 0, 1, 14, 10**6]), "days"),
                      maintain=(rng.choice([None, 0, 7]), "weeks"))
        submit(set_inputs(at, "tit", **inputs), "tit")
        errs = errors(at)
        assert not any("failed unexpectedly" in e for e in errs), (inputs, errs)
        assert bool(errs) != bool(at.metric), (inputs, errs)


def test_changing_the_formula_removes_the_old_result():
    at = capsules(**CAP05)
    assert metrics(at)["Capsules to make"] == "99"
    at.selectbox(key="cap.formula").set_value("LDN-CAP-TAB").run()
    assert not at.metric and not errors(at)


# --- typed text reaches the core's parser unchanged (issue 8, item 1) ------------------------------
# A browser number box turned "0,5" into 5 and "150,5" into 1505 before the program saw it.

def _variant(at, radios=(), formula=None):
    if formula:
        at.selectbox(key="cap.formula").set_value(formula).run()
    for key, value in radios:
        at.radio(key=key).set_value(value).run()
    return at


PAGE_VARIANTS = {
    "capsules powder": ("app_pages/capsules.py", "cap", {}),
    "capsules tablets": ("app_pages/capsules.py", "cap", {"formula": "LDN-CAP-TAB"}),
    "capsules densities": ("app_pages/capsules.py", "cap", {"radios": [("cap.method", "density")]}),
    "liquid tablets": ("app_pages/oral_liquid.py", "liq", {}),
    "liquid powder": ("app_pages/oral_liquid.py", "liq", {"radios": [("liq.source", "api")]}),
    "titration liquid": ("app_pages/titration.py", "tit", {"radios": [("tit.form", "liquid")]}),
    "QA capsules": ("app_pages/independent_check.py", "qa", {}),
    "QA liquid": ("app_pages/independent_check.py", "qal", {"radios": [("qa.preparation", "oral_liquid")]}),
    "weight check": ("app_pages/weight_check.py", "qc", {}),
}


@pytest.mark.parametrize("variant", list(PAGE_VARIANTS))
def test_every_quantity_field_is_a_text_box_that_refuses_a_comma_beside_itself(variant):
    page, prefix, how = PAGE_VARIANTS[variant]
    at = _variant(start(page), **how)
    assert not at.number_input  # no browser number box anywhere
    boxes = [t for t in at.text_input if t.key.startswith(prefix + ".") and ".record." not in t.key]
    assert len(boxes) >= 4
    for box in boxes:
        box.set_value("0,5")
    submit(at, prefix)
    # one refusal per field, each saying what to write; the core's own message replaces the
    # field's reading for the field it stopped at, never both
    refusals = [e for e in errors(at) if "has a comma" in e]
    assert len(refusals) == len(boxes) and all("write 0.5" in e for e in refusals), refusals
    assert not at.metric
    assert all(at.text_input(key=b.key).value == "0,5" for b in boxes)  # every box keeps its text


def test_liquid_concentration_typed_with_a_comma_is_refused_not_read_as_5():
    # the case: 0,5 mg/mL with 150 mL gave 5 mg/mL and 15 tablets
    at = liquid(concentration=("0,5", "mg/mL"), final_volume=("150", "mL"))
    assert not at.metric
    assert any("0,5 mg/mL" in e and "write 0.5" in e for e in errors(at)), errors(at)
    assert at.text_input(key="liq.concentration").value == "0,5"


def test_capsule_fill_weight_typed_with_a_comma_is_refused_not_read_as_1505():
    at = capsules(**dict(CAP05, fill_weight=("150,5", "mg")))
    assert not at.metric
    assert any("150,5 mg" in e and "write 150.5" in e for e in errors(at)), errors(at)
    assert at.text_input(key="cap.fill_weight").value == "150,5"


def test_a_number_written_differently_is_shown_as_it_was_read():
    # "90.000" is 90 and " 4.5 " is 4.5 mg: calculated, and each field says how it was read
    at = capsules(**dict(CAP05, quantity="90.000", strength=(" 4.5 ", "mg"), extra=("10.0", "%"),
                         fill_weight=("270", "mg")))
    assert metrics(at)["Capsules to make"] == "99"
    captions = values(at, "caption")
    for shown in ("Read as **90 capsules**", "Read as **4.5 mg**", "Read as **10%**"):
        assert shown in captions, captions
    assert "Read as **270 mg**" not in captions  # typed as the program writes it: nothing to say


def test_a_unit_typed_in_the_box_must_agree_with_the_unit_chosen():
    at = capsules(**dict(CAP05, strength=("4.5 mg", "mg")))
    assert metrics(at)["Capsules to make"] == "99"
    at = capsules(**dict(CAP05, strength=("4.5 mcg", "mg")))  # never a silent choice of one of the two
    assert not at.metric and any("'mcg mg' is not one unit" in e for e in errors(at))


# --- results belong to the inputs on screen (issue 8, item 8) --------------------------------------

def _stale(at) -> bool:
    return any("The inputs have changed" in i for i in values(at, "info"))


def _downloads(at) -> set[str]:
    return {b.key for b in at.get("download_button")}


def test_a_changed_input_hides_the_result_and_its_downloads_until_calculate():
    at = capsules(**CAP05)
    assert metrics(at)["Capsules to make"] == "99" and "cap.download_json" in _downloads(at)
    at.text_input(key="cap.strength").set_value("3").run()  # changed, not yet calculated
    assert not at.metric and not _downloads(at) and _stale(at)
    assert not any("download" in b.key for b in at.button)
    at.text_input(key="cap.strength").set_value("4.5").run()  # back to what was calculated
    assert metrics(at)["Capsules to make"] == "99" and not _stale(at)
    at.selectbox(key="cap.capsule_size").set_value("0").run()  # any input: a choice too
    assert not at.metric and _stale(at)
    submit(at, "cap")
    assert metrics(at)["Capsules to make"] == "99" and not _stale(at)


def test_record_details_are_not_inputs_of_the_calculation():
    at = capsules(**CAP05)
    at.text_input(key="cap.record.lot_number").set_value("LOT-7").run()
    assert metrics(at)["Capsules to make"] == "99" and not _stale(at)


def test_a_changed_input_removes_the_error_of_the_old_inputs():
    at = capsules(**dict(CAP05, strength=(45.0, "mg")))
    assert any("outside the low-dose" in e for e in errors(at))
    at.text_input(key="cap.quantity").set_value("100").run()
    assert not any("outside the low-dose" in e for e in errors(at))
    assert at.text_input(key="cap.strength").value == "45.0"  # the text stays


@pytest.mark.parametrize("page, prefix, inputs, change", [
    ("app_pages/oral_liquid.py", "liq", dict(tablets=1, final_volume=(50.0, "mL")), ("final_volume", "60")),
    ("app_pages/titration.py", "tit", {}, ("target", "3")),
    ("app_pages/weight_check.py", "qc", dict(target=(271.03, "mg"), weights=WEIGHTS), ("low", "85")),
    ("app_pages/independent_check.py", "qa", dict(CAP05, **{"amount.capsules_to_make": 99}),
     ("amount.capsules_to_make", "100")),
])
def test_every_page_hides_an_out_of_date_result(page, prefix, inputs, change):
    at = submit(set_inputs(start(page), prefix, **inputs), prefix)
    assert (at.metric or at.success) and not _stale(at) and _downloads(at)
    at.text_input(key=f"{prefix}.{change[0]}").set_value(change[1]).run()
    assert not at.metric and not at.success and not _downloads(at) and _stale(at)


def test_weight_check_target_from_a_new_capsule_batch_hides_the_old_check():
    at = weight_check(target=(271.03, "mg"), weights=WEIGHTS)
    assert metrics(at)["Mean net fill weight"] == "271.1 mg"
    at.switch_page("app_pages/capsules.py").run()
    at = submit(set_inputs(at, "cap", **dict(CAP05, strength=(3.0, "mg"))), "cap")
    at.button(key="cap.to_weight_check").click().run()
    assert values(at, "title") == ["Weight check"] and not at.metric and _stale(at)


def test_a_hidden_quantity_field_keeps_its_text():
    at = start()
    at.text_input(key="cap.potency").set_value("98.5").run()
    at.selectbox(key="cap.formula").set_value("LDN-CAP-TAB").run()  # powder fields hidden
    at.text_input(key="cap.tablet_weight").set_value("321").run()
    at.selectbox(key="cap.formula").set_value("LDN-CAP-API").run()
    assert at.text_input(key="cap.potency").value == "98.5"


# --- one figure, one value; download names (issue 8, item 9) --------------------------------------

@pytest.fixture
def download_names(monkeypatch):
    """The file name of each download button drawn, by key (AppTest does not expose it)."""
    import streamlit

    names, real = {}, streamlit.download_button

    def spy(label, *args, **kwargs):
        names[kwargs.get("key")] = kwargs.get("file_name")
        return real(label, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", spy)
    return names


def trace_text(at) -> str:
    return next(e for e in at.expander if "Calculation trace" in e.label).markdown[0].value


def test_tablets_batch_says_the_crush_count_was_rounded_up_and_the_trace_agrees():
    # 4.5 mg × 99 = 445.5 mg = 8.91 tablets' worth: crush 9 (the trace said "→ 9 tablets")
    at = capsules(formula="LDN-CAP-TAB", **CAP05, tablet_weight=(321.0, "mg"))
    assert any("crush 9 tablets (rounded up from 8.91) of 50 mg" in c for c in values(at, "caption"))
    assert "→ 8.91 tablets" in trace_text(at) and "tablets_worth = 8.91 tablets → 9 tablets" in trace_text(at)


def test_extra_capsules_rounded_up_are_said_to_be():
    at = capsules(**dict(CAP05, quantity=95))  # 10 % of 95 = 9.5
    assert any("95 ordered + 10 (rounded up from 9.5) extra" in c for c in values(at, "caption"))


def test_a_warning_shows_the_figure_the_table_shows():
    # 0.5 mg × 30 ÷ 98.5 % = 15.2284… mg of powder: the warning said 15.2284 mg, the table 15.23 mg
    at = capsules(strength=(0.5, "mg"), quantity=30, capsule_size="1", fill_weight=(270.0, "mg"), potency=98.5)
    assert list(at.table[0].value["In the blend"])[0] == "15.23 mg"
    warning = next(w for w in values(at, "warning") if w.startswith("Aliquot needed"))
    assert "15.23 mg" in warning and "15.2284" not in warning


def test_liquid_page_offers_the_text_batch_sheet():
    at = liquid(concentration=(0.5, "mg/mL"), final_volume=(60.0, "mL"), tablet_weight=(321.0, "mg"))
    assert "liq.download_txt" in {b.key for b in at.get("download_button")}
    assert any("crush 1 tablet (rounded up from 0.6) of 50 mg" in c for c in values(at, "caption"))


def test_download_names_carry_the_source_the_lot_and_a_time_for_evidence(download_names):
    at = capsules(formula="LDN-CAP-TAB", **CAP05, tablet_weight=(321.0, "mg"))
    day = at.date_input(key="cap.date").value.isoformat()
    assert download_names["cap.download_json"] == f"ldn-capsules-tablets-4.5mg-{day}.json"
    at.text_input(key="cap.record.lot_number").set_value("LOT 7/B").run()
    assert download_names["cap.download_json"] == f"ldn-capsules-tablets-4.5mg-LOT-7-B-{day}.json"
    assert download_names["cap.download_txt"] == f"ldn-capsules-tablets-4.5mg-LOT-7-B-{day}.txt"
    at.button(key="cap.to_weight_check").click().run()  # the lot goes with the batch to the weight check
    at = submit(set_inputs(at, "qc", weights=WEIGHTS), "qc")
    assert re.fullmatch(r"weight-check-LOT-7-B-\d{4}-\d\d-\d\d-\d{6}\.json", download_names["qc.download_json"])

    at = liquid(concentration=(0.5, "mg/mL"), final_volume=(60.0, "mL"), tablet_weight=(321.0, "mg"))
    day = at.date_input(key="liq.date").value.isoformat()
    assert download_names["liq.download_txt"] == f"ldn-liquid-tablets-0.5mg-per-mL-60mL-{day}.txt"

    at = qa(**CAP05, amounts={"capsules_to_make": 99})
    assert re.fullmatch(r"independent-check-capsules-api-\d{4}-\d\d-\d\d-\d{6}\.json", download_names["qa.download_json"])

    from tests.test_check import _record

    at.file_uploader(key="qa_record.file").set_value(("batch 12.xlsx", _record(), "application/octet-stream")).run()
    assert re.fullmatch(r"record-check-batch-12-\d{4}-\d\d-\d\d-\d{6}\.json", download_names["qa_record.download_json"])


# --- main's API-lot and actual-weight inputs are core-parsed text boxes too (merge of t-app) -------

def test_actual_weights_are_text_boxes_that_refuse_a_comma_beside_themselves():
    at = capsules(**CAP05)
    boxes = [t for t in at.text_input if t.key.startswith("cap.actual.")]
    assert {b.key for b in boxes} == {"cap.actual.drug", "cap.actual.filler"}
    for box in boxes:
        box.set_value("0,5")
    submit(at, "cap.actual")
    # one refusal per box (the core's own for the one it stopped at), each saying what to write
    refusals = [e for e in errors(at) if "has a comma" in e]
    assert len(refusals) == 2 and all("write 0.5" in e for e in refusals), refusals
    m = metrics(at)
    assert "Drug per capsule, actual" not in m and m["Naltrexone HCl powder to weigh"] == "450 mg"
    assert all(at.text_input(key=b.key).value == "0,5" for b in boxes)


def test_a_changed_actual_weight_hides_the_recalculation_until_recalculate():
    # CAP-05 weighed 452 mg and 26.4 g: fill (452 + 26400) ÷ 99 = 271.23 mg; the plan's is 271.03 mg
    at = capsules(**CAP05)
    submit(set_inputs(at, "cap.actual", drug=(452.0, "mg"), filler=(26.4, "g")), "cap.actual")
    assert metrics(at)["Fill weight per capsule, actual"] == "271.23 mg"
    at.text_input(key="cap.actual.drug").set_value("460").run()  # typed, not recalculated
    assert "Fill weight per capsule, actual" not in metrics(at)
    assert any("actual weights have changed" in i for i in values(at, "info"))
    assert metrics(at)["Naltrexone HCl powder to weigh"] == "450 mg"  # the plan stays
    at.button(key="cap.to_weight_check").click().run()  # and the weight check gets the plan's target
    assert at.text_input(key="qc.target").value == "271.03"
    at.switch_page("app_pages/capsules.py").run()
    # recalculated: (460 + 26400) ÷ 99 = 271.31 mg; 4.5 × 460 ÷ 445.5 = 4.6465 mg = 103.25 %
    submit(at, "cap.actual")
    m = metrics(at)
    assert m["Fill weight per capsule, actual"] == "271.31 mg" and m["Drug per capsule, actual"] == "4.65 mg"
    at.button(key="cap.to_weight_check").click().run()
    assert at.text_input(key="qc.target").value == "271.31"


def test_capsules_potency_of_the_dihydrate_itself_is_a_basis_chosen_on_the_page():
    # a CoA giving 98.5 % as the content of the dihydrate itself (issue 9.1):
    # 445.5 × 413.89/377.86 ÷ 0.985 = 487.977… ÷ 0.985 = 495.41 mg
    at = start()
    at.selectbox(key="cap.potency_basis").set_value("as_weighed")
    at = submit(set_inputs(at, "cap", **CAP05, api_form="hcl_dihydrate", potency=98.5), "cap")
    assert not errors(at)
    text = all_text(at)
    assert "calculated need 495.41 mg" in text and "naltrexone hydrochloride dihydrate" in text


def test_liquid_from_powder_takes_assay_and_water_as_text():
    # assay 99.5 % and water 0.5 %: 0.995 × 0.995 = 99.0025 % as-is; 1 mg/mL × 150 mL = 150 mg
    # ÷ 0.990025 = 151.51 mg of powder
    at = liquid(source="api", concentration=(1.0, "mg/mL"), final_volume=(150.0, "mL"), assay=99.5, water=0.5)
    assert metrics(at)["Naltrexone HCl powder to weigh"] == "151.51 mg"
    at = liquid(source="api", concentration=(1.0, "mg/mL"), final_volume=(150.0, "mL"), assay="99,5", water=0.5)
    assert not at.metric and any("write 99.5" in e for e in errors(at))


def test_back_from_the_weight_check_the_batch_and_its_choices_are_still_there():
    # "Check capsule weights" switched page in the middle of a run: the choices (formula, capsule
    # size) were lost, and coming back the batch was hidden as out of date
    at = capsules(formula="LDN-CAP-TAB", **CAP05, tablet_weight=(321.0, "mg"))
    at.button(key="cap.to_weight_check").click().run()
    assert values(at, "title") == ["Weight check"]
    at.switch_page("app_pages/capsules.py").run()
    assert at.selectbox(key="cap.formula").value == "LDN-CAP-TAB"
    assert metrics(at)["Tablet powder to weigh"] == "2860 mg" and not _stale(at)
