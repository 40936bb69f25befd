"""What an ingredient lot must carry, by kind, checked before anything is stored.

* API powder: salt form (a form in the reference data) and the certificate's as-is potency, or
  its assay (anhydrous basis, within the USP monograph limits in ``naltrexone.toml``) and water;
  potency = assay × (1 − water) (domain §8b), the core's own function.
* 50 mg tablets: the measured average tablet weight.
* Filler: which filler (a key of ``fillers.toml``) and, optionally, its measured fill weight per
  capsule size.
* Vehicle: nothing more than supplier, lot and expiry.

A field that does not belong to the kind is refused rather than silently dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from ..capsules import as_is_potency
from ..errors import InputError, RangeError
from ..reference import reference
from ..units import Q, percent
from . import validate
from .models import LOT_KINDS

__all__ = ["lot_columns", "POTENCY_RANGE", "WATER_RANGE", "TABLET_WEIGHT_RANGE_MG", "FILL_WEIGHT_RANGE_MG"]

# As-is potency: the core accepts 80-105 % (capsules.py / liquids.py, "as-is potency from the
# certificate of analysis"); the store accepts the same, so a stored lot can always be calculated.
POTENCY_RANGE = (Fraction(80, 100), Fraction(105, 100))
# Water: the dihydrate holds 8.7 % (2 × 18.015 / 413.89); more than 20 % is a typing error.
WATER_RANGE = (Fraction(0), Fraction(20, 100))
TABLET_WEIGHT_RANGE_MG = (Fraction(50), Fraction(2000))  # a 50 mg tablet weighs at least its drug
FILL_WEIGHT_RANGE_MG = (Fraction(1), Fraction(2000))
_ONLY_FOR = {"assay": "api", "water": "api", "potency": "api", "salt_form": "api", "potency_basis": "api",
             "tablet_weight": "tablets",
             "fill_weights": "filler"}


def lot_columns(*, kind: Any, material: Any, supplier: Any, supplier_lot: Any, expiry: Any, today: dt.date,
                **extra: Any) -> dict[str, Any]:
    """The validated columns of a new ingredient lot (``fill_weights`` as {capsule size: mg})."""
    if kind not in LOT_KINDS:
        raise InputError("is not a kind of ingredient lot", field="kind", value=kind, allowed=", ".join(LOT_KINDS))
    for name, value in extra.items():
        if name not in _ONLY_FOR:
            raise TypeError(f"unexpected field {name!r}")
        if value not in (None, "", {}) and _ONLY_FOR[name] != kind:
            raise InputError(f"does not belong to a {kind} lot (only to {_ONLY_FOR[name]})", field=name, value=value)
    columns = {"kind": kind, "supplier": validate.text(supplier, "supplier"),
               "supplier_lot": validate.supplier_lot(supplier_lot),
               "expiry": validate.future_expiry(expiry, today), "fill_weights": {}}
    columns["material"] = _material(kind, material)
    if kind == "api":
        columns.update(_api(extra))
        columns["potency_basis"] = _potency_basis(columns, extra.get("potency_basis"))
    elif kind == "tablets":
        columns["tablet_weight"] = _mass_in(extra.get("tablet_weight"), "tablet_weight", TABLET_WEIGHT_RANGE_MG)
    elif kind == "filler":
        columns["fill_weights"] = _fill_weights(extra.get("fill_weights") or {})
    return columns


def _material(kind: str, material: Any) -> str:
    if kind == "filler":
        fillers = reference().fillers
        if material not in fillers:
            raise InputError("is not a filler in the reference data", field="material", value=material,
                             allowed=", ".join(fillers))
        return material
    return validate.text(material, "material")


def _api(extra: Mapping[str, Any]) -> dict[str, Any]:
    forms = reference().forms
    salt_form = extra.get("salt_form")
    if salt_form not in forms:
        raise InputError("is not a naltrexone form in the reference data", field="salt_form", value=salt_form,
                         allowed=", ".join(forms))
    assay, water, potency = (extra.get(k) for k in ("assay", "water", "potency"))
    potency_allowed = "80-105% (as-is potency from the certificate of analysis)"
    if potency not in (None, "") and (assay not in (None, "") or water not in (None, "")):
        raise InputError("give either the as-is potency or the assay and water, not both", field="potency",
                         value=potency)
    if potency not in (None, ""):
        return {"salt_form": salt_form, "potency": validate.percentage(potency, "potency", low=POTENCY_RANGE[0],
                                                                       high=POTENCY_RANGE[1], allowed=potency_allowed)}
    if assay in (None, ""):
        raise InputError("is missing: an API lot needs its certificate's as-is potency, or its assay and water",
                         field="potency", allowed=potency_allowed)
    ref = reference()
    low, high = (Fraction(f.quantity.to(percent).magnitude) / 100 for f in (ref.assay_minimum, ref.assay_maximum))
    monograph = f"{float(low * 100):g}-{float(high * 100):g}% (USP monograph, anhydrous basis)"
    assay_q = validate.percentage(assay, "assay", low=low, high=high, allowed=monograph)
    water_q = validate.percentage(water if water not in (None, "") else "0%", "water", low=WATER_RANGE[0],
                                  high=WATER_RANGE[1], allowed="0-20%")
    potency_f = as_is_potency(assay_q.magnitude / 100, water_q.magnitude / 100)
    return {"salt_form": salt_form, "assay": assay_q, "water": water_q, "potency": Q(potency_f * 100, percent)}


def _potency_basis(api: Mapping[str, Any], basis: Any) -> str | None:
    """The form the certificate's potency is the content of; the core's rule (compounding.drug) decides."""
    if basis in (None, ""):
        return None
    from ..drug import drug_content

    drug_content(api["salt_form"], potency=api.get("potency") if api.get("assay") is None else None,
                 assay=api.get("assay"), water=api.get("water"), potency_basis=basis)  # refuses a wrong basis
    return basis


def _mass_in(value: Any, field: str, bounds: tuple[Fraction, Fraction]) -> Any:
    if value in (None, ""):
        raise InputError("is missing", field=field, allowed=f"a mass in mg, e.g. {bounds[0] * 6} mg")
    mass = validate.positive_mass(value, field)
    if not bounds[0] <= mass.magnitude <= bounds[1]:
        raise RangeError("is out of range", field=field, value=value, allowed=f"{bounds[0]}-{bounds[1]} mg")
    return mass


def _fill_weights(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise InputError("must map capsule sizes to fill weights", field="fill_weights", value=raw)
    sizes = reference().capsule_sizes
    out = {}
    for size, weight in raw.items():
        if str(size) not in sizes:
            raise InputError("is not a capsule size", field="capsule_size", value=size, allowed=", ".join(sizes))
        out[str(size)] = _mass_in(weight, "fill_weight", FILL_WEIGHT_RANGE_MG)
    return out
