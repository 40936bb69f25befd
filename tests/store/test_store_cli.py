"""``python -m compounding users …`` and ``records …`` against a real store (both engines)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from tests.support import REPO_ROOT

from .conftest import PASSWORDS
from .helpers import make_batch

pytestmark = pytest.mark.store


def cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    full_env = {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "compounding", *args], cwd=REPO_ROOT, env=full_env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_first_start_creates_the_data_folder_and_the_first_admin(tmp_path):
    env = {"LDN_DATA_DIR": str(tmp_path / "data"), "LDN_DATABASE_URL": ""}
    out = cli("users", "add", "--username", "boss", "--name", "Bea Boss", "--initials", "BB", "--role", "admin",
              env=env, stdin="boss-password-1\n")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "data" / "ldn-records.sqlite3").is_file()
    users = json.loads(cli("users", "list", "--json", env=env).stdout)
    assert [(u["username"], u["role"], u["active"]) for u in users] == [("boss", "admin", True)]
    again = cli("users", "add", "--username", "eve", "--name", "Eve Evil", "--initials", "EE", "--role", "admin",
                env=env, stdin="eve-password-12\n")
    assert again.returncode == 2 and "administrator exists" in again.stderr
    first = cli("users", "add", "--username", "tech", "--name", "Tom Tech", "--initials", "TT", "--role",
                "technician", env={**env, "LDN_DATA_DIR": str(tmp_path / "other")}, stdin="tech-password-1\n")
    assert first.returncode == 2 and "role = 'technician'" in first.stderr  # a new store starts with an admin


def test_an_admin_adds_a_user_with_their_password(db_url, store):
    env = {"LDN_DATABASE_URL": db_url}
    wrong = cli("users", "add", "--username", "newbie", "--name", "Nia New", "--initials", "NN", "--role",
                "technician", "--as", "admin", env=env, stdin="newbie-password\nnot-the-password\n")
    assert wrong.returncode == 2 and "password" in wrong.stderr
    assert "newbie" not in [u.username for u in store.users()]
    ok = cli("users", "add", "--username", "newbie", "--name", "Nia New", "--initials", "NN", "--role",
             "technician", "--as", "admin", env=env, stdin=f"newbie-password\n{PASSWORDS['admin']}\n")
    assert ok.returncode == 0, ok.stderr
    assert store.authenticate("newbie", "newbie-password").role == "technician"


def test_records_list_show_and_audit(db_url, store):
    env = {"LDN_DATABASE_URL": db_url}
    released, draft = make_batch(store, "released"), make_batch(store)
    listing = json.loads(cli("records", "list", "--json", "--status", "released", env=env).stdout)
    assert [b["lot_number"] for b in listing["items"]] == [released] and listing["total"] == 1
    shown = json.loads(cli("records", "show", draft.lower(), "--json", env=env).stdout)
    assert shown["batch"]["lot_number"] == draft and shown["batch"]["status"] == "draft"
    assert [e["action"] for e in shown["history"]] == ["batch_created"]
    text_out = cli("records", "show", released, env=env).stdout
    assert "released by Paul Pharm" in text_out and "verified by pharm2" in text_out
    audit = cli("records", "audit", env=env)
    assert audit.returncode == 0 and audit.stdout.startswith("OK")
    refused = cli("records", "list", "--patient", "'; DROP TABLE batches; --", env=env)
    assert refused.returncode == 2 and refused.stderr.startswith("error: patient")


def test_records_audit_names_a_tampered_event(db_url, store):
    make_batch(store, "in_preparation")
    drop = ("DROP TRIGGER audit_events_append_only ON audit_events" if db_url.startswith("postgresql")
            else "DROP TRIGGER audit_events_no_update")
    with store.engine.begin() as c:
        c.execute(text(drop))
        c.execute(text("UPDATE audit_events SET actor_name = 'pharm' WHERE seq = 6"))
    out = cli("records", "audit", "--json", env={"LDN_DATABASE_URL": db_url})
    assert out.returncode == 1
    assert json.loads(out.stdout) == {"ok": False, "events": 5, "broken_seq": 6,
                                      "problem": "its content (batch_created on batch 1) was changed after it was "
                                                 "written"}
