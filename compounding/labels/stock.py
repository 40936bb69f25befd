"""Label stock (sizes, sheet layouts) and the fixed label wording, from formulas/reference/labels.toml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..data import REFERENCE_DIR, Choice, Optional, Qty, TableOf, Text, check
from ..errors import InputError

__all__ = ["LabelStock", "LabelData", "label_data", "MM"]

MM = 72 / 25.4  # PDF points per millimetre


@dataclass(frozen=True)
class LabelStock:
    key: str
    name: str
    kind: str  # roll | sheet
    width: float  # points
    height: float
    margin: float
    page_width: float
    page_height: float
    left: float = 0.0
    top: float = 0.0
    pitch_x: float = 0.0
    pitch_y: float = 0.0
    columns: int = 1
    rows: int = 1

    def positions(self) -> list[tuple[float, float]]:
        """Lower-left corners of the labels on a page, in reading order (PDF origin bottom left)."""
        if self.kind == "roll":
            return [(0.0, 0.0)]
        return [(self.left + c * self.pitch_x, self.page_height - self.top - r * self.pitch_y - self.height)
                for r in range(self.rows) for c in range(self.columns)]


@dataclass(frozen=True)
class LabelData:
    stocks: dict[str, LabelStock]
    default: str
    min_font: float
    max_font: float
    warnings: dict[str, str]

    def stock(self, key: str | None) -> LabelStock:
        key = key or self.default
        if key not in self.stocks:
            raise InputError("is not a label stock", field="label_size", value=key, allowed=", ".join(self.stocks))
        return self.stocks[key]


_LEN = Qty("[length]")
_COUNT = Qty("", minimum=0)
SCHEMA = TableOf({
    "text": TableOf({"min_font": Qty("", minimum=3), "max_font": Qty("", minimum=3)}),
    "stocks": TableOf(values=TableOf({
        "name": Text(), "kind": Choice("roll", "sheet"), "width": _LEN, "height": _LEN,
        "margin": Qty("[length]", minimum=0, strict_min=False),
        **{k: Optional(_LEN) for k in ("page_width", "page_height", "left", "top", "pitch_x", "pitch_y")},
        "left": Optional(Qty("[length]", minimum=0, strict_min=False)),
        "columns": Optional(_COUNT), "rows": Optional(_COUNT)})),
    "warnings": TableOf({"opioids": Text(), "children": Text(), "shake_well": Text(), "compounded": Text(),
                         "source": Text()}),
})


def _pt(fig) -> float:
    return float(fig.quantity.to("mm").magnitude) * MM


@lru_cache(maxsize=2)
def label_data(directory: Path = REFERENCE_DIR) -> LabelData:
    raw = check(Path(directory) / "labels.toml", SCHEMA)
    stocks = {}
    for key, s in raw["stocks"].items():
        if s["kind"] == "roll":
            stocks[key] = LabelStock(key, s["name"], "roll", _pt(s["width"]), _pt(s["height"]), _pt(s["margin"]),
                                     _pt(s["width"]), _pt(s["height"]))
            continue
        missing = [k for k in ("page_width", "page_height", "left", "top", "pitch_x", "pitch_y", "columns", "rows")
                   if s[k] is None]
        if missing:
            from ..errors import DataError

            raise DataError("a sheet needs its page size and layout", field=f"labels.toml: stocks.{key}.{missing[0]}")
        stocks[key] = LabelStock(key, s["name"], "sheet", _pt(s["width"]), _pt(s["height"]), _pt(s["margin"]),
                                 _pt(s["page_width"]), _pt(s["page_height"]), _pt(s["left"]), _pt(s["top"]),
                                 _pt(s["pitch_x"]), _pt(s["pitch_y"]), int(s["columns"].quantity.magnitude),
                                 int(s["rows"].quantity.magnitude))
    text = raw["text"]
    return LabelData(stocks, next(iter(stocks)), float(text["min_font"].quantity.magnitude),
                     float(text["max_font"].quantity.magnitude),
                     {k: v for k, v in raw["warnings"].items() if k != "source"})
