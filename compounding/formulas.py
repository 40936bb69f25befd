"""Master formulas: one TOML file per formulation in ``formulas/`` (not in ``formulas/reference``).

A pharmacy adds its own formula by adding a file (see README, "Adding a formula"); the strict
loader names the file and key of any fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .data import FORMULAS_DIR, Choice, Figure, ListOf, Optional, Qty, TableOf, Text, check
from .errors import DataError, InputError

__all__ = ["Ingredient", "MasterFormula", "load_formula", "load_formulas", "formulas", "formula"]


@dataclass(frozen=True)
class Ingredient:
    role: str
    name: str
    note: str


@dataclass(frozen=True)
class MasterFormula:
    id: str
    version: str
    name: str
    preparation: str  # capsules | oral_liquid
    dosage_form: str
    source: str  # api | tablets
    bud_category: str
    bud_reference: str
    usual_strength_min: Figure
    usual_strength_max: Figure
    default_capsule_size: str | None
    default_filler: str | None
    default_vehicle: str | None
    container: str
    description: str
    ingredients: tuple[Ingredient, ...]
    steps: tuple[str, ...]
    qc: tuple[str, ...]
    labelling: tuple[str, ...]
    developed_by: str
    approved_by: str
    path: Path


SCHEMA = TableOf({
    "id": Text(), "version": Text(), "name": Text(),
    "preparation": Choice("capsules", "oral_liquid"),
    "dosage_form": Text(), "source": Choice("api", "tablets"),
    "bud_category": Text(), "bud_reference": Text(),
    "usual_strength_min": Qty("[mass]"), "usual_strength_max": Qty("[mass]"),
    "default_capsule_size": Optional(Text()), "default_filler": Optional(Text()),
    "default_vehicle": Optional(Text()),
    "container": Text(), "description": Text(),
    "ingredients": ListOf(TableOf({"role": Choice("active", "filler", "vehicle", "preservative",
                                                  "antioxidant", "sweetener", "flavour", "other"),
                                   "name": Text(), "note": Optional(Text(), default="")})),
    "steps": ListOf(Text()), "qc": ListOf(Text()), "labelling": ListOf(Text()),
    "developed_by": Text(), "approved_by": Text(),
})


def load_formula(path: Path) -> MasterFormula:
    raw = check(Path(path), SCHEMA)
    if raw["preparation"] == "capsules" and (not raw["default_capsule_size"] or not raw["default_filler"]):
        raise DataError("a capsule formula needs default_capsule_size and default_filler",
                        field=f"{Path(path).name}: default_capsule_size")
    ingredients = tuple(Ingredient(i["role"], i["name"], i["note"]) for i in raw["ingredients"])
    return MasterFormula(**{k: v for k, v in raw.items() if k != "ingredients"},
                         ingredients=ingredients, path=Path(path))


@lru_cache(maxsize=4)
def load_formulas(directory: Path = FORMULAS_DIR) -> dict[str, MasterFormula]:
    """Every ``*.toml`` directly in ``directory``, by id; two files with one id is an error."""
    out: dict[str, MasterFormula] = {}
    for path in sorted(Path(directory).glob("*.toml")):
        f = load_formula(path)
        if f.id in out:
            raise DataError("is used by two formula files", field=f"{path.name}: id", value=f.id,
                            allowed=f"a unique id ({out[f.id].path.name} has it already)")
        out[f.id] = f
    return out


def formulas() -> dict[str, MasterFormula]:
    return load_formulas(FORMULAS_DIR)


def formula(formula_id: str, field: str = "formula") -> MasterFormula:
    table = formulas()
    if formula_id not in table:
        raise InputError("is not a known formula", field=field, value=formula_id,
                         allowed=", ".join(table))
    return table[formula_id]
