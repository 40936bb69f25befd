"""Oral liquids of naltrexone HCl: preparation, dose-volume table, oral syringes, concentration choice.

Two sources (domain.md §3):

* **tablets** — commercial 50 mg naltrexone HCl tablets dispersed in a vehicle. Any two of number of
  tablets, concentration and final volume give the third. When the drug needed is not a whole
  number of tablets, whole tablets are crushed and the powder holding the drug is weighed:
  powder [mg] = drug needed [mg] × average tablet weight [mg/tablet] ÷ tablet strength [mg/tablet]
  (JCU PC3300 §4.3.2). Tablet excipients do not dissolve: the liquid is a suspension ("shake well").
* **api** — naltrexone HCl powder, a true solution in aqueous vehicles (solubility ≈ 100 mg/mL);
  amount to weigh = drug × salt factor ÷ as-is potency, checked against the balance's MWQ.

Every quantity is exact (Fraction magnitudes); rounding happens only for display. Volumes are mL,
concentrations mg/mL, masses mg, doses mg of naltrexone HCl (anhydrous).

References: Fawcett JP et al., Ann Pharmacother 1997;31:1291; USP <795> (2023) Table 4; USP <41>.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Sequence

import pint

from . import __version__ as ENGINE_VERSION
from .bud import BeyondUseDate, beyond_use_date, parse_date
from .display import format_number, format_quantity
from .drug import DrugContent, drug_content, refuse_other_source_inputs
from .errors import CalculationError, InputError, RangeError
from .jsonout import to_jsonable
from .liquid_aliquot import LiquidAliquot, LiquidStage, plan_liquid_aliquot
from .liquid_data import LiquidData, Syringe, Vehicle, liquid_data
from .reference import Reference, reference
from .trace import Step, Trace
from .weighing import entered_mwq
from .units import (Q, as_count, as_fraction, as_quantity, day, dimensionless, exact, mg, mg_per_mL,
                    mg_per_tablet, mL, percent, tablet)

__all__ = ["SOURCES", "check_dose", "parse_doses", "average_tablet_weight", "TabletPowder",
           "tablet_powder", "choose_syringe", "is_on_graduation", "DoseVolume", "dose_volume_table",
           "recommend_concentration", "ComponentAmount", "LiquidAliquot", "LiquidStage", "LiquidPreparation",
           "prepare_liquid"]

SOURCES = ("tablets", "api")


# --- small checks ---------------------------------------------------------------------------------

def _positive(q: pint.Quantity, field: str, allowed: str) -> pint.Quantity:
    if q.magnitude <= 0:
        raise RangeError("must be greater than zero", field=field, value=q, allowed=allowed)
    return q


def check_dose(value: Any, field: str = "dose", ref: Reference | None = None) -> pint.Quantity:
    """A dose of naltrexone HCl [mg], refused outside the LDN range 0.1-4.5 mg (naltrexone.toml)."""
    ref = ref or reference()
    dose = as_quantity(value, field, "mass").to(mg)
    low, high = ref.strength_minimum.quantity.to(mg), ref.strength_maximum.quantity.to(mg)
    if not (low <= dose <= high):
        raise RangeError("is outside the low-dose naltrexone (LDN) range", field=field, value=dose,
                         allowed=f"{format_quantity(low)} to {format_quantity(high)} (the LDN range)")
    return dose


def parse_doses(value: Any, field: str = "doses", ref: Reference | None = None) -> tuple[pint.Quantity, ...]:
    """Doses as ``"0.5mg,1.5mg,4.5mg"`` or a sequence of quantities/texts; each in the LDN range."""
    if value is None:
        return ()
    items: Iterable[Any] = [p for p in value.split(",") if p.strip()] if isinstance(value, str) else value
    doses = tuple(check_dose(v, field, ref) for v in items)
    unique = {d.magnitude: d for d in doses}  # all in mg; pint quantities do not hash here
    return tuple(unique[k] for k in sorted(unique))


def _mass_per_tablet(value: Any, field: str) -> pint.Quantity:
    q = as_quantity(value, field, "mass_per_tablet").to(mg_per_tablet)
    return _positive(q, field, "a mass per tablet greater than zero, e.g. 321 mg")


# Sanity limits on what is typed (conventions, not pharmacopoeial figures): outside them the value
# is a slip of unit or digit ("1 g/mL" for "1 mg/mL", "50 L" for "50 mL"), not a liquid to make.
CONCENTRATION_RANGE = (Q(Fraction(1, 100), mg_per_mL), Q(500, mg_per_mL))
VOLUME_RANGE = (Q(1, mL), Q(1000, mL))
MAX_TABLETS = 100
MAX_TABLET_WEIGHT = Q(2000, mg_per_tablet)


def _within(q: pint.Quantity, field: str, value: Any, low: pint.Quantity, high: pint.Quantity,
            what: str) -> pint.Quantity:
    if not (low <= q <= high):
        raise RangeError("must be greater than zero" if q.magnitude <= 0 else "is out of range", field=field,
                         value=value if isinstance(value, str) else q,
                         allowed=f"{what} from {format_quantity(low)} to {format_quantity(high)}")
    return q


def check_concentration(value: Any, field: str = "concentration") -> pint.Quantity:
    """A liquid concentration [mg/mL] within CONCENTRATION_RANGE."""
    q = as_quantity(value, field, "concentration").to(mg_per_mL)
    return _within(q, field, value, *CONCENTRATION_RANGE, "a concentration")


def _tablet_weight(value: Any, strength: pint.Quantity) -> pint.Quantity:
    """A measured average tablet weight: at least the drug it holds, at most 2 g (as for capsules)."""
    q = as_quantity(value, "tablet_weight", "mass_per_tablet").to(mg_per_tablet)
    return _within(q, "tablet_weight", value, strength, MAX_TABLET_WEIGHT, "a mass per tablet")


# --- tablets: whole, or crushed and weighed -------------------------------------------------------

def average_tablet_weight(total_weight: Any, tablets_weighed: Any) -> pint.Quantity:
    """Average tablet weight [mg/tablet] = weight of the tablets weighed ÷ their number."""
    total = _positive(as_quantity(total_weight, "weight_of_tablets", "mass").to(mg), "weight_of_tablets",
                      "a mass greater than zero")
    n = as_count(tablets_weighed, "tablets_weighed", tablet)
    return (total / n).to(mg_per_tablet)


@dataclass(frozen=True)
class TabletPowder:
    """Crushed-tablet powder holding ``drug_required`` (JCU PC3300 §4.3.2; domain.md §3)."""

    drug_required: pint.Quantity  # mg
    tablet_strength: pint.Quantity  # mg/tablet
    tablets_equivalent: Fraction  # tablets (may be fractional; a plain number so 0.9 never shows as 1)
    tablets_to_crush: pint.Quantity  # whole tablets
    average_tablet_weight: pint.Quantity  # mg/tablet
    powder_to_weigh: pint.Quantity  # mg


def tablet_powder(drug_required: Any, tablet_strength: Any, average_weight: Any,
                  trace: Trace | None = None) -> TabletPowder:
    """Powder [mg] = drug [mg] × average tablet weight [mg/tablet] ÷ tablet strength [mg/tablet].

    Works for any tablet (the strength is a parameter): 2400 mg paracetamol from 500 mg tablets
    weighing 555.875 mg on average is 4.8 tablets, crush 5, weigh 2668.2 mg.
    """
    trace = trace if trace is not None else Trace()
    drug = _positive(as_quantity(drug_required, "naltrexone_hcl", "mass").to(mg), "naltrexone_hcl",
                     "a mass greater than zero")
    strength = _mass_per_tablet(tablet_strength, "tablet_strength")
    weight = _mass_per_tablet(average_weight, "tablet_weight")
    if weight < strength:
        raise RangeError("is less than the drug each tablet holds; check the weighing",
                         field="tablet_weight", value=weight,
                         allowed=f"at least the tablet strength, {format_quantity(strength)} per tablet")
    equivalent = trace.add("tablets_equivalent", "Tablets holding the drug", "drug ÷ tablet strength",
                           exact((drug / strength).to(tablet).magnitude), drug=drug, tablet_strength=strength)
    crush = trace.add("tablets_to_crush", "Whole tablets to crush", "round up (tablets equivalent)",
                      Q(math.ceil(equivalent), tablet), tablets_equivalent=equivalent)
    powder = trace.add("tablet_powder_to_weigh", "Tablet powder to weigh",
                       "drug × average tablet weight ÷ tablet strength", (drug * weight / strength).to(mg),
                       drug=drug, average_tablet_weight=weight, tablet_strength=strength)
    return TabletPowder(drug, strength, equivalent, crush, weight, powder)


# --- syringes and the dose-volume table -----------------------------------------------------------

def is_on_graduation(volume: pint.Quantity, syringe: Syringe) -> bool:
    """True when ``volume`` is a whole number of the syringe's graduations (exact arithmetic)."""
    return syringe.on_mark(volume)


def choose_syringe(volume: pint.Quantity, syringes: Sequence[Syringe] | None = None,
                   minimum: pint.Quantity | None = None) -> Syringe | None:
    """The smallest oral syringe that measures ``volume`` (on a mark, at least its minimum and
    ``minimum``); when none does, the smallest that holds it (the dose table then says why it is not
    measurable); None when none holds it. At equal capacity the finer graduation is tried first."""
    ordered = sorted(syringes if syringes is not None else liquid_data().syringes,
                     key=lambda s: (s.capacity, s.graduation))
    if minimum is None or volume >= minimum:
        for s in ordered:
            if s.measures(volume):
                return s
    return next((s for s in ordered if s.capacity >= volume), None)


@dataclass(frozen=True)
class DoseVolume:
    """One row of the dose-volume table: a dose, its volume and how to measure it."""

    dose: pint.Quantity  # mg
    volume: pint.Quantity  # mL
    syringe: Syringe | None
    on_graduation: bool
    measurable: bool  # the syringe measures it (on a mark, ≥ its minimum) and it is ≥ the minimum dose volume
    days_supply: pint.Quantity | None  # days one bottle lasts at this dose once daily
    doses_in_bottle: int | None  # whole doses in one bottle
    days_usable: pint.Quantity | None = None  # days_supply, limited by the BUD when one is known
    limited_by_bud: bool = False  # the bottle would last longer than its BUD: the rest is discarded

    def as_dict(self) -> dict[str, Any]:
        return {"dose": to_jsonable(self.dose), "volume": to_jsonable(self.volume),
                "syringe": self.syringe.as_dict() if self.syringe else None,
                "on_graduation": self.on_graduation, "measurable": self.measurable,
                "days_supply": to_jsonable(self.days_supply), "doses_in_bottle": self.doses_in_bottle,
                "days_usable": to_jsonable(self.days_usable), "limited_by_bud": self.limited_by_bud}


def _dose_row(dose: pint.Quantity, concentration: pint.Quantity, final_volume: pint.Quantity | None,
              syringes: Sequence[Syringe], minimum: pint.Quantity,
              bud_days: pint.Quantity | None = None) -> DoseVolume:
    volume = (dose / concentration).to(mL)
    syringe = choose_syringe(volume, syringes, minimum)
    on_grad = syringe is not None and is_on_graduation(volume, syringe)
    measurable = syringe is not None and syringe.measures(volume) and volume >= minimum
    supply = doses = usable = None
    limited = False
    if final_volume is not None:
        ratio = exact((final_volume / volume).to(dimensionless).magnitude)
        supply, doses = Q(ratio, day), math.floor(ratio)
        limited = bud_days is not None and supply > bud_days
        usable = bud_days.to(day) if limited else supply
    return DoseVolume(dose, volume, syringe, on_grad, measurable, supply, doses, usable, limited)


def dose_volume_table(doses: Iterable[Any], concentration: Any, final_volume: Any = None, *,
                      syringes: Sequence[Syringe] | None = None,
                      minimum_dose_volume: Any = None) -> tuple[DoseVolume, ...]:
    """For each dose [mg]: volume [mL] = dose ÷ concentration, the smallest syringe that measures it
    on a mark (else the smallest that holds it), and whether it is measurable. The doses need not be
    naltrexone (no range check here: :func:`prepare_liquid` checks LDN doses)."""
    data = liquid_data()
    conc = _positive(as_quantity(concentration, "concentration", "concentration").to(mg_per_mL),
                     "concentration", "a concentration greater than zero")
    vol = None if final_volume is None else _positive(
        as_quantity(final_volume, "final_volume", "volume").to(mL), "final_volume", "a volume greater than zero")
    minimum = (as_quantity(minimum_dose_volume, "minimum_dose_volume", "volume") if minimum_dose_volume
               is not None else data.minimum_dose_volume.quantity).to(mL)
    syr = tuple(syringes) if syringes is not None else data.syringes
    rows = []
    for d in doses:
        dose = _positive(as_quantity(d, "dose", "mass").to(mg), "dose", "a mass greater than zero")
        rows.append(_dose_row(dose, conc, vol, syr, minimum))
    return tuple(rows)


def recommend_concentration(doses: Iterable[Any], *, candidates: Sequence[Any] | None = None,
                            syringes: Sequence[Syringe] | None = None,
                            minimum_dose_volume: Any = None) -> pint.Quantity | None:
    """The first standard concentration (data order = preference, 1 mg/mL first) at which some
    syringe of the data measures every dose; None when none is."""
    data = liquid_data()
    doses = tuple(doses)
    if candidates is None:
        candidates = [f.quantity for f in data.standard_concentrations]
    for c in candidates:
        rows = dose_volume_table(doses, c, syringes=syringes, minimum_dose_volume=minimum_dose_volume)
        if all(r.measurable for r in rows):
            return as_quantity(c, "concentration", "concentration").to(mg_per_mL)
    return None


# --- preparation ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ComponentAmount:
    """A vehicle component scaled to the batch; ``amount`` None means "make up to final volume"."""

    name: str
    role: str
    amount: pint.Quantity | None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "amount": to_jsonable(self.amount),
                "make_up_to_final_volume": self.amount is None}


@dataclass(frozen=True)
class LiquidPreparation:
    formula_id: str | None
    formula_version: str | None
    formula_name: str | None
    source: str
    vehicle: Vehicle
    naltrexone_hcl: pint.Quantity  # mg, of naltrexone HCl (anhydrous) in the batch
    concentration: pint.Quantity  # mg/mL
    final_volume: pint.Quantity  # mL
    tablet_strength: pint.Quantity | None
    tablets_equivalent: Fraction | None
    tablets_to_use: pint.Quantity | None  # whole tablets, when no powder is weighed
    tablets_to_crush: pint.Quantity | None
    average_tablet_weight: pint.Quantity | None
    tablet_powder_to_weigh: pint.Quantity | None
    api_form: str | None
    salt_factor: Fraction | None
    potency: Fraction | None  # as-is potency applied (None = no correction, recorded)
    api_to_weigh: pint.Quantity | None
    aliquot: LiquidAliquot | None
    mwq: pint.Quantity
    balance: str
    above_mwq: bool  # every weighed quantity is at or above the MWQ
    components: tuple[ComponentAmount, ...]
    dose_volumes: tuple[DoseVolume, ...]
    recommended_concentration: pint.Quantity | None
    compounding_date: dt.date
    bud: BeyondUseDate
    storage: str
    labels: tuple[str, ...]
    warnings: tuple[str, ...]
    trace: tuple[Step, ...]
    # the form whose as-is content ``potency`` is (drug.py; None from tablets), and that basis in words
    potency_basis: str | None = None
    potency_basis_text: str | None = None
    order: Any = None  # the LiquidOrder it was computed from (orders.py), defaults filled in
    reference_hash: str | None = None  # of the reference-data bundle used (bundle.py)
    engine_version: str = ENGINE_VERSION

    def as_dict(self) -> dict[str, Any]:
        j = to_jsonable
        return {
            "formula": None if self.formula_id is None else {
                "id": self.formula_id, "version": self.formula_version, "name": self.formula_name},
            "source": self.source, "vehicle": self.vehicle.key, "vehicle_name": self.vehicle.name,
            "naltrexone_hcl": j(self.naltrexone_hcl), "concentration": j(self.concentration),
            "final_volume": j(self.final_volume), "tablet_strength": j(self.tablet_strength),
            "tablets_equivalent": j(self.tablets_equivalent), "tablets_to_use": j(self.tablets_to_use),
            "tablets_to_crush": j(self.tablets_to_crush),
            "average_tablet_weight": j(self.average_tablet_weight),
            "tablet_powder_to_weigh": j(self.tablet_powder_to_weigh), "api_form": self.api_form,
            "salt_factor": j(self.salt_factor),
            "potency": None if self.potency is None else j(Q(self.potency, dimensionless).to(percent)),
            "potency_basis": self.potency_basis,
            "api_to_weigh": j(self.api_to_weigh),
            "aliquot": self.aliquot.as_dict() if self.aliquot else None,
            "mwq": j(self.mwq), "balance": self.balance, "above_mwq": self.above_mwq,
            "components": [c.as_dict() for c in self.components],
            "dose_volumes": [d.as_dict() for d in self.dose_volumes],
            "recommended_concentration": j(self.recommended_concentration),
            "compounding_date": self.compounding_date.isoformat(),
            "bud": self.bud.date.isoformat(), "bud_days": int(self.bud.days.magnitude),
            "bud_category": self.bud.category, "bud_basis": self.bud.basis,
            "storage": self.storage, "storage_label": self.bud.storage_label, "labels": list(self.labels), "warnings": list(self.warnings),
            "trace": [s.as_dict() for s in self.trace],
        }


def _solve_amounts(concentration: Any, final_volume: Any, tablets: Any, strength: pint.Quantity,
                   source: str, trace: Trace) -> tuple[pint.Quantity, pint.Quantity, pint.Quantity]:
    """Any two of tablets / concentration / final volume give the third: (drug, conc, volume)."""
    conc = None if concentration is None else check_concentration(concentration)
    vol = None if final_volume is None else _within(
        as_quantity(final_volume, "final_volume", "volume").to(mL), "final_volume", final_volume,
        *VOLUME_RANGE, "a final volume")
    n = None if tablets is None else as_count(tablets, "tablets", tablet, maximum=MAX_TABLETS)
    if n is not None and source != "tablets":
        raise InputError("applies only to liquids made from tablets", field="tablets", value=n,
                         allowed="leave it out with source api")
    given = sum(x is not None for x in (conc, vol, n))
    if given < 2:
        raise InputError("is missing: give two of tablets, concentration and final volume"
                         if source == "tablets" else "is missing: give the concentration and the final volume",
                         field="final_volume" if vol is None else "concentration",
                         allowed="tablets + final volume, tablets + concentration, or concentration + final volume")
    if n is not None:
        drug = trace.add("naltrexone_hcl", "Naltrexone HCl in the batch", "tablets × tablet strength",
                         (n * strength).to(mg), tablets=n, tablet_strength=strength)
        if conc is not None and vol is not None and (conc * vol).to(mg) != drug:
            raise InputError("do not agree with the concentration and final volume: "
                             f"{format_quantity(conc)} × {format_quantity(vol)} = "
                             f"{format_quantity((conc * vol).to(mg))}, but the tablets hold {format_quantity(drug)}",
                             field="tablets", value=n, allowed="give only two of tablets, concentration, final volume")
        if conc is None:
            conc = trace.add("concentration", "Concentration", "naltrexone HCl ÷ final volume",
                             (drug / vol).to(mg_per_mL), naltrexone_hcl=drug, final_volume=vol)
        if vol is None:
            vol = trace.add("final_volume", "Final volume", "naltrexone HCl ÷ concentration",
                            (drug / conc).to(mL), naltrexone_hcl=drug, concentration=conc)
        return drug, conc, vol
    drug = trace.add("naltrexone_hcl", "Naltrexone HCl in the batch", "concentration × final volume",
                     (conc * vol).to(mg), concentration=conc, final_volume=vol)
    return drug, conc, vol


def _api_amount(drug: pint.Quantity, content: DrugContent, trace: Trace) -> pint.Quantity:
    """Powder [mg] = drug × salt factor ÷ as-is potency (drug.py: one rule with capsules)."""
    return trace.add("api_to_weigh", "Naltrexone powder to weigh", "drug × salt factor ÷ potency",
                     content.powder_for(drug), drug=drug, salt_factor=content.salt_factor,
                     potency=Q(content.potency if content.potency is not None else 1, dimensionless).to(percent))


def _liquid_aliquot(drug: pint.Quantity, api: pint.Quantity, vol: pint.Quantity, mwq: pint.Quantity,
                    vehicle: Vehicle, trace: Trace, warnings: list[str], bundle: Any) -> LiquidAliquot | None:
    """Powder below the MWQ: a stock solution measured into the batch with the devices of the
    reference data (:mod:`.liquid_aliquot`); None when the powder cannot dissolve in the vehicle."""
    if not vehicle.solution_from_api:
        warnings.append(f"The powder ({format_quantity(api)}) is below the balance's MWQ "
                        f"({format_quantity(mwq)}) and does not dissolve in {vehicle.name}: "
                        "make a larger batch or use a stock trituration.")
        return None
    data = bundle.liquid
    others = sum((c.volume.quantity.to(mL) for c in vehicle.components if c.volume is not None), Q(0, mL))
    room = vol - others * exact((vol / Q(100, mL)).to(dimensionless).magnitude)
    low, high = _liquid_limits(bundle.qc)
    aliquot = plan_liquid_aliquot(api, mwq, data=data, room=room, limits=(low, high),
                                  content=exact((drug / api).to(dimensionless).magnitude))
    if aliquot is None:
        raise CalculationError(
            f"needs {format_quantity(api)} of powder, below the balance's MWQ ({format_quantity(mwq)}), and "
            f"no one- or two-stage stock solution measured with the devices in the reference data "
            f"(syringes.toml, measuring.toml) delivers it within {format_number(low * 100)}-"
            f"{format_number(high * 100)} % with the stock at most "
            f"{format_quantity(data.solubility.quantity)} (the solubility)", field="final_volume", value=vol,
            allowed="a larger batch, or a balance with a smaller MWQ")
    trace.add("aliquot", "Liquid aliquot (powder below the MWQ)",
              "weigh ≥ MWQ, dissolve to a flask's volume, dilute again if needed, measure a volume on a "
              "device's mark", aliquot.stock_volume_to_take, api_to_weigh=aliquot.api_to_weigh,
              stock_volume=aliquot.stock_volume, stages=len(aliquot.stages))
    trace.add("aliquot_delivered", "Powder the measured volume holds (amounts as shown)",
              "powder weighed × Π(volume measured ÷ volume made up)", aliquot.powder_delivered,
              api_to_weigh=aliquot.api_to_weigh, powder_needed=api)
    warnings.append(f"The powder ({format_quantity(api)}) is below the MWQ ({format_quantity(mwq)}): "
                    + " ".join(aliquot.instructions()) + f" It delivers {format_quantity(aliquot.powder_delivered)} "
                    f"({format_quantity(Q(aliquot.percent_of_target, dimensionless).to(percent))} of the powder "
                    "needed).")
    return aliquot


def _liquid_limits(q) -> tuple[Fraction, Fraction]:
    """The liquid's limits (qc.toml): the plan's delivered drug stays within them."""
    return tuple(exact(f.quantity.to(dimensionless).magnitude) for f in (q.yield_low, q.yield_high))


def _components(vehicle: Vehicle, vol: pint.Quantity, mwq: pint.Quantity, trace: Trace,
                warnings: list[str]) -> tuple[ComponentAmount, ...]:
    scale = exact((vol / Q(100, mL)).to(dimensionless).magnitude)
    out = []
    for c in vehicle.components:
        if c.make_up_to:
            out.append(ComponentAmount(c.name, c.role, None))
            continue
        per_100 = (c.mass or c.volume).quantity
        amount = trace.add(c.name.lower().replace(" ", "_"), c.name, "amount per 100 mL × final volume ÷ 100 mL",
                           per_100 * scale, per_100_mL=per_100, final_volume=vol)
        if c.mass is not None and amount < mwq:
            warnings.append(f"{c.name} ({format_quantity(amount.to(mg))}) is below the balance's MWQ "
                            f"({format_quantity(mwq)}): make a larger batch or use a stock solution.")
        out.append(ComponentAmount(c.name, c.role, amount))
    return tuple(out)


def prepare_liquid(*, concentration: Any = None, final_volume: Any = None, tablets: Any = None,
                   source: str | None = None, vehicle: str | None = None, formula: str | None = None,
                   tablet_weight: Any = None, doses: Any = (), compounding_date: Any = None,
                   api_form: str | None = None, potency: Any = None, assay: Any = None, water: Any = None,
                   potency_basis: str | None = None, balance: str | None = None,
                   mwq: Any = None, component_expiries: Iterable[Any] = (),
                   day_one_is_compounding_day: bool = False, ref: Reference | None = None,
                   data: LiquidData | None = None, bundle: Any = None) -> LiquidPreparation:
    """Prepare an LDN oral liquid [concentration mg/mL, final_volume mL, doses mg].

    Give two of ``tablets``, ``concentration`` and ``final_volume`` (``source="tablets"``), or the
    concentration and final volume (``source="api"``). ``tablet_weight`` (average, mg/tablet) is
    needed when the drug is not a whole number of tablets (it must be measured: no published figure).
    ``potency`` is the API lot's as-is potency (e.g. "98.5%"), or give its ``assay`` and ``water``;
    none means no correction (recorded). The potency basis is that of :mod:`compounding.drug`: the
    as-is content of the anhydrous salt, unless ``potency_basis`` names the hydrate weighed.
    ``mwq`` [mg] overrides the balance's minimum weighable quantity. A master ``formula`` id
    (``formulas/*.toml``, e.g. LDN-LIQ-FAWCETT-1) sets the vehicle and source unless given; without
    one the vehicle is purified water and the source tablets. ``bundle``: the reference data
    (:mod:`.bundle`; default the shipped data), whose hash the result records; no compounding_date
    means today, read here (the caller's clock), never deeper.
    """
    from .bundle import hash_of, shipped_bundle

    bundle = bundle or shipped_bundle()
    ref, data = ref or bundle.reference, data or bundle.liquid
    ref_hash = hash_of(bundle, ref=ref, data=data)  # None when ref= or data= overrides the bundle's
    compounding_date = dt.date.today() if compounding_date is None else compounding_date
    component_expiries = tuple(component_expiries)
    inputs = dict(concentration=concentration, final_volume=final_volume, tablets=tablets, source=source,
                  vehicle=vehicle, formula=formula, tablet_weight=tablet_weight, doses=doses,
                  compounding_date=compounding_date, api_form=api_form, potency=potency, assay=assay, water=water,
                  potency_basis=potency_basis, balance=balance, mwq=mwq, component_expiries=component_expiries,
                  day_one_is_compounding_day=day_one_is_compounding_day)
    mfr = _master_formula(formula, vehicle, data, bundle)
    source = source or (mfr.source if mfr else "tablets")
    vehicle = vehicle or (mfr.default_vehicle if mfr else "purified_water")
    if source not in SOURCES:
        raise InputError("is not a known source", field="source", value=source, allowed="tablets, api")
    refuse_other_source_inputs(source, "liquids", api_form=api_form, potency=potency, assay=assay, water=water,
                               potency_basis=potency_basis, tablet_weight=tablet_weight)
    veh = data.vehicle(vehicle)
    bal = ref.balance(balance or ref.default_balance)
    trace, warnings = Trace(), []
    if mwq is None:
        mwq = trace.add("mwq", f"Minimum weighable quantity of the {bal.name}", bal.mwq_formula, bal.mwq.to(mg))
    else:
        mwq = trace.add("mwq", "Minimum weighable quantity (entered)", "given", entered_mwq(mwq))
    tablet_info = ref.tablet
    strength = tablet_info.strength.quantity.to(mg_per_tablet)
    drug, conc, vol = _solve_amounts(concentration, final_volume, tablets, strength, source, trace)
    dose_list = parse_doses(doses, ref=ref)

    equivalent = use = crush = avg = powder = api = aliquot = salt = pot = content = None
    weighed: list[pint.Quantity] = []
    if source == "tablets":
        equivalent = exact((drug / strength).to(tablet).magnitude)
        if equivalent.denominator == 1:
            trace.add("tablets_equivalent", "Tablets holding the drug", "drug ÷ tablet strength",
                      equivalent, drug=drug, tablet_strength=strength)
            use = trace.add("tablets_to_use", "Whole tablets to use", "tablets equivalent (a whole number)",
                            Q(equivalent, tablet))
            if tablet_weight is not None:
                avg = _tablet_weight(tablet_weight, strength)
        else:
            if tablet_weight is None:
                raise InputError(f"must be measured: the batch needs {format_quantity(Q(equivalent, tablet))} "
                                 "(not whole tablets), so whole tablets are crushed and the powder weighed; "
                                 "weigh at least 10-20 tablets and enter their average weight",
                                 field="tablet_weight",
                                 allowed="a measured average mass per tablet, e.g. 321 mg")
            tp = tablet_powder(drug, strength, _tablet_weight(tablet_weight, strength), trace)
            crush, avg, powder = tp.tablets_to_crush, tp.average_tablet_weight, tp.powder_to_weigh
            weighed.append(powder)
            if powder < mwq:
                whole = math.ceil(equivalent)
                warnings.append(f"The tablet powder ({format_quantity(powder)}) is below the balance's MWQ "
                                f"({format_quantity(mwq)}): use whole tablets instead, e.g. {whole} "
                                f"tablet{'s' if whole > 1 else ''} in {format_quantity((Q(whole, tablet) * strength / conc).to(mL))} "
                                f"at {format_quantity(conc)}.")
    else:
        content = drug_content(api_form, potency=potency, assay=assay, water=water, potency_basis=potency_basis,
                               ref=ref, trace=trace, warnings=warnings)
        api_form, salt, pot = content.form.key, content.salt_factor, content.potency
        api = _api_amount(drug, content, trace)
        aliquot = _liquid_aliquot(drug, api, vol, mwq, veh, trace, warnings, bundle) if api < mwq else None
        weighed.append(aliquot.api_to_weigh if aliquot else api)

    components = _components(veh, vol, mwq, trace, warnings)
    weighed += [c.amount for c in components if c.amount is not None and c.amount.dimensionality == mg.dimensionality]
    above = all(w >= mwq for w in weighed)

    if veh.published_concentration is not None and veh.published_concentration.quantity.to(mg_per_mL) != conc:
        warnings.append(f"{veh.name} was published at {format_quantity(veh.published_concentration.quantity)}; "
                        f"its stability data do not cover {format_quantity(conc)}.")
    if veh.stability_note:
        warnings.append(veh.stability_note)

    cdate = parse_date(compounding_date, "date")
    bud = beyond_use_date(veh.bud_category, cdate, component_expiries=component_expiries,
                          day_one_is_compounding_day=day_one_is_compounding_day, ref=ref)
    trace.add("bud", "Beyond-use date", "compounding date + BUD days", bud.date, days=bud.days)
    warnings[:0] = bud.warnings  # first: a liquid that expires within days is the news of this sheet

    rows = tuple(_dose_row(d, conc, vol, data.syringes, data.minimum_dose_volume.quantity.to(mL), bud.days)
                 for d in dose_list)
    recommended = _recommendation(rows, conc, dose_list, data, warnings)
    _supply_warnings(rows, bud, warnings)

    labels = [f"NALTREXONE HCl {format_quantity(conc)} ({format_quantity(drug)} in {format_quantity(vol)})"]
    if source == "tablets" or not veh.solution_from_api:
        labels.append(data.shake_well_label)
    labels += list(veh.labels) + [bud.storage_label]
    standard = data.standard_concentrations[0].quantity.to(mg_per_mL)
    if conc != standard:
        warnings.append(f"{format_quantity(conc)} is not the usual {format_quantity(standard)}: several "
                        "concentrations in circulation is a ten-fold-error risk; print the concentration "
                        "unmistakably on every label and sheet.")
    prep = LiquidPreparation(
        mfr.id if mfr else None, mfr.version if mfr else None, mfr.name if mfr else None, source, veh, drug, conc, vol, strength if source == "tablets" else None, equivalent, use, crush,
        avg, powder, api_form if source == "api" else None, salt, pot, api, aliquot, mwq, bal.key, above,
        components, rows, recommended, cdate, bud, bud.storage,
        tuple(labels), tuple(warnings), trace.freeze(),
        content.potency_basis.key if content else None, content.basis_text if content else None,
        reference_hash=ref_hash)
    return _with_order(prep, inputs)


def _with_order(prep: LiquidPreparation, inputs: dict[str, Any]) -> LiquidPreparation:
    """The preparation carrying its order: the inputs, with the defaults it chose filled in."""
    from dataclasses import replace

    from .orders import LiquidOrder, resolved

    order = resolved(LiquidOrder.from_text(**inputs), formula=prep.formula_id, source=prep.source,
                     vehicle=prep.vehicle.key, compounding_date=prep.compounding_date,
                     balance=None if inputs["mwq"] is not None else prep.balance)
    return replace(prep, order=order)


def _master_formula(formula: str | None, vehicle: str | None, data: LiquidData, bundle: Any):
    if formula is None:
        return None
    mfr = bundle.formula(formula)
    if mfr.preparation != "oral_liquid":
        raise InputError("is not an oral liquid formula", field="formula", value=formula,
                         allowed="an oral_liquid master formula, e.g. LDN-LIQ-WATER-1")
    veh = data.vehicle(vehicle or mfr.default_vehicle or "", "vehicle")
    if veh.bud_category != mfr.bud_category:
        raise InputError(f"gives BUD category {veh.bud_category}, but formula {mfr.id} is "
                         f"{mfr.bud_category}", field="vehicle", value=veh.key,
                         allowed=f"the formula's vehicle, {mfr.default_vehicle}")
    return mfr


def _recommendation(rows: tuple[DoseVolume, ...], conc: pint.Quantity, doses: tuple[pint.Quantity, ...],
                    data: LiquidData, warnings: list[str]) -> pint.Quantity | None:
    """Keep the concentration when some syringe measures every dose; else say which dose no syringe
    measures and why, and recommend another standard concentration only then."""
    bad = [r for r in rows if not r.measurable]
    if not bad:
        return None
    minimum = data.minimum_dose_volume.quantity.to(mL)
    for r in bad:
        holding = [s for s in data.syringes if s.capacity >= r.volume]
        if not holding:
            why = f"more than the largest syringe ({format_quantity(max(s.capacity for s in data.syringes))})"
        elif r.volume < minimum:
            why = f"below the smallest measurable volume ({format_quantity(minimum)})"
        elif not any(s.on_mark(r.volume) for s in holding):
            why = "not on a mark of any syringe that holds it (" + ", ".join(
                f"{s.name}: {format_quantity(s.graduation)} marks" for s in holding) + ")"
        else:
            why = "below the smallest volume of every syringe with a mark there (" + ", ".join(
                f"{s.name}: from {format_quantity(s.minimum)}" for s in holding if s.on_mark(r.volume)) + ")"
        warnings.append(f"{format_quantity(r.dose)} = {format_quantity(r.volume)} at {format_quantity(conc)}: "
                        f"no syringe in the data measures it: {why}.")
    recommended = recommend_concentration(doses, syringes=data.syringes, minimum_dose_volume=minimum,
                                          candidates=[f.quantity for f in data.standard_concentrations])
    if recommended is None:
        warnings.append("None of the standard concentrations makes every dose measurable; "
                        "consider capsules, or separate bottles for the low and high doses.")
    else:
        warnings.append(f"Recommended concentration: {format_quantity(recommended)}, because at "
                        f"{format_quantity(conc)} no syringe in the data measures every dose and at "
                        f"{format_quantity(recommended)} one does. Several concentrations in circulation is "
                        "a ten-fold-error risk: print the concentration unmistakably.")
    return recommended


def _supply_warnings(rows: tuple[DoseVolume, ...], bud: BeyondUseDate, warnings: list[str]) -> None:
    long = [r for r in rows if r.limited_by_bud]
    if long:
        shown = ", ".join(f"{format_quantity(r.dose)} ({format_quantity(r.days_supply)})" for r in long)
        warnings.append(f"At {shown} daily the bottle would last longer than its BUD of "
                        f"{format_quantity(bud.days)}: it is usable for {format_quantity(bud.days)}, the rest is "
                        "discarded; a smaller volume wastes less.")
