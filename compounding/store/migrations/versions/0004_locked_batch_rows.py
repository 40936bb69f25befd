"""Defence in depth: the database refuses what the service refuses to a submitted or released batch.

The service changes a batch's child rows (actual weights, capsule weights, ingredient lots used,
allocations) only while the batch is ``draft`` or ``in_preparation`` (``Store._editable``), and a
pharmacist adds allocations to a ``released`` batch (stock allocated to prescriptions); it never
updates or deletes an allocation. Migration 0001 already makes audit events and signatures
append-only and a released batch's own columns frozen; but a weight row of a released batch could
still be edited in SQL, and a released batch's status set back to ``draft`` to reopen it. Now:

* ``actual_weights``, ``capsule_weights``, ``batch_ingredient_lots``: INSERT, UPDATE and DELETE
  only while the batch (before and after an UPDATE) is draft or in preparation;
* ``allocations``: INSERT while draft or in preparation, or while released if the row says
  ``after_release`` (stock allocated after the release signature, migration 0003; it is left out of
  the signed content, so it must not pass for a signed one); UPDATE and DELETE while draft or in
  preparation;
* ``batches.status``: a released batch only becomes recalled; a recalled batch stays recalled;
* PostgreSQL also refuses TRUNCATE of those four tables (SQLite has no TRUNCATE).

Each refusal's message starts "batch record locked" (the service turns it into a StateError on
``status``). The trigger reads the batch's status by primary key (PostgreSQL: ``FOR SHARE``, so a
concurrent release cannot slip between the check and the commit).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LOCKED = ("actual_weights", "capsule_weights", "batch_ingredient_lots", "allocations")
_EDITABLE = "('draft', 'in_preparation')"
# may a row (``NEW``) be inserted into a batch of status ``{st}``?
INSERTABLE = {table: f"{{st}} IN {_EDITABLE}" for table in LOCKED}
INSERTABLE["allocations"] = (f"({{st}} IN {_EDITABLE} AND NOT NEW.after_release) "
                             "OR ({st} = 'released' AND NEW.after_release)")
STATUS_RULE = ("(OLD.status = 'released' AND NEW.status NOT IN ('released', 'recalled')) "
               "OR (OLD.status = 'recalled' AND NEW.status <> 'recalled')")
STATUS_MESSAGE = "batch record locked: a released batch is only ever recalled, never reopened"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def _sqlite_status(row: str) -> str:
    return f"(SELECT status FROM batches WHERE id = {row}.batch_id)"


def _sqlite() -> None:
    for table in LOCKED:
        message = f"batch record locked: {table} rows change only while the batch is draft or in_preparation"
        insertable = INSERTABLE[table].format(st=_sqlite_status("NEW"))
        when = {
            "insert": f"NOT ({insertable})",
            "update": f"{_sqlite_status('OLD')} NOT IN {_EDITABLE} OR {_sqlite_status('NEW')} NOT IN {_EDITABLE}",
            "delete": f"{_sqlite_status('OLD')} NOT IN {_EDITABLE}",
        }
        for verb, condition in when.items():
            op.execute(f"CREATE TRIGGER {table}_locked_{verb} BEFORE {verb.upper()} ON {table} "
                       f"WHEN {condition} BEGIN SELECT RAISE(ABORT, '{message}'); END")
    op.execute(f"CREATE TRIGGER batches_released_status BEFORE UPDATE OF status ON batches WHEN {STATUS_RULE} "
               f"BEGIN SELECT RAISE(ABORT, '{STATUS_MESSAGE}'); END")


def _postgresql() -> None:
    op.execute("""
        CREATE FUNCTION ldn_batch_rows_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'batch record locked: TRUNCATE of % refused', TG_TABLE_NAME
                USING ERRCODE = 'integrity_constraint_violation';
        END $$""")
    for table in LOCKED:
        op.execute(f"""
            CREATE FUNCTION ldn_{table}_locked() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                st text;
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    SELECT status INTO st FROM batches WHERE id = OLD.batch_id FOR SHARE;
                    IF st NOT IN {_EDITABLE} THEN
                        RAISE EXCEPTION 'batch record locked: {table} rows change only while the batch is draft or in_preparation, not %',
                            st USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    SELECT status INTO st FROM batches WHERE id = NEW.batch_id FOR SHARE;
                    IF NOT (CASE WHEN TG_OP = 'INSERT' THEN {INSERTABLE[table].format(st="st")}
                                 ELSE st IN {_EDITABLE} END) THEN
                        RAISE EXCEPTION 'batch record locked: {table} rows are not added to a batch that is %', st
                            USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                END IF;
                RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END $$""")
        op.execute(f"CREATE TRIGGER {table}_locked BEFORE INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW "
                   f"EXECUTE FUNCTION ldn_{table}_locked()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION ldn_batch_rows_no_truncate()")
    op.execute(f"""
        CREATE FUNCTION ldn_released_status() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {STATUS_RULE} THEN
                RAISE EXCEPTION '{STATUS_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$""")
    op.execute("CREATE TRIGGER batches_released_status BEFORE UPDATE OF status ON batches FOR EACH ROW "
               "EXECUTE FUNCTION ldn_released_status()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for function in (*(f"ldn_{t}_locked" for t in LOCKED), "ldn_batch_rows_no_truncate", "ldn_released_status"):
            op.execute(f"DROP FUNCTION {function}() CASCADE")  # and the triggers that call it
        return
    for table in LOCKED:
        for verb in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER {table}_locked_{verb}")
    op.execute("DROP TRIGGER batches_released_status")
