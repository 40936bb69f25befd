"""Where the batch-record store lives and how to connect to it.

``LDN_DATABASE_URL`` (for example ``postgresql+psycopg://user:pw@host/ldn``) selects a shared
PostgreSQL store. Without it the store is one SQLite file, ``ldn-records.sqlite3``, in
``LDN_DATA_DIR`` (default: the ``data/`` folder of the repository, git-ignored), created on first
use.

SQLite is set up for several processes writing one file: WAL journal (readers never block the
writer), foreign keys on, a busy timeout instead of an immediate "database is locked", and every
write transaction opened with ``BEGIN IMMEDIATE`` so that a writer takes the write lock before it
reads what it will change (no read-then-upgrade deadlock). SQLAlchemy emits the ``BEGIN`` itself
(the event-hook recipe in SQLAlchemy's pysqlite documentation); read sessions use a plain
``BEGIN``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import InputError

__all__ = ["ENV_URL", "ENV_DATA_DIR", "DEFAULT_DATA_DIR", "SQLITE_FILE", "database_url", "make_engine",
           "read_session", "write_session", "WRITE_OPTION"]

ENV_URL = "LDN_DATABASE_URL"
ENV_DATA_DIR = "LDN_DATA_DIR"
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SQLITE_FILE = "ldn-records.sqlite3"
BUSY_TIMEOUT_S = 60  # a writer waits this long for another's transaction before giving up
WRITE_OPTION = "ldn_write"  # execution option: this connection writes (SQLite: BEGIN IMMEDIATE)
_ALLOWED = "sqlite:///path/to/file.sqlite3 or postgresql+psycopg://user:password@host/database"


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """The store's URL: ``LDN_DATABASE_URL``, else the SQLite file in ``LDN_DATA_DIR`` (or data/)."""
    env = os.environ if environ is None else environ
    url = env.get(ENV_URL, "").strip()
    if url:
        return url
    data_dir = Path(env.get(ENV_DATA_DIR, "").strip() or DEFAULT_DATA_DIR)
    return f"sqlite:///{data_dir / SQLITE_FILE}"


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """An engine for ``url`` (default :func:`database_url`); creates the SQLite file's folder."""
    url = database_url() if url is None else url
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError("is not a database URL", field=ENV_URL, value=url, allowed=_ALLOWED) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver we ship (psycopg 3)
    if parsed.drivername == "postgresql+psycopg":
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite"):
        raise InputError("names a database this program does not support", field=ENV_URL, value=url,
                         allowed=_ALLOWED)
    if not parsed.database or parsed.database == ":memory:":
        raise InputError("must name a SQLite file (an in-memory database is lost on exit)", field=ENV_URL,
                         value=url, allowed=_ALLOWED)
    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_S}, **kwargs)
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # the sqlite3 module must not emit BEGIN: we do
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def write_session(engine: Engine) -> Session:
    """A session whose transaction writes: on SQLite it starts with ``BEGIN IMMEDIATE``."""
    return _factory(engine.execution_options(**{WRITE_OPTION: True}))()


def read_session(engine: Engine) -> Session:
    return _factory(engine)()


def _factory(bind) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)
