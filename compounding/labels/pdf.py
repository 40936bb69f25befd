"""PDF writer for container labels (reportlab): fonts, text measure, one label per allocation."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from .layout import Layout, LabelContent, LabelError, fit, label_content
from .stock import LabelStock, label_data

__all__ = ["FONT", "FONT_BOLD", "fonts", "measure", "check_glyphs", "labels_pdf", "draw_grid"]

FONT, FONT_BOLD = "LabelSans", "LabelSans-Bold"
# DejaVu Sans (Debian fonts-dejavu-core) covers Latin, Greek and Cyrillic; without it, reportlab's own
# Bitstream Vera (Latin-1), whose metrics DejaVu keeps, so a label lays out the same either way.
_CANDIDATES = [(Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
                Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"))]


@lru_cache(maxsize=1)
def fonts() -> tuple[Any, Any]:
    """Register and return (regular, bold) TTFonts (embedded in the PDF, so text extracts)."""
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    vera = Path(reportlab.__file__).parent / "fonts"
    for regular, bold in _CANDIDATES + [(vera / "Vera.ttf", vera / "VeraBd.ttf")]:
        if regular.exists() and bold.exists():
            pair = (TTFont(FONT, str(regular)), TTFont(FONT_BOLD, str(bold)))
            for f in pair:
                pdfmetrics.registerFont(f)
            return pair
    raise RuntimeError("no TrueType font for labels")  # reportlab always ships Vera


@lru_cache(maxsize=65536)
def _unit_width(text: str, bold: bool) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    fonts()
    return stringWidth(text, FONT_BOLD if bold else FONT, 1000) / 1000


def measure(text: str, size: float, bold: bool) -> float:
    return _unit_width(text, bold) * size


def check_glyphs(content: LabelContent) -> None:
    """Refuse text the font cannot print (it would come out as empty boxes on the label)."""
    regular, bold = fonts()
    for b in content.blocks:
        face = (bold if b.bold else regular).face
        missing = next((c for c in b.text if ord(c) not in face.charToGlyph and not c.isspace()), None)
        if missing is not None:
            raise LabelError(f"has a character the label font cannot print ({missing!r}, U+{ord(missing):04X})",
                             field=b.name, value=b.text, allowed="Latin, Greek or Cyrillic letters")


def draw_grid(c: Any, grid: tuple[tuple[int, ...], ...], x: float, y: float, side: float) -> None:
    """Dark modules as filled rectangles, one per horizontal run (y: the square's lower edge)."""
    n = max(len(grid), len(grid[0]))
    m = side / n
    path = c.beginPath()
    for r, row in enumerate(grid):
        start = None
        for col, v in enumerate(list(row) + [0]):
            if v and start is None:
                start = col
            elif not v and start is not None:
                path.rect(x + start * m, y + side - (r + 1) * m, (col - start) * m, m)
                start = None
    c.drawPath(path, stroke=0, fill=1)


def _draw_label(c: Any, layout: Layout, content: LabelContent, barcode: str, forms: dict[tuple, str]) -> None:
    """The lines, then the barcode: drawn once per (lot, BUD, size) as a PDF form and reused, since all
    the containers of a batch share it."""
    from .barcode import barcode_grid

    for line in layout.lines:
        c.setFont(FONT_BOLD if line.bold else FONT, line.size)
        c.drawString(line.x, line.y, line.text)
    x, y, side = layout.barcode
    key = (content.lot, content.bud, round(side, 3))
    if key not in forms:
        forms[key] = f"bc{len(forms)}"
        c.beginForm(forms[key], lowerx=0, lowery=0, upperx=side, uppery=side)
        draw_grid(c, barcode_grid(barcode, content.lot, content.bud), 0, 0, side)
        c.endForm()
    c.saveState()
    c.translate(x, y)
    c.doForm(forms[key])
    c.restoreState()


def labels_pdf(items: Iterable[tuple[Any, Any]], *, stock: LabelStock, barcode: str, pharmacy: str,
               contact: str) -> tuple[bytes, int]:
    """(PDF bytes, label count) for (batch, allocation) pairs; every label is laid out (and so
    checked) before the PDF is written."""
    from reportlab.pdfgen.canvas import Canvas

    data = label_data()
    layouts = []
    for batch, alloc in items:
        content = label_content(batch, alloc, pharmacy=pharmacy, contact=contact, warnings=data.warnings)
        check_glyphs(content)
        layouts.append((fit(content, stock.width, stock.height, stock.margin, measure=measure,
                            min_font=data.min_font, max_font=data.max_font, stock=stock.name), content))
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(stock.page_width, stock.page_height), pageCompression=1)
    c.setTitle("LDN container labels")
    c.setCreator("LDN compounding calculator")
    slots = stock.positions()
    forms: dict[tuple, str] = {}
    for i, (layout, content) in enumerate(layouts):
        if i and i % len(slots) == 0:
            c.showPage()
        x, y = slots[i % len(slots)]
        c.saveState()
        c.translate(x, y)
        _draw_label(c, layout, content, barcode, forms)
        c.restoreState()
    c.showPage()
    c.save()
    return buf.getvalue(), len(layouts)
