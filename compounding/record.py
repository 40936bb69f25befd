"""Record identity: the canonical form of a record and its SHA-256, in the core.

A record is what was asked for and what came of it, with everything the answer depended on:

    {"order": <the order's JSON>, "result": <the result's JSON>,
     "reference_hash": <SHA-256 of the reference data used>, "engine_version": <this package's version>}

Its canonical text is that JSON with sorted keys, no whitespace, UTF-8 kept (not \\u-escaped) and NaN
refused; the record hash is the SHA-256 of that text. Orders are exact (fractions as "1/3" or exact
decimals, :mod:`compounding.orders`); the result is its JSON contract (``as_dict()``), a function of
the order, the reference data and the engine, so equal records hash equally on every machine.

The batch store (:mod:`compounding.store.record_snapshot`) and the Excel record
(:mod:`compounding.excel`) take their canonical JSON and hashes from here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping

import pint

from . import __version__ as ENGINE_VERSION

__all__ = ["ENGINE_VERSION", "canonical_json", "canonical_value", "sha256_text", "digest", "Record",
           "record_of", "record_hash", "record_digest"]


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no whitespace, UTF-8 kept; NaN and infinities refused."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest(value: Any) -> str:
    """SHA-256 of the canonical JSON of ``value``."""
    return sha256_text(canonical_json(value))


def canonical_value(value: Any) -> Any:
    """One value as a record sees it: a quantity by its magnitude, numbers exact as "n/d" text (a float
    as the decimal it prints as), dates ISO; text, booleans and None as they are."""
    if isinstance(value, pint.Quantity):
        value = value.magnitude
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        value = Fraction(repr(value))
    if isinstance(value, (int, Fraction)):
        return str(Fraction(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


def record_digest(order: Any, result: Any, engine_version: str, reference_hash: str) -> str:
    """The record hash from the parts already as JSON values (the store keeps them so)."""
    return digest({"order": order, "result": result, "engine_version": engine_version,
                   "reference_hash": reference_hash})


@dataclass(frozen=True)
class Record:
    """A record's parts as JSON values; ``sha256`` is its identity."""

    order: Mapping[str, Any]
    result: Mapping[str, Any]
    reference_hash: str
    engine_version: str

    def canonical(self) -> dict[str, Any]:
        return {"order": self.order, "result": self.result, "engine_version": self.engine_version,
                "reference_hash": self.reference_hash}

    def canonical_json(self) -> str:
        return canonical_json(self.canonical())

    @property
    def sha256(self) -> str:
        return sha256_text(self.canonical_json())


def record_of(result: Any) -> Record:
    """The record of a computed result (``CapsuleBatch``, ``LiquidPreparation``, ``TitrationPlan``):
    it carries its order, the hash of the reference data it used and the engine version."""
    order = getattr(result, "order", None)
    if order is None or getattr(result, "reference_hash", None) is None:
        raise TypeError(f"{type(result).__name__} does not carry its order and reference hash")
    return Record(order.to_json(), result.as_dict(), result.reference_hash, result.engine_version)


def record_hash(result: Any) -> str:
    """SHA-256 of the record of ``result``."""
    return record_of(result).sha256
