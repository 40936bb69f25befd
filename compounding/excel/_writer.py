"""Saving a record: openpyxl's own writer, with each worksheet's XML kept in memory and the
plain cells written as text.

openpyxl writes every worksheet to a named temporary file, reads it back into the zip and deletes
it (three file-system calls per sheet, a sizeable share of a small record's export). Here the
sheet's XML goes to a ``BytesIO`` instead; the XML and the zip entries are the same.

Without lxml, openpyxl builds an ElementTree element for every cell and serialises it through
et_xmlfile's namespace-aware writer, about half of the save. The cells of a record are plain
(text, a number, a formula, or only a style), so :meth:`_SheetWriter.write_row` writes those as the
very same XML text directly; anything else (dates, booleans, rich text, comments, hyperlinks,
array formulas) and the lxml writer go through openpyxl unchanged.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from xml.etree.ElementTree import _escape_cdata

from openpyxl.compat import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.worksheet._writer import WorksheetWriter, write_cell
from openpyxl.writer.excel import ExcelWriter


class _SheetWriter(WorksheetWriter):
    def __init__(self, ws) -> None:
        super().__init__(ws, out=BytesIO())

    def cleanup(self) -> None:  # nothing on disk to remove
        pass

    def write_row(self, xf, row, row_idx) -> None:
        write = getattr(xf, "_file", None)  # et_xmlfile's writer of raw text (not lxml's)
        if write is None or not callable(write) or any(
                cell._comment is not None or getattr(cell, "_hyperlink", None) is not None for cell in row):
            super().write_row(xf, row, row_idx)
            return
        attrs = {"r": f"{row_idx}"}
        attrs.update(self.ws.row_dimensions.get(row_idx, {}))
        with xf.element("row", attrs):
            for cell in row:
                text = _cell_xml(cell)
                if text is None:
                    if cell._value is None and not cell.has_style:
                        continue
                    write_cell(xf, self.ws, cell, cell.has_style)
                elif text:
                    write(text)


def _cell_xml(cell) -> str | None:
    """The XML openpyxl's ``etree_write_cell`` gives a plain cell ("" for none at all), or
    ``None`` for a cell it should write itself."""
    style = cell._style
    styled = style is not None and any(style)
    value = cell._value
    kind = cell.data_type
    if value is None:
        if not styled or kind not in ("n", "s", "f"):
            return "" if not styled and kind in ("n", "s", "f") else None
        head = f'<c r="{cell.coordinate}" s="{cell.style_id}"'
        return head + (' t="inlineStr" />' if kind == "s" else ' />' if kind == "f" else f' t="{kind}" />')
    head = f'<c r="{cell.coordinate}" s="{cell.style_id}"' if styled else f'<c r="{cell.coordinate}"'
    vtype = type(value)
    if kind == "s" and vtype is str:
        if value == "":
            return head + ' t="inlineStr" />'
        stripped = value.strip()
        space = ' xml:space="preserve"' if stripped and value != stripped else ""
        return f'{head} t="inlineStr"><is><t{space}>{_escape_cdata(value)}</t></is></c>'
    if kind == "f" and vtype is str:
        return f"{head}><f>{_escape_cdata(value[1:])}</f><v /></c>"
    if kind == "n" and (vtype is int or vtype is float):
        number = safe_string(value)
        return f'{head} t="n"><v>{number}</v></c>' if number else None  # NaN, inf: openpyxl's way
    return None


class _Writer(ExcelWriter):
    def write_worksheet(self, ws) -> None:
        # ExcelWriter.write_worksheet, less the temporary file
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = _SheetWriter(ws)
        writer.write()
        ws._rels = writer._rels
        entry = ZipInfo(ws.path[1:], date_time=dt.datetime.now().timetuple()[:6])
        entry.compress_type = ZIP_DEFLATED
        entry.external_attr = 0o100600 << 16  # a regular file, as the temporary file was
        self._archive.writestr(entry, writer.out.getvalue())
        self.manifest.append(ws)


def save(wb, target: Any) -> None:
    """``wb.save(target)`` (a path or a binary file object) for the records' ordinary workbooks."""
    if wb.read_only or wb.write_only:
        wb.save(target)
        return
    archive = ZipFile(target, "w", ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = dt.datetime.now(tz=dt.timezone.utc).replace(tzinfo=None)
    _Writer(wb, archive).save()
