"""Capsule batches: capsules to make, drug and powder to weigh, filler, blend, fill weight, QC,
aliquots, BUD and warnings — each number with its step in the calculation trace.

Methods (domain.md §5-7; references: Compound Direct documentation, packing statistics; UNC
Pharmaceutical Compounding Lab; Ansel's Pharmaceutical Calculations ch. 3; USP <795>):

- capsules to make = ordered + extra; a percentage extra is rounded **up** with exact arithmetic;
- packing statistic: filler per capsule = PS_filler − dose × PS_filler ÷ PS_drug (PS_drug unknown:
  the drug displaces its own mass, i.e. displacement factor 1);
- density: filler per capsule = (capsule volume − dose ÷ drug bulk density) × filler bulk density;
- a drug that fills the capsule by itself is refused with the next size that fits suggested.

The lower-level functions here take any drug (they serve the textbook cases); :func:`capsule_batch`
is the LDN batch and enforces the LDN strength range.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable

import pint

from .bud import BeyondUseDate, beyond_use_date, parse_date
from .errors import CalculationError, InputError, RangeError
from .formulas import MasterFormula, formula as get_formula, formulas as all_formulas
from .reference import Reference, reference
from .trace import Step, Trace
from .units import (Q, as_count, as_fraction, as_quantity, capsule, dimensionless, exact,
                    mg, mg_per_capsule, mg_per_tablet, mL, percent, tablet)
from .weighing import AliquotPlan, entered_mwq, plan_aliquot

__all__ = ["CapsuleBatch", "capsule_batch", "capsules_to_make", "parse_extra",
           "packing_stat_filler", "density_filler", "salt_factor", "as_is_potency",
           "tablet_powder", "next_size_that_fits"]

# --- Small pure steps (any drug) ----------------------------------------------------------------

def parse_extra(extra: Any, field: str = "extra") -> tuple[str, Fraction]:
    """``("count", 2)`` for ``2``/``"2"``, ``("percent", 1/10)`` for ``"10%"``; none → count 0."""
    allowed = "a whole number of capsules (e.g. 2) or a percentage (e.g. 10%) from 0 to 100%"
    if extra is None or (isinstance(extra, str) and not extra.strip()):
        return "count", Fraction(0)
    if isinstance(extra, str) and "%" in extra or isinstance(extra, pint.Quantity) and extra.dimensionless:
        ratio = as_fraction(extra, field, low=Fraction(0), high=Fraction(1), allowed=allowed)
        return "percent", ratio
    count = as_count(extra, field, capsule, minimum=0, maximum=100000)
    return "count", Fraction(count.magnitude)


def capsules_to_make(ordered: pint.Quantity, extra: Any = None) -> tuple[pint.Quantity, pint.Quantity]:
    """(extra capsules, capsules to make). 90 + 10 % → (9, 99): exact, rounded up."""
    kind, amount = parse_extra(extra)
    n = ordered.to(capsule).magnitude
    extra_count = amount if kind == "count" else Fraction(math.ceil(n * amount))
    return Q(extra_count, capsule), Q(n + extra_count, capsule)


def packing_stat_filler(dose: pint.Quantity, filler_ps: pint.Quantity,
                        drug_ps: pint.Quantity | None = None) -> tuple[pint.Quantity, pint.Quantity]:
    """(filler displaced, filler per capsule) [mg/capsule] by the packing-statistic method."""
    if drug_ps is None:
        displaced = dose  # displacement factor 1: the drug displaces its own mass of filler
    else:
        displaced = dose * (filler_ps / drug_ps).to(dimensionless).magnitude
    return displaced.to(mg_per_capsule), (filler_ps - displaced).to(mg_per_capsule)


def density_filler(dose: pint.Quantity, drug_density: pint.Quantity, filler_density: pint.Quantity,
                   capsule_volume: pint.Quantity) -> tuple[pint.Quantity, pint.Quantity, pint.Quantity]:
    """(drug volume, free volume, filler per capsule): free = V − dose ÷ ρ_drug; filler = free × ρ_filler.

    Raises CalculationError when the drug alone fills or overfills the capsule.
    """
    per_cap = Q(1, capsule)
    drug_volume = (dose * per_cap / drug_density).to(mL)
    free = (capsule_volume - drug_volume).to(mL)
    if free.magnitude <= 0:
        raise CalculationError(
            f"the drug alone occupies {_num(drug_volume)} mL, more than the capsule's "
            f"{_num(capsule_volume.to(mL))} mL", field="capsule_size",
            value=None, allowed="a larger capsule size")
    return drug_volume, free, (free * filler_density / per_cap).to(mg_per_capsule)


def salt_factor(weighed_form_mw: pint.Quantity, basis_form_mw: pint.Quantity) -> Fraction:
    """Mass of the weighed form that carries 1 mass unit of the strength's basis form."""
    return exact((weighed_form_mw / basis_form_mw).to(dimensionless).magnitude)


def as_is_potency(assay: Fraction, water: Fraction = Fraction(0)) -> Fraction:
    """As-is potency = assay (anhydrous basis) × (1 − water fraction)."""
    return assay * (1 - water)


def tablet_powder(drug: pint.Quantity, tablet_strength: pint.Quantity,
                  average_weight: pint.Quantity) -> tuple[Fraction, pint.Quantity, pint.Quantity]:
    """(tablets equivalent, whole tablets to crush, powder to weigh) for ``drug`` from tablets.

    powder = drug × average tablet weight ÷ tablet strength; crush the next whole tablet count.
    """
    equivalent = exact((drug / tablet_strength).to(tablet).magnitude)
    powder = (drug * (average_weight / tablet_strength).to(dimensionless).magnitude).to(mg)
    return equivalent, Q(math.ceil(equivalent), tablet), powder


def next_size_that_fits(capacity_for: Any, sizes: dict[str, Any], current: str) -> str | None:
    """The smallest size larger than ``current`` for which ``capacity_for(size)`` is True."""
    ordered = sorted(sizes, key=lambda s: sizes[s].quantity.to(mL).magnitude)
    start = ordered.index(current) + 1 if current in ordered else 0
    for size in ordered[start:]:
        if capacity_for(size):
            return size
    return None


# --- The batch ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CapsuleBatch:
    """A calculated capsule batch. Quantities carry units; ``trace`` explains each of them."""

    formula_id: str
    formula_version: str
    formula_name: str
    source: str
    strength: pint.Quantity
    capsules_ordered: pint.Quantity
    extra: pint.Quantity
    capsules_to_make: pint.Quantity
    capsule_size: str
    filler: str
    filler_name: str
    api_form: str | None
    salt_factor: Fraction
    potency: Fraction | None
    naltrexone_hcl: pint.Quantity
    api_to_weigh: pint.Quantity | None
    tablets_equivalent: Fraction | None
    tablets_to_crush: pint.Quantity | None
    average_tablet_weight: pint.Quantity | None
    tablet_powder_to_weigh: pint.Quantity | None
    drug_powder_per_capsule: pint.Quantity
    method: str
    filler_fill_weight: pint.Quantity | None
    filler_fill_weight_measured: bool
    api_fill_weight: pint.Quantity | None
    filler_displaced_per_capsule: pint.Quantity
    filler_per_capsule: pint.Quantity
    filler_to_weigh: pint.Quantity
    filler_to_add: pint.Quantity
    blend_total: pint.Quantity
    fill_weight_per_capsule: pint.Quantity
    qc_low: Fraction
    qc_high: Fraction
    fill_weight_min: pint.Quantity
    fill_weight_max: pint.Quantity
    balance: str
    mwq: pint.Quantity
    aliquot: AliquotPlan | None
    compounding_date: dt.date
    bud: BeyondUseDate
    warnings: tuple[str, ...]
    trace: tuple[Step, ...]
    inputs: dict[str, Any]

    @property
    def drug_powder_to_weigh(self) -> pint.Quantity:
        """The drug-bearing powder the batch needs: API powder, or crushed tablet powder."""
        return self.api_to_weigh if self.source == "api" else self.tablet_powder_to_weigh

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of ``python -m compounding capsules --json``."""
        from .jsonout import to_jsonable

        return {
            "formula": {"id": self.formula_id, "version": self.formula_version, "name": self.formula_name},
            "source": self.source,
            "strength": to_jsonable(self.strength),
            "capsules_ordered": int(self.capsules_ordered.magnitude),
            "extra": int(self.extra.magnitude),
            "capsules_to_make": int(self.capsules_to_make.magnitude),
            "naltrexone_hcl": to_jsonable(self.naltrexone_hcl),
            "api_form": self.api_form,
            "salt_factor": to_jsonable(self.salt_factor),
            "potency": None if self.potency is None else to_jsonable(Q(self.potency, dimensionless).to(percent)),
            "api_to_weigh": to_jsonable(self.api_to_weigh),
            "tablets_to_crush": None if self.tablets_to_crush is None else int(self.tablets_to_crush.magnitude),
            "average_tablet_weight": to_jsonable(self.average_tablet_weight),
            "tablet_powder_to_weigh": to_jsonable(self.tablet_powder_to_weigh),
            "method": self.method,
            "filler": self.filler,
            "filler_per_capsule": to_jsonable(self.filler_per_capsule),
            "filler_to_weigh": to_jsonable(self.filler_to_weigh),
            "filler_to_add": to_jsonable(self.filler_to_add),
            "blend_total": to_jsonable(self.blend_total),
            "fill_weight_per_capsule": to_jsonable(self.fill_weight_per_capsule),
            "fill_weight_min": to_jsonable(self.fill_weight_min),
            "fill_weight_max": to_jsonable(self.fill_weight_max),
            "capsule_size": self.capsule_size,
            "balance": self.balance,
            "mwq": to_jsonable(self.mwq),
            "aliquot": None if self.aliquot is None else self.aliquot.as_dict(),
            "compounding_date": self.compounding_date.isoformat(),
            "bud": self.bud.date.isoformat(),
            "bud_days": int(self.bud.days.magnitude),
            "bud_basis": self.bud.basis,
            "storage": self.bud.storage,
            "warnings": list(self.warnings),
            "trace": [s.as_dict() for s in self.trace],
        }


def _strength(value: Any, ref: Reference) -> pint.Quantity:
    strength = as_quantity(value, "strength", "mass").to(mg)
    low, high = ref.strength_minimum.quantity.to(mg), ref.strength_maximum.quantity.to(mg)
    if not (low <= strength <= high):
        hint = ""
        typed = value if isinstance(value, pint.Quantity) else as_quantity(value, "strength", "mass")
        if typed.units != mg and low.magnitude <= typed.magnitude <= high.magnitude:
            hint = f"; did you mean {_num(Q(typed.magnitude, mg))} mg?"
        raise RangeError(f"is outside the low-dose naltrexone range{hint}", field="strength",
                         value=value if isinstance(value, str) else typed,
                         allowed=f"{_num(low)}-{_num(high)} mg (the LDN range)")
    return strength


def _num(q: pint.Quantity) -> str:
    """The number as every screen shows it (the one display rule), for texts that write the unit."""
    from .display import format_magnitude

    return format_magnitude(q)


def _positive(q: pint.Quantity, field: str, value: Any, allowed: str, high: pint.Quantity | None = None):
    if q.magnitude <= 0 or (high is not None and q > high):
        raise RangeError("is out of range" if q.magnitude > 0 else "must be greater than zero",
                         field=field, value=value, allowed=allowed)
    return q


def capsule_batch(strength: Any, quantity: Any, *, extra: Any = None, source: str | None = None,
                  formula: str | None = None, potency: Any = None, assay: Any = None,
                  water: Any = None, api_form: str = "hcl_anhydrous", strength_basis: str | None = None,
                  tablet_weight: Any = None, capsule_size: str | None = None, filler: str | None = None,
                  fill_weight: Any = None, api_fill_weight: Any = None, method: str = "packing_statistic",
                  drug_bulk_density: Any = None, filler_bulk_density: Any = None,
                  balance: str | None = None, mwq: Any = None, qc_limits: tuple[Any, Any] | None = None,
                  compounding_date: dt.date | str | None = None,
                  component_expiries: Iterable[dt.date | str] = (), ref: Reference | None = None) -> CapsuleBatch:
    """Calculate an LDN capsule batch.

    Parameters (typed text like ``"4.5 mg"`` or pint quantities; bare numbers only for counts):
    strength [mg naltrexone HCl per capsule, 0.1-4.5]; quantity [capsules ordered]; extra [count or
    "10%"]; source ``api`` | ``tablets`` (or a ``formula`` id, which sets it); potency [as-is %, or
    assay and water %]; api_form (``hcl_anhydrous``, ``hcl_dihydrate``, ``base``); strength_basis
    (the form the strength is stated as; default the reference basis, anhydrous HCl);
    tablet_weight [mg per 50 mg tablet, measured]; capsule_size ``000``-``5``; filler key;
    fill_weight [measured filler fill weight per capsule of that size]; api_fill_weight [the drug
    powder's own fill weight]; method ``packing_statistic`` | ``density``; balance key or mwq [mg];
    qc_limits (``"90%"``, ``"110%"``); compounding_date (ISO); component_expiries (ISO dates).
    """
    ref = ref or reference()
    t = Trace()
    warnings: list[str] = []
    inputs = {k: v for k, v in dict(
        strength=strength, quantity=quantity, extra=extra, source=source, formula=formula,
        potency=potency, assay=assay, water=water, api_form=api_form, strength_basis=strength_basis,
        tablet_weight=tablet_weight, capsule_size=capsule_size, filler=filler,
        fill_weight=fill_weight, api_fill_weight=api_fill_weight, method=method,
        drug_bulk_density=drug_bulk_density, filler_bulk_density=filler_bulk_density,
        balance=balance, mwq=mwq, qc_limits=qc_limits, compounding_date=compounding_date,
        component_expiries=list(component_expiries)).items() if v not in (None, [])}

    # formula and source
    if source is not None and source not in ("api", "tablets"):
        raise InputError("is not a source", field="source", value=source, allowed="api or tablets")
    if formula is None:
        wanted = source or "api"
        matches = [f for f in all_formulas().values() if f.preparation == "capsules" and f.source == wanted]
        if not matches:
            raise InputError("has no capsule formula", field="source", value=wanted)
        mf: MasterFormula = matches[0]
    else:
        mf = get_formula(formula)
        if mf.preparation != "capsules":
            raise InputError("is not a capsule formula", field="formula", value=formula)
        if source is not None and source != mf.source:
            raise InputError(f"does not match the formula's source ({mf.source})", field="source",
                             value=source, allowed=mf.source)
    source = mf.source

    # strength, count, extra
    strength_q = t.add("strength", "Strength per capsule (as naltrexone HCl)", "given",
                       _strength(strength, ref) / Q(1, capsule))
    ordered = t.add("capsules_ordered", "Capsules ordered", "given",
                    as_count(quantity, "quantity", capsule, minimum=1, maximum=10000))
    kind, amount = parse_extra(extra)
    extra_q, to_make = capsules_to_make(ordered, extra)
    if kind == "percent":
        t.add("extra", "Extra capsules for losses", "ROUNDUP(ordered × extra %)", extra_q,
              ordered=ordered, extra_percent=Q(amount, dimensionless).to(percent), unrounded=ordered * amount)
    else:
        t.add("extra", "Extra capsules for losses", "given", extra_q)
    t.add("capsules_to_make", "Capsules to make", "ordered + extra", to_make, ordered=ordered, extra=extra_q)
    low_usual = mf.usual_strength_min.quantity.to(mg) / Q(1, capsule)
    high_usual = mf.usual_strength_max.quantity.to(mg) / Q(1, capsule)
    if not (low_usual <= strength_q <= high_usual):
        warnings.append(f"Strength {_num(strength_q.to(mg_per_capsule))} mg is outside this formula's usual "
                        f"doses ({_num(low_usual)}-{_num(high_usual)} mg): check the prescription.")

    # drug in batch, salt and potency
    naltrexone_hcl = t.add("naltrexone_hcl", "Naltrexone HCl in the batch", "strength × capsules to make",
                           (strength_q * to_make).to(mg), strength=strength_q, capsules_to_make=to_make)
    basis_key = strength_basis or ref.strength_basis
    basis = ref.form(basis_key, "strength_basis")
    api_form_key = api_form if source == "api" else ref.tablet.form
    weighed = ref.form(api_form_key, "api_form")
    factor = salt_factor(weighed.molecular_weight.quantity, basis.molecular_weight.quantity)
    hcl_basis = ref.form(ref.strength_basis)
    if basis_key != ref.strength_basis:
        # strength stated as another form (e.g. base): express the batch as naltrexone HCl too
        to_hcl = salt_factor(hcl_basis.molecular_weight.quantity, basis.molecular_weight.quantity)
        naltrexone_hcl = t.add("naltrexone_hcl", "Naltrexone HCl in the batch (strength stated as "
                               f"{basis.name})", "strength × capsules × MW(HCl) ÷ MW(basis)",
                               naltrexone_hcl * to_hcl, salt_factor=to_hcl)
    drug_in_batch = (strength_q * to_make).to(mg)  # in the basis form
    if factor != 1:
        t.add("salt_factor", "Salt factor", f"MW {weighed.name} ÷ MW {basis.name}", Q(factor, dimensionless),
              weighed_mw=weighed.molecular_weight.quantity, basis_mw=basis.molecular_weight.quantity)
        warnings.append(f"Salt factor {_num(Q(factor, dimensionless))} applied: weighing {weighed.name} "
                        f"for a strength stated as {basis.name}.")

    mwq_q = _mwq(balance, mwq, ref, t)
    balance_key = balance or (ref.default_balance if mwq is None else "custom")

    potency_f: Fraction | None = None
    api_to_weigh = avg_weight = powder = crush = None
    equivalent = None
    if source == "api":
        potency_f = _potency(potency, assay, water, ref, t, warnings)
        material = drug_in_batch * factor
        if potency_f is not None:
            api_to_weigh = t.add("api_to_weigh", "Naltrexone HCl powder to weigh",
                                 "drug in batch × salt factor ÷ as-is potency", material / potency_f,
                                 drug=drug_in_batch, salt_factor=Q(factor, dimensionless),
                                 potency=Q(potency_f, dimensionless).to(percent))
        else:
            api_to_weigh = t.add("api_to_weigh", "Naltrexone HCl powder to weigh",
                                 "drug in batch × salt factor (no potency correction)", material,
                                 drug=drug_in_batch, salt_factor=Q(factor, dimensionless))
        material_total = api_to_weigh
    else:
        if tablet_weight is None:
            raise InputError("is needed to make capsules from tablets: weigh at least 10-20 tablets "
                             "and enter the average weight of one", field="tablet_weight",
                             allowed="a mass per tablet, e.g. 321 mg")
        avg_weight = as_quantity(tablet_weight, "tablet_weight", "mass_per_tablet").to(mg_per_tablet)
        tab_strength = ref.tablet.strength.quantity.to(mg_per_tablet)
        if avg_weight < tab_strength or avg_weight > Q(2000, mg_per_tablet):
            raise RangeError(f"cannot be the weight of one {_num(tab_strength * Q(1, tablet))} mg tablet",
                             field="tablet_weight", value=tablet_weight,
                             allowed=f"{_num(tab_strength * Q(1, tablet))}-2000 mg per tablet")
        t.add("average_tablet_weight", "Average weight of one tablet (measured)", "given", avg_weight)
        equivalent, crush, powder = tablet_powder(drug_in_batch * factor, tab_strength, avg_weight)
        t.add("tablets_equivalent", "Tablets' worth of drug", "drug in batch ÷ tablet strength",
              Q(equivalent, tablet), drug=drug_in_batch, tablet_strength=tab_strength)
        t.add("tablets_to_crush", "Whole tablets to crush", "ROUNDUP(tablets equivalent)", crush,
              tablets_equivalent=Q(equivalent, tablet))
        t.add("tablet_powder_to_weigh", "Tablet powder to weigh",
              "drug in batch × average tablet weight ÷ tablet strength", powder,
              drug=drug_in_batch, average_tablet_weight=avg_weight, tablet_strength=tab_strength)
        material_total = powder
    dose_material = t.add("drug_powder_per_capsule", "Drug powder per capsule",
                          "powder to weigh ÷ capsules to make", material_total / to_make,
                          powder=material_total, capsules_to_make=to_make)

    # filler
    size = str(capsule_size if capsule_size is not None else mf.default_capsule_size)
    volume = ref.capsule_volume(size).quantity.to(mL)
    filler_key = filler or mf.default_filler
    fil = ref.filler(filler_key)
    if fil.status == "refuse":
        raise InputError(" ".join(fil.cautions) or "is not allowed for LDN", field="filler",
                         value=filler_key, allowed=", ".join(k for k, f in ref.fillers.items() if f.status != "refuse"))
    warnings.extend(fil.cautions)
    filler_ps = drug_ps = None
    measured = False
    if method == "packing_statistic":
        if fill_weight is not None:
            filler_ps = as_quantity(fill_weight, "fill_weight", "mass_per_capsule").to(mg_per_capsule)
            _positive(filler_ps, "fill_weight", fill_weight, "a mass per capsule above 0 and up to 2000 mg",
                      Q(2000, mg_per_capsule))
            measured = True
            t.add("filler_fill_weight", f"Fill weight of {fil.name} in size {size} (measured)", "given", filler_ps)
        else:
            if size not in fil.fill_weight:
                raise InputError(f"has no default fill weight for {fil.name}; measure and enter it",
                                 field="fill_weight", value=None, allowed="a mass per capsule, e.g. 150 mg")
            filler_ps = fil.fill_weight[size].quantity.to(mg) / Q(1, capsule)
            t.add("filler_fill_weight", f"Fill weight of {fil.name} in size {size} (table estimate: "
                  f"{fil.fill_weight[size].source})", "given", filler_ps)
            warnings.append(f"Filler fill weight {_num(filler_ps.to(mg_per_capsule))} mg for size {size} is a table "
                            "estimate: measure the packing statistic for this lot of filler and enter it.")
        if api_fill_weight is not None:
            drug_ps = as_quantity(api_fill_weight, "api_fill_weight", "mass_per_capsule").to(mg_per_capsule)
            _positive(drug_ps, "api_fill_weight", api_fill_weight, "a mass per capsule above 0 and up to 2000 mg",
                      Q(2000, mg_per_capsule))
            t.add("api_fill_weight", f"Fill weight of the drug powder in size {size} (measured)", "given", drug_ps)
        displaced, filler_pc = packing_stat_filler(dose_material, filler_ps, drug_ps)
        if drug_ps is None:
            t.add("filler_displaced_per_capsule", "Filler displaced per capsule (displacement factor 1 "
                  "assumed: the drug displaces its own mass)", "drug powder per capsule", displaced,
                  drug_powder_per_capsule=dose_material)
            warnings.append("Drug powder's own fill weight not given: displacement factor 1 assumed "
                            "(the drug displaces its own mass of filler).")
        else:
            t.add("filler_displaced_per_capsule", "Filler displaced per capsule",
                  "drug powder per capsule × PS filler ÷ PS drug", displaced,
                  drug_powder_per_capsule=dose_material, filler_fill_weight=filler_ps, api_fill_weight=drug_ps)
        if filler_pc.magnitude <= 0:
            _overfill(size, ref, lambda s: _ps_capacity(s, drug_ps or filler_ps, size, ref) > dose_material,
                      dose_material)
        t.add("filler_per_capsule", "Filler per capsule", "filler fill weight − filler displaced", filler_pc,
              filler_fill_weight=filler_ps, filler_displaced=displaced)
        displaced_q = displaced
    elif method == "density":
        rho_drug = as_quantity(drug_bulk_density, "drug_bulk_density", "density")
        _positive(rho_drug.to("g/mL"), "drug_bulk_density", drug_bulk_density, "0.05-3 g/mL", Q(3, "g/mL"))
        if filler_bulk_density is not None:
            rho_fil = as_quantity(filler_bulk_density, "filler_bulk_density", "density")
            _positive(rho_fil.to("g/mL"), "filler_bulk_density", filler_bulk_density, "0.05-3 g/mL", Q(3, "g/mL"))
        elif fil.bulk_density is not None:
            rho_fil = fil.bulk_density.quantity
        else:
            raise InputError("is needed for the density method", field="filler_bulk_density")
        try:
            drug_vol, free_vol, filler_pc = density_filler(dose_material, rho_drug, rho_fil, volume)
        except CalculationError:
            _overfill(size, ref, lambda s: ref.capsule_volume(s).quantity.to(mL) >
                      (dose_material * Q(1, capsule) / rho_drug).to(mL), dose_material)
        t.add("drug_volume_per_capsule", "Volume of drug powder per capsule", "dose ÷ drug bulk density",
              drug_vol, dose=dose_material, drug_bulk_density=rho_drug)
        t.add("free_volume_per_capsule", "Free volume per capsule", "capsule volume − drug volume", free_vol,
              capsule_volume=volume)
        t.add("filler_per_capsule", "Filler per capsule", "free volume × filler bulk density", filler_pc,
              free_volume=free_vol, filler_bulk_density=rho_fil)
        displaced_q = dose_material
    else:
        raise InputError("is not a method", field="method", value=method, allowed="packing_statistic, density")

    filler_total = t.add("filler_to_weigh", "Filler in the blend", "filler per capsule × capsules to make",
                         (filler_pc * to_make).to(mg), filler_per_capsule=filler_pc, capsules_to_make=to_make)
    blend = t.add("blend_total", "Blend total", "drug powder + filler", (material_total + filler_total).to(mg),
                  drug_powder=material_total, filler=filler_total)
    fill = t.add("fill_weight_per_capsule", "Fill weight per capsule", "blend total ÷ capsules to make",
                 blend / to_make, blend_total=blend, capsules_to_make=to_make)
    low, high = _qc(qc_limits)
    fmin = t.add("fill_weight_min", "Lowest acceptable capsule fill", "fill weight × low limit", fill * low,
                 fill_weight=fill, low_limit=Q(low, dimensionless).to(percent))
    fmax = t.add("fill_weight_max", "Highest acceptable capsule fill", "fill weight × high limit", fill * high,
                 fill_weight=fill, high_limit=Q(high, dimensionless).to(percent))

    # weighing and aliquots
    plan = None
    if material_total < mwq_q:
        plan = plan_aliquot(material_total, mwq_q, max_factor_per_stage=ref.max_factor_per_stage)
        carried = plan.diluent_in_aliquot
        if carried > filler_total:
            raise CalculationError(
                f"the batch holds only {_num(filler_total)} mg of filler, less than the "
                f"{_num(carried)} mg of diluent an aliquot carries: make more capsules or use a stock "
                "trituration", field="quantity", value=quantity)
        for i, st in enumerate(plan.stages, 1):
            t.add(f"aliquot_stage_{i}", f"Aliquot stage {i}: weigh {_num(st.drug_to_weigh)} mg, add "
                  f"{_num(st.diluent_to_add)} mg diluent, take {_num(st.aliquot_to_take)} mg",
                  "factor = ROUNDUP(MWQ ÷ required); mixture = factor × aliquot", st.aliquot_to_take,
                  required=plan.required, mwq=mwq_q, factor=Q(st.factor, dimensionless),
                  drug_to_weigh=st.drug_to_weigh, mixture_total=st.mixture_total)
        what = "naltrexone HCl powder" if source == "api" else "tablet powder"
        warnings.append(f"Aliquot needed: {_num(material_total)} mg of {what} is below the balance's "
                        f"MWQ of {_num(mwq_q)} mg; follow the {len(plan.stages)}-stage dilution plan "
                        "(geometric dilution).")
    else:
        carried = Q(0, mg)
    filler_to_add = t.add("filler_to_add", "Filler to add to the blend" + (" (besides the aliquot's diluent)"
                          if plan else ""), "filler in blend − diluent carried in the aliquot",
                          (filler_total - carried).to(mg), filler=filler_total, carried=carried)
    if 0 < filler_to_add.magnitude and filler_to_add < mwq_q:
        warnings.append(f"Filler to add ({_num(filler_to_add)} mg) is below the balance's MWQ of "
                        f"{_num(mwq_q)} mg: make a larger batch or use a more sensitive balance.")

    # BUD
    day0 = parse_date(compounding_date, "date")
    bud = beyond_use_date(mf.bud_category, day0, component_expiries=component_expiries, ref=ref)
    t.add("bud", f"Beyond-use date ({bud.basis})", "compounding date + days", bud.date,
          compounding_date=day0, days=bud.days)

    return CapsuleBatch(
        formula_id=mf.id, formula_version=mf.version, formula_name=mf.name, source=source,
        strength=strength_q.to(mg_per_capsule), capsules_ordered=ordered, extra=extra_q,
        capsules_to_make=to_make, capsule_size=size, filler=filler_key, filler_name=fil.name,
        api_form=api_form_key if source == "api" else None, salt_factor=factor, potency=potency_f,
        naltrexone_hcl=naltrexone_hcl.to(mg), api_to_weigh=None if api_to_weigh is None else api_to_weigh.to(mg),
        tablets_equivalent=equivalent, tablets_to_crush=crush, average_tablet_weight=avg_weight,
        tablet_powder_to_weigh=powder, drug_powder_per_capsule=dose_material.to(mg_per_capsule), method=method,
        filler_fill_weight=filler_ps, filler_fill_weight_measured=measured, api_fill_weight=drug_ps,
        filler_displaced_per_capsule=displaced_q.to(mg_per_capsule), filler_per_capsule=filler_pc,
        filler_to_weigh=filler_total, filler_to_add=filler_to_add, blend_total=blend,
        fill_weight_per_capsule=fill.to(mg_per_capsule), qc_low=low, qc_high=high,
        fill_weight_min=fmin.to(mg_per_capsule), fill_weight_max=fmax.to(mg_per_capsule),
        balance=balance_key, mwq=mwq_q, aliquot=plan, compounding_date=day0, bud=bud,
        warnings=tuple(dict.fromkeys(warnings)), trace=t.freeze(), inputs=inputs)


def _ps_capacity(size: str, ps: pint.Quantity, at_size: str, ref: Reference) -> pint.Quantity:
    """A packing statistic scaled to another size by nominal volume."""
    ratio = (ref.capsule_volume(size).quantity / ref.capsule_volume(at_size).quantity).to(dimensionless)
    return ps * ratio.magnitude


def _overfill(size: str, ref: Reference, fits, dose: pint.Quantity) -> None:
    bigger = next_size_that_fits(fits, ref.capsule_sizes, size)
    advice = f"use size {bigger}" if bigger else "no capsule size holds it; split the dose"
    raise CalculationError(f"the drug powder ({_num(dose.to(mg_per_capsule))} mg per capsule) fills a size "
                           f"{size} capsule by itself, leaving no room for filler: {advice}",
                           field="capsule_size", value=size,
                           allowed=f"size {bigger} or larger" if bigger else "a smaller dose")


def _mwq(balance: str | None, mwq: Any, ref: Reference, t: Trace) -> pint.Quantity:
    if mwq is not None:
        return t.add("mwq", "Minimum weighable quantity (entered)", "given", entered_mwq(mwq))
    b = ref.balance(balance or ref.default_balance)
    return t.add("mwq", f"Minimum weighable quantity of the {b.name}", b.mwq_formula, b.mwq,
                 **{k: f.quantity for k, f in b.figures.items()})


def _potency(potency: Any, assay: Any, water: Any, ref: Reference, t: Trace,
             warnings: list[str]) -> Fraction | None:
    allowed = "80-105% (as-is potency from the certificate of analysis)"
    if potency is not None and (assay is not None or water is not None):
        raise InputError("give either the as-is potency or the assay and water, not both", field="potency",
                         value=potency)
    if water is not None and assay is None:
        raise InputError("needs the assay (anhydrous basis) it corrects: as-is potency = assay × (1 − water)",
                         field="water", value=water, allowed="water together with assay, or the as-is potency alone")
    if potency is not None:
        p = as_fraction(potency, "potency", low=Fraction(80, 100), high=Fraction(105, 100), allowed=allowed)
        t.add("potency", "As-is potency (certificate of analysis)", "given", Q(p, dimensionless).to(percent))
    elif assay is not None:
        a = as_fraction(assay, "assay", low=Fraction(80, 100), high=Fraction(105, 100),
                        allowed="80-105% on the anhydrous basis")
        w = Fraction(0) if water is None else as_fraction(water, "water", low=Fraction(0), high=Fraction(15, 100),
                                                           allowed="0-15%")
        p = t.add("potency", "As-is potency", "assay (anhydrous basis) × (1 − water)",
                  Q(as_is_potency(a, w), dimensionless).to(percent),
                  assay=Q(a, dimensionless).to(percent), water=Q(w, dimensionless).to(percent))
        p = exact(p.to(dimensionless).magnitude)
    else:
        warnings.append("No potency given: the powder is weighed assuming 100% as-is potency. Enter the "
                        "certificate of analysis potency to correct for it.")
        return None
    if p <= 0:
        raise RangeError("must be greater than zero", field="potency", value=potency, allowed=allowed)
    low = ref.assay_minimum.quantity.to(dimensionless).magnitude
    high = ref.assay_maximum.quantity.to(dimensionless).magnitude
    if not (low <= p <= high):
        warnings.append(f"As-is potency {_num(Q(p, dimensionless).to(percent))}% is outside the USP "
                        f"monograph range ({_num(Q(low, dimensionless).to(percent))}-"
                        f"{_num(Q(high, dimensionless).to(percent))}%): check the lot and its CoA.")
    return p


def _qc(limits: tuple[Any, Any] | None) -> tuple[Fraction, Fraction]:
    if limits is None:
        from .qc import qc_limits

        q = qc_limits()
        return (exact(q.individual_low.quantity.to(dimensionless).magnitude),
                exact(q.individual_high.quantity.to(dimensionless).magnitude))
    low = as_fraction(limits[0], "qc_low", low=Fraction(50, 100), high=Fraction(1), allowed="50-100%")
    high = as_fraction(limits[1], "qc_high", low=Fraction(1), high=Fraction(150, 100), allowed="100-150%")
    return low, high
