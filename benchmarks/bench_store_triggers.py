"""Benchmark: what the locked-record triggers (migration 0004) cost on saving and signing a batch.

    .venv/bin/python benchmarks/bench_store_triggers.py              # SQLite files in a temporary folder
    .venv/bin/python benchmarks/bench_store_triggers.py --postgres   # a private PostgreSQL (Debian package; as root)
    options: --saves 1000

Two stores side by side, one migrated to head (with the triggers), one to 0003 (without); each round
saves a batch in each (an ingredient lot, an actual weight, an allocation: the rows the triggers
check), starts its preparation and signs it (submit for review, with the Argon2id password check),
alternating the two stores so both see the same machine load. Prints the median and total of each
step per store, and the difference.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from compounding import capsule_batch  # noqa: E402
from compounding.store.db import make_engine  # noqa: E402
from compounding.store.migrate import upgrade  # noqa: E402
from compounding.store.service import Store  # noqa: E402

PASSWORD = "bench-password-1"
ORDER = {"strength": "4.5 mg", "quantity": 90, "potency": "99.5%"}


def _store(url: str, revision: str) -> tuple[Store, int]:
    upgrade(url, revision)
    store = Store(make_engine(url))
    store.add_user(None, username="admin", name="Ada Admin", initials="AA", role="admin", password=PASSWORD)
    for username, name, role in (("tech", "Tom Tech", "technician"), ("pharm", "Pia Pharm", "pharmacist")):
        store.add_user("admin", username=username, name=name, initials="TT", role=role, password=PASSWORD)
    lot = store.receive_ingredient_lot("tech", kind="api", material="naltrexone hydrochloride", supplier="Acme",
                                       supplier_lot="API-1", expiry="2099-12-31", salt_form="hcl_anhydrous",
                                       potency="99.5%")
    store.release_ingredient_lot("pharm", lot.id)
    return store, lot.id


def run(urls: dict[str, str], saves: int) -> None:
    result = capsule_batch("4.5 mg", 90, potency="99.5%")
    stores = {name: _store(url, "head" if name == "with triggers" else "0003") for name, url in urls.items()}
    times = {name: {"save": [], "start": [], "sign": []} for name in stores}
    for _ in range(saves):
        for name, (store, lot_id) in stores.items():
            t = time.perf_counter()
            lot = store.create_batch("tech", kind="capsules", order=ORDER, result=result, ingredient_lots=[lot_id],
                                     weights=[{"step": "api_to_weigh", "actual": "407 mg", "tolerance": "5%"}],
                                     allocations=[{"patient": "Jane Doe", "rx_number": "RX-1", "quantity": 90}]
                                     ).lot_number
            t1 = time.perf_counter()
            store.start_preparation("tech", lot)
            t2 = time.perf_counter()
            store.submit_for_review("tech", lot, password=PASSWORD)
            t3 = time.perf_counter()
            for step, seconds in (("save", t1 - t), ("start", t2 - t1), ("sign", t3 - t2)):
                times[name][step].append(seconds * 1000)
    medians = {}
    for name, steps in times.items():
        steps["save + start + sign"] = [a + b + c for a, b, c in zip(steps["save"], steps["start"], steps["sign"])]
        medians[name] = {step: statistics.median(v) for step, v in steps.items()}
        for step, values in steps.items():
            print(f"  {name:<17} {step:<20} median {statistics.median(values):7.2f} ms   total {sum(values) / 1000:7.1f} s")
    for step in medians["with triggers"]:
        diff = medians["with triggers"][step] - medians["without"][step]
        print(f"  trigger cost      {step:<20} {diff:+7.2f} ms a batch (median)")
    for store, _ in stores.values():
        store.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--postgres", action="store_true", help="start a private PostgreSQL for the run")
    ap.add_argument("--saves", type=int, default=1000)
    args = ap.parse_args()
    with contextlib.ExitStack() as stack:
        if args.postgres:
            from tests.support.postgres import pg_bin_or_skip_reason, run_postgres

            bin_dir, reason = pg_bin_or_skip_reason()
            if bin_dir is None:
                sys.exit(reason)
            server = stack.enter_context(run_postgres(bin_dir))
            admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                for name in ("bench_with", "bench_without"):
                    c.execute(text(f"CREATE DATABASE {name}"))
            admin.dispose()
            urls = {"with triggers": server.url("bench_with"), "without": server.url("bench_without")}
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            urls = {"with triggers": f"sqlite:///{folder}/with.sqlite3", "without": f"sqlite:///{folder}/without.sqlite3"}
        print(f"{'postgresql' if args.postgres else 'sqlite'}: {args.saves} batches saved and signed in each store")
        run(urls, args.saves)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
