"""Alembic environment: the same URL logic as the application (``LDN_DATABASE_URL`` or the SQLite
file in ``LDN_DATA_DIR``), one transaction per run, and a lock so concurrent starters queue."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from compounding.store.db import WRITE_OPTION, database_url, make_engine
from compounding.store.models import Base

MIGRATION_LOCK = 0x4C444E  # pg_advisory_xact_lock key ("LDN")


def run_migrations_online() -> None:
    url = context.config.attributes.get("url") or database_url()
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(**{WRITE_OPTION: True})  # SQLite: BEGIN IMMEDIATE
            context.configure(connection=connection, target_metadata=Base.metadata, transactional_ddl=True,
                              render_as_batch=connection.dialect.name == "sqlite")
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them against a database")
run_migrations_online()
