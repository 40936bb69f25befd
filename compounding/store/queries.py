"""Reads: one batch with everything on it, its history, and paged, indexed searches.

Every filter is an equality or a range on an indexed column (lot number, allocation patient key,
ingredient supplier lot, strength, status + creation time), so a search costs the same with
100,000 batches as with 100. Search text is checked first (:mod:`.validate`), and always bound as a
parameter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from ..errors import InputError
from . import validate
from .models import BATCH_STATUSES, Allocation, AuditEvent, Batch, BatchIngredientLot, IngredientLot, User
from .record_snapshot import strength_text
from .views import AuditEventView, BatchSummary, BatchView, LotView, Page

__all__ = ["BatchQuery", "search_batches", "get_batch", "batch_history", "entity_history", "batches_using_lot",
           "list_ingredient_lots", "MAX_PAGE_SIZE"]

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class BatchQuery:
    """What a user typed into the batch search; every part optional, all parts must match."""

    lot_number: str | None = None
    patient: str | None = None
    strength: str | None = None
    status: str | None = None
    date_from: Any = None  # created on or after this (local) day
    date_to: Any = None  # created on or before this (local) day
    ingredient_lot: str | None = None  # a supplier lot number
    page: Any = 1
    page_size: Any = 50


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()).astimezone()


def _conditions(q: BatchQuery) -> list[Any]:
    where = []
    if q.lot_number not in (None, ""):
        where.append(Batch.lot_number == validate.lot_number(q.lot_number))
    if q.patient not in (None, ""):
        key = validate.name_key(validate.person_name(q.patient, "patient"))
        where.append(Batch.id.in_(select(Allocation.batch_id).where(Allocation.patient_key == key)))
    if q.strength not in (None, ""):
        where.append(Batch.strength == strength_text(validate.text(q.strength, "strength", max_len=40)))
    if q.status not in (None, ""):
        if q.status not in BATCH_STATUSES:
            raise InputError("is not a batch status", field="status", value=q.status, allowed=", ".join(BATCH_STATUSES))
        where.append(Batch.status == q.status)
    if q.date_from not in (None, ""):
        where.append(Batch.created_at >= _local_midnight(validate.iso_date(q.date_from, "date_from")))
    if q.date_to not in (None, ""):
        end = validate.iso_date(q.date_to, "date_to") + dt.timedelta(days=1)
        where.append(Batch.created_at < _local_midnight(end))
    if q.ingredient_lot not in (None, ""):
        lot = validate.supplier_lot(q.ingredient_lot, "ingredient_lot")
        used = (select(BatchIngredientLot.batch_id).join(IngredientLot)
                .where(IngredientLot.supplier_lot == lot))
        where.append(Batch.id.in_(used))
    return where


def search_batches(session: Session, query: BatchQuery) -> Page:
    where = _conditions(query)
    page = validate.whole_number(query.page, "page", maximum=1_000_000)
    size = validate.whole_number(query.page_size, "page_size", maximum=MAX_PAGE_SIZE)
    total = session.execute(select(func.count()).select_from(Batch).where(*where)).scalar_one()
    preparer = aliased(User)
    rows = session.execute(
        select(Batch.lot_number, Batch.kind, Batch.status, Batch.strength, preparer.username, Batch.created_at)
        .join(preparer, Batch.preparer_id == preparer.id).where(*where)
        .order_by(Batch.created_at.desc(), Batch.id.desc()).limit(size).offset((page - 1) * size))
    return Page(tuple(BatchSummary(*row) for row in rows), total, page, size)


def load_batch(session: Session, lot_number: str, *, lock: bool = False) -> Batch:
    lot = validate.lot_number(lot_number)
    stmt = select(Batch).where(Batch.lot_number == lot)
    if lock:
        stmt = stmt.with_for_update()
    batch = session.execute(stmt).scalar_one_or_none()
    if batch is None:
        raise InputError("is not a batch in the store", field="lot_number", value=lot)
    return batch


def _with_everything(stmt):
    return stmt.options(
        selectinload(Batch.preparer), selectinload(Batch.verifier), selectinload(Batch.weights),
        selectinload(Batch.allocations), selectinload(Batch.signatures), selectinload(Batch.capsule_weights),
        selectinload(Batch.ingredient_lots).selectinload(BatchIngredientLot.ingredient_lot)
        .selectinload(IngredientLot.fill_weights))


def get_batch(session: Session, lot_number: str) -> BatchView:
    lot = validate.lot_number(lot_number)
    batch = session.execute(_with_everything(select(Batch).where(Batch.lot_number == lot))).scalar_one_or_none()
    if batch is None:
        raise InputError("is not a batch in the store", field="lot_number", value=lot)
    amends = session.get(Batch, batch.amends_id).lot_number if batch.amends_id else None
    return BatchView.of(batch, amends)


def batch_history(session: Session, lot_number: str) -> list[AuditEventView]:
    batch = load_batch(session, lot_number)
    events = session.execute(select(AuditEvent).where(AuditEvent.entity == "batch",
                                                      AuditEvent.entity_id == str(batch.id))
                             .order_by(AuditEvent.seq)).scalars()
    return [AuditEventView.of(e) for e in events]


def batches_using_lot(session: Session, lot_id: int) -> list[BatchView]:
    """Every batch that recorded the ingredient lot, oldest first (the recall list)."""
    used = select(BatchIngredientLot.batch_id).where(BatchIngredientLot.ingredient_lot_id == lot_id)
    batches = session.execute(_with_everything(select(Batch).where(Batch.id.in_(used)))
                              .order_by(Batch.created_at, Batch.id)).scalars().all()
    amended = {b.amends_id for b in batches if b.amends_id}
    numbers = dict(session.execute(select(Batch.id, Batch.lot_number).where(Batch.id.in_(amended))).all()) \
        if amended else {}
    return [BatchView.of(b, numbers.get(b.amends_id)) for b in batches]


def entity_history(session: Session, entity: str, entity_id: int) -> list[AuditEventView]:
    events = session.execute(select(AuditEvent).where(AuditEvent.entity == entity,
                                                      AuditEvent.entity_id == str(entity_id))
                             .order_by(AuditEvent.seq)).scalars()
    return [AuditEventView.of(e) for e in events]


def list_ingredient_lots(session: Session, *, kind: str | None = None, status: str | None = None) -> list[LotView]:
    stmt = select(IngredientLot).options(selectinload(IngredientLot.fill_weights)).order_by(IngredientLot.id)
    if kind:
        stmt = stmt.where(IngredientLot.kind == kind)
    if status:
        stmt = stmt.where(IngredientLot.status == status)
    return [LotView.of(lot) for lot in session.execute(stmt).scalars()]
