"""Liquid aliquots: naltrexone HCl powder below the balance's MWQ, dissolved to a stock solution of
which a measured volume goes into the batch (domain.md §6, the aliquot method with a solvent).

The measurability rule (README, conventions):

* the stock is made up to volume in a volumetric flask of the reference data (measuring.toml);
* every volume the plan asks to measure is measured with a device of the reference data (oral
  syringes, graduated cylinders, volumetric pipettes): a whole number of its graduations, at least
  its minimum, at most its capacity, and no more than the batch has room for;
* the stock's naltrexone HCl concentration is at most its solubility in the solvent (vehicles.toml);
* the powder weighed is at least the MWQ, rounded up to a weighing step (:func:`weighing_step`);
* the drug the plan delivers, computed from the amounts as shown (the rounded weight and volumes),
  is within the liquid's limits (qc.toml, 95-105 % of the target).

One stage when one can; otherwise two (a measured volume of the first stock is diluted in a second
flask); otherwise no plan (the caller refuses with the reason). Among the plans that satisfy the
rule, the one weighing the least powder wins, then the one closest to the target, then the smaller
flask. Where no plan weighs its exact amount rounded up (the exact amount falls just below the MWQ
for every ratio the devices give), the MWQ itself is weighed and the plan delivers a little more,
within the limits. Exact Fraction arithmetic throughout.
"""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pint

from .display import format_quantity, places_for, round_half_up
from .jsonout import to_jsonable
from .liquid_data import Device, LiquidData
from .units import Q, dimensionless, mg, mg_per_mL, mL, percent

__all__ = ["LiquidStage", "LiquidAliquot", "weighing_step", "plan_liquid_aliquot"]


@dataclass(frozen=True)
class LiquidStage:
    """Make up to ``made_up_to`` in ``flask`` (giving ``concentration`` of powder), then measure
    ``volume_to_take`` of it with ``device``."""

    flask: Device
    made_up_to: pint.Quantity  # mL
    concentration: pint.Quantity  # mg of powder per mL
    volume_to_take: pint.Quantity  # mL
    device: Device

    def as_dict(self) -> dict[str, Any]:
        return {"flask": self.flask.name, "made_up_to": to_jsonable(self.made_up_to),
                "concentration": to_jsonable(self.concentration),
                "volume_to_take": to_jsonable(self.volume_to_take), "measured_with": self.device.name,
                "device_graduation": to_jsonable(self.device.graduation),
                "device_minimum": to_jsonable(self.device.minimum)}


@dataclass(frozen=True)
class LiquidAliquot:
    """Weigh ``api_to_weigh``, dissolve in the solvent to ``stock_volume`` (stage 1), dilute further
    where there is a second stage, and measure ``stock_volume_to_take`` of the last stock into the
    batch. ``factor`` = powder weighed ÷ powder measured into the batch."""

    factor: Fraction
    api_to_weigh: pint.Quantity  # mg
    stock_volume: pint.Quantity  # mL, stage 1
    stock_concentration: pint.Quantity  # mg/mL of powder, stage 1
    stock_volume_to_take: pint.Quantity  # mL of the last stock, into the batch
    stages: tuple[LiquidStage, ...] = ()
    required: pint.Quantity | None = None  # mg of powder the batch needs
    powder_delivered: pint.Quantity | None = None  # mg, from the amounts as shown
    solvent: str = "purified water"

    @property
    def percent_of_target(self) -> Fraction:
        return Fraction((self.powder_delivered / self.required).to(dimensionless).magnitude)

    def instructions(self) -> tuple[str, ...]:
        """The steps in words, each amount as shown (the amounts the delivered drug is computed from)."""
        out = [f"Weigh {format_quantity(self.api_to_weigh)} of the powder."]
        for i, s in enumerate(self.stages):
            made = (f"make up to {format_quantity(s.made_up_to)} with {self.solvent} "
                    f"({format_quantity(s.concentration)}); mix well.")
            if i == 0:
                out.append(f"Dissolve it in a little {self.solvent} in a {s.flask.name} and {made}")
            else:
                prev = self.stages[i - 1]
                out[-1] = (f"Measure {format_quantity(prev.volume_to_take)} of it with a {prev.device.name} "
                           f"into a {s.flask.name} and {made}")
            out.append(f"Measure {format_quantity(s.volume_to_take)} of it with a {s.device.name} into the batch.")
        return tuple(out)

    def as_dict(self) -> dict[str, Any]:
        out = {k: to_jsonable(getattr(self, k)) for k in
               ("factor", "api_to_weigh", "stock_volume", "stock_concentration", "stock_volume_to_take")}
        out.update({"stages": [s.as_dict() for s in self.stages],
                    "powder_delivered": to_jsonable(self.powder_delivered),
                    "percent_of_target": to_jsonable(Q(self.percent_of_target, dimensionless).to(percent)),
                    "instructions": list(self.instructions())})
        return out


def weighing_step(mwq: pint.Quantity) -> pint.Quantity:
    """The step the powder to weigh is rounded up to: the power of ten at most 1 % of the MWQ, and at
    least 0.01 mg (what a mass shows). 1 mg for a Class III balance (MWQ 120 mg), 0.1 mg for a 0.1 mg
    analytical balance (MWQ 82 mg). Rounding up by less than 1 % keeps the weighing at or above the
    MWQ and the dose within limits."""
    limit = Fraction(mwq.to(mg).magnitude) / 100
    step = Fraction(1, 100)
    while step * 10 <= limit:
        step *= 10
    return Q(step, mg)


def _up(value: Fraction, step: Fraction) -> Fraction:
    return -(-value // step) * step


@dataclass(frozen=True)
class _Option:
    """One stage: make up to ``size`` [mL] in ``flask``, then measure ``take`` [mL] with ``device``."""

    ratio: Fraction  # take ÷ size
    flask: Device
    size: Fraction
    take: Fraction
    device: Device


class _Options:
    """Every (flask, measured volume) pair of one stage of one data set, by ratio. A volume must show
    as it is (no rounding on the sheet) and leave solvent to add (take < size)."""

    def __init__(self, data: LiquidData) -> None:
        places = places_for("mL")
        out = []
        for flask in data.flasks:
            size = Fraction(flask.capacity.to(mL).magnitude)
            out += [_Option(v / size, flask, size, v, device) for v, device in data.marks
                    if v < size and round_half_up(v, places) == v]
        self.all = sorted(out, key=lambda o: (o.ratio, o.size))
        self.keys = [float(o.ratio) for o in self.all]
        # for each second-stage flask: the first stages whose measured volume fits in it with solvent to add
        self.fitting = {}
        for flask in data.flasks:
            size = Fraction(flask.capacity.to(mL).magnitude)
            fits = [o for o in self.all if o.take < size]
            self.fitting[size] = (fits, [float(o.ratio) for o in fits])


_CACHE: dict[int, tuple[LiquidData, _Options]] = {}


def _options(data: LiquidData) -> _Options:
    hit = _CACHE.get(id(data))
    if hit is None or hit[0] is not data:  # keeping ``data`` alive keeps its id from being reused
        if len(_CACHE) > 8:
            _CACHE.clear()
        hit = _CACHE[id(data)] = (data, _Options(data))
    return hit[1]


def _largest_first(options: list[_Option], keys: list[float], limit: Fraction, scan: int = 60):
    """The options whose ratio is at most ``limit`` (a float bound, checked exactly later), largest first."""
    i = bisect.bisect_right(keys, float(limit) * (1 + 1e-9))
    return reversed(options[max(i - scan, 0):i])


@dataclass(frozen=True)
class _Rules:
    required: Fraction  # mg of powder
    mwq: Fraction
    step: Fraction
    content: Fraction
    solubility: Fraction
    limits: tuple[Fraction, Fraction]

    at_least_mwq: bool = False

    @property
    def floor(self) -> Fraction:
        """The least exact weight a plan may need. Below ``mwq - step`` the exact weight rounds up to less
        than the MWQ; in the fallback (weigh the MWQ instead), below ``mwq ÷ upper limit`` the MWQ
        delivers more than the upper limit."""
        return self.mwq / self.limits[1] if self.at_least_mwq else self.mwq - self.step

    def plan(self, chain: tuple[_Option, ...]) -> tuple | None:
        """(sort key, powder to weigh, powder delivered) for a chain of stages; None when a rule is broken."""
        ratio = Fraction(1)
        for o in chain:
            ratio *= o.ratio
        weigh = _up(self.required / ratio, self.step)
        if self.at_least_mwq:  # the fallback: weigh the MWQ (rounded up to the step), deliver a little more
            weigh = max(weigh, _up(self.mwq, self.step))
        if weigh < self.mwq or weigh * self.content / chain[0].size > self.solubility:
            return None  # the first stock is the most concentrated: it must stay a solution
        delivered = weigh * ratio
        share = delivered / self.required
        if not (self.limits[0] <= share <= self.limits[1]):
            return None
        return (weigh, abs(share - 1), sum(o.size for o in chain), -chain[-1].take), weigh, delivered


def _build(chain: tuple[_Option, ...], weigh: Fraction, delivered: Fraction, required: Fraction,
           solvent: str) -> LiquidAliquot:
    stages, conc = [], weigh
    for o in chain:
        conc = conc / o.size
        stages.append(LiquidStage(o.flask, Q(o.size, mL), Q(conc, mg_per_mL), Q(o.take, mL), o.device))
        conc = conc * o.take
    first = stages[0]
    return LiquidAliquot(weigh / delivered, Q(weigh, mg), first.made_up_to, first.concentration,
                         stages[-1].volume_to_take, tuple(stages), Q(required, mg), Q(delivered, mg), solvent)


def plan_liquid_aliquot(required: pint.Quantity, mwq: pint.Quantity, *, data: LiquidData,
                        room: pint.Quantity | None, content: Fraction = Fraction(1),
                        limits: tuple[Fraction, Fraction] = (Fraction(95, 100), Fraction(105, 100)),
                        ) -> LiquidAliquot | None:
    """A one- or two-stage stock-solution plan delivering ``required`` [mg of powder], or None.

    ``room`` [mL]: the most liquid the batch can take (the final volume less the other liquids of
    the vehicle). ``content``: mg of naltrexone HCl per mg of powder (potency ÷ salt factor), for the
    solubility. ``limits``: the delivered share of ``required`` allowed (qc.toml).
    """
    rules = _Rules(Fraction(required.to(mg).magnitude), Fraction(mwq.to(mg).magnitude),
                   Fraction(weighing_step(mwq).magnitude), content,
                   Fraction(data.solubility.quantity.to(mg_per_mL).magnitude), limits)
    opts = _options(data)
    if rules.mwq * rules.content > rules.solubility * max(o.size for o in opts.all):
        return None  # even the MWQ does not dissolve in the largest flask
    space = None if room is None else Fraction(room.to(mL).magnitude)
    last = [o for o in opts.all if space is None or o.take <= space]
    found = _one_stage(rules, opts, space) or _two_stages(rules, opts, last)
    if found is None:  # no plan weighs its exact amount rounded up: try weighing the MWQ and delivering more
        rules = dataclasses.replace(rules, at_least_mwq=True)
        found = _one_stage(rules, opts, space) or _two_stages(rules, opts, last)
    if found is None:
        return None
    (_, weigh, delivered), chain = found
    return _build(chain, weigh, delivered, rules.required, data.stock_solvent)


def _one_stage(rules: _Rules, opts: _Options, space: Fraction | None):
    """The largest ratio that still weighs at least the MWQ weighs the least powder; among plans that
    weigh the same, the one closest to the target."""
    best = None
    for o in _largest_first(opts.all, opts.keys, rules.required / rules.floor, scan=len(opts.all)):
        if space is not None and o.take > space:
            continue
        p = rules.plan((o,))
        if p is None:
            continue
        if best is not None and p[1] > best[0][1]:
            break  # smaller ratios weigh more
        if best is None or p[0] < best[0][0]:
            best = (p, (o,))
    return best


def _two_stages(rules: _Rules, opts: _Options, last: list[_Option]):
    """For each way of measuring into the batch, the first stages with the largest ratios that still
    weigh at least the MWQ (the least powder); the best of these."""
    best = None
    for o2 in last:
        fits, keys = opts.fitting[o2.size]
        n = 0
        for o1 in _largest_first(fits, keys, rules.required / (rules.floor * o2.ratio)):
            p = rules.plan((o1, o2))
            if p is None:
                continue
            if n and p[1] > least:
                break  # smaller ratios weigh more
            if best is None or p[0] < best[0][0]:
                best = (p, (o1, o2))
            if n == 0:
                least = p[1]
            n += 1
    return best
