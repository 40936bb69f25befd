"""The batch snapshot the store keeps: order, result, record hash, engine version, reference hash.

The canonical form and hash of a record are the core's (:mod:`compounding.record`), the reference
hash the reference-data bundle's (:mod:`compounding.bundle`); the names here delegate to them:

* canonical JSON: sorted keys, no whitespace, UTF-8 kept, NaN refused.
* record hash: SHA-256 of the canonical JSON of
  ``{"order", "result", "engine_version", "reference_hash"}``.
* reference hash: SHA-256 over every ``formulas/**/*.toml`` in sorted path order; each file is
  framed by its relative path and byte length, so moving text from one file to the next or renaming
  a file changes the hash too (plain concatenation would not).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import __version__
from ..bundle import content_hash
from ..errors import InputError
from ..record import canonical_json, record_digest, sha256_text
from ..units import parse_quantity, ureg
from .columns import fraction_text
from .models import BATCH_KINDS

__all__ = ["canonical_json", "sha256_text", "reference_hash", "record_hash", "Snapshot", "snapshot",
           "strength_text", "FORMULAS_DIR"]

FORMULAS_DIR = Path(__file__).resolve().parents[2] / "formulas"


def reference_hash(directory: Path = FORMULAS_DIR) -> str:
    return content_hash(directory)


def record_hash(order: Any, result: Any, engine_version: str, reference: str) -> str:
    return record_digest(order, result, engine_version, reference)


@dataclass(frozen=True)
class Snapshot:
    kind: str
    order_json: str
    result_json: str
    record_hash: str
    engine_version: str
    reference_hash: str
    strength: str  # canonical strength text for search, e.g. "4.5 mg" or "1 mg/mL"


def snapshot(kind: str, order: Mapping[str, Any], result: Any, *, reference: str | None = None) -> Snapshot:
    """The snapshot of a computed result (anything with ``as_dict()``, or its dict) and its order (an order
    object of :mod:`compounding.orders`, or its JSON). A result that records the reference data it was
    computed with (``reference_hash``) is stored with that hash."""
    if kind not in BATCH_KINDS:
        raise InputError("is not a preparation kind", field="kind", value=kind, allowed=", ".join(BATCH_KINDS))
    result_dict = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    order_dict = order.to_json() if hasattr(order, "to_json") else dict(order)
    own = getattr(result, "reference_hash", None)
    ref = own or (reference_hash() if reference is None else reference)
    try:
        order_text, result_text = canonical_json(order_dict), canonical_json(result_dict)
    except (TypeError, ValueError) as exc:
        raise InputError(f"cannot be stored as JSON ({exc})", field="order", value=None) from None
    return Snapshot(kind=kind, order_json=order_text, result_json=result_text,
                    record_hash=record_hash(order_dict, result_dict, __version__, ref),
                    engine_version=__version__, reference_hash=ref,
                    strength=_result_strength(kind, result_dict))


def _result_strength(kind: str, result: Mapping[str, Any]) -> str:
    if kind == "capsules":
        value = result.get("strength")
    elif kind == "oral_liquid":
        value = result.get("concentration")
    else:
        value = result.get("concentration") or (result.get("single_strength") or {}).get("strength")
    if not isinstance(value, Mapping):
        return ""
    return strength_text(f"{value['value']!r} {value['unit']}".replace("µg", "mcg"))


def strength_text(text: str, field: str = "strength") -> str:
    """Canonical strength for storage and search: a mass in mg ("4.5 mg"), or mg/mL ("1 mg/mL")."""
    if "/" in text:
        q = parse_quantity(text, field, "concentration").to(ureg.Unit("mg/mL"))
        return f"{fraction_text(Fraction(q.magnitude))} mg/mL"
    q = parse_quantity(text, field, "mass").to(ureg.Unit("mg"))
    return f"{fraction_text(Fraction(q.magnitude))} mg"
