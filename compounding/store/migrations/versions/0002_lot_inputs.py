"""Lots feed calculations: an API lot's potency basis, and each capsule's net weight of a batch's
weight check (from which a filler lot's fill weight is learned).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

QTY = sa.String(40)  # an exact quantity as text in the unit of its column (compounding.store.columns)
UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("ingredient_lots", sa.Column("potency_basis", sa.String(40), nullable=True))
    op.create_table(
        "capsule_weights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("net_weight", QTY, nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name="fk_capsule_weights_batch_id_batches"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name="fk_capsule_weights_recorded_by_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_capsule_weights"),
        sa.UniqueConstraint("batch_id", "position", name="uq_capsule_weights_batch_id_position"),
    )


def downgrade() -> None:
    op.drop_table("capsule_weights")
    op.drop_column("ingredient_lots", "potency_basis")  # SQLite ≥ 3.35 drops a column in place
