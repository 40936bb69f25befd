"""Saving a record: openpyxl's own writer, with each worksheet's XML kept in memory.

openpyxl writes every worksheet to a named temporary file, reads it back into the zip and deletes
it (three file-system calls per sheet, a sizeable share of a small record's export). Here the
sheet's XML goes to a ``BytesIO`` instead; the XML and the zip entries are the same.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter


class _SheetWriter(WorksheetWriter):
    def __init__(self, ws) -> None:
        super().__init__(ws, out=BytesIO())

    def cleanup(self) -> None:  # nothing on disk to remove
        pass


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
