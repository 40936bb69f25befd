"""2-D barcodes for container labels: GS1 DataMatrix (pystrich) or QR (segno), as module grids that
the PDF writer draws as vector rectangles (crisp at any printer resolution).

GS1 content: AI (17) expiry date YYMMDD = the BUD, then AI (10) batch/lot (variable length, last, so
no separator is needed). The DataMatrix starts with FNC1, which marks it as GS1. The QR (no GS1 mode
here) carries the same element string in its human-readable form: ``(17)260829(10)LDN-260302-001``.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from ..errors import InputError

__all__ = ["gs1_element_string", "datamatrix_grid", "qr_grid", "barcode_grid", "KINDS"]

KINDS = ("datamatrix", "qr")
# GS1 AI (10): up to 20 characters of GS1 character set 82 (GS1 General Specifications §7.11)
_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")


def _check(lot: str, bud: dt.date) -> None:
    if not _CSET82.fullmatch(lot or ""):
        raise InputError("cannot go into a GS1 barcode", field="lot", value=lot,
                         allowed="1-20 letters, digits and - . / _ (GS1 AI 10)")
    if not 2000 <= bud.year <= 2049:  # YYMMDD: GS1 reads 00-49 as 2000-2049 near today's date
        raise InputError("cannot be written as a GS1 YYMMDD date", field="bud", value=bud.isoformat())


def gs1_element_string(lot: str, bud: dt.date) -> str:
    """``(17)YYMMDD(10)LOT`` (human-readable form)."""
    _check(lot, bud)
    return f"(17){bud:%y%m%d}(10){lot}"


@lru_cache(maxsize=1024)
def datamatrix_grid(lot: str, bud: dt.date) -> tuple[tuple[int, ...], ...]:
    """The GS1 DataMatrix symbol (FNC1, AI 17, AI 10) as rows of 0/1, quiet zone included."""
    from pystrich.datamatrix import DataMatrixData, DataMatrixEncoder
    from pystrich.gs1 import GS1Fixed, GS1Variable

    _check(lot, bud)
    data = DataMatrixData.gs1(GS1Fixed("17", f"{bud:%y%m%d}"), GS1Variable("10", lot))
    marks = DataMatrixEncoder(data, quiet_zone=1).get_rect_marks()
    grid = [[0] * marks.width for _ in range(marks.height)]
    for x, y, w, h in marks.marks:
        for yy in range(y, y + h):
            for xx in range(x, x + w):
                grid[yy][xx] = 1
    return tuple(tuple(r) for r in grid)


@lru_cache(maxsize=1024)
def qr_grid(lot: str, bud: dt.date) -> tuple[tuple[int, ...], ...]:
    """A QR code of the GS1 element string (error correction M), rows of 0/1 with a 1-module border."""
    import segno

    qr = segno.make_qr(gs1_element_string(lot, bud), error="m", boost_error=False)
    return tuple(tuple(int(bool(v)) for v in row) for row in qr.matrix_iter(scale=1, border=1))


def barcode_grid(kind: str, lot: str, bud: dt.date) -> tuple[tuple[int, ...], ...]:
    if kind not in KINDS:
        raise InputError("is not a barcode kind", field="barcode", value=kind, allowed=", ".join(KINDS))
    return datamatrix_grid(lot, bud) if kind == "datamatrix" else qr_grid(lot, bud)
