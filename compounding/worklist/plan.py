"""Plan a validated worklist: identical preparations become one batch, titrations expand into the
capsules or liquid fills they need, every batch carries its allocation (which Rx gets how many
capsules or mL) and what it consumes.

Grouping key: (form, master formula, strength or concentration, compounding date). A titration's
capsules join the batch of their strength; its liquid fills join the batch made on the fill's date
(a fill is made when the previous bottle's BUD runs out, so later fills are later batches).

Extra: the master formulas (``formulas/*.toml``) have no overage field, so capsule batches use the
capsule calculator's ``extra`` convention (a count, or a percentage of the capsules ordered rounded
up; default none) and liquid batches a volume percentage (``liquid_overage``; default none). A batch
holds at most what the core computes in one batch (10,000 capsules, 1000 mL); a larger group is
split into several batches, never splitting one container.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterable, Sequence

import pint

from ..errors import CompoundingError, InputError
from ..jsonout import to_jsonable
from .validate import MAX_CAPSULES_PER_RX, Order, Problem, Worklist

__all__ = ["Allocation", "Need", "Batch", "WorklistPlan", "WorklistError", "plan_worklist",
           "MAX_BATCH_CAPSULES", "MAX_BATCH_VOLUME_ML"]

MAX_BATCH_CAPSULES = MAX_CAPSULES_PER_RX  # capsule_batch refuses more capsules ordered
MAX_BATCH_VOLUME_ML = 1000  # compounding.liquids.VOLUME_RANGE: the largest liquid batch


class WorklistError(InputError):
    """A worklist with bad rows was given to the planner; ``problems`` lists them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(f"has {len(problems)} problem(s); nothing was planned", field="worklist",
                         allowed="a file without errors, or drop_bad_rows=True")
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Allocation:
    """One dispensed container: which Rx gets how much of the batch (``rx_number`` None: stock)."""

    rx_number: str | None
    row: int | None
    patient: str
    prescriber: str
    directions: str
    quantity: pint.Quantity  # capsules, or mL
    dose: pint.Quantity | None = None  # oral liquid: the patient's dose [mg]
    dose_volume: pint.Quantity | None = None  # its volume [mL]
    fill: int | None = None  # liquid titration: which fill
    schedule: str = ""  # titration: the doses this container covers
    titration: str = ""

    def as_dict(self) -> dict[str, Any]:
        j = to_jsonable
        return {"rx_number": self.rx_number, "row": self.row, "patient": self.patient,
                "quantity": j(self.quantity), "dose": j(self.dose), "dose_volume": j(self.dose_volume),
                "fill": self.fill, "schedule": self.schedule or None, "titration": self.titration or None,
                "anticipatory_stock": self.rx_number is None}


@dataclass(frozen=True)
class Need:
    """An ingredient or item a batch consumes (``kind`` matches the lots file's ``kind``)."""

    kind: str
    name: str
    quantity: pint.Quantity
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "quantity": to_jsonable(self.quantity),
                "note": self.note or None}


@dataclass(frozen=True)
class Batch:
    number: int
    lot: str
    form: str  # capsules | oral_liquid
    formula: str
    strength: pint.Quantity | None  # capsules: mg per capsule
    concentration: pint.Quantity | None  # oral liquid: mg/mL
    compounding_date: dt.date
    allocations: tuple[Allocation, ...]
    result: Any  # CapsuleBatch | LiquidPreparation
    needs: tuple[Need, ...]

    @property
    def bud(self) -> dt.date:
        return self.result.bud.date

    @property
    def storage_label(self) -> str:
        return self.result.bud.storage_label

    @property
    def made(self) -> pint.Quantity:
        r = self.result
        return r.capsules_to_make if self.form == "capsules" else r.final_volume

    @property
    def title(self) -> str:
        from ..display import format_quantity as fq

        if self.form == "capsules":
            return f"Naltrexone HCl {fq(self.strength)} capsules"
        return f"Naltrexone HCl {fq(self.concentration)} oral liquid"

    def as_dict(self) -> dict[str, Any]:
        j = to_jsonable
        allocated = [a for a in self.allocations if a.rx_number is not None]
        stock = [a for a in self.allocations if a.rx_number is None]
        return {"number": self.number, "lot": self.lot, "form": self.form, "formula": self.formula,
                "title": self.title, "strength": j(self.strength), "concentration": j(self.concentration),
                "compounding_date": self.compounding_date.isoformat(), "bud": self.bud.isoformat(),
                "storage": self.storage_label, "made": j(self.made),
                "allocated": j(_total(a.quantity for a in allocated)) if allocated else 0,
                "anticipatory_stock": j(stock[0].quantity) if stock else None,
                "allocation": [a.as_dict() for a in self.allocations],
                "needs": [n.as_dict() for n in self.needs], "warnings": list(self.result.warnings),
                "calculation": self.result.as_dict()}


@dataclass(frozen=True)
class WorklistPlan:
    compounding_date: dt.date
    source: str
    prescriptions: int
    batches: tuple[Batch, ...]
    needs: tuple[Need, ...]
    dropped: tuple[Problem, ...]
    notes: tuple[str, ...]
    titrations: tuple[Order, ...]
    options: dict[str, Any]
    stock: Any = None  # compounding.worklist.stock.StockReport | None
    orders: tuple[Order, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {"compounding_date": self.compounding_date.isoformat(), "source": self.source,
                "prescriptions": self.prescriptions, "options": to_jsonable(self.options),
                "batches": [b.as_dict() for b in self.batches], "needs": [n.as_dict() for n in self.needs],
                "stock": None if self.stock is None else self.stock.as_dict(),
                "dropped_rows": [p.as_dict() for p in self.dropped], "notes": list(self.notes),
                "titrations": [{"rx_number": o.rx_number, "row": o.row, "patient": o.patient, "form": o.form,
                                "titration": o.titration_text, "plan": o.titration.as_dict()}
                               for o in self.titrations]}


def _total(quantities: Iterable[pint.Quantity]) -> pint.Quantity:
    """Σ of quantities in one unit (adding magnitudes: pint's own addition is slow in bulk)."""
    items = list(quantities)
    unit = items[0].units
    if all(q.units == unit for q in items):
        return items[0].__class__(sum((Fraction(q.magnitude) for q in items), Fraction(0)), unit)
    return sum(items[1:], items[0])


# --- expansion: each order → (key, allocation) ----------------------------------------------------

Key = tuple[str, str, Fraction, dt.date]


def _expand(order: Order, date: dt.date, cache: dict) -> list[tuple[Key, Allocation]]:
    """``cache``: schedules per titration plan (plans are shared between identical rows)."""
    base = dict(rx_number=order.rx_number, row=order.row, patient=order.patient, prescriber=order.prescriber,
                directions=order.directions, titration=order.titration_text)
    plan = order.titration
    if plan is None:  # validate() gives strengths in mg and concentrations in mg/mL
        if order.form == "capsules":
            return [(("capsules", order.formula, order.strength.magnitude, date),
                     Allocation(quantity=order.quantity, **base))]
        return [(("oral_liquid", order.formula, order.concentration.magnitude, date),
                 Allocation(quantity=order.quantity, dose=order.dose,
                            dose_volume=_dose_volume(order.dose, order.concentration), **base))]
    if id(plan) not in cache:
        cache[id(plan)] = (plan, _schedules(plan))
    schedules = cache[id(plan)][1]
    if order.form == "capsules":
        return [(("capsules", order.formula, s.magnitude, date),
                 Allocation(quantity=_caps(n), schedule=schedules[s.magnitude], **base))
                for s, n in plan.capsules_per_strength]
    return [(("oral_liquid", order.formula, plan.concentration.magnitude, f.date),
             Allocation(quantity=f.volume, fill=f.number, schedule=schedules[("fill", f.number)], **base))
            for f in plan.fills]


_VOLUMES: dict[tuple[Fraction, Fraction], pint.Quantity] = {}


def _dose_volume(dose: pint.Quantity, concentration: pint.Quantity) -> pint.Quantity:
    key = (dose.magnitude, concentration.magnitude)
    if key not in _VOLUMES:
        _VOLUMES[key] = (dose / concentration).to("mL")
    return _VOLUMES[key]


def _caps(n: int) -> pint.Quantity:
    from ..units import Q, capsule

    return Q(n, capsule)


def _schedules(plan: Any) -> dict[Any, str]:
    """The doses each container of a titration covers: per capsule strength, or per liquid fill."""
    from ..display import format_quantity as fq

    out: dict[Any, str] = {}
    for s in plan.stages:
        text = f"{fq(s.dose)} {s.start_date.isoformat()} to {s.end_date.isoformat()}"
        key = s.dose.magnitude
        out[key] = f"{out[key]}; {text}" if key in out else text
    for f in plan.fills or ():
        parts = []
        for s in plan.stages:
            first, last = max(s.first_day, f.first_day), min(s.last_day, f.last_day)
            if first <= last:
                vol = s.dose_volume.volume if s.dose_volume else None
                parts.append(f"days {first}-{last}: {fq(s.dose)}" + (f" = {fq(vol)}" if vol is not None else ""))
        out[("fill", f.number)] = "; ".join(parts)
    return out


# --- anticipatory stock ---------------------------------------------------------------------------

def _anticipatory(specs: Iterable[Any], date: dt.date) -> list[tuple[Key, Allocation]]:
    """``("capsules", "4.5 mg", "60")`` or ``"oral liquid:1 mg/mL:200 mL"`` (21 U.S.C. 353a(a)(2))."""
    from .columns import DEFAULT_FORMULA, FORMS
    from .validate import _capsules, _concentration, _dose, _volume
    from ..units import mg, mg_per_mL

    out = []
    for spec in specs:
        parts = [p.strip() for p in (spec.split(":") if isinstance(spec, str) else spec)]
        form = FORMS.get(" ".join(parts[0].lower().split())) if parts else None
        if len(parts) != 3 or form is None:
            raise InputError("is not FORM:STRENGTH:QUANTITY", field="anticipatory", value=str(spec),
                             allowed="e.g. capsules:4.5 mg:60 or oral liquid:1 mg/mL:200 mL")
        if form == "capsules":
            key = (form, DEFAULT_FORMULA[form], _dose(parts[1], "strength").to(mg).magnitude, date)
            qty = _capsules(parts[2])
        else:
            key = (form, DEFAULT_FORMULA[form], _concentration(parts[1]).to(mg_per_mL).magnitude, date)
            qty = _volume(parts[2])
        out.append((key, Allocation(None, None, "", "", "Anticipatory stock (not yet allocated)", qty)))
    return out


# --- splitting a group into batches ---------------------------------------------------------------

def _capacity(form: str, overage: Fraction) -> Fraction:
    return Fraction(MAX_BATCH_CAPSULES) if form == "capsules" else Fraction(MAX_BATCH_VOLUME_ML) / (1 + overage)


def _chunks(key: Key, allocations: list[Allocation], overage: Fraction) -> list[list[Allocation]]:
    from ..display import format_quantity as fq

    cap = _capacity(key[0], overage)
    chunks: list[list[Allocation]] = [[]]
    room = cap
    for a in allocations:
        size = Fraction(a.quantity.magnitude)
        if size > cap:
            who = a.rx_number or "anticipatory stock"
            raise InputError(f"{fq(a.quantity)} for {who} is more than one batch can make "
                             f"({fq(a.quantity * (cap / size))} with the overage)", field="quantity",
                             value=a.rx_number, allowed="a smaller quantity, or a smaller overage")
        if size > room:
            chunks.append([])
            room = cap
        chunks[-1].append(a)
        room -= size
    return chunks


# --- the plan -------------------------------------------------------------------------------------

def plan_worklist(worklist: Worklist, *, drop_bad_rows: bool = False, extra: Any = None,
                  liquid_overage: Any = None, anticipatory: Iterable[Any] = (), tablet_weight: Any = None,
                  potency: Any = None, lot_prefix: str = "LDN", lots: Any = None) -> WorklistPlan:
    """Batches for every valid order of ``worklist`` (see the module docstring).

    ``extra``: capsules per batch, a count or a percentage (``"10%"``), rounded up; ``liquid_overage``:
    a percentage of each liquid batch's allocated volume; ``anticipatory``: FORM:STRENGTH:QUANTITY specs
    of stock made ahead of prescriptions; ``tablet_weight`` / ``potency``: passed to every batch made
    from tablets / from API powder; ``lots``: a lots table (see :mod:`.stock`) matched FEFO.
    """
    from ..units import as_fraction

    if worklist.problems and not drop_bad_rows:
        raise WorklistError(worklist.problems)
    if not re.fullmatch(r"[A-Za-z0-9]{1,8}", lot_prefix or ""):
        raise InputError("is not a lot prefix", field="lot_prefix", value=lot_prefix,
                         allowed="1-8 letters or digits (the lot number goes into the GS1 barcode)")
    overage = Fraction(0) if liquid_overage is None else as_fraction(
        liquid_overage, "liquid_overage", low=Fraction(0), high=Fraction(1, 2), allowed="0% to 50%, e.g. 5%")
    date = worklist.compounding_date
    groups: dict[Key, list[Allocation]] = {}
    cache: dict[int, Any] = {}
    for order in worklist.orders:
        for key, alloc in _expand(order, date, cache):
            groups.setdefault(key, []).append(alloc)
    for key, alloc in _anticipatory(anticipatory, date):
        groups.setdefault(key, []).append(alloc)
    order_of_form = {"capsules": 0, "oral_liquid": 1}
    keys = sorted(groups, key=lambda k: (k[3], order_of_form[k[0]], k[1], k[2]))
    batches: list[Batch] = []
    per_day: dict[dt.date, int] = {}
    settings = dict(extra=extra, overage=overage, tablet_weight=tablet_weight, potency=potency)
    for key in keys:
        for chunk in _chunks(key, groups[key], overage):
            per_day[key[3]] = per_day.get(key[3], 0) + 1
            lot = f"{lot_prefix}-{key[3]:%y%m%d}-{per_day[key[3]]:03d}"
            batches.append(_batch(len(batches) + 1, lot, key, chunk, settings))
    notes = list(worklist.notes) + _supply_notes(batches)
    for o in worklist.orders:
        if o.titration is not None:
            notes += [f"row {o.row} ({o.rx_number}), titration: {w}" for w in o.titration.warnings]
    stock = None
    if lots is not None:
        from .stock import match_lots

        stock = match_lots(batches, lots)
    options = {"extra": extra, "liquid_overage": liquid_overage, "anticipatory": [str(a) for a in anticipatory],
               "tablet_weight": tablet_weight, "potency": potency, "lot_prefix": lot_prefix,
               "drop_bad_rows": drop_bad_rows, "extra_policy": EXTRA_POLICY}
    return WorklistPlan(date, worklist.name, len(worklist.orders), tuple(batches), aggregate(batches),
                        worklist.problems if drop_bad_rows else (), tuple(dict.fromkeys(notes)),
                        tuple(o for o in worklist.orders if o.titration is not None),
                        {k: v for k, v in options.items() if v not in (None, [], "")}, stock, worklist.orders)


EXTRA_POLICY = ("formulas/*.toml have no overage field: capsule batches use the capsule calculator's "
                "extra (count or % rounded up, default none); liquid batches the liquid_overage % "
                "(default none)")


def _batch(number: int, lot: str, key: Key, allocations: list[Allocation], s: dict[str, Any]) -> Batch:
    from ..formulas import formula
    from ..units import Q, mg, mg_per_mL

    form, formula_id, magnitude, date = key
    source = formula(formula_id).source
    total = _total(a.quantity for a in allocations)
    strength = Q(magnitude, mg) if form == "capsules" else None
    conc = Q(magnitude, mg_per_mL) if form == "oral_liquid" else None
    made_from = {"tablet_weight": s["tablet_weight"]} if source == "tablets" else {"potency": s["potency"]}
    try:
        if form == "capsules":
            from ..capsules import capsule_batch

            result = capsule_batch(strength, int(total.magnitude), extra=s["extra"], formula=formula_id,
                                   compounding_date=date, **made_from)
        else:
            from ..liquids import prepare_liquid

            doses = sorted({a.dose.to(mg).magnitude for a in allocations if a.dose is not None})
            result = prepare_liquid(concentration=conc, final_volume=total * (1 + s["overage"]),
                                    formula=formula_id, doses=[Q(d, mg) for d in doses],
                                    compounding_date=date, **made_from)
    except CompoundingError as exc:
        what = f"{strength or conc} {form.replace('_', ' ')}, {date.isoformat()}"
        raise type(exc)(f"batch {number} ({lot}, {what}): {exc.message}", field=exc.field, value=exc.value,
                        allowed=exc.allowed) from None
    containers = len(allocations)
    needs = _capsule_needs(result, containers) if form == "capsules" else _liquid_needs(result, containers)
    return Batch(number, lot, form, formula_id, strength, conc, date, tuple(allocations), result, tuple(needs))


# --- what a batch consumes ------------------------------------------------------------------------

def _capsule_needs(b: Any, containers: int) -> list[Need]:
    from ..units import Q, dimensionless, mg

    out = []
    if b.source == "api":
        api = b.aliquot.stages[0].drug_to_weigh if b.aliquot else b.api_to_weigh
        out.append(Need("naltrexone_hcl_powder", "Naltrexone HCl powder (API)", api.to(mg),
                        "stage-1 aliquot weighing" if b.aliquot else ""))
    else:
        out.append(Need("naltrexone_hcl_50mg_tablets", "Naltrexone HCl 50 mg tablets", b.tablets_to_crush))
    filler = b.filler_to_weigh
    if b.aliquot:  # the diluent weighed for every dilution stage (the rest of each mixture is discarded)
        filler = b.filler_to_add + _total(st.diluent_to_add for st in b.aliquot.stages)
    out.append(Need(f"filler_{b.filler}", b.filler_name, filler.to(mg)))
    out.append(Need(f"capsule_shells_size_{b.capsule_size}", f"Empty hard capsules, size {b.capsule_size}",
                    b.capsules_to_make))
    out.append(Need("container_capsule_vial", "Capsule vials (one per container)", Q(containers, dimensionless)))
    return out


def _slug(name: str) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", name.lower()))


def _liquid_needs(p: Any, containers: int) -> list[Need]:
    from ..units import Q, dimensionless, mg

    out = []
    if p.source == "tablets":
        tablets = p.tablets_to_use if p.tablets_to_use is not None else p.tablets_to_crush
        out.append(Need("naltrexone_hcl_50mg_tablets", "Naltrexone HCl 50 mg tablets", tablets))
    else:
        api = p.aliquot.api_to_weigh if p.aliquot else p.api_to_weigh
        out.append(Need("naltrexone_hcl_powder", "Naltrexone HCl powder (API)", api.to(mg)))
    for c in p.components:
        if c.amount is None:
            out.append(Need(_slug(c.name), c.name, p.final_volume, "to volume: at most the final volume"))
        else:
            out.append(Need(_slug(c.name), c.name, c.amount))
    out.append(Need("container_liquid_bottle", "Bottles with oral-syringe adapter (one per container)",
                    Q(containers, dimensionless)))
    return out


def aggregate(batches: Sequence[Batch]) -> tuple[Need, ...]:
    """The plan's needs: each kind summed over its batches."""
    totals: dict[str, Need] = {}
    for b in batches:
        for n in b.needs:
            if n.kind in totals:
                t = totals[n.kind]
                note = t.note if t.note == n.note else ""  # a note of one batch is not the total's
                totals[n.kind] = Need(n.kind, t.name, t.quantity + n.quantity.to(t.quantity.units), note)
            else:
                totals[n.kind] = n
    return tuple(totals.values())


def _supply_notes(batches: Sequence[Batch]) -> list[str]:
    """A liquid Rx that lasts longer than its bottle's BUD is worth a word to the pharmacist."""
    from ..display import format_number as fn

    out = []
    for b in batches:
        days = int(b.result.bud.days.magnitude)
        for a in b.allocations:  # quantities and dose volumes are in mL (validate, _dose_volume)
            if a.dose_volume is not None and a.dose_volume.magnitude > 0:
                lasts = Fraction(a.quantity.magnitude) / Fraction(a.dose_volume.magnitude)
                if lasts > days:
                    out.append(f"row {a.row} ({a.rx_number}): {fn(a.quantity.magnitude, 2)} mL at "
                               f"{fn(a.dose_volume.magnitude, 2)} mL a day lasts {int(lasts)} days, longer than "
                               f"the {days}-day BUD of batch {b.lot}.")
    return out
