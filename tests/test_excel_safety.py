"""Safe and honest files: free text never becomes a formula, computed cells are locked and the
sheets protected, and the engine version and SHA-256 of inputs and results are on the record."""

from __future__ import annotations

import dataclasses
import re
import zipfile
from types import MappingProxyType

import openpyxl
import pytest

import compounding.excel._capsules as excel_capsules
from compounding.bundle import shipped_bundle
from compounding.capsules import capsule_batch
from compounding.errors import InputError
from compounding.excel import ENGINE_VERSION, RECORD_FIELDS, workbook, write_workbook
from compounding.formulas import Ingredient, formula
from compounding.verify import verify_workbook

DATE = "2026-11-22"

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(1)", "=cmd|' /C calc'!A0"]
MARKERS = ("HYPERLINK", "CMD|", "SUM(1)", "1+1")


def _batch(**kw):
    base = dict(source="api", capsule_size="1", fill_weight="270 mg", compounding_date=DATE)
    base.update(kw)
    return capsule_batch("4.5 mg", 90, extra="10%", **base)


def _hostile_fields() -> dict[str, str]:
    return {name: HOSTILE[k % len(HOSTILE)] for k, name in enumerate(RECORD_FIELDS)}


@pytest.fixture
def hostile_formula(monkeypatch):
    """A master formula whose every text (as read from a formula file) is hostile."""
    real = formula("LDN-CAP-API")
    evil = dataclasses.replace(
        real, name=HOSTILE[0], dosage_form=HOSTILE[1], description=HOSTILE[2], steps=tuple(HOSTILE),
        qc=tuple(HOSTILE[:2]), labelling=(HOSTILE[3], "Do not take with opioid medicines.", HOSTILE[4]),
        ingredients=(Ingredient("active", HOSTILE[4], ""), Ingredient("filler", HOSTILE[3], "")),
        bud_reference=HOSTILE[2])
    shipped = shipped_bundle()  # the record reads its formula from the batch's bundle
    hostile = dataclasses.replace(shipped, formulas=MappingProxyType({**shipped.formulas, "LDN-CAP-API": evil}))
    monkeypatch.setattr(excel_capsules, "bundle_for", lambda result, bundle=None: hostile)
    return evil


def _formula_cells(wb):
    return [(ws.title, c.coordinate, c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


def _texts(wb) -> set[str]:
    return {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


def test_hostile_text_stays_text(tmp_path, hostile_formula, libreoffice):
    batch = dataclasses.replace(_batch(), filler_name=HOSTILE[1], warnings=(HOSTILE[0], HOSTILE[4]))
    path = write_workbook(batch, tmp_path / "hostile.xlsx", **_hostile_fields())

    # in the file as written: no formula mentions any of it, and each text is a plain string cell
    wb = openpyxl.load_workbook(path)
    leaked = [f for f in _formula_cells(wb) if any(m in str(f[2]).upper() for m in MARKERS)]
    assert leaked == []
    texts = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value in HOSTILE]
    assert len(texts) >= 20 and all(c.data_type == "s" for c in texts)
    assert all(c.quotePrefix for c in texts)
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                for f in re.findall(r"<f>(.*?)</f>", z.read(name).decode()):
                    assert not any(m in f.upper() for m in MARKERS), (name, f)

    # recalculated by a spreadsheet: still the letters typed, nothing evaluated
    values = libreoffice.load_values(path)
    shown = _texts(values)
    for text in HOSTILE:
        assert text in shown
    assert "y" not in shown and "2" not in shown
    record = values["Compounding record"]
    assert record["B4"].value == HOSTILE[0]  # pharmacy name, exactly as typed
    assert "Err:" not in " ".join(str(t) for t in shown)


def test_header_codes_are_neutralised(tmp_path):
    wb = workbook(_batch(), patient="Ann Lee", lot_number="A&B &P")
    header = wb["Compounding record"].oddHeader.right.text
    assert header == "Lot / Rx: A&&B &&P"  # '&' starts a header code; doubled, it prints as '&'


# --- issue 10, item 10: text that would not print as typed -----------------------------------------

def test_a_note_longer_than_a_cell_is_refused_not_cut():
    with pytest.raises(InputError) as err:
        workbook(_batch(), notes="word " * 8000)  # 40,000 characters; a cell holds 32,767
    assert err.value.field == "notes" and "32,767" in str(err.value.allowed)
    note = "x" * 32767
    wb = workbook(_batch(), notes=note)
    assert note in _texts(wb)  # the longest note that fits is kept whole
    with pytest.raises(InputError) as err:
        workbook(_batch(), lot_number="L" * 61)  # the lot is printed in every page header
    assert err.value.field == "lot_number"


@pytest.mark.parametrize("field", ["patient", "directions", "prescriber"])
@pytest.mark.parametrize("text", ["Ann\x07 Lee", "Ann\x1b[31mLee", "\u202eeeL nnA", "Ann \u2067Lee\u2069",
                                  "Ann\x00Lee"])
def test_control_characters_and_direction_overrides_on_the_label_are_refused(field, text):
    with pytest.raises(InputError) as err:
        workbook(_batch(), **{field: text})
    assert err.value.field == field


def test_right_to_left_names_and_line_breaks_where_they_belong_print_as_typed():
    wb = workbook(_batch(), patient="\u05d3\u05e0\u05d4 \u05db\u05d4\u05df", directions="Take 1 capsule\nat bedtime",
                  notes="line 1\r\nline 2")
    texts = _texts(wb)
    assert "\u05d3\u05e0\u05d4 \u05db\u05d4\u05df" in texts and "Take 1 capsule\nat bedtime" in texts
    assert "line 1\nline 2" in texts
    with pytest.raises(InputError) as err:
        workbook(_batch(), patient="Ann\nLee")  # one line on the label
    assert err.value.field == "patient"


def test_control_characters_from_a_formula_file_are_neutralised_on_the_label():
    real = formula("LDN-CAP-API")
    odd = dataclasses.replace(real, labelling=("Do not take with opioid medicines.\x07",
                                               "Compounded \u202enoitaraperp."))
    shipped = shipped_bundle()  # the record's formula comes from the bundle the batch was computed with
    bundle = dataclasses.replace(shipped, formulas=MappingProxyType({**shipped.formulas, "LDN-CAP-API": odd}))
    ws = workbook(_batch(), bundle=bundle)["Label"]
    label = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert "Do not take with opioid medicines. " in label and "Compounded noitaraperp." in label
    assert not any(ch in t for t in label for ch in "\x07\u202e\ufffd")


SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
FILE_SECTION = re.compile(r"\b[\w.-]+\.(?:md|toml|py|json|txt)\b|\S+\.\w+\s*§")


def _printed_cells(wb):
    """(sheet, coordinate, text) of every text cell a printout shows."""
    from tests.excel_support import printed_cells

    for title, c in printed_cells(wb):
        if isinstance(c.value, str) and c.data_type == "s":
            yield title, c.coordinate, c.value


@pytest.mark.parametrize("kind", ["capsules-api", "capsules-tablets-aliquot", "capsules-api-two-stage-actual",
                                  "liquid-tablets", "liquid-api-aliquot", "liquid-api-two-stage",
                                  "titration-capsules", "titration-liquid"])
def test_no_internal_references_or_keys_are_printed(kind):
    from tests.excel_support import KIND_OPTIONS, record_kinds

    wb = workbook(record_kinds()[kind], **KIND_OPTIONS.get(kind, {}))
    found = [(s, c, m) for s, c, text in _printed_cells(wb) for m in SNAKE.findall(text) + FILE_SECTION.findall(text)]
    assert found == []
    assert sum(1 for _ in _printed_cells(wb)) > 40


def test_computed_cells_locked_entry_cells_unlocked_sheets_protected():
    wb = workbook(_batch(), lot_number="L1")
    for ws in wb.worksheets:
        assert ws.protection.sheet is True, ws.title
        assert not ws.protection.password, ws.title
        for row in ws.iter_rows():
            for c in row:
                entry = str(c.fill.fgColor.rgb).upper().endswith("FFF5C2") and c.fill.fill_type == "solid"
                if c.data_type == "f":
                    assert c.protection.locked, (ws.title, c.coordinate)
                if entry:
                    assert not c.protection.locked, (ws.title, c.coordinate)
                elif c.value is not None:
                    assert c.protection.locked, (ws.title, c.coordinate, c.value)
    calc = wb["Calculations"]
    from tests.excel_support import named_cell

    for name in ("strength", "capsules_ordered", "extra_percent", "filler_fill_weight", "mwq", "qc_low"):
        assert not named_cell(wb, name).protection.locked
    for name in ("capsules_to_make", "api_to_weigh", "bud_date", "source"):
        assert named_cell(wb, name).protection.locked
    assert calc.cell(row=named_cell(wb, "strength").row, column=4).protection.locked  # calculator's value


def test_hash_identifies_inputs_and_results():
    a = workbook(_batch(), lot_number="L1")
    b = workbook(_batch(), lot_number="L2", patient="someone")
    c = workbook(_batch(potency="98.5%"))

    def digest(wb):
        return next(p.value for p in wb.custom_doc_props.props if p.name == "sha256")

    assert re.fullmatch(r"[0-9a-f]{64}", digest(a))
    assert digest(a) == digest(b)  # the pharmacy's record fields are not calculation inputs
    assert digest(a) != digest(c)
    assert digest(a) in a["Calculations"]["A3"].value
    assert ENGINE_VERSION in a["Calculations"]["A3"].value
    assert any(digest(a) in (c_.value or "") for row in a["Compounding record"].iter_rows() for c_ in row
               if isinstance(c_.value, str))
    assert f"sha256:{digest(a)}" in a.properties.keywords
    assert ENGINE_VERSION in a.properties.creator
    kinds = {p.name: p.value for p in a.custom_doc_props.props}
    assert kinds["record_kind"] == "capsules" and kinds["engine_version"] == ENGINE_VERSION


def test_hash_matches_what_verify_recomputes(tmp_path):
    path = write_workbook(_batch(), tmp_path / "r.xlsx")
    report = verify_workbook(path)
    assert report.digest == report.digest_in_file


def test_workbook_has_no_hidden_sheets_or_external_links(tmp_path):
    path = write_workbook(_batch(), tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    assert all(ws.sheet_state == "visible" for ws in wb.worksheets)
    with zipfile.ZipFile(path) as z:
        assert not [n for n in z.namelist() if "externalLink" in n or n.endswith(".bin")]
