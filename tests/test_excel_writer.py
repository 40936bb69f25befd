"""Saving a record (issue 10, items 9 and "private library internals"): the file is openpyxl's own
save of the workbook plus each formula's cached value; the style cache gives every cell the style
openpyxl's public setters give; a viewer that does not recalculate sees the core's numbers."""

from __future__ import annotations

import ast
import datetime as dt
import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

import compounding.excel._common as common
from compounding.excel import workbook, workbook_bytes
from compounding.excel._writer import save
from tests.excel_support import record_kinds

KINDS = record_kinds()
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _without_cached_values(xml: bytes) -> bytes:
    """The sheet as openpyxl writes it: formula cells with an empty <v/> and no type."""
    root = ElementTree.fromstring(xml)
    for c in root.iter(f"{MAIN}c"):
        if c.find(f"{MAIN}f") is not None:
            c.attrib.pop("t", None)
            v = c.find(f"{MAIN}v")
            if v is not None:
                v.text = None
    return ElementTree.canonicalize(ElementTree.tostring(root), strip_text=True).encode()


def _canonical(name: str, xml: bytes) -> bytes:
    if name == "docProps/core.xml":  # the times the workbook was made and saved
        root = ElementTree.fromstring(xml)
        for child in list(root):
            if child.tag.endswith(("modified", "created")):
                root.remove(child)
        xml = ElementTree.tostring(root)
    return ElementTree.canonicalize(xml.decode(), strip_text=True).encode() if name.endswith((".xml", ".rels")) else xml


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_file_is_openpyxls_own_save_plus_cached_values(kind):
    ours, theirs = io.BytesIO(), io.BytesIO()
    save(workbook(KINDS[kind], lot_number="L-1", patient="A. Patient"), ours)
    workbook(KINDS[kind], lot_number="L-1", patient="A. Patient").save(theirs)  # a save changes the workbook
    a, b = _entries(ours.getvalue()), _entries(theirs.getvalue())
    assert list(a) == list(b)
    sheets = [n for n in a if n.startswith("xl/worksheets/sheet")]
    assert len(sheets) >= 3
    for name in a:
        if name in sheets:
            assert _without_cached_values(a[name]) == _without_cached_values(b[name]), name
            assert a[name] != b[name]  # the values were added
        else:
            assert _canonical(name, a[name]) == _canonical(name, b[name]), name


def test_the_writer_uses_no_private_library_internals():
    """No private module, class or attribute of openpyxl, et_xmlfile or xml.etree in the writer."""
    source = Path(common.__file__).with_name("_writer.py").read_text()
    tree = ast.parse(source)
    private = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__" and node.level == 0:
            if any(part.startswith("_") for part in node.module.split(".")):
                private.append(node.module)
            private += [a.name for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            private.append(node.attr)
    assert private == []


def _styles(wb) -> dict:
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.has_style:
                    out[(ws.title, c.coordinate)] = tuple(map(repr, (c.font, c.fill, c.border, c.alignment,
                                                                     c.protection, c.number_format)))
    return out


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_style_cache_gives_what_openpyxls_setters_give(kind, monkeypatch):
    cached = _styles(workbook(KINDS[kind], lot_number="L-1"))
    monkeypatch.setattr(common, "STYLE_CACHE", False)
    plain = _styles(workbook(KINDS[kind], lot_number="L-1"))
    assert len(cached) > 100
    assert cached == plain


# --- cached values: what a viewer that does not recalculate shows -----------------------------

def _shown(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data), data_only=True)


def _texts(ws) -> set:
    return {c.value for row in ws.iter_rows() for c in row if c.value is not None}


def test_a_viewer_that_does_not_recalculate_sees_strength_quantity_and_bud():
    # CAP-05-like: 4.5 mg × (90 + 10 %) = 99 capsules, compounded 2026-11-22, BUD + 180 days = 2027-05-21
    wb = _shown(workbook_bytes(KINDS["capsules-api"]))
    record, label = _texts(wb["Compounding record"]), _texts(wb["Label"])
    assert "4.5 mg per capsule" in record and "90 ordered; make 99" in record
    assert dt.datetime(2027, 5, 21) in record and dt.datetime(2027, 5, 21) in label
    assert "Naltrexone hydrochloride 4.5 mg capsules" in label and "90 capsules" in label
    # liquid, 1 tablet in 50 mL: 1 mg/mL; aqueous, 14 days: 2026-12-06
    wb = _shown(workbook_bytes(KINDS["liquid-tablets"]))
    assert "NALTREXONE HCl 1 mg/mL oral liquid" in _texts(wb["Label"])
    assert dt.datetime(2026, 12, 6) in _texts(wb["Label"])


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_calculation_is_saved_with_the_cores_value(kind):
    from tests.excel_support import named_cell

    module = common.__name__.rsplit(".", 1)[0]
    import importlib

    sections = importlib.import_module(f"{module}._{kind.split('-')[0]}").sections(KINDS[kind])
    wb = _shown(workbook_bytes(KINDS[kind]))
    missing = []
    for sec in sections:
        for line in sec.lines:
            if line.kind not in ("calc", "text"):
                continue
            got = named_cell(wb, line.name).value
            want = line.core
            if line.is_date:
                ok = got == dt.datetime.combine(want, dt.time())
            elif line.kind == "text":
                ok = got == want
            else:
                ok = isinstance(got, (int, float)) and abs(got - float(want)) <= 1e-9 * max(1, abs(float(want)))
            if not ok:
                missing.append((line.name, got, want))
    assert missing == []
    for name, xml in _entries(workbook_bytes(KINDS[kind])).items():
        if name.startswith("xl/worksheets/sheet"):
            cells = ElementTree.fromstring(xml).iter(f"{MAIN}c")
            blank = [c.get("r") for c in cells if c.find(f"{MAIN}f") is not None
                     and not (c.findtext(f"{MAIN}v") or c.get("t") == "str")]
            assert blank == [], name  # every formula carries a value ("" is text)


def test_libreoffice_computes_every_cached_value(soffice, tmp_path):
    """The cached values are what a spreadsheet computes: every formula cell of every record kind,
    recalculated by LibreOffice, shows the value saved with it (text exactly, numbers to 1e-9)."""
    from tests.excel_support import recalculate_many

    src = tmp_path / "src"
    src.mkdir()
    paths = []
    for kind, result in KINDS.items():
        path = src / f"{kind}.xlsx"
        dose = {"liquid-tablets": "4.3 mg", "liquid-api-aliquot": "1.5 mg"}  # off a mark, on a mark
        path.write_bytes(workbook_bytes(result, lot_number="L-7", patient="A. Patient",
                                        **({"patient_dose": dose[kind]} if kind in dose else {})))
        paths.append(path)
    converted = recalculate_many(paths, tmp_path / "out", soffice)
    problems = []
    for path, done in zip(paths, converted):
        formulas = openpyxl.load_workbook(path)
        cached, computed = openpyxl.load_workbook(path, data_only=True), openpyxl.load_workbook(done, data_only=True)
        for ws in formulas.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if c.data_type != "f":
                        continue
                    a, b = cached[ws.title][c.coordinate].value, computed[ws.title][c.coordinate].value
                    same = (abs(a - b) <= 1e-9 * max(1.0, abs(b)) if isinstance(a, (int, float))
                            and isinstance(b, (int, float)) else a == b or (a in ("", None) and b in ("", None)))
                    if not same:
                        problems.append(f"{path.stem} {ws.title}!{c.coordinate}: saved {a!r}, LibreOffice {b!r}")
    assert problems == []
