"""Stock on hand: a lots file (CSV or XLSX with columns kind, lot, expiry, quantity) matched to the
plan's needs first-expiry-first-out.

A lot is used for a batch only when it does not expire before the batch's BUD (a preparation must
not outlive an ingredient, USP <795>; so the BUD is never cut here). Lots of one kind are taken in
order of expiry (no expiry last, then in file order), batches in plan order (by compounding date).
What the lots cannot cover is reported as short, per batch.

Kinds are the ``kind`` of the plan's needs: ``naltrexone_hcl_powder`` (a mass), ``naltrexone_hcl_50mg_tablets``
(a count), ``filler_<key>`` (e.g. ``filler_mcc_ph102``, a mass), vehicle components by name
(``purified_water``, ``glycerol``, ``ascorbic_acid``, ``sodium_benzoate``, … a mass or volume),
``capsule_shells_size_<size>`` (a count), ``container_capsule_vial`` and ``container_liquid_bottle``
(counts; expiry may be empty for containers only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Sequence

import pint

from ..errors import CompoundingError, InputError, RangeError
from ..jsonout import to_jsonable
from .validate import Problem

__all__ = ["Lot", "Take", "Short", "StockReport", "LotsError", "read_lots", "match_lots", "LOT_COLUMNS"]

LOT_COLUMNS = ("kind", "lot", "expiry", "quantity")
MAX_LOT_TEXT = 40


class LotsError(InputError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(f"has {len(problems)} problem(s)", field="lots")
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Lot:
    kind: str
    lot: str
    expiry: dt.date | None
    quantity: pint.Quantity
    row: int


@dataclass(frozen=True)
class Take:
    batch: int
    batch_lot: str
    kind: str
    lot: str
    expiry: dt.date | None
    quantity: pint.Quantity

    def as_dict(self) -> dict[str, Any]:
        return {"batch": self.batch, "batch_lot": self.batch_lot, "kind": self.kind, "lot": self.lot,
                "expiry": None if self.expiry is None else self.expiry.isoformat(),
                "quantity": to_jsonable(self.quantity)}


@dataclass(frozen=True)
class Short:
    batch: int
    batch_lot: str
    kind: str
    name: str
    quantity: pint.Quantity

    def as_dict(self) -> dict[str, Any]:
        return {"batch": self.batch, "batch_lot": self.batch_lot, "kind": self.kind, "name": self.name,
                "quantity": to_jsonable(self.quantity)}


@dataclass(frozen=True)
class StockReport:
    lots: tuple[Lot, ...]
    takes: tuple[Take, ...]
    short: tuple[Short, ...]
    notes: tuple[str, ...]

    def left(self, lot: Lot) -> pint.Quantity:
        used = [t.quantity for t in self.takes if t.lot == lot.lot and t.kind == lot.kind]
        return lot.quantity - sum(used[1:], used[0]) if used else lot.quantity

    def as_dict(self) -> dict[str, Any]:
        return {"takes": [t.as_dict() for t in self.takes], "short": [s.as_dict() for s in self.short],
                "lots": [{"kind": l.kind, "lot": l.lot, "expiry": None if l.expiry is None else l.expiry.isoformat(),
                          "quantity": to_jsonable(l.quantity), "left": to_jsonable(self.left(l))} for l in self.lots],
                "notes": list(self.notes)}


# --- reading --------------------------------------------------------------------------------------

def _quantity(kind: str, text: str) -> pint.Quantity:
    from ..units import Q, as_count, as_quantity, capsule, dimensionless, tablet

    if kind.startswith("container_"):
        return Q(as_count(text, "quantity", capsule, maximum=10_000_000).magnitude, dimensionless)
    if kind.endswith("_tablets"):
        return as_count(text, "quantity", tablet, maximum=10_000_000)
    if kind.startswith("capsule_shells_"):
        return as_count(text, "quantity", capsule, maximum=10_000_000)
    if kind == "naltrexone_hcl_powder" or kind.startswith("filler_"):
        q = as_quantity(text, "quantity", "mass")
    else:
        try:
            q = as_quantity(text, "quantity", "mass")
        except CompoundingError:
            q = as_quantity(text, "quantity", "volume")
    if q.magnitude <= 0:
        raise RangeError("must be greater than zero", field="quantity", value=text)
    return q


def read_lots(source: Any, *, name: str = "lots") -> tuple[Lot, ...]:
    """Lots from a path, bytes, or a sequence of dicts with the four columns."""
    from ..bud import parse_date
    from . import file_bytes
    from .read import read_table
    from .validate import reason

    if isinstance(source, (list, tuple)):
        header, rows = LOT_COLUMNS, [(i, tuple(str(r.get(c, "")) for c in LOT_COLUMNS)) for i, r in enumerate(source, 2)]
    else:
        data, label = file_bytes(source, "lots")
        table = read_table(data, name if isinstance(source, (bytes, bytearray)) else label)
        header, rows = tuple(h.strip().lower() for h in table.header), table.rows
    missing = [c for c in LOT_COLUMNS if c not in header]
    if missing:
        raise LotsError([Problem(1, c, "column is missing from the header row") for c in missing])
    at = {c: header.index(c) for c in LOT_COLUMNS}
    lots, problems = [], []
    for number, cells in rows:
        v = {c: (cells[i].strip() if i < len(cells) else "") for c, i in at.items()}
        errs = []
        for c in ("kind", "lot"):
            if not v[c] or len(v[c]) > MAX_LOT_TEXT:
                errs.append(Problem(number, c, "is empty" if not v[c] else f"is longer than {MAX_LOT_TEXT} characters"))
        expiry = qty = None
        try:
            if v["expiry"]:
                expiry = parse_date(v["expiry"], "expiry")
            elif not v["kind"].startswith("container_"):
                errs.append(Problem(number, "expiry", "is empty (only containers may have no expiry)"))
        except CompoundingError as exc:
            errs.append(Problem(number, "expiry", reason(exc)))
        try:
            qty = _quantity(v["kind"], v["quantity"])
        except CompoundingError as exc:
            errs.append(Problem(number, "quantity", reason(exc)))
        problems += errs
        if not errs:
            lots.append(Lot(v["kind"], v["lot"], expiry, qty, number))
    if problems:
        raise LotsError(problems)
    return tuple(lots)


# --- matching -------------------------------------------------------------------------------------

def match_lots(batches: Sequence[Any], lots: Any) -> StockReport:
    """Take each batch's needs from ``lots`` (Lot objects, or anything :func:`read_lots` reads), FEFO."""
    from ..display import format_quantity as fq

    if not (isinstance(lots, tuple) and all(isinstance(l, Lot) for l in lots)):
        lots = read_lots(lots)
    left = {id(l): l.quantity for l in lots}
    by_kind: dict[str, list[Lot]] = {}
    for l in sorted(lots, key=lambda l: (l.expiry or dt.date.max, l.row)):
        by_kind.setdefault(l.kind, []).append(l)
    takes, short, notes = [], [], []
    for b in sorted(batches, key=lambda b: (b.compounding_date, b.number)):
        for need in b.needs:
            remaining = need.quantity
            for l in by_kind.get(need.kind, []):
                if remaining.magnitude <= 0:
                    break
                if l.quantity.dimensionality != remaining.dimensionality:
                    notes.append(f"Lot {l.lot} ({l.kind}) is in {fq(l.quantity)}, not comparable with the "
                                 f"{fq(remaining)} batch {b.lot} needs: not used.")
                    continue
                if l.expiry is not None and l.expiry < b.bud:
                    notes.append(f"Lot {l.lot} ({l.kind}) expires {l.expiry.isoformat()}, before the BUD "
                                 f"{b.bud.isoformat()} of batch {b.lot}: not used for it.")
                    continue
                avail = left[id(l)].to(remaining.units)
                if avail.magnitude <= 0:
                    continue
                take = min(avail, remaining)
                takes.append(Take(b.number, b.lot, need.kind, l.lot, l.expiry, take))
                left[id(l)] = avail - take
                remaining = remaining - take
            if remaining.magnitude > 0:
                short.append(Short(b.number, b.lot, need.kind, need.name, remaining))
    return StockReport(tuple(lots), tuple(takes), tuple(short), tuple(dict.fromkeys(notes)))
