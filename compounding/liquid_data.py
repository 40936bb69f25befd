"""Reference data for oral liquids and titration: syringes, vehicles, regimen presets.

Read from ``formulas/reference/{syringes,vehicles,regimens}.toml`` through the strict loader in
:mod:`.data`: an unknown key, a missing unit or an impossible value names the file and the key.
:func:`load_liquid_data` takes a directory so tests can point it at broken fixtures.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import pint

from .data import REFERENCE_DIR, Choice, Figure, Flag, ListOf, Optional, Qty, TableOf, Text, check
from .errors import DataError, InputError
from .reference import reference

__all__ = ["Syringe", "Component", "Vehicle", "Regimen", "LiquidData", "load_liquid_data",
           "liquid_data"]


@dataclass(frozen=True)
class Syringe:
    key: str
    name: str
    capacity: pint.Quantity  # mL
    graduation: pint.Quantity  # mL
    source: str

    def as_dict(self) -> dict[str, Any]:
        from .jsonout import to_jsonable

        return {"key": self.key, "name": self.name, "capacity": to_jsonable(self.capacity),
                "graduation": to_jsonable(self.graduation)}


@dataclass(frozen=True)
class Component:
    """One vehicle component per 100 mL: a mass, a volume, or the liquid that makes up the volume."""

    name: str
    role: str
    mass: Figure | None
    volume: Figure | None
    make_up_to: bool
    source: str


@dataclass(frozen=True)
class Vehicle:
    key: str
    name: str
    water_activity: str  # aqueous | nonaqueous
    preserved: bool
    bud_category: str
    solution_from_api: bool  # naltrexone HCl powder dissolves in it (a true solution)
    labels: tuple[str, ...]
    source: str
    published_concentration: Figure | None
    stability_note: str
    components: tuple[Component, ...]


@dataclass(frozen=True)
class Regimen:
    key: str
    name: str
    start: Figure
    step: Figure
    every: Figure
    target: Figure
    maintain: Figure


@dataclass(frozen=True)
class LiquidData:
    syringes: tuple[Syringe, ...]  # smallest capacity first
    minimum_dose_volume: Figure
    standard_concentrations: tuple[Figure, ...]  # preference order
    shake_well_label: str
    vehicles: dict[str, Vehicle]
    regimens: dict[str, Regimen]
    max_stages: int

    def vehicle(self, key: str, field: str = "vehicle") -> Vehicle:
        return _pick(self.vehicles, key, field, "vehicle")

    def regimen(self, key: str, field: str = "preset") -> Regimen:
        return _pick(self.regimens, key, field, "regimen preset")


def _pick(table: dict[str, Any], key: str, field: str, what: str) -> Any:
    if key not in table:
        raise InputError(f"is not a known {what}", field=field, value=key, allowed=", ".join(table))
    return table[key]


SYRINGES = TableOf({
    "syringes": TableOf(values=TableOf({"name": Text(), "capacity": Qty("[volume]"),
                                        "graduation": Qty("[volume]")})),
    "measurement": TableOf({"minimum_dose_volume": Qty("[volume]")}),
    "concentrations": TableOf({"standard": ListOf(Qty("[mass] / [volume]"))}),
})
_COMPONENT = TableOf({
    "name": Text(), "role": Choice("vehicle", "preservative", "antioxidant", "sweetener", "flavour",
                                   "suspending_agent", "other"),
    "mass": Optional(Qty("[mass]")), "volume": Optional(Qty("[volume]")),
    "make_up_to": Optional(Flag(), default=False), "source": Optional(Text(), default=""),
})
VEHICLES = TableOf({
    "labels": TableOf({"shake_well": Text(), "shake_well_source": Text()}),
    "vehicles": TableOf(values=TableOf({
        "name": Text(), "water_activity": Choice("aqueous", "nonaqueous"), "preserved": Flag(),
        "bud_category": Text(), "solution_from_api": Flag(), "labels": ListOf(Text(), nonempty=False),
        "source": Text(), "published_concentration": Optional(Qty("[mass] / [volume]")),
        "stability_note": Optional(Text(), default=""), "components": ListOf(_COMPONENT),
    })),
})
REGIMENS = TableOf({
    "regimens": TableOf(values=TableOf({
        "name": Text(), "start": Qty("[mass]"), "step": Qty("[mass]"), "every": Qty("[time]"),
        "target": Qty("[mass]"), "maintain": Qty("[time]", minimum=0, strict_min=False),
    })),
    "limits": TableOf({"max_stages": Qty("", minimum=1, strict_min=False)}),
})


def _component(raw: dict[str, Any], where: str) -> Component:
    given = [k for k in ("mass", "volume") if raw[k] is not None] + (["make_up_to"] if raw["make_up_to"] else [])
    if len(given) != 1:
        raise DataError("needs exactly one of mass, volume or make_up_to = true", field=where,
                        value=", ".join(given) or None)
    source = raw["source"] or (raw["mass"] or raw["volume"]).source if not raw["make_up_to"] else raw["source"]
    return Component(raw["name"], raw["role"], raw["mass"], raw["volume"], raw["make_up_to"], source)


def _vehicle(key: str, raw: dict[str, Any], file: str) -> Vehicle:
    where = f"{file}: vehicles.{key}"
    expected = {("aqueous", False): "aqueous_unpreserved", ("aqueous", True): "aqueous_preserved",
                ("nonaqueous", False): "nonaqueous_liquid", ("nonaqueous", True): "nonaqueous_liquid"}
    categories = reference().bud_categories
    if raw["bud_category"] not in categories:
        raise DataError("is not a BUD category in bud.toml", field=f"{where}.bud_category",
                        value=raw["bud_category"], allowed=", ".join(categories))
    want = expected[(raw["water_activity"], raw["preserved"])]
    if raw["bud_category"] != want:
        raise DataError(f"does not match water_activity and preserved (USP <795> gives {want})",
                        field=f"{where}.bud_category", value=raw["bud_category"], allowed=want)
    comps = tuple(_component(c, f"{where}.components[{i}]") for i, c in enumerate(raw["components"]))
    if sum(c.make_up_to for c in comps) != 1:
        raise DataError("needs exactly one component with make_up_to = true", field=f"{where}.components")
    return Vehicle(key, raw["name"], raw["water_activity"], raw["preserved"], raw["bud_category"],
                   raw["solution_from_api"], raw["labels"], raw["source"],
                   raw["published_concentration"], raw["stability_note"], comps)


@lru_cache(maxsize=4)
def load_liquid_data(directory: Path = REFERENCE_DIR) -> LiquidData:
    """Read and check syringes.toml, vehicles.toml and regimens.toml; DataError on any fault."""
    directory = Path(directory)
    syr = check(directory / "syringes.toml", SYRINGES)
    veh = check(directory / "vehicles.toml", VEHICLES)
    reg = check(directory / "regimens.toml", REGIMENS)
    syringes = []
    for k, v in syr["syringes"].items():
        cap, grad = v["capacity"].quantity.to("mL"), v["graduation"].quantity.to("mL")
        if grad > cap or Fraction(cap.magnitude / grad.magnitude).denominator != 1:
            raise DataError("must divide the capacity into whole graduations",
                            field=f"syringes.toml: syringes.{k}.graduation", value=grad)
        syringes.append(Syringe(k, v["name"], cap, grad, v["capacity"].source))
    syringes.sort(key=lambda s: s.capacity)
    vehicles = {k: _vehicle(k, v, "vehicles.toml") for k, v in veh["vehicles"].items()}
    regimens = {}
    for k, v in reg["regimens"].items():
        regimens[k] = Regimen(k, v["name"], v["start"], v["step"], v["every"], v["target"], v["maintain"])
    max_stages = reg["limits"]["max_stages"].quantity.magnitude
    if Fraction(max_stages).denominator != 1:
        raise DataError("must be a whole number", field="regimens.toml: limits.max_stages",
                        value=float(max_stages))
    return LiquidData(tuple(syringes), syr["measurement"]["minimum_dose_volume"],
                      syr["concentrations"]["standard"], veh["labels"]["shake_well"], vehicles,
                      regimens, int(max_stages))


def liquid_data() -> LiquidData:
    """The data shipped in ``formulas/reference`` (loaded once)."""
    return load_liquid_data(REFERENCE_DIR)
