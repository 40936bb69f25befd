"""Where the store lives and how SQLite is set up (WAL, foreign keys, BEGIN IMMEDIATE for writes)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from compounding.errors import InputError
from compounding.store.db import DEFAULT_DATA_DIR, database_url, make_engine, read_session, write_session

pytestmark = pytest.mark.store


def test_the_url_comes_from_the_environment():
    assert database_url({"LDN_DATABASE_URL": " postgresql+psycopg://u@h/db "}) == "postgresql+psycopg://u@h/db"
    assert database_url({"LDN_DATA_DIR": "/srv/ldn"}) == "sqlite:////srv/ldn/ldn-records.sqlite3"
    assert database_url({}) == f"sqlite:///{DEFAULT_DATA_DIR}/ldn-records.sqlite3"
    assert DEFAULT_DATA_DIR.name == "data" and (DEFAULT_DATA_DIR.parent / "app.py").is_file()


@pytest.mark.parametrize("url", ["mysql://u@h/db", "sqlite://", "sqlite:///:memory:", "not a url"])
def test_an_unusable_url_is_refused_by_name(url):
    with pytest.raises(InputError) as caught:
        make_engine(url)
    assert caught.value.field == "LDN_DATABASE_URL"


def test_postgresql_urls_use_psycopg_3():
    assert make_engine("postgresql://u@localhost/ldn").dialect.driver == "psycopg"


def test_sqlite_is_set_up_for_several_writers(tmp_path):
    path = tmp_path / "new" / "store.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as c:
            assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert c.execute(text("PRAGMA busy_timeout")).scalar() >= 10_000
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        with read_session(engine) as s, s.begin():
            s.execute(text("SELECT 1"))
            other.execute("BEGIN IMMEDIATE")  # a reader does not hold the write lock
            other.execute("ROLLBACK")
        with write_session(engine) as s, s.begin():
            s.execute(text("SELECT 1"))  # no write yet, but the transaction began IMMEDIATE
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.close()
    finally:
        engine.dispose()
