"""What the store hands out: frozen values, detached from any database session.

Callers (CLI, app, exports) never hold ORM objects, so nothing they do can write to the store
behind the service's back. ``as_dict()`` gives JSON-ready dicts (quantities as value + unit).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import pint

from ..jsonout import to_jsonable
from . import models as m

__all__ = ["UserView", "LotView", "WeightView", "AllocationView", "SignatureView", "BatchSummary",
           "BatchView", "AuditEventView", "Page"]


class _AsDict:
    def as_dict(self) -> dict[str, Any]:
        return {name: to_jsonable(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class UserView(_AsDict):
    username: str
    name: str
    initials: str
    role: str
    active: bool

    @classmethod
    def of(cls, u: m.User) -> UserView:
        return cls(u.username, u.name, u.initials, u.role, u.active)


@dataclass(frozen=True)
class LotView(_AsDict):
    id: int
    kind: str
    material: str
    supplier: str
    supplier_lot: str
    expiry: dt.date
    status: str
    status_reason: str | None
    assay: pint.Quantity | None
    water: pint.Quantity | None
    potency: pint.Quantity | None
    salt_form: str | None
    tablet_weight: pint.Quantity | None
    fill_weights: dict[str, pint.Quantity] = field(default_factory=dict)  # capsule size -> mg per capsule
    potency_basis: str | None = None  # the form whose as-is content ``potency`` is; None: the anhydrous salt

    @classmethod
    def of(cls, lot: m.IngredientLot) -> LotView:
        return cls(lot.id, lot.kind, lot.material, lot.supplier, lot.supplier_lot, lot.expiry, lot.status,
                   lot.status_reason, lot.assay, lot.water, lot.potency, lot.salt_form, lot.tablet_weight,
                   {f.capsule_size: f.fill_weight for f in lot.fill_weights}, lot.potency_basis)


@dataclass(frozen=True)
class WeightView(_AsDict):
    step: str
    target: pint.Quantity
    actual: pint.Quantity
    tolerance: pint.Quantity
    verdict: str
    recorded_at: dt.datetime

    @classmethod
    def of(cls, w: m.ActualWeight) -> WeightView:
        return cls(w.step, w.target, w.actual, w.tolerance, w.verdict, w.recorded_at)


@dataclass(frozen=True)
class AllocationView(_AsDict):
    anticipatory: bool
    patient: str | None
    rx_number: str | None
    quantity: int
    prescriber: str | None = None  # of the prescription, when it was given
    after_release: bool = False  # allocated from released stock, after the release signature

    @classmethod
    def of(cls, a: m.Allocation) -> AllocationView:
        return cls(a.anticipatory, a.patient, a.rx_number, a.quantity, a.prescriber, a.after_release)


@dataclass(frozen=True)
class SignatureView(_AsDict):
    printed_name: str
    meaning: str
    signed_at: dt.datetime
    signed_hash: str

    def __str__(self) -> str:
        return f"{self.meaning} by {self.printed_name}, {self.signed_at:%Y-%m-%d %H:%M:%S} UTC"

    @classmethod
    def of(cls, s: m.Signature) -> SignatureView:
        return cls(s.printed_name, s.meaning, s.signed_at, s.signed_hash)


@dataclass(frozen=True)
class BatchSummary(_AsDict):
    lot_number: str
    kind: str
    status: str
    strength: str
    preparer: str
    created_at: dt.datetime


@dataclass(frozen=True)
class BatchView(_AsDict):
    lot_number: str
    kind: str
    status: str
    status_reason: str | None
    strength: str
    order: dict[str, Any]
    result: dict[str, Any]
    record_hash: str
    engine_version: str
    reference_hash: str
    preparer: str
    verifier: str | None
    amends: str | None  # lot number of the record this one corrects
    created_at: dt.datetime
    updated_at: dt.datetime
    ingredient_lots: tuple[LotView, ...]
    weights: tuple[WeightView, ...]
    allocations: tuple[AllocationView, ...]
    signatures: tuple[SignatureView, ...]
    capsule_weights: tuple[pint.Quantity, ...] = ()  # net fill weight of each capsule weighed, in order

    @classmethod
    def of(cls, b: m.Batch, amends: str | None) -> BatchView:
        return cls(b.lot_number, b.kind, b.status, b.status_reason, b.strength, json.loads(b.order_json),
                   json.loads(b.result_json), b.record_hash, b.engine_version, b.reference_hash,
                   b.preparer.username, b.verifier.username if b.verifier else None, amends, b.created_at,
                   b.updated_at, tuple(LotView.of(x.ingredient_lot) for x in b.ingredient_lots),
                   tuple(WeightView.of(w) for w in b.weights), tuple(AllocationView.of(a) for a in b.allocations),
                   tuple(SignatureView.of(s) for s in b.signatures), tuple(c.net_weight for c in b.capsule_weights))


@dataclass(frozen=True)
class AuditEventView(_AsDict):
    seq: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    old_value: Any
    new_value: Any
    reason: str | None
    hash: str

    @classmethod
    def of(cls, e: m.AuditEvent) -> AuditEventView:
        load = lambda v: None if v is None else json.loads(v)  # noqa: E731
        return cls(e.seq, e.at, e.actor_name, e.action, e.entity, e.entity_id, load(e.old_value),
                   load(e.new_value), e.reason, e.hash)


@dataclass(frozen=True)
class Page(_AsDict):
    items: tuple[Any, ...]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))
