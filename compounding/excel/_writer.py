"""Saving a record: openpyxl's own ``Workbook.save``, then each formula's cached value written into
the saved XML beside its formula (issue 10, item 9).

openpyxl writes a formula with an empty result (``<f>…</f><v />``), so a viewer that does not
recalculate (a preview, a mail attachment, ``openpyxl.load_workbook(data_only=True)``) shows the
strength, quantity and BUD as blank. The record's builder works out each formula's value (the
core's numbers, see :mod:`._evaluate`) and registers it with :func:`set_cached`; :func:`save` puts
it in the ``<v>`` element, with ``t="str"``, ``t="b"`` or ``t="e"`` for text, a truth value or an
error, as Excel itself saves them. Only that element and attribute change; everything else is
openpyxl's own output, byte for byte (a test compares the two for every record kind).

Why no custom writer: an earlier one subclassed openpyxl's private ``WorksheetWriter`` and wrote
through private attributes of ``et_xmlfile`` and ``xml.etree`` to save about 50 ms per export; an
update of either library could have broken the files silently. Public interfaces only here.
"""

from __future__ import annotations

import io
import posixpath
import re
import weakref
from typing import Any, Mapping
from xml.etree import ElementTree
from xml.sax.saxutils import escape, unescape
from zipfile import ZipFile

__all__ = ["save", "set_cached", "cached_values"]

#: workbook → {sheet title: {coordinate: (formula text, value)}}
_CACHED: "weakref.WeakKeyDictionary[Any, dict[str, dict[str, tuple[str, Any]]]]" = weakref.WeakKeyDictionary()

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}

# a formula cell as openpyxl writes it: <c r="B5" s="3"><f>…</f><v /></c> (the formula text is
# XML-escaped, so it holds no '<')
_FORMULA_CELL = re.compile(r'<c r="([A-Z]{1,3}[0-9]+)"([^>]*)><f>([^<]*)</f>(?:<v\s*/>|<v></v>)</c>')


def set_cached(wb, values: Mapping[str, Mapping[str, tuple[str, Any]]]) -> None:
    """Register the value of each formula: ``{sheet: {coordinate: (formula, value)}}``.

    A value is written only while the cell still holds that formula (a workbook edited after the
    values were worked out never carries a stale result)."""
    _CACHED[wb] = {sheet: dict(cells) for sheet, cells in values.items()}


def cached_values(wb) -> dict[str, dict[str, tuple[str, Any]]]:
    return _CACHED.get(wb, {})


def save(wb, target: Any) -> None:
    """``wb.save(target)`` (a path or a binary file object), with the registered cached values."""
    cached = _CACHED.get(wb)
    if not cached:
        wb.save(target)
        return
    buffer = io.BytesIO()
    wb.save(buffer)
    with ZipFile(buffer) as src:
        paths = _sheet_paths(src)
        with ZipFile(target, "w") as out:
            for info in src.infolist():
                data = src.read(info.filename)
                sheet = paths.get(info.filename)
                if sheet in cached:
                    data = _with_values(data.decode("utf-8"), cached[sheet]).encode("utf-8")
                out.writestr(info, data)


def _sheet_paths(archive: ZipFile) -> dict[str, str]:
    """zip entry → sheet title, from the workbook part and its relationships (the file format's
    own way, not openpyxl's naming)."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", _NS)}
    out = {}
    for sheet in book.findall("m:sheets/m:sheet", _NS):
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        out[path] = sheet.get("name")
    return out


def _with_values(xml: str, cells: Mapping[str, tuple[str, Any]]) -> str:
    def put(m: re.Match) -> str:
        coord, attrs, formula = m.group(1), m.group(2), m.group(3)
        hit = cells.get(coord)
        if hit is None or hit[0].lstrip("=") != unescape(formula):
            return m.group(0)
        kind, text = value_xml(hit[1])
        if text is None:
            return m.group(0)
        t = f' t="{kind}"' if kind != "n" else ""
        return f'<c r="{coord}"{attrs}{t}><f>{formula}</f><v>{text}</v></c>'

    return _FORMULA_CELL.sub(put, xml)


def value_xml(value: Any) -> tuple[str, str | None]:
    """(cell type, text of ``<v>``) of a formula's value, as Excel saves it."""
    from ._evaluate import XLError, excel_number

    if isinstance(value, XLError):
        return "e", escape(str(value))
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, str):
        return "str", escape(value)
    if value is None:
        return "n", "0"  # a formula pointing at a blank cell shows 0
    number = excel_number(value)
    return ("n", number) if number is not None else ("n", None)
