"""A batch-record store for the app's tests: a SQLite file in a data folder, migrated, with one user of
each role and a released API lot. The first store is built once per session and copied (hashing the
passwords and migrating take seconds; copying a file does not)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

PASSWORDS = {"admin": "admin-secret-1", "tech": "tech-secret-01", "pharm": "pharm-secret-1",
             "pharm2": "pharm2-secret-1"}
USERS = (("admin", "Ada Admin", "AA", "admin"), ("tech", "Tom Tech", "TT", "technician"),
         ("pharm", "Pia Pharm", "PP", "pharmacist"), ("pharm2", "Paul Pharm", "PA", "pharmacist"))
API_LOT = "NX-2601"  # released, potency 99.5 %, naltrexone HCl anhydrous
FILE = "ldn-records.sqlite3"


def seed(url: str) -> None:
    """Migrate the (empty) store at ``url`` and add the users and the released API lot."""
    from compounding.store import Store

    store = Store.open(url)
    try:
        for i, (username, name, initials, role) in enumerate(USERS):
            store.add_user(None if i == 0 else "admin", username=username, name=name, initials=initials,
                           role=role, password=PASSWORDS[username])
        lot = store.receive_ingredient_lot("tech", kind="api", material="naltrexone hydrochloride",
                                           supplier="Acme", supplier_lot=API_LOT,
                                           expiry=dt.date.today() + dt.timedelta(days=730),
                                           salt_form="hcl_anhydrous", potency="99.5%")
        store.release_ingredient_lot("pharm", lot.id)
    finally:
        store.close()


def build(data_dir: Path) -> Path:
    """A seeded SQLite store in ``data_dir`` (what LDN_DATA_DIR names)."""
    from compounding.store.db import SQLITE_FILE

    assert SQLITE_FILE == FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    seed(f"sqlite:///{data_dir / FILE}")
    return data_dir


def copy(template: Path, data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template / FILE, data_dir / FILE)
    return data_dir
