"""Typed reference data: salt forms, tablets, capsule sizes, fillers, balances, BUD categories.

Loaded once from ``formulas/reference/*.toml`` through the strict loader in :mod:`.data`. Callers
get frozen objects; :func:`load_reference` takes a directory so tests can point it at broken
fixtures.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import pint

from .data import (REFERENCE_DIR, Choice, Figure, ListOf, Optional, Qty, TableOf, Text,
                   check)
from .errors import DataError, InputError

__all__ = ["DrugForm", "Tablet", "Filler", "Balance", "BudCategory", "Reference", "load_reference",
           "reference"]


@dataclass(frozen=True)
class DrugForm:
    key: str
    name: str
    formula: str
    molecular_weight: Figure
    anhydrous_form: str = ""  # the form a potency of this powder is the content of (a hydrate's anhydrous salt)

    @property
    def is_hydrate(self) -> bool:
        return self.anhydrous_form != self.key


@dataclass(frozen=True)
class Tablet:
    key: str
    name: str
    form: str
    strength: Figure  # mg/tablet
    excipients: str
    average_weight_note: str


@dataclass(frozen=True)
class Filler:
    key: str
    name: str
    status: str  # ok | warn | refuse
    cautions: tuple[str, ...]
    bulk_density: Figure | None
    fill_weight: dict[str, Figure]  # capsule size -> mg (estimate unless measured)


@dataclass(frozen=True)
class Balance:
    key: str
    name: str
    method: str
    mwq: pint.Quantity
    mwq_formula: str
    figures: dict[str, Figure]
    readability: Figure  # the smallest step it shows: weighings are rounded to it


@dataclass(frozen=True)
class BudCategory:
    key: str
    description: str
    days: Figure
    storage: str
    storage_label: str


@dataclass(frozen=True)
class Reference:
    strength_basis: str
    strength_minimum: Figure
    strength_maximum: Figure
    assay_minimum: Figure
    assay_maximum: Figure
    hydrate_minimum_water_share: Figure  # of a hydrate's water of hydration (drug.py)
    forms: dict[str, DrugForm]
    tablets: dict[str, Tablet]
    capsule_sizes: dict[str, Figure]
    fill_density: tuple[Figure, Figure]  # plausible powder density in a capsule (min, max)
    fill_weight_warning: tuple[Figure, Figure]  # measured ÷ table estimate outside this: a warning
    fillers: dict[str, Filler]
    balances: dict[str, Balance]
    default_balance: str
    max_factor_per_stage: int
    bud_categories: dict[str, BudCategory]
    short_bud_warning: Figure  # a BUD cut by a component expiry to fewer days than this is warned

    def form(self, key: str, field: str = "api_form") -> DrugForm:
        return _pick(self.forms, key, field, "naltrexone form")

    def filler(self, key: str, field: str = "filler") -> Filler:
        return _pick(self.fillers, key, field, "filler")

    def balance(self, key: str, field: str = "balance") -> Balance:
        return _pick(self.balances, key, field, "balance")

    def capsule_volume(self, size: str, field: str = "capsule_size") -> Figure:
        return _pick(self.capsule_sizes, str(size), field, "capsule size")

    def bud_category(self, key: str, field: str = "bud_category") -> BudCategory:
        return _pick(self.bud_categories, key, field, "BUD category")

    @property
    def tablet(self) -> Tablet:
        """The commercial 50 mg tablet (the first, and today only, tablet in the data)."""
        return next(iter(self.tablets.values()))


def _pick(table: dict[str, Any], key: str, field: str, what: str) -> Any:
    if key not in table:
        raise InputError(f"is not a known {what}", field=field, value=key,
                         allowed=", ".join(table))
    return table[key]


_FIG = Qty  # shorthand in schemas below

NALTREXONE = TableOf({
    "strength": TableOf({"basis": Text(), "basis_source": Text(), "minimum": _FIG("[mass]"),
                         "maximum": _FIG("[mass]")}),
    "assay": TableOf({"minimum": _FIG(""), "maximum": _FIG("")}),
    "hydrate": TableOf({"minimum_water_share": _FIG("", maximum=1)}),
    "forms": TableOf(values=TableOf({"name": Text(), "formula": Text(),
                                     "molecular_weight": _FIG("[mass] / [substance]"),
                                     "anhydrous_form": Optional(Text()),
                                     "anhydrous_form_source": Optional(Text())})),
    "tablets": TableOf(values=TableOf({"name": Text(), "form": Text(),
                                       "strength": _FIG("[mass] / [tablet_count]"),
                                       "excipients": Text(), "average_weight_note": Text()})),
})
CAPSULES = TableOf({"sizes": TableOf(values=_FIG("[volume]")),
                    "fill_density": TableOf({"minimum": _FIG("[mass] / [volume]"), "maximum": _FIG("[mass] / [volume]")}),
                    "fill_weight_warning": TableOf({"low": _FIG(""), "high": _FIG("")})})
FILLERS = TableOf({"fillers": TableOf(values=TableOf({
    "name": Text(), "status": Choice("ok", "warn", "refuse"), "cautions": ListOf(Text(), nonempty=False),
    "bulk_density": Optional(_FIG("[mass] / [volume]")),
    "fill_weight": Optional(TableOf(values=_FIG("[mass]")), default={}),
}))})
BALANCES = TableOf({
    "default": Text(),
    "balances": TableOf(values=TableOf({
        "name": Text(), "method": Choice("sensitivity", "usp41_scale_interval", "usp41_repeatability"),
        "sensitivity_requirement": Optional(_FIG("[mass]")), "max_error": Optional(_FIG("", maximum=1)),
        "scale_interval": Optional(_FIG("[mass]")), "repeatability_sd": Optional(_FIG("[mass]")),
        "factor": Optional(_FIG("")), "readability": _FIG("[mass]"),
    })),
    "aliquot": TableOf({"max_factor_per_stage": _FIG("", minimum=1)}),
})
BUD = TableOf({"categories": TableOf(values=TableOf({
    "description": Text(), "days": _FIG("[time]"), "storage": Text(), "storage_label": Text()})),
    "short_bud": TableOf({"warn_below": _FIG("[time]")})})


def _balance(key: str, raw: dict[str, Any], where: str) -> Balance:
    from .weighing import mwq_from_scale_interval, mwq_from_sensitivity, mwq_from_repeatability

    figures = {k: v for k, v in raw.items() if isinstance(v, Figure) and k != "readability"}
    need = {"sensitivity": ("sensitivity_requirement", "max_error"),
            "usp41_scale_interval": ("scale_interval", "factor"),
            "usp41_repeatability": ("repeatability_sd",)}[raw["method"]]
    for k in need:
        if raw[k] is None:
            raise DataError(f"is missing (needed by method {raw['method']})", field=f"{where}.{k}")
    if raw["method"] == "sensitivity":
        mwq = mwq_from_sensitivity(raw["sensitivity_requirement"].quantity, raw["max_error"].quantity)
        formula = "sensitivity requirement × 100 ÷ acceptable % error"
    elif raw["method"] == "usp41_scale_interval":
        mwq = mwq_from_scale_interval(raw["scale_interval"].quantity, raw["factor"].quantity)
        formula = "820 × scale interval (USP <41>)"
    else:
        mwq = mwq_from_repeatability(raw["repeatability_sd"].quantity)
        formula = "2000 × repeatability SD (USP <41>)"
    if raw["readability"].quantity > mwq:
        raise DataError("is larger than the balance's MWQ", field=f"{where}.readability",
                        value=raw["readability"].quantity, allowed=f"at most {mwq}")
    return Balance(key, raw["name"], raw["method"], mwq, formula, figures, raw["readability"])


@lru_cache(maxsize=4)
def load_reference(directory: Path = REFERENCE_DIR) -> Reference:
    """Read and check every reference file in ``directory``; raises DataError on any fault."""
    directory = Path(directory)
    nal = check(directory / "naltrexone.toml", NALTREXONE)
    caps = check(directory / "capsules.toml", CAPSULES)
    fil = check(directory / "fillers.toml", FILLERS)
    bal = check(directory / "balances.toml", BALANCES)
    bud = check(directory / "bud.toml", BUD)

    forms = {k: DrugForm(k, v["name"], v["formula"], v["molecular_weight"], v["anhydrous_form"] or k)
             for k, v in nal["forms"].items()}
    for k, f in forms.items():
        if f.anhydrous_form not in forms or forms[f.anhydrous_form].is_hydrate:
            raise DataError("must name an anhydrous form in forms", field=f"naltrexone.toml: forms.{k}.anhydrous_form",
                            value=f.anhydrous_form, allowed=", ".join(x for x in forms if not forms[x].is_hydrate))
        if f.is_hydrate and nal["forms"][k]["anhydrous_form_source"] is None:
            raise DataError("is missing (needed with anhydrous_form)",
                            field=f"naltrexone.toml: forms.{k}.anhydrous_form_source")
    if nal["strength"]["basis"] not in forms:
        raise DataError("must name one of the forms", field="naltrexone.toml: strength.basis",
                        value=nal["strength"]["basis"], allowed=", ".join(forms))
    tablets = {}
    for k, v in nal["tablets"].items():
        if v["form"] not in forms:
            raise DataError("must name one of the forms", field=f"naltrexone.toml: tablets.{k}.form",
                            value=v["form"], allowed=", ".join(forms))
        tablets[k] = Tablet(k, v["name"], v["form"], v["strength"], v["excipients"], v["average_weight_note"])
    if not tablets:
        raise DataError("must list at least one tablet", field="naltrexone.toml: tablets")
    sizes = caps["sizes"]
    for table, low, high in (("fill_density", "minimum", "maximum"), ("fill_weight_warning", "low", "high")):
        if caps[table][low].quantity >= caps[table][high].quantity:
            raise DataError(f"must be less than {high}", field=f"capsules.toml: {table}.{low}")
    fillers = {}
    for k, v in fil["fillers"].items():
        for size in v["fill_weight"]:
            if size not in sizes:
                raise DataError("is not a capsule size in capsules.toml",
                                field=f"fillers.toml: fillers.{k}.fill_weight.{size}", value=size)
        fillers[k] = Filler(k, v["name"], v["status"], v["cautions"], v["bulk_density"], v["fill_weight"])
    balances = {k: _balance(k, v, f"balances.toml: balances.{k}") for k, v in bal["balances"].items()}
    if bal["default"] not in balances:
        raise DataError("must name one of the balances", field="balances.toml: default",
                        value=bal["default"], allowed=", ".join(balances))
    max_factor = bal["aliquot"]["max_factor_per_stage"].quantity.magnitude
    if Fraction(max_factor).denominator != 1:
        raise DataError("must be a whole number", field="balances.toml: aliquot.max_factor_per_stage",
                        value=float(max_factor))
    buds = {k: BudCategory(k, v["description"], v["days"], v["storage"], v["storage_label"])
            for k, v in bud["categories"].items()}
    return Reference(
        strength_basis=nal["strength"]["basis"], strength_minimum=nal["strength"]["minimum"],
        strength_maximum=nal["strength"]["maximum"], assay_minimum=nal["assay"]["minimum"],
        assay_maximum=nal["assay"]["maximum"], hydrate_minimum_water_share=nal["hydrate"]["minimum_water_share"],
        forms=forms, tablets=tablets, capsule_sizes=sizes,
        fill_density=(caps["fill_density"]["minimum"], caps["fill_density"]["maximum"]),
        fill_weight_warning=(caps["fill_weight_warning"]["low"], caps["fill_weight_warning"]["high"]),
        fillers=fillers, balances=balances, default_balance=bal["default"],
        max_factor_per_stage=int(max_factor), bud_categories=buds, short_bud_warning=bud["short_bud"]["warn_below"])


def reference() -> Reference:
    """The reference data shipped in ``formulas/reference`` (loaded once)."""
    return load_reference(REFERENCE_DIR)
