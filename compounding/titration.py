"""LDN titration plans: stages, a dated schedule, what to dispense, and a day-by-day patient chart.

A regimen is a start dose, a step, an interval and a target (domain.md §2; presets in
``formulas/reference/regimens.toml``), or an explicit list of stages. Doses are mg of naltrexone HCl
taken once daily at bedtime; day 1 is the start date.

* capsules: one capsule per dose of that dose's strength, counted per strength (reference case
  TT-01 (b)); the single-strength alternative when every dose is a multiple of the lowest (TT-01 (a)).
* liquid: dose volume = dose ÷ concentration; the plan is split into fills so that no bottle is
  used for longer than its vehicle's USP <795> BUD (14 days for plain water).

Exact arithmetic throughout; rounding happens only for display.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Sequence

import pint

from . import __version__ as ENGINE_VERSION
from .bud import parse_date
from .display import format_quantity
from .errors import CalculationError, InputError, RangeError
from .jsonout import to_jsonable
from .liquid_data import LiquidData, Syringe, liquid_data
from .liquids import DoseVolume, check_concentration, check_dose, dose_volume_table, recommend_concentration
from .reference import Reference, reference
from .trace import Step, Trace
from .units import MAX_TEXT, Q, as_quantity, day, dimensionless, exact, mg, mg_per_mL, mL, tablet

__all__ = ["FORMS", "Stage", "regimen_stages", "parse_stages", "units_per_strength",
           "capsules_per_strength", "single_strength", "Fill", "liquid_fills", "ChartDay",
           "TitrationPlan", "plan_titration"]

FORMS = ("capsules", "liquid")


# --- stages -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    """``days`` days at ``dose`` [mg], from plan day ``first_day`` (day 1 = start date)."""

    dose: pint.Quantity
    days: int
    first_day: int
    start_date: dt.date
    dose_volume: DoseVolume | None = None  # liquid form

    @property
    def last_day(self) -> int:
        return self.first_day + self.days - 1

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.days - 1)

    def as_dict(self) -> dict[str, Any]:
        out = {"dose": to_jsonable(self.dose), "days": self.days, "first_day": self.first_day,
               "last_day": self.last_day, "start_date": self.start_date.isoformat(),
               "end_date": self.end_date.isoformat()}
        if self.dose_volume is not None:
            dv = self.dose_volume
            out.update({"dose_volume": to_jsonable(dv.volume),
                        "stage_volume": to_jsonable(dv.volume * self.days),
                        "syringe": dv.syringe.as_dict() if dv.syringe else None,
                        "on_graduation": dv.on_graduation})
        return out


MAX_STAGE_DAYS = 365  # convention: one stage (or the maintenance) lasts at most a year; with at most
# max_stages stages this also bounds the day-by-day chart (1e9 days would exhaust memory)


def _days(value: Any, field: str, *, minimum: int = 1, maximum: int = MAX_STAGE_DAYS) -> int:
    """Whole days from an int, "14", "14 days" or "2 weeks" (or a pint duration)."""
    allowed = f"a whole number of days from {minimum} to {maximum}, e.g. 14 or 2 weeks"
    if isinstance(value, bool) or value is None:
        raise InputError("is missing" if value is None else "is not a number of days", field=field,
                         value=value, allowed=allowed)
    if isinstance(value, str) and len(value) <= MAX_TEXT and re.fullmatch(r"[+-]?[0-9]+", value.strip()):
        value = int(value)
    if isinstance(value, (int, float, Fraction)):
        try:
            number = exact(value)
        except (ValueError, TypeError):
            raise RangeError("is not a finite number", field=field, value=value, allowed=allowed) from None
    else:
        number = exact(as_quantity(value, field, "duration").to(day).magnitude)
    if number.denominator != 1 or number < minimum or number > maximum:
        raise RangeError("must be a whole number of days" if number.denominator != 1 else
                         f"must be at least {minimum} day{'s' if minimum != 1 else ''}" if number < minimum
                         else f"is more than {maximum} days", field=field, value=value, allowed=allowed)
    return int(number)


def regimen_stages(start: Any, step: Any, every: Any, target: Any, maintain: Any, *,
                   max_stages: int | None = None, warnings: list[str] | None = None,
                   ref: Reference | None = None) -> tuple[tuple[pint.Quantity, int], ...]:
    """(dose [mg], days) for start, start + step, … every ``every`` days, capped at ``target``,
    then ``maintain`` days at the target. Refuses a step that never reaches the target."""
    ref = ref or reference()
    max_stages = max_stages or liquid_data().max_stages
    first = check_dose(start, "start", ref)
    goal = check_dose(target, "target", ref)
    interval = _days(every, "every")
    hold = _days(maintain, "maintain")
    if first > goal:
        raise RangeError("is above the target: a titration goes up to its target", field="start",
                         value=first, allowed=f"at most the target, {format_quantity(goal)}")
    if first == goal:
        return ((goal, hold),)
    inc = as_quantity(step, "step", "mass").to(mg)
    if inc.magnitude <= 0:
        raise CalculationError("never reaches the target: the step must be greater than zero",
                               field="step", value=inc,
                               allowed=f"a positive dose step, e.g. {format_quantity(goal - first)} or less")
    top = ref.strength_maximum.quantity.to(mg)
    if inc > top:  # "1.5 g" for "1.5 mg": a step bigger than the whole LDN range is a unit slip
        raise RangeError("is larger than the whole LDN dose range; is it in the right unit?", field="step",
                         value=step if isinstance(step, str) else inc,
                         allowed=f"a dose step above 0 mg and at most {format_quantity(top)}")
    count = math.ceil(exact(((goal - first) / inc).to(dimensionless).magnitude))
    if count + 1 > max_stages:
        raise CalculationError(f"never reaches the target within {max_stages} stages "
                               f"({count + 1} would be needed); is the step in the right unit?",
                               field="step", value=inc, allowed=f"a step of at least "
                               f"{format_quantity((goal - first) / (max_stages - 1))}")
    stages = [(first + inc * k, interval) for k in range(count)]
    if warnings is not None and (first + inc * count) != goal:
        warnings.append(f"The last step is smaller than {format_quantity(inc)}: "
                        f"{format_quantity(stages[-1][0])} to the target {format_quantity(goal)}.")
    return tuple(stages) + ((goal, hold),)


def split_stages(value: Any, field: str = "stages") -> Sequence[tuple[Any, Any]]:
    """``"1.5mg:14,3mg:14"`` as [("1.5mg", "14"), ("3mg", "14")]; a sequence of pairs as it is."""
    if not isinstance(value, str):
        return value
    pairs = []
    for part in [p for p in value.split(",") if p.strip()]:
        if part.count(":") != 1:
            raise InputError("must be dose:days pairs separated by commas", field=field, value=value,
                             allowed="e.g. 1.5mg:14,3mg:14,4.5mg:28")
        pairs.append(tuple(x.strip() for x in part.split(":")))
    return pairs


def parse_stages(value: Any, field: str = "stages", ref: Reference | None = None,
                 data: LiquidData | None = None) -> tuple[tuple[pint.Quantity, int], ...]:
    """Explicit stages: ``"1.5mg:14,3mg:14,4.5mg:28"`` or a sequence of (dose, days) pairs."""
    value = split_stages(value, field)
    if not value:
        raise InputError("is empty", field=field, allowed="at least one dose:days stage, e.g. 1.5mg:14,3mg:14")
    most = (data or liquid_data()).max_stages
    if len(value) > most:
        raise InputError(f"has {len(value)} stages, more than {most}", field=field,
                         allowed=f"at most {most} dose:days stages")
    return tuple((check_dose(d, f"{field}[{i}].dose", ref), _days(n, f"{field}[{i}].days"))
                 for i, (d, n) in enumerate(value))


# --- capsules (or any unit dose) --------------------------------------------------------------

def units_per_strength(stages: Iterable[tuple[Any, Any]], strengths: Sequence[tuple[Any, int]]
                       ) -> tuple[tuple[pint.Quantity, Fraction], ...]:
    """Units of each strength to dispense for ``stages`` of (daily dose, days).

    ``strengths`` are (strength [mass], divisions): divisions 2 for a scored tablet that may be
    halved, 1 for a capsule. Each dose is made up from the largest strength down (in whole
    divisions); a dose that cannot be made exactly is refused. Works for any drug (TT-04).
    """
    parts = sorted(((as_quantity(s, "strength", "mass").to(mg), int(n)) for s, n in strengths),
                   key=lambda p: -p[0].magnitude)
    totals = {s.magnitude: Fraction(0) for s, _ in parts}
    for dose, days in stages:
        rest = as_quantity(dose, "dose", "mass").to(mg).magnitude
        n_days = _days(days, "days")
        for s, n in parts:
            piece = s.magnitude / n
            count = math.floor(rest / piece)
            totals[s.magnitude] += Fraction(count, n) * n_days
            rest -= count * piece
        if rest != 0:
            raise CalculationError("cannot be made from the strengths available", field="dose",
                                   value=dose, allowed=", ".join(format_quantity(s) for s, _ in parts))
    return tuple((s, totals[s.magnitude]) for s, _ in sorted(parts, key=lambda p: p[0].magnitude))


def capsules_per_strength(stages: Iterable[tuple[pint.Quantity, int]]) -> tuple[tuple[pint.Quantity, int], ...]:
    """One capsule per dose of that dose's strength: (strength [mg], capsules), lowest first."""
    counts: dict[Fraction, int] = {}
    for dose, days in stages:
        m = dose.to(mg).magnitude
        counts[m] = counts.get(m, 0) + days
    return tuple((Q(m, mg), counts[m]) for m in sorted(counts))


def single_strength(stages: Sequence[tuple[pint.Quantity, int]]) -> tuple[pint.Quantity, int] | None:
    """(lowest dose, capsules) when every dose is a whole multiple of the lowest, else None."""
    low = min(d.to(mg).magnitude for d, _ in stages)
    total = 0
    for dose, days in stages:
        ratio = dose.to(mg).magnitude / low
        if ratio.denominator != 1:
            return None
        total += int(ratio) * days
    return Q(low, mg), total


# --- liquid fills -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Fill:
    """One bottle: made on ``date`` for plan days ``first_day``..``last_day``."""

    number: int
    date: dt.date
    first_day: int
    last_day: int
    naltrexone_hcl: pint.Quantity  # mg
    volume: pint.Quantity  # mL (with any overage)
    tablets_equivalent: Fraction

    @property
    def days(self) -> int:
        return self.last_day - self.first_day + 1

    def as_dict(self) -> dict[str, Any]:
        return {"fill": self.number, "date": self.date.isoformat(), "first_day": self.first_day,
                "last_day": self.last_day, "days": self.days,
                "naltrexone_hcl": to_jsonable(self.naltrexone_hcl), "volume": to_jsonable(self.volume),
                "tablets_equivalent": to_jsonable(self.tablets_equivalent)}


def liquid_fills(daily_doses: Sequence[pint.Quantity], concentration: pint.Quantity, bud_days: int,
                 start_date: dt.date, *, overage: Fraction = Fraction(0),
                 tablet_strength: pint.Quantity | None = None, ref: Reference | None = None) -> tuple[Fill, ...]:
    """Split a day-by-day dose list into fills of at most ``bud_days`` days each; each fill's
    volume [mL] = Σ doses ÷ concentration × (1 + overage)."""
    strength = (tablet_strength or (ref or reference()).tablet.strength.quantity).to(mg / tablet)
    fills = []
    for number, first in enumerate(range(0, len(daily_doses), bud_days), 1):
        period = daily_doses[first:first + bud_days]
        drug = sum(period[1:], period[0]).to(mg) * (1 + overage)
        fills.append(Fill(number, start_date + dt.timedelta(days=first), first + 1, first + len(period),
                          drug, (drug / concentration).to(mL),
                          exact((drug / strength).to(tablet).magnitude)))
    return tuple(fills)


# --- the plan ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChartDay:
    day: int
    date: dt.date
    dose: pint.Quantity
    capsule: pint.Quantity | None  # strength of the one capsule to take
    volume: pint.Quantity | None  # liquid: mL to measure
    syringe: Syringe | None
    fill: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day, "date": self.date.isoformat(), "dose": to_jsonable(self.dose),
                "capsule": to_jsonable(self.capsule), "volume": to_jsonable(self.volume),
                "syringe": self.syringe.name if self.syringe else None, "fill": self.fill}


@dataclass(frozen=True)
class TitrationPlan:
    form: str
    preset: str | None
    start_date: dt.date
    stages: tuple[Stage, ...]
    total_days: int
    total_drug: pint.Quantity
    capsules_per_strength: tuple[tuple[pint.Quantity, int], ...] | None
    single_strength: tuple[pint.Quantity, int] | None
    concentration: pint.Quantity | None
    vehicle: str | None
    bud_days: int | None
    total_volume: pint.Quantity | None
    fills: tuple[Fill, ...] | None
    recommended_concentration: pint.Quantity | None
    chart: tuple[ChartDay, ...]
    warnings: tuple[str, ...]
    trace: tuple[Step, ...]
    order: Any = None  # the TitrationOrder it was computed from (orders.py), defaults filled in
    reference_hash: str | None = None  # of the reference-data bundle used (bundle.py)
    engine_version: str = ENGINE_VERSION

    def as_dict(self) -> dict[str, Any]:
        j = to_jsonable
        caps = None if self.capsules_per_strength is None else [
            {"strength": j(s), "count": n} for s, n in self.capsules_per_strength]
        single = None if self.single_strength is None else {
            "strength": j(self.single_strength[0]), "count": self.single_strength[1]}
        return {"form": self.form, "preset": self.preset, "start_date": self.start_date.isoformat(),
                "stages": [s.as_dict() for s in self.stages], "total_days": self.total_days,
                "total_drug": j(self.total_drug), "capsules_per_strength": caps, "single_strength": single,
                "concentration": j(self.concentration), "vehicle": self.vehicle, "bud_days": self.bud_days,
                "total_volume": j(self.total_volume),
                "fills": None if self.fills is None else [f.as_dict() for f in self.fills],
                "recommended_concentration": j(self.recommended_concentration),
                "chart": [c.as_dict() for c in self.chart], "warnings": list(self.warnings),
                "trace": [s.as_dict() for s in self.trace]}


def plan_titration(*, start: Any = None, step: Any = None, every: Any = None, target: Any = None,
                   maintain: Any = None, stages: Any = None, preset: str | None = None,
                   form: str = "capsules", concentration: Any = None, vehicle: str = "purified_water",
                   start_date: Any = None, overage: Any = None, ref: Reference | None = None,
                   data: LiquidData | None = None, bundle: Any = None) -> TitrationPlan:
    """Plan a titration [doses mg, intervals days, concentration mg/mL].

    Give ``stages`` (explicit), or a ``preset`` (regimens.toml) and/or start, step, every, target,
    maintain (these override the preset's). ``maintain`` defaults to one interval. ``form`` is
    ``capsules`` or ``liquid``; a liquid uses ``concentration`` (default: the preferred standard
    concentration, 1 mg/mL) in ``vehicle`` and is split into fills within the vehicle's BUD.
    ``overage`` (e.g. "5%") is added to each fill's volume; none by default. ``bundle``: the reference
    data (:mod:`.bundle`; default the shipped data), whose hash the plan records; no ``start_date``
    means today, read here (the caller's clock), never deeper.
    """
    from .bundle import hash_of, shipped_bundle

    bundle = bundle or shipped_bundle()
    ref, data = ref or bundle.reference, data or bundle.liquid
    ref_hash = hash_of(bundle, ref=ref, data=data)  # None when ref= or data= overrides the bundle's
    start_date = dt.date.today() if start_date is None else start_date
    if form not in FORMS:
        raise InputError("is not a known form", field="form", value=form, allowed=", ".join(FORMS))
    trace, warnings = Trace(), []
    begin = parse_date(start_date, "start_date")
    pairs = _stage_pairs(start, step, every, target, maintain, stages, preset, data, ref, warnings)
    daily: list[pint.Quantity] = [d for d, n in pairs for _ in range(n)]
    total_days = trace.add("total_days", "Σ stage days", len(daily),
                           **{f"stage_{i + 1}": Q(n, day) for i, (_, n) in enumerate(pairs)})
    total_drug = trace.add("total_drug", "Σ dose × days",
                           sum((d * n for d, n in pairs[1:]), pairs[0][0] * pairs[0][1]).to(mg))

    conc = veh_key = bud_days = total_volume = fills = recommended = None
    caps = single = None
    rows: dict[Fraction, DoseVolume] = {}
    if form == "capsules":
        caps = capsules_per_strength(pairs)
        single = single_strength(pairs)
        for s, n in caps:
            trace.add(f"capsules_{format_quantity(s).replace(' ', '')}", "days at that dose × 1 capsule",
                      Q(n, "capsule"), detail=format_quantity(s))
        if single is not None:
            trace.add("single_strength", "Σ days × dose ÷ lowest dose", Q(single[1], "capsule"),
                      detail=f"{format_quantity(single[0])} capsules only")
        _capsule_bud_warning(pairs, ref, warnings)
    else:
        conc = (data.standard_concentrations[0].quantity.to(mg_per_mL) if concentration is None else
                check_concentration(concentration))
        veh = data.vehicle(vehicle)
        veh_key = veh.key
        bud_days = int(ref.bud_category(veh.bud_category).days.quantity.to(day).magnitude)
        doses = sorted({d.magnitude for d, _ in pairs})
        table = dose_volume_table([Q(m, mg) for m in doses], conc, syringes=data.syringes,
                                  minimum_dose_volume=data.minimum_dose_volume.quantity)
        rows = {r.dose.magnitude: r for r in table}
        total_volume = trace.add("total_volume", "total drug ÷ concentration",
                                 (total_drug / conc).to(mL), total_drug=total_drug, concentration=conc)
        extra = Fraction(0) if overage is None else _overage(overage)
        fills = liquid_fills(daily, conc, bud_days, begin, overage=extra, ref=ref)
        trace.add("fills", "ceil(total days ÷ BUD days)", len(fills),
                  detail=f"so no bottle outlives its BUD of {bud_days} days", total_days=Q(total_days, day), bud_days=Q(bud_days, day))
        recommended = _liquid_warnings(table, conc, data, warnings)
    out_stages, first = [], 1
    for d, n in pairs:
        out_stages.append(Stage(d, n, first, begin + dt.timedelta(days=first - 1), rows.get(d.magnitude)))
        first += n
    chart = _chart(daily, begin, form, rows, fills)
    plan = TitrationPlan(form, preset, begin, tuple(out_stages), total_days, total_drug, caps, single,
                         conc, veh_key, bud_days, total_volume, fills, recommended, chart,
                         tuple(warnings), trace.freeze(), reference_hash=ref_hash)
    return _with_order(plan, dict(start=start, step=step, every=every, target=target, maintain=maintain,
                                  stages=stages, preset=preset, form=form, concentration=concentration,
                                  vehicle=vehicle, start_date=start_date, overage=overage))


def _with_order(plan: TitrationPlan, inputs: dict[str, Any]) -> TitrationPlan:
    """The plan carrying its order: the inputs, with the defaults the plan chose filled in."""
    from dataclasses import replace

    from .orders import TitrationOrder, resolved

    order = resolved(TitrationOrder.from_text(**inputs), start_date=plan.start_date,
                     concentration=plan.concentration)
    return replace(plan, order=order)


def _stage_pairs(start, step, every, target, maintain, stages, preset, data, ref, warnings):
    if stages is not None:
        if any(v is not None for v in (start, step, every, target, maintain, preset)):
            raise InputError("give either explicit stages or a regimen, not both", field="stages",
                             value=stages, allowed="stages alone, or start/step/every/target/maintain")
        return parse_stages(stages, ref=ref, data=data)
    if preset is not None:
        r = data.regimen(preset)
        start = r.start.quantity if start is None else start
        step = r.step.quantity if step is None else step
        every = r.every.quantity if every is None else every
        target = r.target.quantity if target is None else target
        maintain = r.maintain.quantity if maintain is None else maintain
    for name, v in (("start", start), ("target", target), ("every", every)):
        if v is None:
            raise InputError("is missing", field=name,
                             allowed="start, step, every and target (or a preset, or explicit stages)")
    if step is None:
        step = Q(0, mg)
    if maintain is None:
        maintain = every
    return regimen_stages(start, step, every, target, maintain, max_stages=data.max_stages,
                          warnings=warnings, ref=ref)


def _overage(value: Any) -> Fraction:
    from .units import as_fraction

    return as_fraction(value, "overage", low=Fraction(0), high=Fraction(1, 2), allowed="0% to 50%, e.g. 5%")


def _capsule_bud_warning(pairs, ref: Reference, warnings: list[str]) -> None:
    bud = int(ref.bud_category("nonaqueous_solid").days.quantity.to(day).magnitude)
    first: dict[Fraction, int] = {}
    last: dict[Fraction, int] = {}
    day_no = 1
    for d, n in pairs:
        first.setdefault(d.magnitude, day_no)
        last[d.magnitude] = day_no + n - 1
        day_no += n
    for m in first:
        if last[m] - first[m] + 1 > bud:
            warnings.append(f"{format_quantity(Q(m, mg))} capsules are needed over more than their BUD "
                            f"of {bud} days: dispense them in more than one batch.")


def _liquid_warnings(table: tuple[DoseVolume, ...], conc: pint.Quantity, data: LiquidData,
                     warnings: list[str]) -> pint.Quantity | None:
    bad = [r for r in table if not r.measurable]
    if not bad:
        return None
    shown = ", ".join(f"{format_quantity(r.dose)} = {format_quantity(r.volume)}" for r in bad)
    warnings.append(f"At {format_quantity(conc)} these doses do not land on a syringe graduation or are "
                    f"too small to measure: {shown}.")
    recommended = recommend_concentration([r.dose for r in table], syringes=data.syringes,
                                          candidates=[f.quantity for f in data.standard_concentrations],
                                          minimum_dose_volume=data.minimum_dose_volume.quantity)
    if recommended is None:
        warnings.append("None of the standard concentrations makes every dose of the plan measurable.")
    else:
        warnings.append(f"Recommended concentration: {format_quantity(recommended)}. Several concentrations "
                        "in circulation is a ten-fold-error risk: print the concentration unmistakably.")
    return recommended


def _chart(daily, begin, form, rows, fills) -> tuple[ChartDay, ...]:
    fill_of = {}
    for f in fills or ():
        for k in range(f.first_day, f.last_day + 1):
            fill_of[k] = f.number
    out = []
    for i, d in enumerate(daily, 1):
        row = rows.get(d.magnitude)
        out.append(ChartDay(i, begin + dt.timedelta(days=i - 1), d, d if form == "capsules" else None,
                            row.volume if row else None, row.syringe if row else None, fill_of.get(i)))
    return tuple(out)
