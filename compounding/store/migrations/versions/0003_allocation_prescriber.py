"""A prescription's prescriber, with its patient and Rx number on the allocation (the record's
"Prescriber" field is exported from it; an order holds no prescriber).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("allocations", sa.Column("prescriber", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("allocations", "prescriber")  # SQLite ≥ 3.35 drops a column in place
