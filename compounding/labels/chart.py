"""Titration patient documents (reportlab platypus): a one-page explanation in plain words and a
dated dose chart, one row a day (date, dose, capsule or mL to measure, a tick box).

The chart's rows are the core's :attr:`compounding.titration.TitrationPlan.chart`; nothing is
recomputed here.
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["charts_pdf", "explanation"]


def explanation(order: Any) -> list[str]:
    """The plain-words explanation, paragraph by paragraph."""
    from ..display import format_quantity as fq

    plan = order.titration
    first, last = plan.stages[0], plan.stages[-1]
    how = ("Take one capsule each night at bedtime. Each container is labelled with its strength; the chart "
           "says which strength to take on which day." if order.form == "capsules" else
           f"Measure each night's dose with the oral syringe and take it at bedtime. Your liquid has "
           f"{fq(plan.concentration)} (milligrams in each millilitre): the chart gives the dose in mg and the "
           "millilitres (mL) to measure. Shake the bottle well before each dose. A new bottle is made when the "
           "old one reaches its use-by (BUD) date: do not use a bottle after its BUD.")
    return [
        f"This is your plan for low-dose naltrexone (LDN), from {plan.start_date.isoformat()} for "
        f"{plan.total_days} days. You start with a small dose, {fq(first.dose)}, and go up step by step to "
        f"{fq(last.dose)}. Going up slowly gives your body time to get used to it.",
        how,
        "Tick the box on the chart each night after you take your dose. If you forget a dose, skip it and take "
        "the next one at the usual time; do not take two doses together.",
        "Some people have vivid dreams, trouble sleeping, headache or an upset stomach in the first weeks. "
        "These usually settle. If they trouble you, ask your pharmacist or doctor: taking the dose in the "
        "morning, or staying longer on a step, can help.",
        "Important: naltrexone blocks opioid pain medicines (such as morphine, codeine, tramadol or oxycodone) "
        "and can bring on withdrawal if you take opioids. Tell every doctor, dentist and hospital that you take "
        "naltrexone. Before an operation or any procedure that may need opioid pain relief, stop it as your "
        "doctor advises.",
        "Keep your medicine out of the reach of children. It is a compounded preparation, made for you by the "
        "pharmacy.",
        f"Directions from your prescriber: {order.directions}",
    ]


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    from .pdf import FONT, FONT_BOLD, fonts

    fonts()
    return {"title": ParagraphStyle("t", fontName=FONT_BOLD, fontSize=16, leading=20, spaceAfter=8),
            "head": ParagraphStyle("h", fontName=FONT_BOLD, fontSize=11, leading=14, spaceAfter=6),
            "body": ParagraphStyle("b", fontName=FONT, fontSize=11, leading=15, spaceAfter=8),
            "cell": ParagraphStyle("c", fontName=FONT, fontSize=10, leading=12)}


class _TickBox:
    """A drawn square (no glyph needed from the font)."""

    def __new__(cls, side: float = 9.0):
        from reportlab.platypus import Flowable

        class Box(Flowable):
            def wrap(self, *_):
                return side, side

            def draw(self):
                self.canv.setLineWidth(0.8)
                self.canv.rect(0, 0, side, side, stroke=1, fill=0)
        return Box()


def _esc(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)


def _story(order: Any, pharmacy: str, contact: str, st: dict[str, Any]) -> list[Any]:
    from reportlab.platypus import LongTable, PageBreak, Paragraph, TableStyle

    from ..display import format_quantity as fq

    head = f"{_esc(order.patient)} · Rx {_esc(order.rx_number)} · {_esc(pharmacy)}, {_esc(contact)}"
    story = [Paragraph("Your LDN dose plan, in plain words", st["title"]), Paragraph(head, st["head"])]
    story += [Paragraph(_esc(p), st["body"]) for p in explanation(order)]
    story += [PageBreak(), Paragraph("Dose chart: tick each night", st["title"]), Paragraph(head, st["head"])]
    capsules = order.form == "capsules"
    rows = [["Day", "Date", "Dose", "Take" if capsules else "Measure", "Taken"]]
    for d in order.titration.chart:
        what = f"one {fq(d.capsule)} capsule" if capsules else (fq(d.volume) if d.volume is not None else "")
        rows.append([str(d.day), d.date.strftime("%a %d %b %Y"), fq(d.dose), what, _TickBox()])
    table = LongTable(rows, colWidths=[36, 110, 60, 130, 44], repeatRows=1)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, 0), st["head"].fontName),
                               ("FONTNAME", (0, 1), (-1, -1), st["cell"].fontName), ("FONTSIZE", (0, 0), (-1, -1), 10),
                               ("GRID", (0, 0), (-1, -1), 0.4, (0.6, 0.6, 0.6)), ("ALIGN", (4, 1), (4, -1), "CENTER"),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return story + [table, PageBreak()]


def charts_pdf(plan: Any, *, pharmacy: str, contact: str, paper: str = "A4") -> tuple[bytes, int]:
    """(PDF bytes, number of titrations) for every titration order of ``plan``."""
    from reportlab.lib.pagesizes import A4, LETTER
    from reportlab.platypus import SimpleDocTemplate

    from ..errors import InputError
    from .layout import LabelContent, Block
    from .pdf import check_glyphs

    if str(paper).lower() not in ("a4", "letter"):
        raise InputError("is not a paper size", field="paper", value=paper, allowed="A4 or Letter")
    st = _styles()
    story: list[Any] = []
    for order in plan.titrations:
        check_glyphs(LabelContent((Block(order.patient, name="patient"), Block(order.directions, name="directions")),
                                  "", None))
        story += _story(order, pharmacy, contact, st)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4 if paper.lower() == "a4" else LETTER, title="LDN dose charts",
                            leftMargin=50, rightMargin=50, topMargin=50, bottomMargin=50)
    if story:
        story.pop()  # no blank page at the end
        doc.build(story)
    else:
        from reportlab.platypus import Paragraph

        doc.build([Paragraph("No titrations in this worklist.", st["body"])])
    return buf.getvalue(), len(plan.titrations)
