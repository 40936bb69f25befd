"""What the printed sheets say (issue 10, items 1-7): record fields entered once, directions from one
place, component expiries that limit the BUD, the patient's dose on the liquid label, what goes on
the balance for an aliquot, and a titration plan whose layout is checked."""

from __future__ import annotations

import io

import openpyxl
import pytest

from compounding.capsules import capsule_batch
from compounding.excel import RECORD_FIELDS, workbook, workbook_bytes
from tests.excel_support import DATE, named_cell, record_kinds

KINDS = record_kinds()


def _cells(wb):
    """The cells a printout shows (the stored copies in hidden columns are not typed anywhere)."""
    from tests.excel_support import printed_cells

    return list(printed_cells(wb))


def _shown(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data), data_only=True)


def _sheet_texts(ws) -> list[str]:
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


# --- record fields entered once (item 1) and directions from one place (item 4) --------------------

FIELDS = {key: f"{key.upper()}-Q7" for key in RECORD_FIELDS}


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_record_field_is_typed_in_one_cell_and_shown_everywhere_else_by_formula(kind):
    wb = workbook(KINDS[kind], **FIELDS)
    shown = _shown(workbook_bytes(KINDS[kind], **FIELDS))
    for key, text in FIELDS.items():
        typed = [(s, c.coordinate) for s, c in _cells(wb) if c.value == text]
        if key in ("pharmacy_contact", "directions") and kind.startswith("titration"):
            assert typed == []  # a titration plan has no label
            continue
        assert len(typed) == 1, (key, typed)
        sheet, coord = typed[0]
        assert not wb[sheet][coord].protection.locked
        assert named_cell(wb, f"record_{key}").coordinate == coord
        elsewhere = [(s, c.coordinate) for s, c in _cells(shown) if c.value == text and (s, c.coordinate) != typed[0]]
        for s, coordinate in elsewhere:  # every other place is a locked formula over the one cell
            assert wb[s][coordinate].value == f'=""&record_{key}' and wb[s][coordinate].protection.locked
        shared = ("patient",) if kind.startswith("titration") else ("patient", "lot_number", "prescriber",
                                                                       "pharmacy_name")
        if key in shared:
            assert elsewhere, key  # the label (the patient chart) shows it too


@pytest.mark.parametrize("kind", ["capsules-api", "liquid-tablets"])
def test_the_label_prints_the_prescribed_directions_only(kind):
    label = workbook(KINDS[kind], directions="Take 2 capsules at bedtime")["Label"]
    texts = _sheet_texts(label)
    assert "Take 2 capsules at bedtime" in texts
    assert not [t for t in texts if "as directed" in t or "Take one capsule" in t]


@pytest.mark.parametrize("kind", ["capsules-api", "liquid-tablets"])
def test_without_directions_the_label_has_a_blank_line_to_fill_by_hand(kind):
    label = workbook(KINDS[kind])["Label"]
    assert not [t for t in _sheet_texts(label) if "as directed" in t or "Take one capsule" in t]
    row = next(r for r in range(1, label.max_row + 1) if label.cell(row=r, column=1).value == "Directions")
    cell = label.cell(row=row, column=2)
    assert cell.value is None and not cell.protection.locked
    assert label.row_dimensions[row].height >= 30


# --- one LibreOffice run for the edited records below ------------------------------------------------

def _first_expiry_cell(wb):
    sheet, coord = next(iter(wb.defined_names["component_expiries"].destinations))
    return wb[sheet][coord.replace("$", "").split(":")[0]]


def _with_expiry(src, dst, when):
    wb = openpyxl.load_workbook(src)
    _first_expiry_cell(wb).value = when
    wb.save(dst)
    return dst


@pytest.fixture(scope="module")
def recalculated(soffice, tmp_path_factory):
    import datetime as dt

    from tests.excel_support import load_values, recalculate_many

    src, out = tmp_path_factory.mktemp("rec-src"), tmp_path_factory.mktemp("rec-out")
    jobs = {}
    cap = src / "capsules.xlsx"
    cap.write_bytes(workbook_bytes(KINDS["capsules-api"]))
    liq = src / "liquid.xlsx"
    liq.write_bytes(workbook_bytes(KINDS["liquid-tablets"]))
    jobs["expiry-early"] = _with_expiry(cap, src / "expiry-early.xlsx", dt.datetime(2027, 1, 31))
    jobs["expiry-late"] = _with_expiry(cap, src / "expiry-late.xlsx", dt.datetime(2028, 1, 31))
    jobs["liquid-expiry"] = _with_expiry(liq, src / "liquid-expiry.xlsx", dt.datetime(2026, 11, 30))
    for kind in ("titration-capsules", "titration-liquid"):  # the first stage lengthened by a week
        path = src / f"{kind}.xlsx"
        path.write_bytes(workbook_bytes(KINDS[kind]))
        wb = openpyxl.load_workbook(path)
        named_cell(wb, "days_1").value = named_cell(wb, "days_1").value + 7
        wb.save(src / f"{kind}-longer.xlsx")
        jobs[f"{kind}-longer"] = src / f"{kind}-longer.xlsx"
    wb = openpyxl.load_workbook(cap)  # an input edited in the spreadsheet: 4.5 mg → 3 mg
    named_cell(wb, "strength").value = 3
    wb.save(src / "strength-edited.xlsx")
    jobs["strength-edited"] = src / "strength-edited.xlsx"
    wb = openpyxl.load_workbook(cap)  # a printed value overwritten: the label's opioid warning deleted
    label = wb["Label"]
    for row in label.iter_rows(min_col=2, max_col=2):
        if "opioid" in str(row[0].value):
            row[0].value = None
    wb.save(src / "warning-deleted.xlsx")
    jobs["warning-deleted"] = src / "warning-deleted.xlsx"
    converted = recalculate_many(list(jobs.values()), out, soffice)
    return {k: (jobs[k], load_values(p)) for k, p in zip(jobs, converted)}


# --- item 2: expiries typed in the ingredient table limit the BUD -----------------------------------

def test_an_expiry_typed_in_the_ingredient_table_limits_the_bud(recalculated):
    import datetime as dt

    from compounding.verify import verify_workbook

    # compounded 2026-11-22: Table 4 gives 180 days (2027-05-21); the API powder expires 2027-01-31
    src, wb = recalculated["expiry-early"]
    early = dt.datetime(2027, 1, 31)
    assert named_cell(wb, "bud_date").value == early
    assert named_cell(wb, "bud_limited_by").value == "the expiry of Naltrexone hydrochloride USP (powder)"
    assert early in [c.value for row in wb["Label"].iter_rows() for c in row]
    assert "the expiry of Naltrexone hydrochloride USP (powder)" in _sheet_texts(wb["Compounding record"])
    # verify reads the typed expiry too: the core's BUD is now 2027-01-31, not the exported 2027-05-21
    report = verify_workbook(src)
    assert any(f.name == "bud_date" and f.expected == early.date() for f in report.findings), report

    _, wb = recalculated["expiry-late"]  # an expiry after the Table 4 date changes nothing
    assert named_cell(wb, "bud_date").value == dt.datetime(2027, 5, 21)
    assert named_cell(wb, "bud_limited_by").value == "USP <795> Table 4: 180 days"

    # liquid (aqueous, 14 days: 2026-12-06) with a component expiring 2026-11-30
    _, wb = recalculated["liquid-expiry"]
    assert named_cell(wb, "bud_date").value == dt.datetime(2026, 11, 30)
    assert named_cell(wb, "bud_limited_by").value.startswith("the expiry of ")


def test_the_bud_formula_reads_the_expiry_column_of_the_ingredient_table():
    wb = workbook(KINDS["capsules-api"])
    assert "component_expiries" in named_cell(wb, "bud_date").value
    sheet, coord = next(iter(wb.defined_names["component_expiries"].destinations))
    ws = wb[sheet]
    first = coord.replace("$", "").split(":")[0]
    head = ws.cell(row=ws[first].row - 1, column=ws[first].column).value
    assert sheet == "Compounding record" and head == "Expiry"


# --- item 5: the patient's dose on the liquid label ---------------------------------------------

def _label_dose(data: bytes) -> tuple:
    ws = _shown(data)["Label"]
    rows = [r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "Dose"]
    return tuple(ws.cell(row=r, column=2).value for r in rows)


def test_the_liquid_label_carries_the_patients_dose_on_its_syringe():
    from compounding.liquids import prepare_liquid

    # LQ-04: 0.5 mg/mL, doses 0.5/1.5/3/4.5 mg. The patient takes 1.5 mg = 3 mL: the 3 mL syringe
    # (0.1 mL marks) holds it on a mark. The other doses of the table are not on the label.
    liquid = prepare_liquid(concentration="0.5 mg/mL", final_volume="100 mL", tablet_weight="321 mg",
                            doses="0.5mg,1.5mg,3mg,4.5mg", compounding_date=DATE)
    assert _label_dose(workbook_bytes(liquid, patient_dose="1.5 mg")) == (
        "1.5 mg = 3 mL: fill the 3 mL oral syringe to the 3 mL mark",)
    # 1 mg/mL, 4.3 mg = 4.3 mL: the 5 mL syringe is marked every 0.2 mL, so 4.3 mL is not on a mark
    liquid = prepare_liquid(tablets=1, final_volume="50 mL", doses="4.5mg", compounding_date=DATE)
    dose = _label_dose(workbook_bytes(liquid, patient_dose="4.3 mg"))
    assert dose == ("CHECK: 4.3 mg is 4.3 mL, not on a mark of the 5 mL oral syringe: it cannot be measured; "
                    "do not dispense",)
    # at 5 mg/mL (API), 0.3 mg is 0.06 mL: on a 0.01 mL mark of the 1 mL syringe, but below
    # the 0.1 mL an oral syringe measures accurately (syringes.toml)
    strong = prepare_liquid(source="api", concentration="5 mg/mL", final_volume="30 mL", doses="4.5mg",
                            compounding_date=DATE)
    assert _label_dose(workbook_bytes(strong, patient_dose="0.3 mg")) == (
        "CHECK: 0.3 mg is 0.06 mL, less than the 0.1 mL an oral syringe measures accurately: it cannot be "
        "measured; do not dispense",)
    # no dose given: one blank line to fill in by hand, no dose of the table
    wb = workbook(liquid)
    assert _label_dose(workbook_bytes(liquid)) == (None,)
    label = wb["Label"]
    row = next(r for r in range(1, label.max_row + 1) if label.cell(row=r, column=1).value == "Dose")
    assert not label.cell(row=row, column=2).protection.locked


@pytest.mark.parametrize("typed", ["1.5 mg", "1.5mg", "0.5 mg", "2 mg", "1500 mcg"])
def test_a_record_with_a_patients_dose_verifies(typed):
    # the dose is read back from its cell (1.5 → 3/2 exactly) and the record built again with it:
    # a dose that is not a whole number of mg, or typed another way, is the same dose
    from compounding.verify import verify_workbook

    report = verify_workbook(workbook_bytes(KINDS["liquid-tablets"], patient_dose=typed))
    assert report.ok, str(report)


def test_a_patient_dose_is_checked_like_any_dose():
    from compounding.errors import InputError

    with pytest.raises(InputError) as err:
        workbook(KINDS["liquid-tablets"], patient_dose="45 mg")  # a ten-fold slip: above the LDN range
    assert err.value.field == "patient_dose"
    with pytest.raises(InputError) as err:
        workbook(KINDS["capsules-api"], patient_dose="1.5 mg")
    assert err.value.field == "patient_dose"


def test_cli_writes_the_patient_dose(tmp_path, capsys):
    from compounding.cli import main

    path = tmp_path / "liquid.xlsx"
    assert main(["liquid", "--tablets", "1", "--volume", "50 mL", "--doses", "1.5mg,4.5mg", "--date", DATE,
                 "--xlsx", str(path), "--patient-dose", "1.5 mg"]) == 0
    assert _label_dose(path.read_bytes()) == ("1.5 mg = 1.5 mL: fill the 3 mL oral syringe to the 1.5 mL mark",)


# --- item 6: an aliquot record shows what goes on the balance ----------------------------------

def _grid_pairs(ws) -> dict:
    """label → value of the record's two-column grid (A → B, D → F), as a viewer shows them."""
    out = {}
    for r in range(1, ws.max_row + 1):
        for label_col, value_col in ((1, 2), (4, 6)):
            label = ws.cell(row=r, column=label_col).value
            if isinstance(label, str):
                out.setdefault(label, ws.cell(row=r, column=value_col).value)
    return out


def test_an_aliquot_record_shows_the_weighing_not_the_amount_below_the_mwq():
    # 0.5 mg × 30 capsules from API: 15 mg of drug, below the Class III balance's MWQ of 120 mg, so
    # the first aliquot stage weighs at least 120 mg of powder; 15 mg never goes on the balance
    batch = capsule_batch("0.5 mg", 30, source="api", compounding_date=DATE)
    assert batch.aliquot is not None
    record = _shown(workbook_bytes(batch))["Compounding record"]
    pairs = _grid_pairs(record)
    assert "Drug powder to weigh" not in pairs
    first = batch.aliquot.stages[0].drug_to_weigh
    from compounding.display import format_quantity
    from compounding.units import mg

    assert pairs["Powder to weigh for the aliquot"] == format_quantity(first, mg)
    assert first >= batch.mwq and pairs["Balance MWQ"] == "120 mg (OK)"
    assert pairs["Why an aliquot"].startswith("The batch needs 15 mg of drug powder, below the balance's MWQ of "
                                              "120 mg")
    # without an aliquot the powder itself is weighed, at the balance's readability (Class III:
    # 10 mg steps): 452.28 mg needed, 450 mg on the balance
    pairs = _grid_pairs(_shown(workbook_bytes(KINDS["capsules-api"]))["Compounding record"])
    assert pairs["Drug powder to weigh"] == "450 mg" and "Why an aliquot" not in pairs
    assert pairs["Drug powder needed (calculated)"] == "452.28 mg"


# --- item 7: a titration plan lengthened in the spreadsheet is a CHECK ---------------------------

@pytest.mark.parametrize("kind, days", [("titration-capsules", 56), ("titration-liquid", 98)])
def test_a_stage_lengthened_in_the_spreadsheet_is_a_check(recalculated, kind, days):
    from compounding.verify import verify_workbook

    # seed_neuropathic: 14 + 14 + 28 = 56 days; ldnrt_slow: 7 stages of 14 = 98 days; +7 days each
    src, wb = recalculated[f"{kind}-longer"]
    assert named_cell(wb, "total_days").value == days + 7
    assert named_cell(wb, "layout_check").value == (f"CHECK: the layout covers {days} days; the plan has {days + 7}: "
                                                    "export the plan again")
    calc = wb["Calculations"]
    assert calc.cell(row=named_cell(wb, "layout_check").row, column=5).value == "CHECK"
    assert _statuses(wb)["Patient chart"] == "Sheet check: CHECK"  # the chart's own status cell
    assert not verify_workbook(src).ok


def test_an_unchanged_plan_covers_its_layout():
    wb = _shown(workbook_bytes(KINDS["titration-liquid"]))
    assert named_cell(wb, "layout_check").value == "OK"
    chart = wb["Patient chart"]
    assert chart.cell(row=5 + 98, column=1).value == 98 and chart.cell(row=6 + 98, column=1).value is None


# --- item 3: every sheet's status cell ------------------------------------------------------------

def _statuses(wb) -> dict[str, str]:
    return {ws.title: next(c.value for c in ws[1] if isinstance(c.value, str) and c.value.startswith("Sheet check"))
            for ws in wb.worksheets}


def test_every_sheet_says_check_after_an_input_is_edited(recalculated):
    _, wb = recalculated["strength-edited"]
    assert _statuses(wb) == {title: "Sheet check: CHECK" for title in wb.sheetnames}
    _, wb = recalculated["expiry-late"]  # an expiry that changes nothing: every sheet still agrees
    assert set(_statuses(wb).values()) == {"Sheet check: OK"}


def test_a_sheet_whose_printed_value_was_overwritten_says_check(recalculated):
    _, wb = recalculated["warning-deleted"]
    statuses = _statuses(wb)
    assert statuses.pop("Label") == "Sheet check: CHECK"
    assert set(statuses.values()) == {"Sheet check: OK"}


def test_the_status_cell_is_visible_and_red_on_check():
    wb = workbook(KINDS["capsules-api"])
    for ws in wb.worksheets:
        cell = next(c for c in ws[1] if c.data_type == "f")
        area = ws.print_area.split("!")[-1].replace("$", "")
        from openpyxl.utils import range_boundaries

        c1, r1, c2, r2 = range_boundaries(area)
        assert c1 <= cell.column <= c2 and not ws.column_dimensions[cell.column_letter].hidden
        rules = [r for rng in ws.conditional_formatting for r in rng.rules if cell.coordinate in str(rng.sqref)]
        assert any('"CHECK"' in r.formula[0] for r in rules)
