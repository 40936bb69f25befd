"""Page breaks that keep blocks together (issue 10, item 8): a section with its heading (the
ingredient table, the sign-off, the key quantities …), the label, never split across two pages
when it fits on one.

Each sheet prints one page wide (fit to width), so a page holds a known height of the sheet: the
paper's height inside the margins, divided by the scale the width needs. Rows are given their
heights when written; a row without one counts as 15 points. A block that would cross the bottom
of a page starts a new page (a manual row break before it); a block taller than a page gets
manual breaks where the estimate fills a page. A margin of 8 % absorbs the difference between this estimate and the
program that prints.
"""

from __future__ import annotations

import weakref
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break

__all__ = ["mark", "blocks", "paginate", "kept_together"]

#: worksheet → rows where a block starts (a section's grey bar, a table's heading)
_STARTS: "weakref.WeakKeyDictionary[Any, list[int]]" = weakref.WeakKeyDictionary()
#: worksheet → the blocks :func:`paginate` keeps on one page each
_KEPT: "weakref.WeakKeyDictionary[Any, list[tuple[int, int]]]" = weakref.WeakKeyDictionary()


def kept_together(ws) -> list[tuple[int, int]]:
    """(first, last) rows of each block of ``ws`` printed on one page."""
    return list(_KEPT.get(ws, []))

PAPER = {"a4": (595.3, 841.9), "letter": (612.0, 792.0)}  # points
DEFAULT_ROW = 15.0
MARGIN = 0.92


def mark(ws, row: int) -> None:
    """A block to keep on one page starts at ``row`` (and runs to the next mark)."""
    _STARTS.setdefault(ws, []).append(row)


def blocks(ws, last_row: int) -> list[tuple[int, int]]:
    """(first, last) row of each block of the sheet: the rows above the first mark, then from
    each mark to the next."""
    starts = sorted({1, *_STARTS.get(ws, [])})
    ends = [s - 1 for s in starts[1:]] + [last_row]
    return [(a, b) for a, b in zip(starts, ends) if a <= b]


def _width_points(ws, last_col: int) -> float:
    """The printed width: Excel's column width in characters is (7 × chars + 5) pixels at 96 dpi."""
    total = 0.0
    for col in range(1, last_col + 1):
        dim = ws.column_dimensions[get_column_letter(col)]
        if dim.hidden:
            continue
        chars = dim.width if dim.width else 8.43
        total += (7 * chars + 5) * 0.75
    return total


def row_height(ws, row: int) -> float:
    dim = ws.row_dimensions.get(row) if hasattr(ws.row_dimensions, "get") else ws.row_dimensions[row]
    return float(dim.height) if dim is not None and dim.height else DEFAULT_ROW


def page_height(ws, paper: str, last_col: int) -> float:
    """How much of the sheet (in points of row height) one page holds."""
    width, height = PAPER[paper.lower()]
    m = ws.page_margins
    scale = min(1.0, (width - 72 * (m.left + m.right)) / _width_points(ws, last_col))
    return (height - 72 * (m.top + m.bottom)) / scale * MARGIN


def _title_rows(ws) -> float:
    """Height of the rows repeated at the top of every page after the first."""
    rows = str(ws.print_title_rows or "").replace("$", "")
    if not rows:
        return 0.0
    first, last = (int(x) for x in rows.split(":"))
    return sum(row_height(ws, r) for r in range(first, last + 1))


def paginate(ws, paper: str, last_col: int, last_row: int) -> list[tuple[int, int]]:
    """Put row breaks before blocks that would otherwise cross a page; returns the blocks that
    fit on one page (each is then printed on one)."""
    page = page_height(ws, paper, last_col)
    repeat = _title_rows(ws)
    used, kept = 0.0, []
    for first, last in blocks(ws, last_row):
        heights = [row_height(ws, r) for r in range(first, last + 1)]
        size = sum(heights)
        if size <= page - repeat:
            kept.append((first, last))
            if used + size > page and used > repeat:
                ws.row_breaks.append(Break(id=first - 1))  # a break after the row above
                used = repeat
            used += size
            continue
        # taller than a page: broken here, at the same estimate (a break left to the spreadsheet
        # falls at the paper's full height, not this estimate, and every block after it would
        # be placed against a page that is not where this count thinks it is)
        for r, h in zip(range(first, last + 1), heights):
            if used + h > page and used > repeat:
                ws.row_breaks.append(Break(id=r - 1))
                used = repeat
            used += h
    _KEPT[ws] = kept
    return kept
