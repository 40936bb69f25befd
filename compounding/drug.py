"""The drug in a powder: what its potency is the content of, the salt factor, the powder to weigh,
and the powder of crushed tablets that holds a given drug.

One rule for capsules and liquids (domain.md §1, §3, §8b; USP Naltrexone Hydrochloride monograph):

* **Potency basis.** An as-is potency is the mass fraction of the powder that is the *anhydrous*
  form of its salt: anhydrous naltrexone HCl for an HCl lot (anhydrous or dihydrate), naltrexone base
  for a base lot. The monograph assays on the anhydrous basis and limits water separately, and a
  hydrate's water includes its water of hydration, so assay × (1 − water) is already that as-is
  content. With a potency (or assay and water) the hydrate's salt factor is therefore *not* applied:
  applying it too would count the water of hydration twice.
* With **no potency** the powder is taken as 100 % of the form weighed: a dihydrate lot as pure
  stoichiometric dihydrate, so its salt factor MW(dihydrate) ÷ MW(anhydrous HCl) = 1.0954 applies.
* A potency stated as the content of the **hydrate itself** is an explicit choice
  (``potency_basis="hcl_dihydrate"``); then the hydrate's salt factor applies to it.
* The **base ↔ HCl** conversion always applies: salt factor = MW(potency basis) ÷ MW(strength basis).

Powder to weigh = drug (as the strength basis) × salt factor ÷ as-is potency (100 % when none).

Tablets: crushed-tablet powder [mg] = drug [mg] × average tablet weight [mg/tablet] ÷ tablet strength
[mg/tablet] (JCU PC3300 §4.3.2), the drug in the form the tablet strength is stated as (salt-factored
already where the order's basis differs); the average weight is measured (10-20 tablets weighed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pint

from .display import format_number, format_quantity
from .errors import InputError, RangeError
from .reference import DrugForm, Reference, reference
from .trace import Trace
from .units import (Q, as_count, as_fraction, as_quantity, check_positive, dimensionless, exact, mg,
                    mg_per_tablet, percent, tablet)

__all__ = ["DrugContent", "drug_content", "salt_factor", "as_is_potency", "POTENCY_RANGE",
           "refuse_other_source_inputs", "MAX_TABLET_WEIGHT",
           "check_tablet_weight", "average_tablet_weight", "TabletPowder", "tablet_powder"]

# What may be typed as a potency or an assay (a slip guard, not a specification: the USP range is
# in naltrexone.toml and gives a warning).
POTENCY_RANGE = (Fraction(80, 100), Fraction(105, 100))
WATER_RANGE = (Fraction(0), Fraction(15, 100))


# Inputs that describe only one source of the drug (issue 9.6: never silently ignored).
TABLET_ONLY = ("tablet_weight",)
API_ONLY = ("api_form", "potency", "assay", "water", "potency_basis")


def refuse_other_source_inputs(source: str, what: str, **given: Any) -> None:
    """Refuse an input given for the other source: a potency does nothing to tablets, nor a tablet
    weight to powder, and a pharmacist who typed it expects it to count."""
    for field, value in given.items():
        if value is None:
            continue
        if source == "tablets" and field in API_ONLY:
            raise InputError(f"applies only to {what} made from naltrexone HCl powder (source api); the drug in "
                             "tablets is set by their label strength", field=field, value=value,
                             allowed="leave it out with source tablets, or choose source api")
        if source == "api" and field in TABLET_ONLY:
            raise InputError(f"applies only to {what} made from tablets (source tablets), not from naltrexone "
                             "HCl powder", field=field, value=value,
                             allowed="leave it out with source api, or choose source tablets")


def salt_factor(weighed_form_mw: pint.Quantity, basis_form_mw: pint.Quantity) -> Fraction:
    """Mass of the weighed form that carries 1 mass unit of the strength's basis form."""
    return exact((weighed_form_mw / basis_form_mw).to(dimensionless).magnitude)


def as_is_potency(assay: Fraction, water: Fraction = Fraction(0)) -> Fraction:
    """As-is potency = assay (anhydrous basis) × (1 − water fraction)."""
    return assay * (1 - water)


@dataclass(frozen=True)
class DrugContent:
    """A lot of drug powder as the calculation uses it."""

    form: DrugForm  # the powder weighed
    potency_basis: DrugForm  # the form whose as-is mass fraction in the powder ``potency`` is
    strength_basis: DrugForm  # the form the strength is stated as
    salt_factor: Fraction  # MW(potency basis) ÷ MW(strength basis)
    potency: Fraction | None  # None: none entered, the powder is taken as 100 % of ``potency_basis``
    assay: Fraction | None = None
    water: Fraction | None = None

    @property
    def basis_text(self) -> str:
        """The potency basis in words, for every sheet that shows the potency."""
        if self.potency is None:
            return f"no potency entered: the powder is taken as 100 % {self.potency_basis.name}"
        return f"as-is content of {self.potency_basis.name} in the powder"

    def powder_for(self, drug: pint.Quantity) -> pint.Quantity:
        """Powder [mg] holding ``drug`` (a mass of the strength-basis form)."""
        return (drug * self.salt_factor / (self.potency or 1)).to(mg)

    def drug_in(self, powder: pint.Quantity) -> pint.Quantity:
        """The strength-basis drug [mg] that ``powder`` holds (the inverse of :meth:`powder_for`)."""
        return (powder * (self.potency or 1) / self.salt_factor).to(mg)


def drug_content(api_form: str | None = None, *, strength_basis: str | None = None, potency: Any = None,
                 assay: Any = None, water: Any = None, potency_basis: str | None = None,
                 ref: Reference | None = None, trace: Trace | None = None,
                 warnings: list[str] | None = None) -> DrugContent:
    """The potency basis, as-is potency and salt factor of an API lot (see the module's rule).

    Adds the potency and salt-factor steps to ``trace`` and what a pharmacist must see to
    ``warnings``. Refuses a potency no powder of that form can have (a dihydrate "99 %" anhydrous).
    """
    ref = ref or reference()
    trace = trace if trace is not None else Trace()
    warnings = warnings if warnings is not None else []
    form = ref.form(api_form or ref.strength_basis, "api_form")
    basis = ref.form(strength_basis or ref.strength_basis, "strength_basis")
    content = _potency_basis(form, potency_basis, potency, assay, ref)
    p, a, w = _potency(form, content, potency, assay, water, ref, trace, warnings)
    if p is None:
        content = form  # nothing says otherwise: the powder is the form weighed, whole
    factor = salt_factor(content.molecular_weight.quantity, basis.molecular_weight.quantity)
    why = ("the potency counts the water of hydration, so no hydrate factor"
           if form.is_hydrate and content is not form else None)
    trace.add("salt_factor", f"MW {content.name} ÷ MW {basis.name}", Q(factor, dimensionless),
              detail=why, weighed_mw=content.molecular_weight.quantity,
              basis_mw=basis.molecular_weight.quantity)
    if factor != 1:
        warnings.append(f"Salt factor {format_number(factor, 4)} applied: weighing {content.name} for a "
                        f"strength stated as {basis.name}.")
    return DrugContent(form, content, basis, factor, p, a, w)


def _potency_basis(form: DrugForm, potency_basis: str | None, potency: Any, assay: Any,
                   ref: Reference) -> DrugForm:
    anhydrous = ref.form(form.anhydrous_form)
    if potency_basis is None:
        return anhydrous
    allowed = f"{anhydrous.key} (as-is content of the anhydrous salt)" + (
        f" or {form.key} (content of the {form.name} itself)" if form.is_hydrate else "")
    if potency_basis not in (anhydrous.key, form.key):
        raise InputError(f"is not a basis a potency of {form.name} can be on", field="potency_basis",
                         value=potency_basis, allowed=allowed)
    if potency is None and assay is None:
        raise InputError("applies only with a potency: enter the as-is potency it describes, or leave it out",
                         field="potency_basis", value=potency_basis, allowed="a potency together with its basis")
    if assay is not None and potency_basis != anhydrous.key:
        raise InputError("cannot be the hydrate with an assay: the assay is on the anhydrous basis, and "
                         "assay × (1 − water) is the content of the anhydrous salt", field="potency_basis",
                         value=potency_basis, allowed=anhydrous.key)
    return ref.form(potency_basis)


def _potency(form: DrugForm, content: DrugForm, potency: Any, assay: Any, water: Any, ref: Reference,
             trace: Trace, warnings: list[str]) -> tuple[Fraction | None, Fraction | None, Fraction | None]:
    """(as-is potency of ``content``, assay, water); all None when no potency was entered."""
    low, high = POTENCY_RANGE
    if potency is not None and (assay is not None or water is not None):
        raise InputError("give either the as-is potency or the assay and water, not both", field="potency",
                         value=potency)
    if water is not None and assay is None:
        raise InputError("needs the assay (anhydrous basis) it corrects: as-is potency = assay × (1 − water)",
                         field="water", value=water, allowed="water together with assay, or the as-is potency alone")
    if potency is not None:
        p = as_fraction(potency, "potency", low=low, high=high, allowed=_pct_range(low, high, "as-is potency"))
        _hydrate_ceiling(form, content, p, potency, ref)
        trace.note("potency", Q(p, dimensionless).to(percent),
                   detail=f"certificate of analysis, {_basis_words(content)}")
        if content is form:
            _usp_warning(p, "as-is potency", ref, warnings)
        else:  # the assay a stoichiometric hydrate with this potency would have
            _usp_warning(exact((p * form.molecular_weight.quantity / content.molecular_weight.quantity)
                               .to(dimensionless).magnitude), f"potency as {form.name}", ref, warnings)
        return p, None, None
    if assay is None:
        warnings.append(f"No potency correction: no potency given, so the powder is weighed as 100 % "
                        f"{form.name}. Enter the certificate of analysis potency (or assay and water) to "
                        "correct for it.")
        return None, None, None
    a = as_fraction(assay, "assay", low=low, high=high, allowed=_pct_range(low, high, "assay, anhydrous basis"))
    if water is None and form.is_hydrate:
        raise InputError(f"is needed with the assay of a {form.name} lot: the assay is on the anhydrous basis "
                         f"and the powder holds about {_pct(_hydrate_water(form, ref))} % water of hydration",
                         field="water", value=None, allowed="the water content from the certificate, e.g. 8.7%")
    w = Fraction(0) if water is None else as_fraction(
        water, "water", low=WATER_RANGE[0], high=WATER_RANGE[1], allowed=_pct_range(*WATER_RANGE, "water"))
    if form.is_hydrate and w < _least_water(form, ref):
        warnings.append(f"Water {_pct(w)} % is well below the {_pct(_hydrate_water(form, ref))} % water of "
                        f"hydration of {form.name}: check the certificate (a slip, or a partly dehydrated lot).")
    p = exact(as_is_potency(a, w))
    trace.add("potency", "assay (anhydrous basis) × (1 − water)", Q(p, dimensionless).to(percent),
              detail=_basis_words(content), assay=Q(a, dimensionless).to(percent),
              water=Q(w, dimensionless).to(percent))
    _usp_warning(a, "assay", ref, warnings)
    return p, a, w


def _hydrate_ceiling(form: DrugForm, content: DrugForm, p: Fraction, typed: Any, ref: Reference) -> None:
    """A hydrate lot cannot hold more anhydrous salt than assay maximum × (1 − its least water)."""
    if not form.is_hydrate or content is form:
        return
    ceiling = exact(ref.assay_maximum.quantity.to(dimensionless).magnitude) * (1 - _least_water(form, ref))
    if p > ceiling:
        raise RangeError(f"is more than a {form.name} powder can hold of the anhydrous salt ({_pct(ceiling)}% "
                         "at the USP assay maximum): is it the assay, or the content of the hydrate itself? Enter "
                         f"assay and water, or the potency basis {form.key}", field="potency", value=typed,
                         allowed=f"{_pct(POTENCY_RANGE[0])}-{_pct(ceiling)}% as-is {content.name}")


def _least_water(form: DrugForm, ref: Reference) -> Fraction:
    """The least water a lot of this hydrate holds (naltrexone.toml: hydrate.minimum_water_share)."""
    return _hydrate_water(form, ref) * exact(ref.hydrate_minimum_water_share.quantity.to(dimensionless).magnitude)


def _hydrate_water(form: DrugForm, ref: Reference) -> Fraction:
    anhydrous = ref.form(form.anhydrous_form)
    return 1 - exact((anhydrous.molecular_weight.quantity / form.molecular_weight.quantity)
                     .to(dimensionless).magnitude)


def _usp_warning(value: Fraction, what: str, ref: Reference, warnings: list[str]) -> None:
    low = exact(ref.assay_minimum.quantity.to(dimensionless).magnitude)
    high = exact(ref.assay_maximum.quantity.to(dimensionless).magnitude)
    if not (low <= value <= high):
        warnings.append(f"The {what} ({_pct(value)}%) is outside the USP monograph range "
                        f"({_pct(low)}-{_pct(high)}%): check the lot and its CoA.")


def _basis_words(content: DrugForm) -> str:
    return f"as-is content of {content.name} in the powder"


def _pct(ratio: Fraction) -> str:
    return format_number(ratio * 100, 2)


def _pct_range(low: Fraction, high: Fraction, what: str) -> str:
    return f"{_pct(low)}-{_pct(high)}% ({what} from the certificate of analysis)"


# --- tablets: measured weight, crushed powder -----------------------------------------------------

# A slip guard, as for capsules: no tablet of 50 mg naltrexone weighs 2 g (a unit slip, "321 g").
MAX_TABLET_WEIGHT = Q(2000, mg_per_tablet)


def check_tablet_weight(value: Any, tablet_strength: pint.Quantity, field: str = "tablet_weight") -> pint.Quantity:
    """A measured average tablet weight [mg/tablet]: at least the drug it holds, at most MAX_TABLET_WEIGHT.

    One refusal for capsules and liquids, naming the tablet it cannot be the weight of."""
    q = as_quantity(value, field, "mass_per_tablet").to(mg_per_tablet)
    low = tablet_strength.to(mg_per_tablet)
    if not (low <= q <= MAX_TABLET_WEIGHT):
        each = format_quantity(low * Q(1, tablet))
        raise RangeError(f"cannot be the weight of one {each} tablet", field=field,
                         value=value if isinstance(value, str) else q,
                         allowed=f"a mass per tablet from {each} to {format_quantity(MAX_TABLET_WEIGHT * Q(1, tablet))}")
    return q


def average_tablet_weight(total_weight: Any, tablets_weighed: Any) -> pint.Quantity:
    """Average tablet weight [mg/tablet] = weight of the tablets weighed ÷ their number."""
    total = check_positive(as_quantity(total_weight, "weight_of_tablets", "mass").to(mg), "weight_of_tablets",
                           "a mass greater than zero")
    n = as_count(tablets_weighed, "tablets_weighed", tablet)
    return (total / n).to(mg_per_tablet)


def _mass_per_tablet(value: Any, field: str) -> pint.Quantity:
    q = as_quantity(value, field, "mass_per_tablet").to(mg_per_tablet)
    return check_positive(q, field, "a mass per tablet greater than zero, e.g. 321 mg")


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

    ``drug_required`` is in the form the strength is stated as. Works for any tablet (the strength is
    a parameter): 2400 mg paracetamol from 500 mg tablets weighing 555.875 mg on average is 4.8
    tablets, crush 5, weigh 2668.2 mg. Adds its three steps to ``trace`` when one is given.
    """
    trace = trace if trace is not None else Trace()
    drug = check_positive(as_quantity(drug_required, "naltrexone_hcl", "mass").to(mg), "naltrexone_hcl",
                          "a mass greater than zero")
    strength = _mass_per_tablet(tablet_strength, "tablet_strength")
    weight = _mass_per_tablet(average_weight, "tablet_weight")
    if weight < strength:
        raise RangeError("is less than the drug each tablet holds; check the weighing",
                         field="tablet_weight", value=weight,
                         allowed=f"at least the tablet strength, {format_quantity(strength)} per tablet")
    equivalent = exact((drug / strength).to(tablet).magnitude)
    trace.add("tablets_equivalent", "drug ÷ tablet strength", Q(equivalent, tablet), drug=drug,
              tablet_strength=strength)
    crush = trace.add("tablets_to_crush", "round up (tablets equivalent)",
                      Q(math.ceil(equivalent), tablet), tablets_equivalent=equivalent)
    powder = trace.add("tablet_powder_to_weigh", "drug × average tablet weight ÷ tablet strength", (drug * weight / strength).to(mg),
                       drug=drug, average_tablet_weight=weight, tablet_strength=strength)
    return TabletPowder(drug, strength, equivalent, crush, weight, powder)
