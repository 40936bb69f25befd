"""The batch snapshot the store keeps: order, result, record hash, engine version, reference hash.

Interim: issue 10 moves the canonical form and hash of a record into the core (``record``); this
module is the one place the store computes them until then, and is replaced by the core's.

* canonical JSON: sorted keys, no whitespace, UTF-8 kept, NaN refused.
* record hash: SHA-256 of the canonical JSON of
  ``{"order", "result", "engine_version", "reference_hash"}``.
* reference hash: SHA-256 over every ``formulas/**/*.toml`` in sorted path order; each file is
  framed by its relative path and byte length, so moving text from one file to the next or renaming
  a file changes the hash too (plain concatenation would not).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError
from ..units import parse_quantity, ureg
from .columns import fraction_text
from .models import BATCH_KINDS

__all__ = ["canonical_json", "sha256_text", "reference_hash", "record_hash", "Snapshot", "snapshot",
           "strength_text", "FORMULAS_DIR"]

FORMULAS_DIR = Path(__file__).resolve().parents[2] / "formulas"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reference_hash(directory: Path = FORMULAS_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*.toml"), key=lambda p: p.relative_to(directory).as_posix()):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(directory).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def record_hash(order: Any, result: Any, engine_version: str, reference: str) -> str:
    return sha256_text(canonical_json({"order": order, "result": result, "engine_version": engine_version,
                                       "reference_hash": reference}))


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
    """The snapshot of a computed result (anything with ``as_dict()``, or its dict) and its order."""
    if kind not in BATCH_KINDS:
        raise InputError("is not a preparation kind", field="kind", value=kind, allowed=", ".join(BATCH_KINDS))
    result_dict = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    order_dict = dict(order)
    ref = reference_hash() if reference is None else reference
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
