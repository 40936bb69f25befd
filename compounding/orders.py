"""Orders as values: what was asked for, resolved, frozen and written as JSON without loss.

An order holds the inputs of one preparation after parsing (pint quantities with exact Fraction
magnitudes, whole counts, dates): ``CapsuleOrder``, ``LiquidOrder`` and ``TitrationOrder``. Build
one from typed text with ``from_text(**fields)`` (what the CLI and the app have; the text goes
through the one parser of :mod:`compounding.units`, so a typo is refused naming its field), or from
JSON with ``from_json(obj)``; ``to_json()`` writes it back exactly (``from_json(o.to_json()) == o``).

:func:`compute` calculates an order with a reference-data bundle (:mod:`compounding.bundle`;
default the shipped data) and returns the usual result (``CapsuleBatch``, ``LiquidPreparation``,
``TitrationPlan``) carrying the order it was computed from as ``result.order``, with the defaults
the calculation chose (formula, capsule size, filler, vehicle, date…) filled in.

The JSON (the public order format, ``{"kind": …, "fields": {…}}``): every field is present (null
when not given); a quantity is ``{"value": "4.5", "unit": "mg"}`` with the value an exact decimal
or a fraction ``"1/3"``; a count is an integer; a date ISO ``YYYY-MM-DD``; stages are
``[[dose, days], …]``; actual weights ``{weighing: quantity}``; QC limits ``[low, high]``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Mapping

import pint

from .bud import parse_date
from .errors import InputError
from .units import Q, as_count, as_quantity, capsule, dimensionless, percent, tablet, ureg

__all__ = ["CapsuleOrder", "LiquidOrder", "TitrationOrder", "ORDER_KINDS", "order_from_json", "compute",
           "quantity_json", "quantity_from_json", "exact_text"]


# --- exact values as JSON -----------------------------------------------------------------------

def exact_text(value: Fraction) -> str:
    """A Fraction as the shortest exact text: "4.5", "90", "-0.125", else "1/3"."""
    value = Fraction(value)
    d, twos, fives = value.denominator, 0, 0
    while d % 2 == 0:
        d, twos = d // 2, twos + 1
    while d % 5 == 0:
        d, fives = d // 5, fives + 1
    if d != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    if places == 0:
        return str(value.numerator)
    scaled = value * 10 ** places  # a whole number
    sign, digits = ("-" if scaled < 0 else ""), str(abs(int(scaled))).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}".rstrip("0").rstrip(".")


def _unit_text(q: pint.Quantity) -> str:
    return f"{q.units:~}".replace("µg", "mcg")


def quantity_json(q: pint.Quantity) -> dict[str, str]:
    return {"value": exact_text(Fraction(q.magnitude)), "unit": _unit_text(q)}


def quantity_from_json(obj: Any, field: str) -> pint.Quantity:
    if not (isinstance(obj, Mapping) and set(obj) == {"value", "unit"} and all(isinstance(v, str) for v in obj.values())):
        raise InputError("is not a quantity", field=field, value=str(obj)[:100],
                         allowed='{"value": "4.5", "unit": "mg"}')
    try:
        return Q(Fraction(obj["value"]), ureg.Unit(obj["unit"]))
    except (ValueError, ZeroDivisionError, pint.errors.PintError):
        raise InputError("is not an exact value with a known unit", field=field, value=str(obj)[:100],
                         allowed='{"value": "4.5", "unit": "mg"}') from None


# --- field types: parse typed text, write and read JSON --------------------------------------------

def _quantity(kind: str):
    return (lambda v, f: as_quantity(v, f, kind), quantity_json, quantity_from_json)


def _percent_text(v: Any, f: str) -> pint.Quantity:
    q = as_quantity(v, f, "percent")
    return q if q.units == percent else q.to(percent)


def _count(unit: pint.Unit):
    return (lambda v, f: int(as_count(v, f, unit, minimum=0).magnitude), lambda x: x, _json_int)


def _json_int(obj: Any, field: str) -> int:
    if isinstance(obj, bool) or not isinstance(obj, int):
        raise InputError("is not a whole number", field=field, value=obj)
    return obj


def _json_str(obj: Any, field: str) -> str:
    if not isinstance(obj, str):
        raise InputError("is not text", field=field, value=str(obj)[:100])
    return obj


def _json_bool(obj: Any, field: str) -> bool:
    if not isinstance(obj, bool):
        raise InputError("is not true or false", field=field, value=str(obj)[:100])
    return obj


def _date_json(obj: Any, field: str) -> dt.date:
    if not isinstance(obj, str):
        raise InputError("is not an ISO date", field=field, value=str(obj)[:100])
    return parse_date(obj, field)


def _text(v: Any, f: str) -> str:
    return _json_str(v, f)


def _bool(v: Any, f: str) -> bool:
    if isinstance(v, str) and v.strip().lower() in ("true", "yes", "1", "false", "no", "0"):
        return v.strip().lower() in ("true", "yes", "1")
    return _json_bool(v, f)


def _items(value: Any) -> list[Any]:
    """A comma-separated text or a sequence, as its items (the form the compute functions accept)."""
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    return list(value)


def _list(item):
    parse, write, read = item
    return (lambda v, f: tuple(parse(x, f"{f}[{i}]") for i, x in enumerate(_items(v))),
            lambda xs: [write(x) for x in xs],
            lambda obj, f: tuple(read(x, f"{f}[{i}]") for i, x in enumerate(_json_list(obj, f))))


def _json_list(obj: Any, field: str) -> list[Any]:
    if not isinstance(obj, list):
        raise InputError("is not a list", field=field, value=str(obj)[:100])
    return obj


def _extra_text(v: Any, f: str) -> Any:
    from .capsules import parse_extra

    kind, amount = parse_extra(v, f)
    return Q(amount, dimensionless).to(percent) if kind == "percent" else int(amount)


def _extra_json(obj: Any, f: str) -> Any:
    return _json_int(obj, f) if not isinstance(obj, Mapping) else quantity_from_json(obj, f)


def _weights_text(v: Any, f: str) -> tuple[tuple[str, pint.Quantity], ...]:
    pairs = v.items() if isinstance(v, Mapping) else v
    out = {k: as_quantity(x, f"actual_{k}", "mass") for k, x in pairs
           if not (x is None or isinstance(x, str) and not x.strip())}
    return tuple(sorted(out.items()))


def _weights_json(obj: Any, f: str) -> tuple[tuple[str, pint.Quantity], ...]:
    if not isinstance(obj, Mapping):
        raise InputError("is not a table of weighings", field=f, value=str(obj)[:100])
    return tuple(sorted((str(k), quantity_from_json(x, f"actual_{k}")) for k, x in obj.items()))


def _stages_text(v: Any, f: str) -> tuple[tuple[pint.Quantity, int], ...]:
    from .titration import _days, split_stages

    return tuple((as_quantity(d, f"{f}[{i}].dose", "mass"), _days(n, f"{f}[{i}].days"))
                 for i, (d, n) in enumerate(split_stages(v, f)))


def _stages_json(obj: Any, f: str) -> tuple[tuple[pint.Quantity, int], ...]:
    pairs = _json_list(obj, f)
    if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
        raise InputError("must be [dose, days] pairs", field=f, value=str(obj)[:100])
    return tuple((quantity_from_json(d, f"{f}[{i}].dose"), _json_int(n, f"{f}[{i}].days"))
                 for i, (d, n) in enumerate(pairs))


def _days_text(v: Any, f: str) -> int:
    from .titration import _days

    return _days(v, f)


_MASS, _PCT = _quantity("mass"), (_percent_text, quantity_json, quantity_from_json)
_DATE = (parse_date, lambda d: d.isoformat(), _date_json)
_TEXT, _BOOL = (_text, lambda x: x, _json_str), (_bool, lambda x: x, _json_bool)
_TYPES: dict[str, tuple] = {
    "mass": _MASS, "percent": _PCT, "date": _DATE, "text": _TEXT, "bool": _BOOL,
    "volume": _quantity("volume"), "concentration": _quantity("concentration"),
    "density": _quantity("density"), "mass_per_capsule": _quantity("mass_per_capsule"),
    "mass_per_tablet": _quantity("mass_per_tablet"),
    "capsules": _count(capsule), "tablets": _count(tablet), "days": (_days_text, lambda x: x, _json_int),
    "extra": (_extra_text, lambda x: x if isinstance(x, int) else quantity_json(x), _extra_json),
    "dates": _list(_DATE), "masses": _list(_MASS), "percents": _list(_PCT),
    "weights": (_weights_text, lambda ws: {k: quantity_json(q) for k, q in ws}, _weights_json),
    "stages": (_stages_text, lambda ss: [[quantity_json(d), n] for d, n in ss], _stages_json),
}


# --- the orders ---------------------------------------------------------------------------------

class _Order:
    """What the three orders share: typed-text and JSON constructors, and lossless JSON."""

    KIND: ClassVar[str]
    TYPES: ClassVar[dict[str, str]]  # field -> type in _TYPES

    @classmethod
    def from_text(cls, **fields: Any):
        """An order from typed text (or values already parsed); None or "" means not given."""
        unknown = sorted(set(fields) - set(cls.TYPES))
        if unknown:
            raise InputError("is not a field of this order", field=unknown[0], allowed=", ".join(cls.TYPES))
        out = {}
        for name, kind in cls.TYPES.items():
            value = fields.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                out[name] = cls._default(name)
            elif kind in ("dates", "masses", "percents", "stages", "weights") and not isinstance(value, str) \
                    and len(value) == 0:
                out[name] = cls._default(name)
            else:
                out[name] = _TYPES[kind][0](value, name)
        return cls(**out)

    @classmethod
    def _default(cls, name: str) -> Any:
        f = cls.__dataclass_fields__[name]
        return None if f.default is dataclasses.MISSING else f.default

    # Equal means the same JSON: the same values in the same units (4.5 mg and 4500 mcg are two
    # orders, as they are two records); and a pint quantity cannot be hashed in this registry.
    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.to_json() == self.to_json()

    def __hash__(self) -> int:
        return hash(self.to_json_text())

    def to_json(self) -> dict[str, Any]:
        fields = {}
        for name, kind in self.TYPES.items():
            v = getattr(self, name)
            fields[name] = None if v is None else _TYPES[kind][1](v)
        return {"kind": self.KIND, "fields": fields}

    def to_json_text(self) -> str:
        """The canonical JSON text (sorted keys, no spaces): equal orders give equal text."""
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, obj: Any):
        if isinstance(obj, str):
            try:
                obj = json.loads(obj)
            except ValueError as exc:
                raise InputError(f"is not JSON ({exc})", field="order") from None
        if not (isinstance(obj, Mapping) and obj.get("kind") == cls.KIND and isinstance(obj.get("fields"), Mapping)):
            raise InputError("is not an order of this kind", field="order", value=str(obj)[:100],
                             allowed=f'{{"kind": "{cls.KIND}", "fields": {{...}}}}')
        fields = obj["fields"]
        unknown = sorted(set(fields) - set(cls.TYPES))
        if unknown:
            raise InputError("is not a field of this order", field=unknown[0], allowed=", ".join(cls.TYPES))
        return cls(**{name: cls._default(name) if fields.get(name) is None else _TYPES[kind][2](fields[name], name)
                      for name, kind in cls.TYPES.items()})

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of the compute function (only the fields given)."""
        return {k: getattr(self, k) for k in self.TYPES if getattr(self, k) not in (None, ())}


@dataclass(frozen=True, eq=False)
class CapsuleOrder(_Order):
    """A capsule batch order (the inputs of :func:`compounding.capsules.capsule_batch`)."""

    KIND: ClassVar[str] = "capsules"
    TYPES: ClassVar[dict[str, str]] = {
        "strength": "mass", "quantity": "capsules", "extra": "extra", "source": "text", "formula": "text",
        "potency": "percent", "assay": "percent", "water": "percent", "api_form": "text",
        "potency_basis": "text", "strength_basis": "text", "tablet_weight": "mass_per_tablet",
        "capsule_size": "text", "filler": "text", "fill_weight": "mass_per_capsule",
        "api_fill_weight": "mass_per_capsule", "method": "text", "drug_bulk_density": "density",
        "filler_bulk_density": "density", "balance": "text", "mwq": "mass", "readability": "mass",
        "qc_limits": "percents", "compounding_date": "date", "component_expiries": "dates",
        "actual_weights": "weights"}

    strength: pint.Quantity | None = None
    quantity: int | None = None
    extra: Any = None  # whole capsules (int) or a percentage (pint %)
    source: str | None = None
    formula: str | None = None
    potency: pint.Quantity | None = None
    assay: pint.Quantity | None = None
    water: pint.Quantity | None = None
    api_form: str | None = None
    potency_basis: str | None = None
    strength_basis: str | None = None
    tablet_weight: pint.Quantity | None = None
    capsule_size: str | None = None
    filler: str | None = None
    fill_weight: pint.Quantity | None = None
    api_fill_weight: pint.Quantity | None = None
    method: str = "packing_statistic"
    drug_bulk_density: pint.Quantity | None = None
    filler_bulk_density: pint.Quantity | None = None
    balance: str | None = None
    mwq: pint.Quantity | None = None
    readability: pint.Quantity | None = None
    qc_limits: tuple[pint.Quantity, ...] | None = None
    compounding_date: dt.date | None = None
    component_expiries: tuple[dt.date, ...] = ()
    actual_weights: tuple[tuple[str, pint.Quantity], ...] = ()

    def kwargs(self) -> dict[str, Any]:
        out = super().kwargs()
        if "actual_weights" in out:
            out["actual_weights"] = dict(out["actual_weights"])
        return out


@dataclass(frozen=True, eq=False)
class LiquidOrder(_Order):
    """An oral liquid order (the inputs of :func:`compounding.liquids.prepare_liquid`)."""

    KIND: ClassVar[str] = "oral_liquid"
    TYPES: ClassVar[dict[str, str]] = {
        "concentration": "concentration", "final_volume": "volume", "tablets": "tablets", "source": "text",
        "vehicle": "text", "formula": "text", "tablet_weight": "mass_per_tablet", "doses": "masses",
        "compounding_date": "date", "api_form": "text", "potency": "percent", "assay": "percent",
        "water": "percent", "potency_basis": "text", "balance": "text", "mwq": "mass",
        "component_expiries": "dates", "day_one_is_compounding_day": "bool"}

    concentration: pint.Quantity | None = None
    final_volume: pint.Quantity | None = None
    tablets: int | None = None
    source: str | None = None
    vehicle: str | None = None
    formula: str | None = None
    tablet_weight: pint.Quantity | None = None
    doses: tuple[pint.Quantity, ...] = ()
    compounding_date: dt.date | None = None
    api_form: str | None = None
    potency: pint.Quantity | None = None
    assay: pint.Quantity | None = None
    water: pint.Quantity | None = None
    potency_basis: str | None = None
    balance: str | None = None
    mwq: pint.Quantity | None = None
    component_expiries: tuple[dt.date, ...] = ()
    day_one_is_compounding_day: bool = False


@dataclass(frozen=True, eq=False)
class TitrationOrder(_Order):
    """A titration plan order (the inputs of :func:`compounding.titration.plan_titration`)."""

    KIND: ClassVar[str] = "titration"
    TYPES: ClassVar[dict[str, str]] = {
        "start": "mass", "step": "mass", "every": "days", "target": "mass", "maintain": "days",
        "stages": "stages", "preset": "text", "form": "text", "concentration": "concentration",
        "vehicle": "text", "start_date": "date", "overage": "percent"}

    start: pint.Quantity | None = None
    step: pint.Quantity | None = None
    every: int | None = None
    target: pint.Quantity | None = None
    maintain: int | None = None
    stages: tuple[tuple[pint.Quantity, int], ...] = ()
    preset: str | None = None
    form: str = "capsules"
    concentration: pint.Quantity | None = None
    vehicle: str = "purified_water"
    start_date: dt.date | None = None
    overage: pint.Quantity | None = None


ORDER_KINDS: dict[str, type[_Order]] = {c.KIND: c for c in (CapsuleOrder, LiquidOrder, TitrationOrder)}


def order_from_json(obj: Any) -> _Order:
    """Any order from its JSON (the ``kind`` says which)."""
    if isinstance(obj, str):
        try:
            obj = json.loads(obj)
        except ValueError as exc:
            raise InputError(f"is not JSON ({exc})", field="order") from None
    kind = obj.get("kind") if isinstance(obj, Mapping) else None
    if kind not in ORDER_KINDS:
        raise InputError("is not an order kind", field="kind", value=str(kind)[:100], allowed=", ".join(ORDER_KINDS))
    return ORDER_KINDS[kind].from_json(obj)


def compute(order: _Order, bundle: Any = None) -> Any:
    """The result of ``order`` with the reference data ``bundle`` (default: the shipped data).

    The result carries the order (``result.order``, its defaults filled in), the bundle's hash and
    the engine version.
    """
    from .bundle import shipped_bundle

    bundle = bundle or shipped_bundle()
    if isinstance(order, CapsuleOrder):
        from .capsules import capsule_batch

        return capsule_batch(**order.kwargs(), bundle=bundle)
    if isinstance(order, LiquidOrder):
        from .liquids import prepare_liquid

        return prepare_liquid(**order.kwargs(), bundle=bundle)
    if isinstance(order, TitrationOrder):
        from .titration import plan_titration

        return plan_titration(**order.kwargs(), bundle=bundle)
    raise InputError("is not an order", field="order", value=type(order).__name__,
                     allowed="CapsuleOrder, LiquidOrder, TitrationOrder")


def resolved(order: _Order, **filled: Any) -> _Order:
    """``order`` with the defaults the calculation chose filled in (fields given stay as given)."""
    return dataclasses.replace(order, **{k: v for k, v in filled.items()
                                         if getattr(order, k) in (None, ()) and v is not None})
