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

from .bud import BeyondUseDate, beyond_use_date, parse_date
from .display import format_number, format_quantity
from .errors import InputError, RangeError
from .jsonout import to_jsonable
from .liquid_data import LiquidData, Syringe, Vehicle, liquid_data
from .reference import Reference, reference
from .trace import Step, Trace
from .weighing import entered_mwq
from .units import (Q, as_count, as_fraction, as_quantity, day, dimensionless, exact, mg, mg_per_mL,
                    mg_per_tablet, mL, percent, tablet)

__all__ = ["SOURCES", "check_dose", "parse_doses", "average_tablet_weight", "TabletPowder",
           "tablet_powder", "choose_syringe", "is_on_graduation", "DoseVolume", "dose_volume_table",
           "recommend_concentration", "ComponentAmount", "LiquidAliquot", "LiquidPreparation",
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


def parse_doses(value: Any, field: str = "doses") -> tuple[pint.Quantity, ...]:
    """Doses as ``"0.5mg,1.5mg,4.5mg"`` or a sequence of quantities/texts; each in the LDN range."""
    if value is None:
        return ()
    items: Iterable[Any] = [p for p in value.split(",") if p.strip()] if isinstance(value, str) else value
    doses = tuple(check_dose(v, field) for v in items)
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
    ratio = exact((volume / syringe.graduation).to(dimensionless).magnitude)
    return ratio.denominator == 1 and ratio >= 1


def choose_syringe(volume: pint.Quantity, syringes: Sequence[Syringe] | None = None) -> Syringe | None:
    """The smallest oral syringe whose capacity holds ``volume``; None when none does."""
    for s in sorted(syringes if syringes is not None else liquid_data().syringes, key=lambda s: s.capacity):
        if s.capacity >= volume:
            return s
    return None


@dataclass(frozen=True)
class DoseVolume:
    """One row of the dose-volume table: a dose, its volume and how to measure it."""

    dose: pint.Quantity  # mg
    volume: pint.Quantity  # mL
    syringe: Syringe | None
    on_graduation: bool
    measurable: bool  # a syringe holds it, it is on a graduation and not below the minimum volume
    days_supply: pint.Quantity | None  # days one bottle lasts at this dose once daily
    doses_in_bottle: int | None  # whole doses in one bottle

    def as_dict(self) -> dict[str, Any]:
        return {"dose": to_jsonable(self.dose), "volume": to_jsonable(self.volume),
                "syringe": self.syringe.as_dict() if self.syringe else None,
                "on_graduation": self.on_graduation, "measurable": self.measurable,
                "days_supply": to_jsonable(self.days_supply), "doses_in_bottle": self.doses_in_bottle}


def _dose_row(dose: pint.Quantity, concentration: pint.Quantity, final_volume: pint.Quantity | None,
              syringes: Sequence[Syringe], minimum: pint.Quantity) -> DoseVolume:
    volume = (dose / concentration).to(mL)
    syringe = choose_syringe(volume, syringes)
    on_grad = syringe is not None and is_on_graduation(volume, syringe)
    measurable = on_grad and volume >= minimum
    supply = doses = None
    if final_volume is not None:
        ratio = exact((final_volume / volume).to(dimensionless).magnitude)
        supply, doses = Q(ratio, day), math.floor(ratio)
    return DoseVolume(dose, volume, syringe, on_grad, measurable, supply, doses)


def dose_volume_table(doses: Iterable[Any], concentration: Any, final_volume: Any = None, *,
                      syringes: Sequence[Syringe] | None = None,
                      minimum_dose_volume: Any = None) -> tuple[DoseVolume, ...]:
    """For each dose [mg]: volume [mL] = dose ÷ concentration, the smallest syringe that holds it,
    and whether the volume lands on a graduation. The doses need not be naltrexone (no range
    check here: :func:`prepare_liquid` checks LDN doses)."""
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
    """The first standard concentration (data order = preference, 1 mg/mL first) at which every
    dose is measurable in its smallest syringe; None when none is."""
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
class LiquidAliquot:
    """Liquid aliquot for API below the MWQ: weigh ``api_to_weigh``, dissolve in purified water to
    ``stock_volume``, and measure ``stock_volume_to_take`` into the batch."""

    factor: int
    api_to_weigh: pint.Quantity
    stock_volume: pint.Quantity
    stock_concentration: pint.Quantity
    stock_volume_to_take: pint.Quantity

    def as_dict(self) -> dict[str, Any]:
        return {k: to_jsonable(getattr(self, k)) for k in
                ("factor", "api_to_weigh", "stock_volume", "stock_concentration", "stock_volume_to_take")}


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


def _api_amount(drug: pint.Quantity, vol: pint.Quantity, api_form: str, potency: Any, ref: Reference,
                mwq: pint.Quantity, vehicle: Vehicle, trace: Trace, warnings: list[str]
                ) -> tuple[Fraction, Fraction | None, pint.Quantity, LiquidAliquot | None]:
    form, basis = ref.form(api_form), ref.form(ref.strength_basis)
    salt = trace.add("salt_factor", "Salt factor (form weighed ÷ naltrexone HCl)", "MW form ÷ MW HCl",
                     exact((form.molecular_weight.quantity / basis.molecular_weight.quantity)
                           .to(dimensionless).magnitude),
                     mw_form=form.molecular_weight.quantity, mw_hcl=basis.molecular_weight.quantity)
    if salt != 1:
        warnings.append(f"Salt factor {format_number(salt)} applied: the powder is {form.name}, the strength "
                        f"is stated as {basis.name}.")
    pot = None
    if potency is None:
        warnings.append("No potency correction applied (no as-is potency entered): record this choice.")
    else:
        pot = as_fraction(potency, "potency", low=Fraction(80, 100), high=Fraction(105, 100),
                          allowed="80-105% (as-is potency from the certificate of analysis)")
        trace.add("potency", "As-is potency (certificate of analysis)", "given", Q(pot, dimensionless).to(percent))
    api = trace.add("api_to_weigh", "Naltrexone powder to weigh", "drug × salt factor ÷ potency",
                    (drug * salt / (pot or 1)).to(mg), drug=drug, salt_factor=salt,
                    potency=Q(pot or 1, dimensionless).to(percent))
    aliquot = None
    if api < mwq:
        if not vehicle.solution_from_api:
            warnings.append(f"The powder ({format_quantity(api)}) is below the balance's MWQ "
                            f"({format_quantity(mwq)}) and does not dissolve in {vehicle.name}: "
                            "make a larger batch or use a stock trituration.")
        else:
            n = math.ceil(exact((mwq / api).to(dimensionless).magnitude))
            stock = Q(vol.magnitude, mL)
            aliquot = LiquidAliquot(n, (api * n).to(mg), stock, (api * n / stock).to(mg_per_mL),
                                    (stock / n).to(mL))
            trace.add("aliquot", "Liquid aliquot (powder below the MWQ)",
                      "weigh n × powder, dissolve to the stock volume, take stock ÷ n",
                      aliquot.stock_volume_to_take, factor=n, api_to_weigh=aliquot.api_to_weigh,
                      stock_volume=stock)
            warnings.append(f"The powder ({format_quantity(api)}) is below the MWQ "
                            f"({format_quantity(mwq)}): weigh {format_quantity(aliquot.api_to_weigh)}, "
                            f"dissolve in purified water to {format_quantity(stock)}, and measure "
                            f"{format_quantity(aliquot.stock_volume_to_take)} of it into the batch.")
    return salt, pot, api, aliquot


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
                   api_form: str | None = None, potency: Any = None, balance: str | None = None,
                   mwq: Any = None, component_expiries: Iterable[Any] = (),
                   day_one_is_compounding_day: bool = False, ref: Reference | None = None,
                   data: LiquidData | None = None) -> LiquidPreparation:
    """Prepare an LDN oral liquid [concentration mg/mL, final_volume mL, doses mg].

    Give two of ``tablets``, ``concentration`` and ``final_volume`` (``source="tablets"``), or the
    concentration and final volume (``source="api"``). ``tablet_weight`` (average, mg/tablet) is
    needed when the drug is not a whole number of tablets (it must be measured: no published figure).
    ``potency`` is the API lot's as-is potency (e.g. "98.5%"); none means no correction (recorded).
    ``mwq`` [mg] overrides the balance's minimum weighable quantity. A master ``formula`` id
    (``formulas/*.toml``, e.g. LDN-LIQ-FAWCETT-1) sets the vehicle and source unless given; without
    one the vehicle is purified water and the source tablets.
    """
    ref, data = ref or reference(), data or liquid_data()
    mfr = _master_formula(formula, vehicle, data)
    source = source or (mfr.source if mfr else "tablets")
    vehicle = vehicle or (mfr.default_vehicle if mfr else "purified_water")
    if source not in SOURCES:
        raise InputError("is not a known source", field="source", value=source, allowed="tablets, api")
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
    dose_list = parse_doses(doses)

    equivalent = use = crush = avg = powder = api = aliquot = salt = pot = None
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
        api_form = api_form or ref.strength_basis
        salt, pot, api, aliquot = _api_amount(drug, vol, api_form, potency, ref, mwq, veh, trace, warnings)
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

    rows = tuple(_dose_row(d, conc, vol, data.syringes, data.minimum_dose_volume.quantity.to(mL))
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
    return LiquidPreparation(
        mfr.id if mfr else None, mfr.version if mfr else None, mfr.name if mfr else None, source, veh, drug, conc, vol, strength if source == "tablets" else None, equivalent, use, crush,
        avg, powder, api_form if source == "api" else None, salt, pot, api, aliquot, mwq, bal.key, above,
        components, rows, recommended, cdate, bud, bud.storage,
        tuple(labels), tuple(warnings), trace.freeze())


def _master_formula(formula: str | None, vehicle: str | None, data: LiquidData):
    if formula is None:
        return None
    from .formulas import formula as find_formula

    mfr = find_formula(formula)
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
    bad = [r for r in rows if not r.measurable]
    if not bad:
        return None
    minimum = data.minimum_dose_volume.quantity.to(mL)
    for r in bad:
        if r.syringe is None:
            why = f"more than the largest syringe ({format_quantity(data.syringes[-1].capacity)})"
        elif not r.on_graduation:
            why = f"not on a graduation of the {r.syringe.name} ({format_quantity(r.syringe.graduation)} marks)"
        else:
            why = f"below the smallest measurable volume ({format_quantity(minimum)})"
        warnings.append(f"{format_quantity(r.dose)} = {format_quantity(r.volume)} at {format_quantity(conc)}: {why}.")
    recommended = recommend_concentration(doses, syringes=data.syringes, minimum_dose_volume=minimum)
    if recommended is None:
        warnings.append("None of the standard concentrations makes every dose measurable; "
                        "consider capsules, or separate bottles for the low and high doses.")
    else:
        warnings.append(f"Recommended concentration: {format_quantity(recommended)} makes every dose "
                        "land on a syringe graduation. Several concentrations in circulation is a "
                        "ten-fold-error risk: print the concentration unmistakably.")
    return recommended


def _supply_warnings(rows: tuple[DoseVolume, ...], bud: BeyondUseDate, warnings: list[str]) -> None:
    long = [r for r in rows if r.days_supply is not None and r.days_supply > bud.days]
    if long:
        shown = ", ".join(f"{format_quantity(r.dose)} ({format_quantity(r.days_supply)})" for r in long)
        warnings.append(f"At {shown} daily the bottle lasts longer than its BUD of "
                        f"{format_quantity(bud.days)}: the rest is discarded; a smaller volume wastes less.")
