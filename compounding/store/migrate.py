"""Alembic, driven from Python: the migration history in ``migrations/`` is the schema.

``upgrade()`` brings the store to the newest schema and is what opening a store runs (a new
SQLite file is created and migrated on first start). Concurrent starters are safe: on SQLite the
migration runs in a ``BEGIN IMMEDIATE`` transaction, on PostgreSQL under a transaction-scoped
advisory lock (see ``migrations/env.py``).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from .db import database_url

__all__ = ["alembic_config", "upgrade", "downgrade", "MIGRATIONS_DIR"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = database_url() if url is None else url
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
