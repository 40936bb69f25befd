"""Allocations: a prescription's prescriber, and whether the allocation was made after release.

* ``prescriber``, beside the prescription's patient and Rx number (the record's "Prescriber" field
  is exported from it; an order holds no prescriber).
* ``after_release``: allocated from released stock by a pharmacist (anticipatory compounding,
  domain §8a). Such an allocation is not part of what the release signature signed, so the
  signature check leaves it out (it is in the audit trail); every other allocation is signed.

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
    op.add_column("allocations", sa.Column("after_release", sa.Boolean(), nullable=False, server_default=sa.false()))
    # an existing store: what was allocated after the batch's release signature (a later time; the service
    # writes each in its own transaction) is stock, as the service would now have flagged it
    op.execute("UPDATE allocations SET after_release = TRUE WHERE recorded_at > (SELECT max(signed_at) "
               "FROM signatures WHERE signatures.batch_id = allocations.batch_id AND meaning = 'released')")


def downgrade() -> None:
    op.drop_column("allocations", "after_release")  # SQLite ≥ 3.35 drops a column in place
    op.drop_column("allocations", "prescriber")
