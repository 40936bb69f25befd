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
is the LDN batch and enforces the LDN strength range. It runs in three steps: parse
(:func:`parse_capsule_inputs`: typed text → :class:`CapsuleInputs`, each input refused on its own),
stages (``*_stage``: pure functions on quantities, each adding its steps to the trace) and assemble
(:func:`compute_capsule_batch` → :class:`CapsuleBatch`, which carries its order, not its typed inputs).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Iterable, Mapping

import pint

from .bud import BeyondUseDate, beyond_use_date, parse_date
from . import drug as _drug
from .drug import DrugContent, as_is_potency, drug_content, refuse_other_source_inputs, salt_factor
from .errors import CalculationError, InputError, RangeError
from .formulas import MasterFormula
from .reference import Balance, DrugForm, Filler, Reference
from .trace import Step, Trace
from .units import (Q, as_count, as_fraction, as_quantity, capsule, dimensionless, exact, g_per_mL,
                    mg, mg_per_capsule, mg_per_tablet, mL, percent, tablet)
from .weighing import (WEIGHING_KEYS, AliquotPlan, BlendOutcome, BlendPlan, BlendTarget, Weighing,
                       blend_outcome, entered_mwq, plan_blend)

__all__ = ["CapsuleBatch", "capsule_batch", "CapsuleInputs", "parse_capsule_inputs", "compute_capsule_batch",
           "capsules_to_make", "parse_extra",
           "packing_stat_filler", "density_filler", "salt_factor", "as_is_potency",
           "tablet_powder", "next_size_that_fits", "recalculate"]

from . import __version__ as ENGINE_VERSION  # noqa: E402

# The most capsules one batch may make: ordered, and ordered + extra (a slip guard, not a USP figure).
MAX_CAPSULES = 10000

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
    return _to_make(ordered, *parse_extra(extra))


def _to_make(ordered: pint.Quantity, kind: str, amount: Fraction) -> tuple[pint.Quantity, pint.Quantity]:
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


def tablet_powder(drug: pint.Quantity, tablet_strength: pint.Quantity,
                  average_weight: pint.Quantity) -> tuple[Fraction, pint.Quantity, pint.Quantity]:
    """(tablets equivalent, whole tablets to crush, powder to weigh) for ``drug`` from tablets.

    powder = drug × average tablet weight ÷ tablet strength; crush the next whole tablet count.
    """
    tp = _drug.tablet_powder(drug, tablet_strength, average_weight)
    return tp.tablets_equivalent, tp.tablets_to_crush, tp.powder_to_weigh


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
    readability: pint.Quantity
    aliquot: AliquotPlan | None
    weighings: tuple[Weighing, ...]
    planned: BlendOutcome
    actual: BlendOutcome | None
    compounding_date: dt.date
    bud: BeyondUseDate
    warnings: tuple[str, ...]
    trace: tuple[Step, ...]
    # the form whose as-is content ``potency`` is (drug.py; None for tablets), and that basis in words
    potency_basis: str | None = None
    potency_basis_text: str | None = None
    order: Any = None  # the CapsuleOrder it was computed from (orders.py), defaults filled in
    reference_hash: str | None = None  # of the reference-data bundle used (bundle.py)
    engine_version: str = ENGINE_VERSION

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
            "potency_basis": self.potency_basis,
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
            "readability": to_jsonable(self.readability),
            "aliquot": None if self.aliquot is None else self.aliquot.as_dict(),
            "weighings": [w.as_dict() for w in self.weighings],
            "planned": self.planned.as_dict(),
            "actual": None if self.actual is None else self.actual.as_dict(),
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


# --- Parse: typed text → CapsuleInputs -----------------------------------------------------------
# Every refusal of one input (a typo, a unit, a range, a name not in the reference data) is made
# here, in the order the fields are checked (source, formula, strength, quantity, extra, strength
# basis, balance, the drug, capsule size, filler, method, QC limits, readability, dates). What
# only the calculation can tell (the drug overfills the capsule, no aliquot plan fits, an actual
# weight of a weighing the plan does not have) is refused by the stage that finds it.

@dataclass(frozen=True)
class Counts:
    strength: pint.Quantity  # mg per capsule, as the strength basis
    ordered: pint.Quantity  # capsules
    extra_kind: str  # "count" | "percent"
    extra_amount: Fraction  # capsules, or the ratio of a percentage


@dataclass(frozen=True)
class BalanceChoice:
    key: str  # a balance of the list, or "custom" for an entered MWQ
    entry: Balance | None  # None for an entered MWQ
    mwq: pint.Quantity
    readability: pint.Quantity
    readability_basis: str  # "entered" | "balance" | "assumed" (for an entered MWQ without one)


@dataclass(frozen=True)
class DrugInput:
    basis: DrugForm  # the form the strength is stated as
    content: DrugContent | None  # api: the lot as drug.py resolved it
    steps: tuple[Step, ...] = ()  # the potency and salt-factor steps drug_content traced
    warnings: tuple[str, ...] = ()  # and the words it had for the pharmacist
    tablet_weight: pint.Quantity | None = None  # tablets: average weight [mg/tablet]


@dataclass(frozen=True)
class FillerInput:
    capsule_size: str
    capsule_volume: pint.Quantity
    key: str
    filler: Filler
    method: str
    fill_weight: pint.Quantity | None = None  # measured filler fill weight [mg/capsule]
    api_fill_weight: pint.Quantity | None = None
    drug_bulk_density: pint.Quantity | None = None
    filler_bulk_density: pint.Quantity | None = None  # entered, or the filler's reference figure


@dataclass(frozen=True)
class CapsuleInputs:
    """A capsule batch's inputs after parsing: quantities with units, reference entries looked up."""

    formula: MasterFormula
    source: str
    counts: Counts
    drug: DrugInput
    balance: BalanceChoice
    filler: FillerInput
    qc_low: Fraction
    qc_high: Fraction
    compounding_date: dt.date
    component_expiries: tuple[dt.date, ...]
    actual_weights: tuple[tuple[str, Any], ...]  # checked against the plan by the stage that has it
    typed: dict[str, Any]  # the values as typed, quoted by a refusal the calculation makes


def parse_capsule_inputs(typed: Mapping[str, Any], bundle: Any = None,
                         ref: Reference | None = None) -> CapsuleInputs:
    """``typed`` (:func:`capsule_batch`'s keyword arguments; those left out take its defaults)
    parsed and checked, each input on its own. The compounding date is required here."""
    from .bundle import shipped_bundle

    bundle = bundle or shipped_bundle()
    ref = ref or bundle.reference
    typed = {**_defaults(), **typed}
    mf = _parse_formula(typed["source"], typed["formula"], bundle)
    refuse_other_source_inputs(mf.source, "capsules", **{k: typed[k] for k in (
        "api_form", "potency", "assay", "water", "potency_basis", "tablet_weight")})
    counts = _parse_counts(typed, ref)
    basis_key = typed["strength_basis"] or ref.strength_basis
    basis = ref.form(basis_key, "strength_basis")
    mwq_q, entry = _parse_mwq(typed["balance"], typed["mwq"], ref)
    drug = _parse_drug(typed, mf.source, basis, ref)
    fil = _parse_filler(typed, mf, ref)
    low, high = _qc(typed["qc_limits"], bundle.qc)
    balance = _parse_readability(typed, mwq_q, entry, ref)
    day0 = parse_date(typed["compounding_date"], "date")
    expiries = tuple(parse_date(e, "component_expiries") for e in typed["component_expiries"])
    return CapsuleInputs(mf, mf.source, counts, drug, balance, fil, low, high, day0, expiries,
                         tuple((typed["actual_weights"] or {}).items()), typed)


def _defaults() -> dict[str, Any]:
    """capsule_batch's keyword arguments with their defaults (None for strength and quantity)."""
    import inspect

    return {name: None if p.default is inspect.Parameter.empty else p.default
            for name, p in inspect.signature(capsule_batch).parameters.items() if name not in ("ref", "bundle")}


def _parse_formula(source: str | None, formula: str | None, bundle: Any) -> MasterFormula:
    if source is not None and source not in ("api", "tablets"):
        raise InputError("is not a source", field="source", value=source, allowed="api or tablets")
    if formula is None:
        wanted = source or "api"
        matches = [f for f in bundle.formulas.values() if f.preparation == "capsules" and f.source == wanted]
        if not matches:
            raise InputError("has no capsule formula", field="source", value=wanted)
        return matches[0]
    mf = bundle.formula(formula)
    if mf.preparation != "capsules":
        raise InputError("is not a capsule formula", field="formula", value=formula)
    if source is not None and source != mf.source:
        raise InputError(f"does not match the formula's source ({mf.source})", field="source",
                         value=source, allowed=mf.source)
    return mf


def _parse_counts(typed: dict[str, Any], ref: Reference) -> Counts:
    strength = _strength(typed["strength"], ref) / Q(1, capsule)
    ordered = as_count(typed["quantity"], "quantity", capsule, minimum=1, maximum=MAX_CAPSULES)
    kind, amount = parse_extra(typed["extra"])
    extra_q, to_make = _to_make(ordered, kind, amount)
    if to_make.magnitude > MAX_CAPSULES:
        room = MAX_CAPSULES - int(ordered.magnitude)
        raise RangeError(f"makes {int(to_make.magnitude)} capsules ({int(ordered.magnitude)} ordered + "
                         f"{int(extra_q.magnitude)} extra), more than the {MAX_CAPSULES} one batch may make: "
                         "lower the extra, or split the order into batches", field="extra", value=typed["extra"],
                         allowed=f"at most {room} extra capsule{'s' if room != 1 else ''} for "
                                 f"{int(ordered.magnitude)} ordered")
    return Counts(strength, ordered, kind, amount)


def _parse_mwq(balance: str | None, mwq: Any, ref: Reference) -> tuple[pint.Quantity, Balance | None]:
    """(MWQ, the balance of the list it is the MWQ of; None for an entered MWQ)."""
    if mwq is not None:
        return entered_mwq(mwq), None
    b = ref.balance(balance or ref.default_balance)
    return b.mwq, b


def _parse_drug(typed: dict[str, Any], source: str, basis: DrugForm, ref: Reference) -> DrugInput:
    if source == "api":
        t, warnings = Trace(), []
        content = drug_content(typed["api_form"], strength_basis=basis.key, potency=typed["potency"],
                               assay=typed["assay"], water=typed["water"], potency_basis=typed["potency_basis"],
                               ref=ref, trace=t, warnings=warnings)
        return DrugInput(basis, content, t.freeze(), tuple(warnings))
    tablet_weight = typed["tablet_weight"]
    if tablet_weight is None:
        raise InputError("is needed to make capsules from tablets: weigh at least 10-20 tablets "
                         "and enter the average weight of one", field="tablet_weight",
                         allowed="a mass per tablet, e.g. 321 mg")
    avg_weight = _drug.check_tablet_weight(tablet_weight, ref.tablet.strength.quantity)
    return DrugInput(basis, None, tablet_weight=avg_weight)


def _parse_filler(typed: dict[str, Any], mf: MasterFormula, ref: Reference) -> FillerInput:
    size = str(typed["capsule_size"] if typed["capsule_size"] is not None else mf.default_capsule_size)
    volume = ref.capsule_volume(size).quantity.to(mL)
    key = typed["filler"] or mf.default_filler
    fil = ref.filler(key)
    if fil.status == "refuse":
        raise InputError(" ".join(fil.cautions) or "is not allowed for LDN", field="filler",
                         value=key, allowed=", ".join(k for k, f in ref.fillers.items() if f.status != "refuse"))
    method, chosen = typed["method"], FillerInput(size, volume, key, fil, typed["method"])
    if method == "packing_statistic":
        fw = typed["fill_weight"]
        if fw is None and size not in fil.fill_weight:
            raise InputError(f"has no default fill weight for {fil.name}; measure and enter it",
                             field="fill_weight", value=None, allowed="a mass per capsule, e.g. 150 mg")
        return replace(chosen, fill_weight=None if fw is None else
                       _fill_weight(fw, "fill_weight", size, ref, fil.name), api_fill_weight=None
                       if typed["api_fill_weight"] is None else
                       _fill_weight(typed["api_fill_weight"], "api_fill_weight", size, ref, "the drug powder"))
    if method == "density":
        rho_drug = _bulk_density(typed["drug_bulk_density"], "drug_bulk_density", ref)
        if typed["filler_bulk_density"] is not None:
            rho_fil = _bulk_density(typed["filler_bulk_density"], "filler_bulk_density", ref)
        elif fil.bulk_density is not None:
            rho_fil = fil.bulk_density.quantity
        else:
            raise InputError("is needed for the density method", field="filler_bulk_density")
        return replace(chosen, drug_bulk_density=rho_drug, filler_bulk_density=rho_fil)
    raise InputError("is not a method", field="method", value=method, allowed="packing_statistic, density")


def _parse_readability(typed: dict[str, Any], mwq_q: pint.Quantity, entry: Balance | None,
                       ref: Reference) -> BalanceChoice:
    """The step every weighing is rounded to: entered, the balance's, or assumed for an entered MWQ."""
    readability, mwq, balance = typed["readability"], typed["mwq"], typed["balance"]
    key = balance or (ref.default_balance if mwq is None else "custom")
    if readability is not None:
        if mwq is None:
            raise InputError("goes with your balance's own MWQ; a balance from the list has its own readability",
                             field="readability", value=readability, allowed="readability together with mwq")
        d = as_quantity(readability, "readability", "mass").to(mg)
        if not Q("0.001", mg) <= d <= mwq_q:
            raise RangeError("is not the readability of a balance with this MWQ" if d.magnitude > 0 else
                             "must be greater than zero", field="readability", value=readability,
                             allowed=f"0.001 mg up to the MWQ ({_num(mwq_q)} mg), e.g. 10 mg (Class III) or 0.1 mg")
        return BalanceChoice(key, entry, mwq_q, d, "entered")
    if entry is not None:
        return BalanceChoice(key, entry, mwq_q, entry.readability.quantity.to(mg), "balance")
    # an entered MWQ: assume the coarsest step such a balance is likely to show (Class III: 120 mg
    # MWQ, 10 mg steps); rounding coarser than the balance can show is safe, finer is not
    step = Fraction(1, 1000)
    while step * 10 <= mwq_q.to(mg).magnitude / 12:
        step *= 10
    return BalanceChoice(key, entry, mwq_q, Q(step, mg), "assumed")


# --- Stages: pure functions on quantities, each adding its steps to the trace ---------------------

@dataclass(frozen=True)
class BatchCounts:
    strength: pint.Quantity  # mg per capsule
    ordered: pint.Quantity
    extra: pint.Quantity
    to_make: pint.Quantity


@dataclass(frozen=True)
class DrugPowder:
    """The drug-bearing powder of the batch: API powder, or crushed tablet powder."""

    total: pint.Quantity  # mg, the powder the batch needs
    per_capsule: pint.Quantity  # mg/capsule
    salt_factor: Fraction
    potency: Fraction | None
    api_to_weigh: pint.Quantity | None = None
    tablets_equivalent: Fraction | None = None
    tablet_powder: pint.Quantity | None = None


@dataclass(frozen=True)
class FillerPerCapsule:
    fill_weight: pint.Quantity | None  # the filler's packing statistic used (measured or table)
    measured: bool
    api_fill_weight: pint.Quantity | None
    displaced: pint.Quantity  # mg/capsule
    per_capsule: pint.Quantity  # mg/capsule


@dataclass(frozen=True)
class Blend:
    filler_total: pint.Quantity
    total: pint.Quantity
    fill_weight: pint.Quantity  # per capsule
    fill_weight_min: pint.Quantity
    fill_weight_max: pint.Quantity


def counts_stage(counts: Counts, mf: MasterFormula, t: Trace, warnings: list[str]) -> BatchCounts:
    """Strength, capsules ordered, extra (a percentage rounded up) and capsules to make."""
    strength_q = t.note("strength", counts.strength)
    ordered = t.note("capsules_ordered", counts.ordered)
    extra_q, to_make = _to_make(ordered, counts.extra_kind, counts.extra_amount)
    if counts.extra_kind == "percent":
        t.add("extra", "ROUNDUP(ordered × extra %)", extra_q, detail="for losses", ordered=ordered,
              extra_percent=Q(counts.extra_amount, dimensionless).to(percent), unrounded=ordered * counts.extra_amount)
    else:
        t.note("extra", extra_q, detail="for losses")
    t.add("capsules_to_make", "ordered + extra", to_make, ordered=ordered, extra=extra_q)
    low_usual = mf.usual_strength_min.quantity.to(mg) / Q(1, capsule)
    high_usual = mf.usual_strength_max.quantity.to(mg) / Q(1, capsule)
    if not (low_usual <= strength_q <= high_usual):
        warnings.append(f"Strength {_num(strength_q.to(mg_per_capsule))} mg is outside this formula's usual "
                        f"doses ({_num(low_usual)}-{_num(high_usual)} mg): check the prescription.")
    return BatchCounts(strength_q, ordered, extra_q, to_make)


def drug_in_batch_stage(n: BatchCounts, basis: DrugForm, ref: Reference,
                        t: Trace) -> tuple[pint.Quantity, pint.Quantity]:
    """(naltrexone HCl in the batch, drug in the batch as the strength basis) [mg]."""
    naltrexone_hcl = t.add("naltrexone_hcl", "strength × capsules to make",
                           (n.strength * n.to_make).to(mg), strength=n.strength, capsules_to_make=n.to_make)
    if basis.key != ref.strength_basis:
        # strength stated as another form (e.g. base): express the batch as naltrexone HCl too
        hcl = ref.form(ref.strength_basis)
        to_hcl = salt_factor(hcl.molecular_weight.quantity, basis.molecular_weight.quantity)
        naltrexone_hcl = t.add("naltrexone_hcl", "strength × capsules × MW(HCl) ÷ MW(basis)",
                               naltrexone_hcl * to_hcl, detail=f"strength stated as {basis.name}",
                               salt_factor=to_hcl)
    return naltrexone_hcl, (n.strength * n.to_make).to(mg)


def mwq_stage(b: BalanceChoice, t: Trace) -> pint.Quantity:
    if b.entry is None:
        return t.note("mwq", b.mwq, detail="entered")
    return t.add("mwq", b.entry.mwq_formula, b.mwq, detail=b.entry.name,
                 **{k: f.quantity for k, f in b.entry.figures.items()})


def api_powder_stage(drug: DrugInput, drug_in_batch: pint.Quantity, to_make: pint.Quantity, t: Trace,
                     warnings: list[str]) -> DrugPowder:
    """Naltrexone HCl powder to weigh = drug in batch × salt factor ÷ as-is potency (drug.py)."""
    content = drug.content
    t.steps.extend(drug.steps)
    warnings.extend(drug.warnings)
    factor, potency_f = content.salt_factor, content.potency
    api = t.add("api_to_weigh", "drug in batch × salt factor ÷ as-is potency" if potency_f is not None
                else "drug in batch × salt factor (no potency correction)",
                content.powder_for(drug_in_batch), drug=drug_in_batch, salt_factor=Q(factor, dimensionless),
                potency=Q(potency_f if potency_f is not None else 1, dimensionless).to(percent))
    return DrugPowder(api, _per_capsule(api, to_make, t), factor, potency_f, api_to_weigh=api)


def tablet_powder_stage(drug: DrugInput, drug_in_batch: pint.Quantity, to_make: pint.Quantity, ref: Reference,
                        t: Trace, warnings: list[str]) -> DrugPowder:
    """Tablet powder to weigh = drug in batch × average tablet weight ÷ tablet strength."""
    avg_weight, tab_strength = drug.tablet_weight, ref.tablet.strength.quantity.to(mg_per_tablet)
    t.note("average_tablet_weight", avg_weight, detail="measured")
    factor = _tablet_salt_factor(drug.basis, ref, t, warnings)
    steps = Trace()  # drug.py's steps, but whole tablets to crush come after the weighing plan (an aliquot)
    tp = _drug.tablet_powder(drug_in_batch * factor, tab_strength, avg_weight, steps)
    t.steps.extend(s for s in steps.steps if s.key != "tablets_to_crush")
    equivalent, powder = tp.tablets_equivalent, tp.powder_to_weigh
    return DrugPowder(powder, _per_capsule(powder, to_make, t), factor, None, tablets_equivalent=equivalent,
                      tablet_powder=powder)


def _per_capsule(powder: pint.Quantity, to_make: pint.Quantity, t: Trace) -> pint.Quantity:
    return t.add("drug_powder_per_capsule", "powder to weigh ÷ capsules to make",
                 powder / to_make, powder=powder, capsules_to_make=to_make)


def packing_statistic_stage(f: FillerInput, dose: pint.Quantity, ref: Reference, t: Trace, warnings: list[str],
                            tablet_weight: Any = None) -> FillerPerCapsule:
    """Filler per capsule = PS filler − dose × PS filler ÷ PS drug (PS drug unknown: factor 1)."""
    fil, size = f.filler, f.capsule_size
    if f.fill_weight is not None:
        filler_ps = t.note("filler_fill_weight", f.fill_weight, detail=f"{fil.name}, size {size}, measured")
        _far_from_estimate(filler_ps, fil, size, ref, warnings)
    else:
        filler_ps = fil.fill_weight[size].quantity.to(mg) / Q(1, capsule)
        t.note("filler_fill_weight", filler_ps,
               detail=f"{fil.name}, size {size}, table estimate: {fil.fill_weight[size].source}")
        warnings.append(f"Filler fill weight {_num(filler_ps.to(mg_per_capsule))} mg for size {size} is a table "
                        "estimate: measure the packing statistic for this lot of filler and enter it.")
    drug_ps = f.api_fill_weight
    if drug_ps is not None:
        t.note("api_fill_weight", drug_ps, detail=f"size {size}, measured")
    displaced, filler_pc = packing_stat_filler(dose, filler_ps, drug_ps)
    if drug_ps is None:
        t.add("filler_displaced_per_capsule", "drug powder per capsule", displaced,
              detail="displacement factor 1 assumed: the drug displaces its own mass", drug_powder_per_capsule=dose)
        warnings.append("Drug powder's own fill weight not given: displacement factor 1 assumed "
                        "(the drug displaces its own mass of filler).")
    else:
        t.add("filler_displaced_per_capsule", "drug powder per capsule × PS filler ÷ PS drug", displaced,
              drug_powder_per_capsule=dose, filler_fill_weight=filler_ps, api_fill_weight=drug_ps)
    if filler_pc.magnitude <= 0:
        _overfill(size, ref, lambda s: _ps_capacity(s, drug_ps or filler_ps, size, ref) > dose, dose, tablet_weight)
    t.add("filler_per_capsule", "filler fill weight − filler displaced", filler_pc,
          filler_fill_weight=filler_ps, filler_displaced=displaced)
    return FillerPerCapsule(filler_ps, f.fill_weight is not None, drug_ps, displaced, filler_pc)


def density_stage(f: FillerInput, dose: pint.Quantity, ref: Reference, t: Trace,
                  tablet_weight: Any = None) -> FillerPerCapsule:
    """Filler per capsule = (capsule volume − dose ÷ drug bulk density) × filler bulk density."""
    rho_drug, rho_fil, volume = f.drug_bulk_density, f.filler_bulk_density, f.capsule_volume
    try:
        drug_vol, free_vol, filler_pc = density_filler(dose, rho_drug, rho_fil, volume)
    except CalculationError:
        _overfill(f.capsule_size, ref, lambda s: ref.capsule_volume(s).quantity.to(mL) >
                  (dose * Q(1, capsule) / rho_drug).to(mL), dose, tablet_weight)
    t.add("drug_volume_per_capsule", "dose ÷ drug bulk density",
          drug_vol, dose=dose, drug_bulk_density=rho_drug)
    t.add("free_volume_per_capsule", "capsule volume − drug volume", free_vol,
          capsule_volume=volume)
    t.add("filler_per_capsule", "free volume × filler bulk density", filler_pc,
          free_volume=free_vol, filler_bulk_density=rho_fil)
    return FillerPerCapsule(None, False, None, dose, filler_pc)


def blend_stage(drug_powder: pint.Quantity, filler_pc: pint.Quantity, to_make: pint.Quantity, low: Fraction,
                high: Fraction, t: Trace) -> Blend:
    """Filler in the blend, blend total, fill weight per capsule and its QC limits."""
    filler_total = t.add("filler_to_weigh", "filler per capsule × capsules to make",
                         (filler_pc * to_make).to(mg), filler_per_capsule=filler_pc, capsules_to_make=to_make)
    blend = t.add("blend_total", "drug powder + filler", (drug_powder + filler_total).to(mg),
                  drug_powder=drug_powder, filler=filler_total)
    fill = t.add("fill_weight_per_capsule", "blend total ÷ capsules to make",
                 blend / to_make, blend_total=blend, capsules_to_make=to_make)
    fmin = t.add("fill_weight_min", "fill weight × low limit", fill * low,
                 fill_weight=fill, low_limit=Q(low, dimensionless).to(percent))
    fmax = t.add("fill_weight_max", "fill weight × high limit", fill * high,
                 fill_weight=fill, high_limit=Q(high, dimensionless).to(percent))
    return Blend(filler_total, blend, fill, fmin, fmax)


def readability_stage(b: BalanceChoice, t: Trace, warnings: list[str]) -> pint.Quantity:
    if b.readability_basis == "entered":
        return t.note("readability", b.readability, detail="entered")
    if b.readability_basis == "balance":
        return t.note("readability", b.readability, detail=f"{b.entry.name}, {b.entry.readability.source}")
    d = b.readability
    warnings.append(f"Readability of your balance not given: every weighing is rounded to {_num(d)} mg "
                    f"(the coarsest step likely for an MWQ of {_num(b.mwq)} mg). Enter your balance's "
                    "readability to weigh in its own steps.")
    return t.add("readability", "power of ten at or below MWQ ÷ 12", d, detail="assumed for the balance",
                 mwq=b.mwq)


def weighing_stage(inp: CapsuleInputs, target: BlendTarget, filler_total: pint.Quantity, drug_name: str,
                   ref: Reference, t: Trace, warnings: list[str]) -> BlendPlan:
    """Every amount on the balance at its readability; an aliquot when the drug is below the MWQ."""
    b = inp.balance
    readability = readability_stage(b, t, warnings)
    try:
        bp = plan_blend(target, filler_total, b.mwq, readability,
                        names={"drug": drug_name, "filler": inp.filler.filler.name},
                        max_factor_per_stage=ref.max_factor_per_stage,
                        field="readability" if inp.typed["mwq"] is not None else "balance")
    except CalculationError as exc:
        if exc.field == "quantity":
            exc.value = inp.typed["quantity"]
        raise
    _trace_weighings(t, bp, target.required, filler_total, b.mwq, readability, warnings, inp.source,
                     (drug_name, inp.filler.filler.name))
    return bp


def bud_stage(mf: MasterFormula, day0: dt.date, expiries: tuple[dt.date, ...], ref: Reference, t: Trace,
              warnings: list[str]) -> BeyondUseDate:
    """USP <795> beyond-use date, never past the earliest component expiry; its warning goes first."""
    bud = beyond_use_date(mf.bud_category, day0, component_expiries=expiries, ref=ref)
    t.add("bud", "compounding date + days", bud.date, detail=bud.basis,
          compounding_date=day0, days=bud.days)
    warnings[:0] = bud.warnings  # first: a batch that expires within days is the news of this sheet
    return bud


# --- The batch: parse, stages, assemble -----------------------------------------------------------

def capsule_batch(strength: Any, quantity: Any, *, extra: Any = None, source: str | None = None,
                  formula: str | None = None, potency: Any = None, assay: Any = None,
                  water: Any = None, api_form: str | None = None, potency_basis: str | None = None,
                  strength_basis: str | None = None,
                  tablet_weight: Any = None, capsule_size: str | None = None, filler: str | None = None,
                  fill_weight: Any = None, api_fill_weight: Any = None, method: str = "packing_statistic",
                  drug_bulk_density: Any = None, filler_bulk_density: Any = None,
                  balance: str | None = None, mwq: Any = None, readability: Any = None,
                  qc_limits: tuple[Any, Any] | None = None,
                  compounding_date: dt.date | str | None = None,
                  component_expiries: Iterable[dt.date | str] = (), actual_weights: dict[str, Any] | None = None,
                  ref: Reference | None = None, bundle: Any = None) -> CapsuleBatch:
    """Calculate an LDN capsule batch.

    Parameters (typed text like ``"4.5 mg"`` or pint quantities; bare numbers only for counts):
    strength [mg naltrexone HCl per capsule, 0.1-4.5]; quantity [capsules ordered]; extra [count or
    "10%"]; source ``api`` | ``tablets`` (or a ``formula`` id, which sets it); potency [as-is %: the
    content of the anhydrous salt in the powder, :mod:`compounding.drug`], or assay and water %;
    potency_basis (the form the potency is the content of, when the certificate states the hydrate
    itself); api_form (``hcl_anhydrous``, ``hcl_dihydrate``, ``base``); strength_basis
    (the form the strength is stated as; default the reference basis, anhydrous HCl);
    tablet_weight [mg per 50 mg tablet, measured]; capsule_size ``000``-``5``; filler key;
    fill_weight [measured filler fill weight per capsule of that size]; api_fill_weight [the drug
    powder's own fill weight]; method ``packing_statistic`` | ``density``; balance key or mwq [mg];
    readability [mg, the smallest step your balance shows; default the balance's, or for an entered
    MWQ the power of ten at or below MWQ ÷ 12]; every amount to weigh is rounded to it;
    qc_limits (``"90%"``, ``"110%"``); compounding_date (ISO); component_expiries (ISO dates);
    actual_weights {weighing key: mass actually weighed} (keys ``drug``, ``diluent``, ``aliquot``,
    ``diluent_2``, ``aliquot_2``, ``filler``; the others as planned): the batch recalculated from them
    is ``actual``. ``bundle``: the reference data (:mod:`.bundle`; default the shipped data), whose hash
    the result records; no compounding_date means today, read here (the caller's clock), never deeper.

    Parse (:func:`parse_capsule_inputs`), then :func:`compute_capsule_batch` on the parsed values.
    """
    from .bundle import shipped_bundle

    bundle = bundle or shipped_bundle()
    ref = ref or bundle.reference
    typed = dict(
        strength=strength, quantity=quantity, extra=extra, source=source, formula=formula,
        potency=potency, assay=assay, water=water, api_form=api_form, potency_basis=potency_basis,
        strength_basis=strength_basis, tablet_weight=tablet_weight, capsule_size=capsule_size, filler=filler,
        fill_weight=fill_weight, api_fill_weight=api_fill_weight, method=method,
        drug_bulk_density=drug_bulk_density, filler_bulk_density=filler_bulk_density,
        balance=balance, mwq=mwq, readability=readability, qc_limits=qc_limits,
        compounding_date=dt.date.today() if compounding_date is None else compounding_date,
        component_expiries=list(component_expiries),
        actual_weights={k: v for k, v in (actual_weights or {}).items() if v is not None} or None)
    batch = compute_capsule_batch(parse_capsule_inputs(typed, bundle, ref), bundle=bundle, ref=ref)
    return _with_order(batch, {k: v for k, v in typed.items() if v not in (None, [])})


def compute_capsule_batch(inp: CapsuleInputs, *, bundle: Any = None, ref: Reference | None = None) -> CapsuleBatch:
    """The batch of parsed inputs: the stages in the order the trace shows them, then the result
    (:func:`capsule_batch` attaches the order, which it builds from the values as typed)."""
    from .bundle import hash_of, shipped_bundle

    bundle = bundle or shipped_bundle()
    ref = ref or bundle.reference
    ref_hash = hash_of(bundle, ref=ref)  # None when ref= overrides the bundle's
    t, warnings = Trace(), []
    n = counts_stage(inp.counts, inp.formula, t, warnings)
    naltrexone_hcl, drug_in_batch = drug_in_batch_stage(n, inp.drug.basis, ref, t)
    mwq_stage(inp.balance, t)
    if inp.source == "api":
        powder = api_powder_stage(inp.drug, drug_in_batch, n.to_make, t, warnings)
    else:
        powder = tablet_powder_stage(inp.drug, drug_in_batch, n.to_make, ref, t, warnings)
    f = inp.filler
    warnings.extend(f.filler.cautions)
    typed_tablet_weight = inp.typed["tablet_weight"] if inp.source == "tablets" else None
    if f.method == "packing_statistic":
        per_cap = packing_statistic_stage(f, powder.per_capsule, ref, t, warnings, typed_tablet_weight)
    else:
        per_cap = density_stage(f, powder.per_capsule, ref, t, typed_tablet_weight)
    blend = blend_stage(powder.total, per_cap.per_capsule, n.to_make, inp.qc_low, inp.qc_high, t)
    target = BlendTarget(powder.total, blend.total, n.to_make, n.strength, blend.fill_weight, inp.qc_low,
                         inp.qc_high, _fill_tolerance(bundle.qc))
    content = inp.drug.content
    drug_name = f"{content.form.name} powder" if content is not None else "tablet powder (crushed tablets)"
    bp = weighing_stage(inp, target, blend.filler_total, drug_name, ref, t, warnings)
    actual = _actual(bp, target, dict(inp.actual_weights), t, warnings)
    crush = None if inp.source == "api" else _tablets_to_crush(bp, powder.total, inp.drug.tablet_weight, t)
    bud = bud_stage(inp.formula, inp.compounding_date, inp.component_expiries, ref, t, warnings)
    batch = _assemble(inp, n, naltrexone_hcl, powder, crush, per_cap, blend, bp, actual, bud, t, warnings)
    return replace(batch, reference_hash=ref_hash)


def _assemble(inp: CapsuleInputs, n: BatchCounts, naltrexone_hcl: pint.Quantity, powder: DrugPowder,
              crush: pint.Quantity | None, per_cap: FillerPerCapsule, blend: Blend, bp: BlendPlan,
              actual: BlendOutcome | None, bud: BeyondUseDate, t: Trace, warnings: list[str]) -> CapsuleBatch:
    mf, content, f, b = inp.formula, inp.drug.content, inp.filler, inp.balance
    return CapsuleBatch(
        formula_id=mf.id, formula_version=mf.version, formula_name=mf.name, source=inp.source,
        strength=n.strength.to(mg_per_capsule), capsules_ordered=n.ordered, extra=n.extra,
        capsules_to_make=n.to_make, capsule_size=f.capsule_size, filler=f.key, filler_name=f.filler.name,
        api_form=content.form.key if content else None, salt_factor=powder.salt_factor, potency=powder.potency,
        naltrexone_hcl=naltrexone_hcl.to(mg),
        api_to_weigh=None if powder.api_to_weigh is None else powder.api_to_weigh.to(mg),
        tablets_equivalent=powder.tablets_equivalent, tablets_to_crush=crush,
        average_tablet_weight=inp.drug.tablet_weight, tablet_powder_to_weigh=powder.tablet_powder,
        drug_powder_per_capsule=powder.per_capsule.to(mg_per_capsule), method=f.method,
        filler_fill_weight=per_cap.fill_weight, filler_fill_weight_measured=per_cap.measured,
        api_fill_weight=per_cap.api_fill_weight, filler_displaced_per_capsule=per_cap.displaced.to(mg_per_capsule),
        filler_per_capsule=per_cap.per_capsule, filler_to_weigh=blend.filler_total, filler_to_add=bp.filler_to_add,
        blend_total=blend.total, fill_weight_per_capsule=blend.fill_weight.to(mg_per_capsule),
        qc_low=inp.qc_low, qc_high=inp.qc_high, fill_weight_min=blend.fill_weight_min.to(mg_per_capsule),
        fill_weight_max=blend.fill_weight_max.to(mg_per_capsule), balance=b.key, mwq=b.mwq,
        readability=b.readability, aliquot=bp.aliquot, weighings=bp.weighings, planned=bp.planned, actual=actual,
        compounding_date=inp.compounding_date, bud=bud, warnings=tuple(dict.fromkeys(warnings)),
        trace=t.freeze(), potency_basis=content.potency_basis.key if content else None,
        potency_basis_text=content.basis_text if content else None)


def _with_order(batch: CapsuleBatch, inputs: dict[str, Any]) -> CapsuleBatch:
    """The batch carrying its order: the inputs, with the defaults the batch chose filled in."""
    from dataclasses import replace

    from .orders import CapsuleOrder, resolved

    order = resolved(CapsuleOrder.from_text(**inputs), formula=batch.formula_id, source=batch.source,
                     capsule_size=batch.capsule_size, filler=batch.filler, compounding_date=batch.compounding_date,
                     balance=None if "mwq" in inputs else batch.balance)
    return replace(batch, order=order)


def _ps_capacity(size: str, ps: pint.Quantity, at_size: str, ref: Reference) -> pint.Quantity:
    """A packing statistic scaled to another size by nominal volume."""
    ratio = (ref.capsule_volume(size).quantity / ref.capsule_volume(at_size).quantity).to(dimensionless)
    return ps * ratio.magnitude


def _fill_weight(value: Any, field: str, size: str, ref: Reference, what: str) -> pint.Quantity:
    """A measured fill weight [mg/capsule], refused when the density it implies in the capsule's
    nominal volume is outside the range of pharmaceutical powders (capsules.toml: fill_density)."""
    ps = as_quantity(value, field, "mass_per_capsule").to(mg_per_capsule)
    volume = ref.capsule_volume(size).quantity.to(mL)
    low, high = (f.quantity.to(g_per_mL) for f in ref.fill_density)
    lightest, heaviest = (low * volume).to(mg), (high * volume).to(mg)
    allowed = (f"{_num(lightest)}-{_num(heaviest)} mg of {what} in a size {size} capsule ({_num(volume)} mL), "
               f"a powder density of {_num(low)}-{_num(high)} g/mL")
    if ps.magnitude <= 0:
        raise RangeError("must be greater than zero", field=field, value=value, allowed=allowed)
    density = (ps * Q(1, capsule) / volume).to(g_per_mL)
    if not (low <= density <= high):
        raise RangeError(f"in a size {size} capsule ({_num(volume)} mL) means a powder of {_num(density)} g/mL, "
                         f"{'lighter' if density < low else 'denser'} than any pharmaceutical powder: check "
                         "the unit and the digits", field=field, value=value, allowed=allowed)
    return ps


def _bulk_density(value: Any, field: str, ref: Reference) -> pint.Quantity:
    """A bulk density [g/mL] within the range of pharmaceutical powders (capsules.toml: fill_density)."""
    if value is None:
        raise InputError("is needed for the density method", field=field, allowed="a bulk density, e.g. 0.3 g/mL")
    rho = as_quantity(value, field, "density").to(g_per_mL)
    low, high = (f.quantity.to(g_per_mL) for f in ref.fill_density)
    if not (low <= rho <= high):
        raise RangeError("must be greater than zero" if rho.magnitude <= 0 else
                         "is outside the bulk densities of pharmaceutical powders: check the unit and the digits",
                         field=field, value=value, allowed=f"{_num(low)}-{_num(high)} g/mL")
    return rho


def _far_from_estimate(ps: pint.Quantity, fil, size: str, ref: Reference, warnings: list[str]) -> None:
    """Warn when a measured filler fill weight is far from the table estimate (capsules.toml)."""
    from .display import format_quantity

    if size not in fil.fill_weight:
        return
    estimate = fil.fill_weight[size].quantity.to(mg)
    ratio = exact((ps * Q(1, capsule) / estimate).to(dimensionless).magnitude)
    low, high = (exact(f.quantity.to(dimensionless).magnitude) for f in ref.fill_weight_warning)
    if not (low <= ratio <= high):
        pct = lambda r: format_quantity(Q(r, dimensionless).to(percent))  # noqa: E731
        warnings.append(f"Measured fill weight {format_quantity(ps * Q(1, capsule), mg)} of {fil.name} in size "
                        f"{size} is {pct(ratio)} of the table estimate {format_quantity(estimate)} (expected "
                        f"{pct(low)} to {pct(high)}): check it was measured for this filler and size.")


def _overfill(size: str, ref: Reference, fits, dose: pint.Quantity, tablet_weight: Any = None) -> None:
    """Refuse a drug powder that fills the capsule by itself, naming what to change: a larger size
    when one holds it; else the tablet weight (tablets) or the strength per capsule."""
    bigger = next_size_that_fits(fits, ref.capsule_sizes, size)
    per_capsule = f"{_num(dose.to(mg_per_capsule))} mg per capsule"
    if bigger:
        raise CalculationError(f"the drug powder ({per_capsule}) fills a size {size} capsule by itself, leaving "
                               f"no room for filler: use size {bigger}", field="capsule_size", value=size,
                               allowed=f"size {bigger} or larger")
    largest = max(ref.capsule_sizes, key=lambda k: ref.capsule_sizes[k].quantity.to(mL).magnitude)
    if tablet_weight is not None:
        raise CalculationError(f"makes {per_capsule} of tablet powder, more than even a size {largest} capsule "
                               "holds: check the tablet weight, or make the capsules from naltrexone HCl powder "
                               "(source api)", field="tablet_weight", value=tablet_weight,
                               allowed="the measured average weight of one 50 mg tablet")
    raise CalculationError(f"needs {per_capsule} of drug powder, more than even a size {largest} capsule holds: "
                           "give the dose as two capsules of half the strength", field="strength",
                           value=None, allowed="a lower strength per capsule")


def _tablet_salt_factor(basis, ref: Reference, t: Trace, warnings: list[str]) -> Fraction:
    """MW(the tablets' form) ÷ MW(strength basis): 1 unless the strength is stated as base."""
    form = ref.form(ref.tablet.form)
    factor = salt_factor(form.molecular_weight.quantity, basis.molecular_weight.quantity)
    if factor != 1:
        t.add("salt_factor", f"MW {form.name} ÷ MW {basis.name}", Q(factor, dimensionless),
              weighed_mw=form.molecular_weight.quantity, basis_mw=basis.molecular_weight.quantity)
        warnings.append(f"Salt factor {_num(Q(factor, dimensionless))} applied: the tablets hold {form.name}, "
                        f"the strength is stated as {basis.name}.")
    return factor


def _fill_tolerance(limits) -> Fraction:
    return exact(limits.mean_tolerance.quantity.to(dimensionless).magnitude)


def _trace_weighings(t: Trace, bp: BlendPlan, material: pint.Quantity, filler_total: pint.Quantity,
                     mwq: pint.Quantity, readability: pint.Quantity, warnings: list[str], source: str,
                     names: tuple[str, str]) -> None:
    """The weighing plan in the trace, and the words a pharmacist needs about it."""
    plan = bp.aliquot
    if plan is not None:
        for i, st in enumerate(plan.stages, 1):
            t.add(f"aliquot_stage_{i}", "factor = ROUNDUP(MWQ ÷ required); diluent = drug "
                  "weighed × aliquot ÷ drug wanted in it − drug weighed, at the readability",
                  st.aliquot_to_take, detail=f"{i} of {len(plan.stages)}: weigh {_num(st.drug_to_weigh)} mg, "
                  f"add {_num(st.diluent_to_add)} mg diluent, take {_num(st.aliquot_to_take)} mg, holding "
                  f"{_num(st.drug_in_aliquot)} mg", required=plan.required, mwq=mwq, readability=readability,
                  factor=Q(st.factor, dimensionless), drug_to_weigh=st.drug_to_weigh,
                  mixture_total=st.mixture_total)
        what = "naltrexone HCl powder" if source == "api" else "tablet powder"
        warnings.append(f"Aliquot needed: {_num(material)} mg of {what} is below the balance's "
                        f"MWQ of {_num(mwq)} mg; follow the {len(plan.stages)}-stage dilution plan "
                        "(geometric dilution).")
    carried = Q(0, mg) if plan is None else plan.diluent_in_aliquot
    t.add("filler_to_add", "filler in blend − diluent carried in the aliquot", bp.filler_to_add,
          detail="besides the aliquot's diluent" if plan else None, filler=filler_total, carried=carried)
    for w in bp.weighings:
        t.add(f"weigh_{w.key}", "rounded to the balance's readability", w.amount,
              detail=", ".join(x for x in (_material(w.key, names), w.window and f"acceptable {w.window}") if x),
              readability=readability)
    p = bp.planned
    t.add("drug_per_capsule_planned", "strength × drug powder weighed into the blend "
          "÷ drug powder needed", p.drug_per_capsule, detail=f"{_num(p.percent_of_target)}% of the strength",
          drug_powder=p.drug_powder, drug_powder_needed=material)
    for w in bp.weighings:  # issue 9.5: every amount put on the balance, against its MWQ
        if w.below_mwq:
            warnings.append(f"Weighing below the MWQ: {w.what} ({w.shown}) is below the balance's MWQ of "
                            f"{_num(mwq)} mg, so its weighing error can exceed the balance's limit: make a "
                            "larger batch or use a more sensitive balance.")


def _material(key: str, names: tuple[str, str]) -> str | None:
    """What a weighing puts on the balance, by name (an aliquot is named by its label alone)."""
    return names[0] if key == "drug" else None if key.startswith("aliquot") else names[1]


def _tablets_to_crush(bp: BlendPlan, powder: pint.Quantity, average_weight: pint.Quantity,
                      t: Trace) -> pint.Quantity:
    """Whole tablets whose powder holds every amount of tablet powder the plan weighs (issue 9.2:
    an aliquot weighs a multiple of the powder needed, e.g. 216 mg from one 200 mg tablet)."""
    weighed = next(w.amount for w in bp.weighings if w.key == "drug")
    most = max(weighed, powder)
    worth = exact((most / average_weight).to(tablet).magnitude)
    return t.add("tablets_to_crush", "ROUNDUP(largest amount of tablet powder weighed ÷ average tablet "
                 "weight)", Q(math.ceil(worth), tablet),
                 detail=f"{_num(Q(worth, dimensionless))} tablets' worth of powder, rounded up", tablet_powder_weighed=most,
                 average_tablet_weight=average_weight, tablets_worth=Q(worth, tablet))


def recalculate(batch: CapsuleBatch, actual_weights: dict[str, Any]) -> CapsuleBatch:
    """The same batch, recalculated from what was actually weighed (issue 8.6).

    ``actual_weights`` maps weighing keys (``drug``, ``diluent``, ``aliquot``, ``diluent_2``,
    ``aliquot_2``, ``filler``) to masses; a weighing not given is taken as planned. The batch is
    calculated again from its order (``batch.order``: its inputs with the defaults it chose, its
    compounding date among them), so its ``actual`` is the blend, fill weight, drug per capsule and %
    of target those weights make.
    """
    given = {k: v for k, v in batch.order.kwargs().items() if k != "actual_weights"}
    return capsule_batch(**given, actual_weights=actual_weights)

def _actual(bp: BlendPlan, target: BlendTarget, actual_weights: dict[str, Any] | None, t: Trace,
            warnings: list[str]) -> BlendOutcome | None:
    """The batch the actual weights make (None when none is given), traced and warned about."""
    planned = {w.key: w.amount for w in bp.weighings}
    used, given = dict(planned), []
    for key, value in (actual_weights or {}).items():
        if value is None or isinstance(value, str) and not value.strip():
            continue
        field = f"actual_{key}"
        if key not in WEIGHING_KEYS:
            raise InputError("is not a weighing", field="actual_weights", value=key, allowed=", ".join(planned))
        if key not in planned and key != "filler":
            raise InputError("is not a weighing of this plan", field=field, value=value,
                             allowed="actual weights of " + ", ".join(planned))
        q = as_quantity(value, field, "mass").to(mg)
        _positive(q, field, value, "a mass above 0 and up to 100 g", Q(100000, mg))
        used[key] = t.note(field, q, detail="weighed")
        given.append(key)
    if not given:
        return None
    stages = 0 if bp.aliquot is None else len(bp.aliquot.stages)
    out = blend_outcome(target, used, stages, basis="actual", actual=tuple(given))
    t.add("blend_total_actual", "drug powder or final aliquot + filler",
          out.blend_total)
    t.add("fill_weight_per_capsule_actual",
          "actual blend ÷ capsules to make", out.fill_weight_per_capsule, blend_total=out.blend_total)
    t.add("drug_per_capsule_actual", "strength × drug powder in the blend ÷ drug powder needed",
          out.drug_per_capsule, detail=f"{_num(out.percent_of_target)}% of the strength", drug_powder=out.drug_powder, drug_powder_needed=target.required)
    if not out.within_limits:
        warnings.append("Recalculated from the actual weights, the batch is OUTSIDE its limits: "
                        + "; ".join(out.reasons) + ".")
    return out


def _qc(limits: tuple[Any, Any] | None, q) -> tuple[Fraction, Fraction]:
    if limits is None:
        return (exact(q.individual_low.quantity.to(dimensionless).magnitude),
                exact(q.individual_high.quantity.to(dimensionless).magnitude))
    low = as_fraction(limits[0], "qc_low", low=Fraction(50, 100), high=Fraction(1), allowed="50-100%")
    high = as_fraction(limits[1], "qc_high", low=Fraction(1), high=Fraction(150, 100), allowed="100-150%")
    return low, high
