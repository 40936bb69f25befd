"""The pharmacy's batch records: a store of batches, ingredient lots, sign-offs and an audit trail.

    from compounding.store import Store
    store = Store.open()            # LDN_DATABASE_URL, else data/ldn-records.sqlite3 (migrated)
    batch = store.create_batch("tech", kind="capsules", order=order, result=result)

Layers: :mod:`.db` (engine, SQLite settings) · :mod:`.models` (tables) · ``migrations/`` (Alembic:
the schema) · :mod:`.service` (the only writer: roles, transitions, signatures, audit) ·
:mod:`.queries` (reads, searches) · :mod:`.audit` (hash chain) · :mod:`.auth` (Argon2id) ·
:mod:`.record_snapshot` (record hash; to be replaced by the core's record module, issue 10) ·
:mod:`.lot_inputs` (a calculation's inputs from ingredient lots) · :mod:`.calculate` (the core's
result of a stored order) · :mod:`.fill_learning` (a filler lot's fill weight from a weight check) ·
:mod:`.export` (Excel record of a stored batch, recall summary).
Importing this package loads SQLAlchemy; ``import compounding`` does not.
"""

from __future__ import annotations

from .service import Store

__all__ = ["Store"]
