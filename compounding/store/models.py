"""The store's tables (SQLAlchemy 2.x typed declarative). The Alembic migrations in
``migrations/versions`` are the schema; a test checks that they and these models agree.

Names follow the glossary of the core where one exists (``strength``, ``potency``, ``salt_form``,
``tablet_weight``, ``fill_weight``). Quantities are exact text with their unit (see
:mod:`.columns`); the order and result snapshots are kept as the exact canonical JSON text that
the record hash was computed over, so the hash can be checked again byte for byte.
"""

from __future__ import annotations

import datetime as dt

import pint
from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, MetaData, String, Text, false,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .columns import ExactQuantity, UTCDateTime

__all__ = ["Base", "User", "IngredientLot", "FillerFillWeight", "Batch", "BatchIngredientLot",
           "ActualWeight", "CapsuleWeight", "Allocation", "Signature", "AuditEvent", "AuditChainHead", "LotCounter",
           "ROLES", "LOT_KINDS", "LOT_STATUSES", "BATCH_KINDS", "BATCH_STATUSES", "VERDICTS", "MEANINGS"]

ROLES = ("technician", "pharmacist", "admin")
LOT_KINDS = ("api", "tablets", "filler", "vehicle")
LOT_STATUSES = ("quarantined", "released", "rejected")
BATCH_KINDS = ("capsules", "oral_liquid", "titration")
BATCH_STATUSES = ("draft", "in_preparation", "ready_for_review", "verified", "released", "quarantined",
                  "scrapped", "recalled")
VERDICTS = ("under", "within", "over")
MEANINGS = ("prepared", "verified", "released")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    # Named constraints: Alembic can drop and compare them by name on both engines.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))  # the printed name on signatures
    initials: Mapped[str] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))  # Argon2id, PHC string
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class IngredientLot(Base):
    """A received lot of API powder, 50 mg tablets, filler or vehicle."""

    __tablename__ = "ingredient_lots"
    __table_args__ = (
        UniqueConstraint("supplier", "supplier_lot"),
        CheckConstraint(_one_of("kind", LOT_KINDS), name="kind"),
        CheckConstraint(_one_of("status", LOT_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    material: Mapped[str] = mapped_column(String(200))  # e.g. "naltrexone hydrochloride", "mcc_ph102"
    supplier: Mapped[str] = mapped_column(String(200))  # supplier, or the manufacturer for tablets
    supplier_lot: Mapped[str] = mapped_column(String(100), index=True)
    expiry: Mapped[dt.date] = mapped_column(Date)
    assay: Mapped[pint.Quantity | None] = mapped_column(ExactQuantity("percent"))
    water: Mapped[pint.Quantity | None] = mapped_column(ExactQuantity("percent"))
    potency: Mapped[pint.Quantity | None] = mapped_column(ExactQuantity("percent"))  # as-is
    salt_form: Mapped[str | None] = mapped_column(String(40))
    # the form whose as-is content ``potency`` is (compounding.drug); None: the anhydrous salt
    potency_basis: Mapped[str | None] = mapped_column(String(40))
    tablet_weight: Mapped[pint.Quantity | None] = mapped_column(ExactQuantity("mg"))  # average, per tablet
    status: Mapped[str] = mapped_column(String(16), default="quarantined")
    status_reason: Mapped[str | None] = mapped_column(Text)
    received_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    fill_weights: Mapped[list[FillerFillWeight]] = relationship(order_by="FillerFillWeight.capsule_size")


class FillerFillWeight(Base):
    """A filler lot's measured fill weight (packing statistic) for one capsule size."""

    __tablename__ = "filler_fill_weights"
    __table_args__ = (UniqueConstraint("ingredient_lot_id", "capsule_size"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ingredient_lot_id: Mapped[int] = mapped_column(ForeignKey("ingredient_lots.id"))
    capsule_size: Mapped[str] = mapped_column(String(4))
    fill_weight: Mapped[pint.Quantity] = mapped_column(ExactQuantity("mg"))  # mg of filler per capsule


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (
        CheckConstraint(_one_of("kind", BATCH_KINDS), name="kind"),
        CheckConstraint(_one_of("status", BATCH_STATUSES), name="status"),
        # Second person: the verifier is never the preparer (also checked by the service).
        CheckConstraint("verifier_id IS NULL OR verifier_id <> preparer_id", name="verifier_not_preparer"),
        Index(None, "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_number: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20))
    status_reason: Mapped[str | None] = mapped_column(Text)  # the latest; all are in the audit trail
    strength: Mapped[str] = mapped_column(String(40), index=True)  # canonical text, e.g. "4.5 mg"
    order_json: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str] = mapped_column(Text)
    record_hash: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(40))
    reference_hash: Mapped[str] = mapped_column(String(64))
    preparer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    verifier_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    preparer: Mapped[User] = relationship(foreign_keys=[preparer_id])
    verifier: Mapped[User | None] = relationship(foreign_keys=[verifier_id])
    ingredient_lots: Mapped[list[BatchIngredientLot]] = relationship(order_by="BatchIngredientLot.id")
    weights: Mapped[list[ActualWeight]] = relationship(order_by="ActualWeight.id")
    capsule_weights: Mapped[list[CapsuleWeight]] = relationship(order_by="CapsuleWeight.position")
    allocations: Mapped[list[Allocation]] = relationship(order_by="Allocation.id")
    signatures: Mapped[list[Signature]] = relationship(order_by="Signature.id")


class BatchIngredientLot(Base):
    __tablename__ = "batch_ingredient_lots"
    __table_args__ = (UniqueConstraint("batch_id", "ingredient_lot_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    ingredient_lot_id: Mapped[int] = mapped_column(ForeignKey("ingredient_lots.id"), index=True)

    ingredient_lot: Mapped[IngredientLot] = relationship()


class ActualWeight(Base):
    """What was weighed for one step of the result (``step`` is the result key, e.g. api_to_weigh)."""

    __tablename__ = "actual_weights"
    __table_args__ = (
        UniqueConstraint("batch_id", "step"),
        CheckConstraint(_one_of("verdict", VERDICTS), name="verdict"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    step: Mapped[str] = mapped_column(String(60))
    target: Mapped[pint.Quantity] = mapped_column(ExactQuantity("mg"))
    actual: Mapped[pint.Quantity] = mapped_column(ExactQuantity("mg"))
    tolerance: Mapped[pint.Quantity] = mapped_column(ExactQuantity("percent"))
    verdict: Mapped[str] = mapped_column(String(8))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CapsuleWeight(Base):
    """The net fill weight of one capsule of the weight check (gross − empty shell, or weighed net)."""

    __tablename__ = "capsule_weights"
    __table_args__ = (UniqueConstraint("batch_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, … in the order weighed
    net_weight: Mapped[pint.Quantity] = mapped_column(ExactQuantity("mg"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Allocation(Base):
    """Part of a batch allocated to a prescription (patient, Rx number), or held as anticipatory stock."""

    __tablename__ = "allocations"
    __table_args__ = (
        CheckConstraint("(anticipatory AND patient IS NULL AND rx_number IS NULL) OR (NOT anticipatory AND "
                        "patient IS NOT NULL AND patient_key IS NOT NULL AND rx_number IS NOT NULL)",
                        name="patient_or_anticipatory"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    anticipatory: Mapped[bool] = mapped_column(Boolean)
    patient: Mapped[str | None] = mapped_column(String(200))  # as typed
    patient_key: Mapped[str | None] = mapped_column(String(200), index=True)  # casefolded, for search
    rx_number: Mapped[str | None] = mapped_column(String(40))
    prescriber: Mapped[str | None] = mapped_column(String(200))  # of the prescription (None: not recorded)
    # allocated from released stock (not part of what the release signature signed; see content_hash)
    after_release: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    quantity: Mapped[int] = mapped_column(Integer)  # capsules, or mL of an oral liquid
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Signature(Base):
    """A signature (21 CFR 11.50): printed name, meaning, UTC time and the hash of what was signed."""

    __tablename__ = "signatures"
    __table_args__ = (CheckConstraint(_one_of("meaning", MEANINGS), name="meaning"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    printed_name: Mapped[str] = mapped_column(String(200))
    meaning: Mapped[str] = mapped_column(String(16))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    signed_hash: Mapped[str] = mapped_column(String(64))


class AuditEvent(Base):
    """One change, append-only (triggers refuse UPDATE and DELETE), chained by hash.

    ``hash`` = SHA-256 of the event's canonical content followed by ``prev_hash``; the unique
    ``prev_hash`` means two events can never claim the same predecessor (no fork).
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "entity", "entity_id"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the command line bootstrap
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)  # canonical JSON
    new_value: Mapped[str | None] = mapped_column(Text)  # canonical JSON
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditChainHead(Base):
    """One row: the last event's hash. Appenders lock it (FOR UPDATE) so the chain never forks."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class LotCounter(Base):
    """The last batch number handed out on each day (lot numbers LDN-YYMMDD-NNN)."""

    __tablename__ = "lot_counters"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
