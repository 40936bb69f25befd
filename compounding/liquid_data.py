"""Reference data for oral liquids and titration: syringes and other measuring devices, vehicles,
the solubility bounding a stock solution, regimen presets.

Read from ``formulas/reference/{syringes,measuring,vehicles,regimens}.toml`` through the strict loader in
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

__all__ = ["Device", "Syringe", "Component", "Vehicle", "Regimen", "LiquidData", "load_liquid_data",
           "liquid_data"]

DEVICE_KINDS = ("oral_syringe", "graduated_cylinder", "volumetric_pipette", "volumetric_flask")
ONE_MARK = ("volumetric_pipette", "volumetric_flask")


@dataclass(frozen=True)
class Device:
    """A volumetric device (oral syringe, cylinder, pipette, flask). It measures a volume that is a
    whole number of its graduations, at least its minimum and at most its capacity."""

    key: str
    name: str
    capacity: pint.Quantity  # mL
    graduation: pint.Quantity  # mL
    source: str
    minimum: pint.Quantity  # mL
    kind: str = "oral_syringe"

    def on_mark(self, volume: pint.Quantity) -> bool:
        """``volume`` is a whole number (≥ 1) of graduations (exact arithmetic)."""
        ratio = Fraction((volume / self.graduation).to("").magnitude)
        return ratio.denominator == 1 and ratio >= 1

    def measures(self, volume: pint.Quantity) -> bool:
        return self.minimum <= volume <= self.capacity and self.on_mark(volume)

    def as_dict(self) -> dict[str, Any]:
        from .jsonout import to_jsonable

        return {"key": self.key, "name": self.name, "capacity": to_jsonable(self.capacity),
                "graduation": to_jsonable(self.graduation), "minimum": to_jsonable(self.minimum),
                "kind": self.kind}


Syringe = Device  # an oral syringe is a device of kind "oral_syringe"


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
    syringes: tuple[Device, ...]  # smallest capacity first
    minimum_dose_volume: Figure
    standard_concentrations: tuple[Figure, ...]  # preference order
    shake_well_label: str
    vehicles: dict[str, Vehicle]
    regimens: dict[str, Regimen]
    max_stages: int
    devices: tuple[Device, ...] = ()  # cylinders and pipettes (measuring.toml), smallest first
    flasks: tuple[Device, ...] = ()  # volumetric flasks to make a stock solution up to volume
    solubility: Figure | None = None  # naltrexone HCl in the stock solvent, mg/mL
    stock_solvent: str = "purified water"
    marks: tuple[tuple[Fraction, Device], ...] = ()  # every volume [mL] a device measures, ascending

    def vehicle(self, key: str, field: str = "vehicle") -> Vehicle:
        return _pick(self.vehicles, key, field, "vehicle")

    def regimen(self, key: str, field: str = "preset") -> Regimen:
        return _pick(self.regimens, key, field, "regimen preset")


def _pick(table: dict[str, Any], key: str, field: str, what: str) -> Any:
    if key not in table:
        raise InputError(f"is not a known {what}", field=field, value=key, allowed=", ".join(table))
    return table[key]


_DEVICE = {"name": Text(), "capacity": Qty("[volume]"), "graduation": Qty("[volume]"),
           "minimum": Qty("[volume]")}
SYRINGES = TableOf({
    "syringes": TableOf(values=TableOf(_DEVICE)),
    "measurement": TableOf({"minimum_dose_volume": Qty("[volume]")}),
    "concentrations": TableOf({"standard": ListOf(Qty("[mass] / [volume]"))}),
})
_COMPONENT = TableOf({
    "name": Text(), "role": Choice("vehicle", "preservative", "antioxidant", "sweetener", "flavour",
                                   "suspending_agent", "other"),
    "mass": Optional(Qty("[mass]")), "volume": Optional(Qty("[volume]")),
    "make_up_to": Optional(Flag(), default=False), "source": Optional(Text(), default=""),
})
MEASURING = TableOf({"devices": TableOf(values=TableOf({**_DEVICE, "kind": Choice(*DEVICE_KINDS[1:])}))})
VEHICLES = TableOf({
    "labels": TableOf({"shake_well": Text(), "shake_well_source": Text()}),
    "stock_solution": TableOf({"solvent": Text(), "naltrexone_hcl_solubility": Qty("[mass] / [volume]")}),
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


def _device(key: str, raw: dict[str, Any], where: str, kind: str) -> Device:
    cap, grad, low = (raw[k].quantity.to("mL") for k in ("capacity", "graduation", "minimum"))
    if grad > cap or Fraction(cap.magnitude / grad.magnitude).denominator != 1:
        raise DataError("must divide the capacity into whole graduations", field=f"{where}.graduation", value=grad)
    if not (grad <= low <= cap) or Fraction(low.magnitude / grad.magnitude).denominator != 1:
        raise DataError("must be a graduation mark from one graduation to the capacity",
                        field=f"{where}.minimum", value=low)
    if kind in ONE_MARK and not (grad == low == cap):
        raise DataError(f"a {kind.replace('_', ' ')} has one mark: graduation and minimum equal the capacity",
                        field=f"{where}.graduation", value=grad)
    return Device(key, raw["name"], cap, grad, raw["capacity"].source, low, kind)


def _marks(devices: list[Device]) -> tuple[tuple[Fraction, Device], ...]:
    """Every volume some device measures, with the device to use: a one-mark pipette first, else the
    smallest device (the finest scale for that volume), compounding glassware before an oral syringe."""
    best: dict[Fraction, Device] = {}
    for d in sorted(devices, key=lambda d: (d.kind not in ONE_MARK, d.capacity, d.graduation,
                                            d.kind == "oral_syringe")):
        grad = Fraction(d.graduation.magnitude)
        first = -(-Fraction(d.minimum.magnitude) // grad)
        for k in range(int(first), int(Fraction(d.capacity.magnitude) // grad) + 1):
            best.setdefault(k * grad, d)
    return tuple(sorted(best.items(), key=lambda kv: kv[0]))


@lru_cache(maxsize=4)
def load_liquid_data(directory: Path = REFERENCE_DIR) -> LiquidData:
    """Read and check syringes.toml, measuring.toml, vehicles.toml and regimens.toml; DataError on
    any fault."""
    directory = Path(directory)
    syr = check(directory / "syringes.toml", SYRINGES)
    mea = check(directory / "measuring.toml", MEASURING)
    veh = check(directory / "vehicles.toml", VEHICLES)
    reg = check(directory / "regimens.toml", REGIMENS)
    syringes = sorted((_device(k, v, f"syringes.toml: syringes.{k}", "oral_syringe")
                       for k, v in syr["syringes"].items()), key=lambda s: s.capacity)
    others = [_device(k, v, f"measuring.toml: devices.{k}", v["kind"]) for k, v in mea["devices"].items()]
    flasks = sorted((d for d in others if d.kind == "volumetric_flask"), key=lambda d: d.capacity)
    devices = sorted((d for d in others if d.kind != "volumetric_flask"), key=lambda d: d.capacity)
    if not flasks:
        raise DataError("needs at least one volumetric flask (for stock solutions)", field="measuring.toml: devices")
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
                      regimens, int(max_stages), tuple(devices), tuple(flasks),
                      veh["stock_solution"]["naltrexone_hcl_solubility"], veh["stock_solution"]["solvent"],
                      _marks(syringes + devices))


def liquid_data() -> LiquidData:
    """The data shipped in ``formulas/reference`` (loaded once)."""
    return load_liquid_data(REFERENCE_DIR)
