"""Fixtures of the store tests: every test runs once on a real SQLite file and once on a real
PostgreSQL (started for the session, see tests/support/postgres.py). No mocks of either.

Each test gets a fresh database copied from a template that was migrated (Alembic, to head) and
given the standard users once per session: copying a file or ``CREATE DATABASE … TEMPLATE`` takes
milliseconds, migrating and hashing five passwords does not.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil

import pytest
from sqlalchemy import create_engine, text

from compounding.store.db import make_engine
from compounding.store.migrate import upgrade
from compounding.store.service import Store
from tests.support import skip_or_fail
from tests.support.postgres import pg_bin_or_skip_reason, run_postgres

ENGINES = ("sqlite", "postgresql")
NOW = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.timezone.utc)  # the store's clock in these tests
PASSWORDS = {"admin": "admin-secret-1", "tech": "tech-secret-01", "tech2": "tech2-secret-1",
             "pharm": "pharm-secret-1", "pharm2": "pharm2-secret-1"}
USERS = (("admin", "Ada Admin", "AA", "admin"), ("tech", "Tom Tech", "TT", "technician"),
         ("tech2", "Tia Tech", "TI", "technician"), ("pharm", "Pia Pharm", "PP", "pharmacist"),
         ("pharm2", "Paul Pharm", "PA", "pharmacist"))
_counter = itertools.count()


def fixed_clock() -> dt.datetime:
    return NOW


def seed_users(store: Store) -> None:
    for i, (username, name, initials, role) in enumerate(USERS):
        store.add_user(None if i == 0 else "admin", username=username, name=name, initials=initials, role=role,
                       password=PASSWORDS[username])


@pytest.fixture(scope="session")
def postgres_server():
    bin_dir, reason = pg_bin_or_skip_reason()
    if bin_dir is None:
        skip_or_fail(reason)
    with run_postgres(bin_dir) as server:
        yield server


def _migrated_template(url: str) -> None:
    upgrade(url)
    store = Store(make_engine(url), clock=fixed_clock)
    try:
        seed_users(store)
    finally:
        store.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    _migrated_template(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server):
    admin = create_engine(postgres_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text("CREATE DATABASE ldn_template"))
    _migrated_template(postgres_server.url("ldn_template"))
    yield admin
    admin.dispose()


def fresh_database(request, engine_name: str, tmp_path) -> str:
    """A URL of a new database at the template's state; dropped after the test (PostgreSQL)."""
    if engine_name == "sqlite":
        path = tmp_path / "store.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    admin = request.getfixturevalue("postgres_template")
    name = f"t_{next(_counter)}"
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name} TEMPLATE ldn_template STRATEGY FILE_COPY"))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    request.addfinalizer(drop)
    return request.getfixturevalue("postgres_server").url(name)


@pytest.fixture(params=ENGINES)
def db_url(request, tmp_path) -> str:
    return fresh_database(request, request.param, tmp_path)


@pytest.fixture
def store(db_url):
    s = Store(make_engine(db_url), clock=fixed_clock)
    yield s
    s.close()
