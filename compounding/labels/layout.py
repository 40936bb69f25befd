"""Container label layout, pure: what a label says (:func:`label_content`) and where each line goes
(:func:`fit`), with no PDF library involved.

One label per dispensed container (an allocation of the plan): patient, drug and strength as
naltrexone HCl (liquids: the concentration, the patient's dose and its volume), quantity, directions,
lot, BUD and storage, pharmacy and contact, "Compounded preparation", the auxiliary warnings (opioids,
children, shake well for liquids) and a 2-D barcode of lot and BUD.

Text fits or is refused: every block is wrapped to the text column; when the label's lines do not fit
at the largest size, all sizes shrink together, down to the stock's minimum font (labels.toml); below
that the label is refused naming what is too long. The worklist's length limits (patient 40,
directions 120 characters) are tested to fit every stock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..errors import InputError

__all__ = ["Block", "Line", "Layout", "LabelContent", "label_content", "fit", "wrap", "LabelError"]


class LabelError(InputError):
    """A label's text does not fit its stock even at the smallest font."""


@dataclass(frozen=True)
class Block:
    text: str
    scale: float = 1.0  # × body size
    bold: bool = False
    name: str = ""  # what the block is (named in an error)


@dataclass(frozen=True)
class LabelContent:
    blocks: tuple[Block, ...]
    lot: str
    bud: dt.date


@dataclass(frozen=True)
class Line:
    text: str
    x: float
    y: float  # baseline, from the label's bottom edge
    size: float
    bold: bool


@dataclass(frozen=True)
class Layout:
    lines: tuple[Line, ...]
    body_size: float
    barcode: tuple[float, float, float]  # x, y, side (points, from the label's lower-left corner)


def label_content(batch: Any, a: Any, *, pharmacy: str, contact: str, warnings: dict[str, str],
                  dispensed: dt.date | None = None) -> LabelContent:
    """The blocks of one container's label, top to bottom."""
    from ..display import format_quantity as fq

    liquid = batch.form == "oral_liquid"
    drug = (f"NALTREXONE HCl {fq(batch.concentration)} ORAL LIQUID" if liquid
            else f"NALTREXONE HCl {fq(batch.strength)} CAPSULES")
    day = (dispensed or batch.compounding_date).isoformat()
    blocks = [Block(pharmacy, 1.0, True, "pharmacy"), Block(contact, 0.85, False, "pharmacy contact"),
              Block(a.patient, 1.35, True, "patient"), Block(drug, 1.15, True, "drug")]
    if liquid and a.dose is not None:
        blocks.append(Block(f"Dose: {fq(a.dose)} = {fq(a.dose_volume)} ({fq(batch.concentration)})", 1.1, True,
                            "dose"))
    elif liquid:
        blocks.append(Block(f"Dose: follow your dose chart. {a.schedule}", 1.0, True, "dose"))
    blocks += [Block(f"Quantity: {fq(a.quantity)}", 1.0, False, "quantity"),
               Block(a.directions, 1.0, False, "directions"),
               Block(f"Rx {a.rx_number}  Prescriber: {a.prescriber}  Dispensed {day}", 0.9, False, "prescription"),
               Block(f"Lot {batch.lot}  BUD {batch.bud.isoformat()}  {batch.storage_label}", 0.9, True, "lot"),
               Block(" ".join([warnings["compounded"], warnings["children"]]
                              + ([warnings["shake_well"]] if liquid else [])), 0.9, True, "warnings"),
               Block(warnings["opioids"], 0.9, True, "opioid warning")]
    return LabelContent(tuple(blocks), batch.lot, batch.bud)


Measure = Callable[[str, float, bool], float]  # (text, size, bold) -> width in points


def wrap(text: str, width: float, size: float, bold: bool, measure: Measure) -> list[str]:
    """Greedy word wrap; a word wider than the column is broken between characters. Widths add up
    word by word (PDF text without kerning), so ``measure`` is asked about single words only."""
    lines: list[str] = []
    current, used = "", 0.0
    space = measure(" ", size, bold)
    for word in text.split():
        w = measure(word, size, bold)
        if current and used + space + w <= width:
            current, used = f"{current} {word}", used + space + w
            continue
        if current:
            lines.append(current)
        while w > width:  # a long word (a URL, a code): break it
            cut = next((i for i in range(len(word) - 1, 0, -1) if measure(word[:i], size, bold) <= width), 1)
            lines.append(word[:cut])
            word = word[cut:]
            w = measure(word, size, bold)
        current, used = word, w
    if current:
        lines.append(current)
    return lines


LEADING = 1.18  # line height ÷ font size
SIZE_STEP = 0.25


def fit(content: LabelContent, width: float, height: float, margin: float, *, measure: Measure,
        min_font: float, max_font: float, stock: str = "label") -> Layout:
    """Place the blocks at the largest body size that fits: beside the barcode (top right) while a
    block starts level with it, across the whole label below it."""
    side = min(height * 0.42, width * 0.24)
    narrow = width - 3 * margin - side
    wide = width - 2 * margin
    sizes = [min_font + i * SIZE_STEP for i in range(int(round((max_font - min_font) / SIZE_STEP)) + 1)]
    best = None
    low, high = 0, len(sizes) - 1
    while low <= high:  # the largest size that fits: fewer sizes tried than stepping down one by one
        mid = (low + high) // 2
        placed = _place(content.blocks, (narrow, wide, side + margin * 0.5), height - 2 * margin, sizes[mid],
                        measure)
        if placed is None:
            high = mid - 1
        else:
            best, low = (sizes[mid], placed), mid + 1
    if best is not None:
        size, placed = best
        top = height - margin
        lines = tuple(Line(t, margin, top - y, s, b) for t, y, s, b in placed)
        return Layout(lines, size, (width - margin - side, height - margin - side, side))
    longest = max(content.blocks, key=lambda b: len(b.text))
    raise LabelError(f"does not fit on a {stock} label even at {min_font:g} pt", field=longest.name or "text",
                     value=longest.text, allowed="shorter text (patient at most 40, directions at most 120 characters)")


def _place(blocks: Sequence[Block], widths: tuple[float, float, float], height: float, size: float,
           measure: Measure) -> list[tuple[str, float, float, bool]] | None:
    """(text, baseline below the top, size, bold) per line, or None when the lines overflow."""
    narrow, wide, beside = widths
    out, y = [], 0.0
    for b in blocks:
        s = size * b.scale
        for text in wrap(b.text, narrow if y < beside else wide, s, b.bold, measure):
            y += s * LEADING
            if y > height:
                return None
            out.append((text, y - s * 0.25, s, b.bold))
    return out
