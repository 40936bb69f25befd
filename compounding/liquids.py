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
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Iterable, Sequence

import pint

from . import __version__ as ENGINE_VERSION
from .bud import BeyondUseDate, beyond_use_date, parse_date
from .display import format_number, format_quantity
from .drug import (MAX_TABLET_WEIGHT, DrugContent, TabletPowder, average_tablet_weight,  # noqa: F401
                   check_tablet_weight, drug_content, refuse_other_source_inputs, tablet_powder)
from .errors import CalculationError, InputError, RangeError
from .jsonout import to_jsonable
from .liquid_aliquot import LiquidAliquot, LiquidStage, plan_liquid_aliquot
from .liquid_data import LiquidData, Syringe, Vehicle, liquid_data
from .reference import Reference, reference
from .trace import Step, Trace
from .weighing import entered_mwq
from .units import (Q, as_count, as_quantity, check_positive, check_within, day, dimensionless, exact, mg, mg_per_mL,
                    mg_per_tablet, mL, percent, tablet)

__all__ = ["SOURCES", "check_dose", "parse_doses", "average_tablet_weight", "TabletPowder",
           "tablet_powder", "choose_syringe", "is_on_graduation", "DoseVolume", "dose_volume_table",
           "recommend_concentration", "ComponentAmount", "LiquidAliquot", "LiquidStage", "LiquidPreparation",
           "prepare_liquid"]

SOURCES = ("tablets", "api")


# --- small checks ---------------------------------------------------------------------------------

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


# Sanity limits on what is typed (conventions, not pharmacopoeial figures): outside them the value
# is a slip of unit or digit ("1 g/mL" for "1 mg/mL", "50 L" for "50 mL"), not a liquid to make.
CONCENTRATION_RANGE = (Q(Fraction(1, 100), mg_per_mL), Q(500, mg_per_mL))
VOLUME_RANGE = (Q(1, mL), Q(1000, mL))
MAX_TABLETS = 100


def check_concentration(value: Any, field: str = "concentration") -> pint.Quantity:
    """A liquid concentration [mg/mL] within CONCENTRATION_RANGE."""
    q = as_quantity(value, field, "concentration").to(mg_per_mL)
    return check_within(q, field, value, *CONCENTRATION_RANGE, "a concentration")


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
    conc = check_positive(as_quantity(concentration, "concentration", "concentration").to(mg_per_mL),
                     "concentration", "a concentration greater than zero")
    vol = None if final_volume is None else check_positive(
        as_quantity(final_volume, "final_volume", "volume").to(mL), "final_volume", "a volume greater than zero")
    minimum = (as_quantity(minimum_dose_volume, "minimum_dose_volume", "volume") if minimum_dose_volume
               is not None else data.minimum_dose_volume.quantity).to(mL)
    syr = tuple(syringes) if syringes is not None else data.syringes
    rows = []
    for d in doses:
        dose = check_positive(as_quantity(d, "dose", "mass").to(mg), "dose", "a mass greater than zero")
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
    vol = None if final_volume is None else check_within(
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
        drug = trace.add("naltrexone_hcl", "tablets × tablet strength",
                         (n * strength).to(mg), tablets=n, tablet_strength=strength)
        if conc is not None and vol is not None and (conc * vol).to(mg) != drug:
            raise InputError("do not agree with the concentration and final volume: "
                             f"{format_quantity(conc)} × {format_quantity(vol)} = "
                             f"{format_quantity((conc * vol).to(mg))}, but the tablets hold {format_quantity(drug)}",
                             field="tablets", value=n, allowed="give only two of tablets, concentration, final volume")
        if conc is None:
            conc = trace.add("concentration", "naltrexone HCl ÷ final volume",
                             (drug / vol).to(mg_per_mL), naltrexone_hcl=drug, final_volume=vol)
        if vol is None:
            vol = trace.add("final_volume", "naltrexone HCl ÷ concentration",
                            (drug / conc).to(mL), naltrexone_hcl=drug, concentration=conc)
        return drug, conc, vol
    drug = trace.add("naltrexone_hcl", "concentration × final volume",
                     (conc * vol).to(mg), concentration=conc, final_volume=vol)
    return drug, conc, vol


def _api_amount(drug: pint.Quantity, content: DrugContent, trace: Trace) -> pint.Quantity:
    """Powder [mg] = drug × salt factor ÷ as-is potency (drug.py: one rule with capsules)."""
    return trace.add("api_to_weigh", "drug × salt factor ÷ potency",
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
    trace.add("aliquot", "weigh ≥ MWQ, dissolve to a flask's volume, dilute again if needed, measure a volume on a "
              "device's mark", aliquot.stock_volume_to_take,
              detail="a liquid stock: the powder is below the MWQ", api_to_weigh=aliquot.api_to_weigh,
              stock_volume=aliquot.stock_volume, stages=len(aliquot.stages))
    trace.add("aliquot_delivered", "powder weighed × Π(volume measured ÷ volume made up)",
              aliquot.powder_delivered, detail="by the measured volume, amounts as shown",
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
        amount = trace.add(c.name.lower().replace(" ", "_"), "amount per 100 mL × final volume ÷ 100 mL",
                           per_100 * scale, label=c.name, per_100_mL=per_100, final_volume=vol)
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
    inputs = dict(concentration=concentration, final_volume=final_volume, tablets=tablets, source=source,
                  vehicle=vehicle, formula=formula, tablet_weight=tablet_weight, doses=doses,
                  compounding_date=dt.date.today() if compounding_date is None else compounding_date,
                  api_form=api_form, potency=potency, assay=assay, water=water, potency_basis=potency_basis,
                  balance=balance, mwq=mwq, component_expiries=tuple(component_expiries),
                  day_one_is_compounding_day=day_one_is_compounding_day)
    ref_hash = hash_of(bundle, ref=ref, data=data)  # None when ref= or data= overrides the bundle's
    return _with_order(_prepare(inputs, ref, data, bundle, ref_hash), inputs)


def _prepare(i: dict[str, Any], ref: Reference, data: LiquidData, bundle: Any,
             ref_hash: str | None) -> LiquidPreparation:
    """The stages in order (each refuses its own inputs, so the first bad input is named first)."""
    mfr, source, veh = _formula_stage(i, data, bundle)
    trace, warnings = Trace(), []
    bal, mwq = _balance_stage(i["balance"], i["mwq"], ref, trace)
    strength = ref.tablet.strength.quantity.to(mg_per_tablet)
    drug, conc, vol = _solve_amounts(i["concentration"], i["final_volume"], i["tablets"], strength, source, trace)
    dose_list = parse_doses(i["doses"], ref=ref)
    if source == "tablets":
        part = _tablets_stage(drug, conc, strength, i["tablet_weight"], mwq, trace, warnings)
    else:
        lot = {k: i[k] for k in ("potency", "assay", "water", "potency_basis")}
        part = _api_stage(drug, vol, mwq, veh, i["api_form"], lot, ref, bundle, trace, warnings)
    components = _components(veh, vol, mwq, trace, warnings)
    weighed = part.weighed + tuple(c.amount for c in components
                                   if c.amount is not None and c.amount.dimensionality == mg.dimensionality)
    _vehicle_warnings(veh, conc, warnings)
    cdate, bud = _bud_stage(veh, i["compounding_date"], i["component_expiries"], i["day_one_is_compounding_day"],
                            ref, trace, warnings)
    rows, recommended = _dose_stage(dose_list, conc, vol, data, bud, warnings)
    labels = _labels(drug, conc, vol, source, veh, data, bud)
    _concentration_warning(conc, data, warnings)
    return LiquidPreparation(
        mfr.id if mfr else None, mfr.version if mfr else None, mfr.name if mfr else None, source, veh, drug,
        conc, vol, part.tablet_strength, part.tablets_equivalent, part.tablets_to_use, part.tablets_to_crush,
        part.average_tablet_weight, part.tablet_powder_to_weigh, part.api_form, part.salt_factor, part.potency,
        part.api_to_weigh, part.aliquot, mwq, bal.key, all(w >= mwq for w in weighed), components, rows,
        recommended, cdate, bud, bud.storage, labels, tuple(warnings), trace.freeze(), part.potency_basis,
        part.potency_basis_text, reference_hash=ref_hash)


@dataclass(frozen=True)
class _DrugPart:
    """What the tablets or the API stage gives the preparation (the other source's fields None)."""

    weighed: tuple[pint.Quantity, ...] = ()  # what goes on the balance, checked against the MWQ
    tablet_strength: pint.Quantity | None = None
    tablets_equivalent: Fraction | None = None
    tablets_to_use: pint.Quantity | None = None
    tablets_to_crush: pint.Quantity | None = None
    average_tablet_weight: pint.Quantity | None = None
    tablet_powder_to_weigh: pint.Quantity | None = None
    api_form: str | None = None
    salt_factor: Fraction | None = None
    potency: Fraction | None = None
    api_to_weigh: pint.Quantity | None = None
    aliquot: LiquidAliquot | None = None
    potency_basis: str | None = None
    potency_basis_text: str | None = None


def _formula_stage(i: dict[str, Any], data: LiquidData, bundle: Any) -> tuple[Any, str, Vehicle]:
    """(master formula or None, source, vehicle): the formula's defaults where none was given."""
    mfr = _master_formula(i["formula"], i["vehicle"], data, bundle)
    source = i["source"] or (mfr.source if mfr else "tablets")
    vehicle = i["vehicle"] or (mfr.default_vehicle if mfr else "purified_water")
    if source not in SOURCES:
        raise InputError("is not a known source", field="source", value=source, allowed="tablets, api")
    refuse_other_source_inputs(source, "liquids", **{k: i[k] for k in (
        "api_form", "potency", "assay", "water", "potency_basis", "tablet_weight")})
    return mfr, source, data.vehicle(vehicle)


def _balance_stage(balance: str | None, mwq: Any, ref: Reference, trace: Trace) -> tuple[Any, pint.Quantity]:
    """(balance, MWQ [mg]): the balance's MWQ, or the one entered."""
    bal = ref.balance(balance or ref.default_balance)
    if mwq is None:
        return bal, trace.add("mwq", bal.mwq_formula, bal.mwq.to(mg), detail=bal.name)
    return bal, trace.note("mwq", entered_mwq(mwq), detail="entered")


def _tablets_stage(drug: pint.Quantity, conc: pint.Quantity, strength: pint.Quantity, tablet_weight: Any,
                   mwq: pint.Quantity, trace: Trace, warnings: list[str]) -> _DrugPart:
    """Whole tablets when the drug is a whole number of them; else crushed tablets' powder weighed."""
    equivalent = exact((drug / strength).to(tablet).magnitude)
    if equivalent.denominator == 1:
        trace.add("tablets_equivalent", "drug ÷ tablet strength",
                  Q(equivalent, tablet), drug=drug, tablet_strength=strength)
        use = trace.add("tablets_to_use", "tablets equivalent (a whole number)",
                        Q(equivalent, tablet))
        avg = None if tablet_weight is None else check_tablet_weight(tablet_weight, strength)
        return _DrugPart((), strength, equivalent, use, average_tablet_weight=avg)
    if tablet_weight is None:
        raise InputError(f"must be measured: the batch needs {format_quantity(Q(equivalent, tablet))} "
                         "(not whole tablets), so whole tablets are crushed and the powder weighed; "
                         "weigh at least 10-20 tablets and enter their average weight",
                         field="tablet_weight", allowed="a measured average mass per tablet, e.g. 321 mg")
    tp = tablet_powder(drug, strength, check_tablet_weight(tablet_weight, strength), trace)
    powder = tp.powder_to_weigh
    if powder < mwq:
        whole = math.ceil(equivalent)
        warnings.append(f"The tablet powder ({format_quantity(powder)}) is below the balance's MWQ "
                        f"({format_quantity(mwq)}): use whole tablets instead, e.g. {whole} "
                        f"tablet{'s' if whole > 1 else ''} in {format_quantity((Q(whole, tablet) * strength / conc).to(mL))} "
                        f"at {format_quantity(conc)}.")
    return _DrugPart((powder,), strength, equivalent, None, tp.tablets_to_crush, tp.average_tablet_weight, powder)


def _api_stage(drug: pint.Quantity, vol: pint.Quantity, mwq: pint.Quantity, veh: Vehicle, api_form: str | None,
               lot: dict[str, Any], ref: Reference, bundle: Any, trace: Trace, warnings: list[str]) -> _DrugPart:
    """The lot's content (``lot``: potency, assay, water, potency_basis; drug.py), the powder to
    weigh, and an aliquot below the MWQ."""
    content = drug_content(api_form, **lot, ref=ref, trace=trace, warnings=warnings)
    api = _api_amount(drug, content, trace)
    aliquot = _liquid_aliquot(drug, api, vol, mwq, veh, trace, warnings, bundle) if api < mwq else None
    return _DrugPart((aliquot.api_to_weigh if aliquot else api,), api_form=content.form.key,
                     salt_factor=content.salt_factor, potency=content.potency, api_to_weigh=api, aliquot=aliquot,
                     potency_basis=content.potency_basis.key, potency_basis_text=content.basis_text)


def _vehicle_warnings(veh: Vehicle, conc: pint.Quantity, warnings: list[str]) -> None:
    if veh.published_concentration is not None and veh.published_concentration.quantity.to(mg_per_mL) != conc:
        warnings.append(f"{veh.name} was published at {format_quantity(veh.published_concentration.quantity)}; "
                        f"its stability data do not cover {format_quantity(conc)}.")
    if veh.stability_note:
        warnings.append(veh.stability_note)


def _bud_stage(veh: Vehicle, compounding_date: Any, component_expiries: tuple[Any, ...], day_one: bool,
               ref: Reference, trace: Trace, warnings: list[str]) -> tuple[dt.date, BeyondUseDate]:
    """(compounding date, BUD): the vehicle's category, limited by the components' expiry dates."""
    cdate = parse_date(compounding_date, "date")
    bud = beyond_use_date(veh.bud_category, cdate, component_expiries=component_expiries,
                          day_one_is_compounding_day=day_one, ref=ref)
    trace.add("bud", "compounding date + BUD days", bud.date, detail=bud.basis, days=bud.days)
    warnings[:0] = bud.warnings  # first: a liquid that expires within days is the news of this sheet
    return cdate, bud


def _dose_stage(doses: tuple[pint.Quantity, ...], conc: pint.Quantity, vol: pint.Quantity, data: LiquidData,
                bud: BeyondUseDate, warnings: list[str]) -> tuple[tuple[DoseVolume, ...], pint.Quantity | None]:
    """(dose-volume rows, recommended concentration or None) with their warnings."""
    minimum = data.minimum_dose_volume.quantity.to(mL)
    rows = tuple(_dose_row(d, conc, vol, data.syringes, minimum, bud.days) for d in doses)
    recommended = _recommendation(rows, conc, doses, data, warnings)
    _supply_warnings(rows, bud, warnings)
    return rows, recommended


def _labels(drug: pint.Quantity, conc: pint.Quantity, vol: pint.Quantity, source: str, veh: Vehicle,
            data: LiquidData, bud: BeyondUseDate) -> tuple[str, ...]:
    labels = [f"NALTREXONE HCl {format_quantity(conc)} ({format_quantity(drug)} in {format_quantity(vol)})"]
    if source == "tablets" or not veh.solution_from_api:
        labels.append(data.shake_well_label)
    return tuple(labels + list(veh.labels) + [bud.storage_label])


def _concentration_warning(conc: pint.Quantity, data: LiquidData, warnings: list[str]) -> None:
    standard = data.standard_concentrations[0].quantity.to(mg_per_mL)
    if conc != standard:
        warnings.append(f"{format_quantity(conc)} is not the usual {format_quantity(standard)}: several "
                        "concentrations in circulation is a ten-fold-error risk; print the concentration "
                        "unmistakably on every label and sheet.")


def _with_order(prep: LiquidPreparation, inputs: dict[str, Any]) -> LiquidPreparation:
    """The preparation carrying its order: the inputs, with the defaults it chose filled in."""
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
