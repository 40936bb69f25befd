"""Initial schema: users, ingredient lots, batches and their lots, weights, allocations,
signatures, the hash-chained audit trail, and the daily lot-number counter.

Plain SQLAlchemy types only (never the application's column classes), so this file keeps working
whatever the models become. The triggers make audit events and signatures append-only and a
released record immutable, on SQLite and on PostgreSQL.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64  # prev_hash of the first audit event
QTY = sa.String(40)  # an exact quantity as text in the unit of its column (compounding.store.columns)
UTC = sa.DateTime(timezone=True)
APPEND_ONLY = ("audit_events", "signatures")
# A released (or recalled) batch never changes: only its status (released -> recalled) and times.
FROZEN_COLUMNS = ("lot_number", "kind", "strength", "order_json", "result_json", "record_hash",
                  "engine_version", "reference_hash", "preparer_id", "verifier_id", "amends_id", "created_at")
FROZEN_STATUSES = "('released', 'recalled')"


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(table == "audit_events" and "seq" or "id", name=f"pk_{table}")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def _uq(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=f"uq_{table}_{'_'.join(columns)}")


def _ck(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=f"ck_{table}_{name}")


def _ix(table: str, *columns: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns))


def upgrade() -> None:
    _create_tables()
    _create_indexes()
    op.execute(sa.text("INSERT INTO audit_chain_head (id, last_seq, last_hash) VALUES (1, 0, :h)")
               .bindparams(h=GENESIS_HASH))
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _create_tables() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("initials", sa.String(8), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        _ck("users", "role", "role IN ('technician', 'pharmacist', 'admin')"),
        _pk("users"), _uq("users", "username"),
    )
    op.create_table(
        "ingredient_lots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("material", sa.String(200), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("supplier_lot", sa.String(100), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.Column("assay", QTY, nullable=True),
        sa.Column("water", QTY, nullable=True),
        sa.Column("potency", QTY, nullable=True),
        sa.Column("salt_form", sa.String(40), nullable=True),
        sa.Column("tablet_weight", QTY, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("received_by_id", sa.Integer(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        _ck("ingredient_lots", "kind", "kind IN ('api', 'tablets', 'filler', 'vehicle')"),
        _ck("ingredient_lots", "status", "status IN ('quarantined', 'released', 'rejected')"),
        _fk("ingredient_lots", "received_by_id", "users"),
        _pk("ingredient_lots"), _uq("ingredient_lots", "supplier", "supplier_lot"),
    )
    op.create_table(
        "filler_fill_weights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ingredient_lot_id", sa.Integer(), nullable=False),
        sa.Column("capsule_size", sa.String(4), nullable=False),
        sa.Column("fill_weight", QTY, nullable=False),
        _fk("filler_fill_weights", "ingredient_lot_id", "ingredient_lots"),
        _pk("filler_fill_weights"), _uq("filler_fill_weights", "ingredient_lot_id", "capsule_size"),
    )
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_number", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("strength", sa.String(40), nullable=False),
        sa.Column("order_json", sa.Text(), nullable=False),
        sa.Column("result_json", sa.Text(), nullable=False),
        sa.Column("record_hash", sa.String(64), nullable=False),
        sa.Column("engine_version", sa.String(40), nullable=False),
        sa.Column("reference_hash", sa.String(64), nullable=False),
        sa.Column("preparer_id", sa.Integer(), nullable=False),
        sa.Column("verifier_id", sa.Integer(), nullable=True),
        sa.Column("amends_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        _ck("batches", "kind", "kind IN ('capsules', 'oral_liquid', 'titration')"),
        _ck("batches", "status", "status IN ('draft', 'in_preparation', 'ready_for_review', 'verified', "
                                 "'released', 'quarantined', 'scrapped', 'recalled')"),
        _ck("batches", "verifier_not_preparer", "verifier_id IS NULL OR verifier_id <> preparer_id"),
        _fk("batches", "amends_id", "batches"), _fk("batches", "preparer_id", "users"),
        _fk("batches", "verifier_id", "users"),
        _pk("batches"), _uq("batches", "lot_number"),
    )
    op.create_table(
        "batch_ingredient_lots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("ingredient_lot_id", sa.Integer(), nullable=False),
        _fk("batch_ingredient_lots", "batch_id", "batches"),
        _fk("batch_ingredient_lots", "ingredient_lot_id", "ingredient_lots"),
        _pk("batch_ingredient_lots"), _uq("batch_ingredient_lots", "batch_id", "ingredient_lot_id"),
    )
    op.create_table(
        "actual_weights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(60), nullable=False),
        sa.Column("target", QTY, nullable=False),
        sa.Column("actual", QTY, nullable=False),
        sa.Column("tolerance", QTY, nullable=False),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        _ck("actual_weights", "verdict", "verdict IN ('under', 'within', 'over')"),
        _fk("actual_weights", "batch_id", "batches"), _fk("actual_weights", "recorded_by_id", "users"),
        _pk("actual_weights"), _uq("actual_weights", "batch_id", "step"),
    )
    op.create_table(
        "allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("anticipatory", sa.Boolean(), nullable=False),
        sa.Column("patient", sa.String(200), nullable=True),
        sa.Column("patient_key", sa.String(200), nullable=True),
        sa.Column("rx_number", sa.String(40), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        _ck("allocations", "patient_or_anticipatory",
            "(anticipatory AND patient IS NULL AND rx_number IS NULL) OR (NOT anticipatory AND "
            "patient IS NOT NULL AND patient_key IS NOT NULL AND rx_number IS NOT NULL)"),
        _fk("allocations", "batch_id", "batches"), _fk("allocations", "recorded_by_id", "users"),
        _pk("allocations"),
    )
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("printed_name", sa.String(200), nullable=False),
        sa.Column("meaning", sa.String(16), nullable=False),
        sa.Column("signed_at", UTC, nullable=False),
        sa.Column("signed_hash", sa.String(64), nullable=False),
        _ck("signatures", "meaning", "meaning IN ('prepared', 'verified', 'released')"),
        _fk("signatures", "batch_id", "batches"), _fk("signatures", "user_id", "users"),
        _pk("signatures"),
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.String(40), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        _fk("audit_events", "actor_id", "users"),
        _pk("audit_events"), _uq("audit_events", "hash"), _uq("audit_events", "prev_hash"),
    )
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        _pk("audit_chain_head"),
    )
    op.create_table(
        "lot_counters",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_lot_counters"),
    )


def _create_indexes() -> None:
    _ix("ingredient_lots", "supplier_lot")
    for column in ("amends_id", "created_at", "preparer_id", "strength"):
        _ix("batches", column)
    _ix("batches", "status", "created_at")
    _ix("batch_ingredient_lots", "ingredient_lot_id")
    _ix("allocations", "batch_id")
    _ix("allocations", "patient_key")
    _ix("signatures", "batch_id")
    _ix("audit_events", "entity", "entity_id")


def _sqlite_triggers() -> None:
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} BEGIN "
                       f"SELECT RAISE(ABORT, '{table} are append-only: {verb} refused'); END")
    op.execute(f"CREATE TRIGGER batches_released_frozen BEFORE UPDATE OF {', '.join(FROZEN_COLUMNS)} "
               f"ON batches WHEN OLD.status IN {FROZEN_STATUSES} BEGIN "
               "SELECT RAISE(ABORT, 'a released batch record never changes: amend it instead'); END")
    op.execute("CREATE TRIGGER batches_released_no_delete BEFORE DELETE ON batches "
               f"WHEN OLD.status IN {FROZEN_STATUSES} BEGIN "
               "SELECT RAISE(ABORT, 'a released batch record is never deleted'); END")


def _postgresql_triggers() -> None:
    op.execute("""
        CREATE FUNCTION ldn_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% are append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
        END $$""")
    for table in APPEND_ONLY:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION ldn_refuse_change()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION ldn_refuse_change()")
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN_COLUMNS)
    op.execute(f"""
        CREATE FUNCTION ldn_released_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.status IN {FROZEN_STATUSES} AND (TG_OP = 'DELETE' OR {changed}) THEN
                RAISE EXCEPTION 'a released batch record never changes: amend it instead'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$""")
    op.execute("CREATE TRIGGER batches_released_frozen BEFORE UPDATE OR DELETE ON batches "
               "FOR EACH ROW EXECUTE FUNCTION ldn_released_frozen()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION ldn_refuse_change() CASCADE")
        op.execute("DROP FUNCTION ldn_released_frozen() CASCADE")
    for table in ("lot_counters", "audit_chain_head", "audit_events", "signatures", "allocations",
                  "actual_weights", "batch_ingredient_lots", "batches", "filler_fill_weights",
                  "ingredient_lots", "users"):
        op.drop_table(table)  # SQLite drops a table's triggers and indexes with it
