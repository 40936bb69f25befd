"""Benchmark: the batch-record store with 100,000 batches, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/bench_store.py                 # SQLite file in a temporary folder
    .venv/bin/python benchmarks/bench_store.py --postgres      # a private PostgreSQL (Debian package; as root)
    .venv/bin/python benchmarks/bench_store.py --url postgresql+psycopg://…   # an existing, empty database
    options: --batches 100000 --repeat 50

The store is filled in bulk (one batch a row, with an API lot used, a patient allocation and a
hash-chained audit trail of three events a batch, spread over the last 365 days), then timed
through the service, as the app would call it; each figure is the median wall-clock time of
``--repeat`` runs. Targets (issue 11): each search ≤ 50 ms, opening a batch with its history
≤ 100 ms, saving and signing a batch ≤ 100 ms (save + sign; starting the preparation is a step of
its own). Signing includes the Argon2id check of the signer's password (by design about 35 ms).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from compounding import capsule_batch  # noqa: E402
from compounding.store.audit import event_hash  # noqa: E402
from compounding.store.db import make_engine  # noqa: E402
from compounding.store.migrate import upgrade  # noqa: E402
from compounding.store.models import (Allocation, AuditChainHead, AuditEvent, Batch,  # noqa: E402
                                      BatchIngredientLot, LotCounter)
from compounding.store.record_snapshot import snapshot  # noqa: E402
from compounding.store.service import Store  # noqa: E402

PASSWORD = "bench-password-1"
API_LOTS, PATIENTS, CHUNK = 200, 20_000, 5_000


def _patient(i: int) -> str:
    """A distinct name per number, in letters only (names hold no digits): 0 → "Patient Aaaa"."""
    letters = ""
    for _ in range(4):
        i, r = divmod(i, 26)
        letters += chr(97 + r)
    return f"Patient {letters[::-1].capitalize()}"


def _setup_users_and_lots(store: Store) -> list[int]:
    store.add_user(None, username="admin", name="Ada Admin", initials="AA", role="admin", password=PASSWORD)
    for username, name, role in (("tech", "Tom Tech", "technician"), ("pharm", "Pia Pharm", "pharmacist")):
        store.add_user("admin", username=username, name=name, initials=name[:1] + name.split()[1][:1], role=role,
                       password=PASSWORD)
    expiry = dt.date.today() + dt.timedelta(days=900)
    lots = []
    for i in range(API_LOTS):
        lot = store.receive_ingredient_lot("tech", kind="api", material="naltrexone hydrochloride", supplier="Acme",
                                           supplier_lot=f"API-{i:04d}", expiry=expiry, salt_form="hcl_anhydrous",
                                           potency="99.5%")
        store.release_ingredient_lot("pharm", lot.id)
        lots.append(lot.id)
    return lots


def _bulk_fill(store: Store, n: int, lot_ids: list[int], order: dict, result) -> list[str]:
    """n batches, written directly (much faster than n service calls), with a valid audit chain."""
    snap = snapshot("capsules", order, result, reference=store.reference_hash)
    rng = random.Random(11)
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=366)
    per_day, lots, counters = -(-n // 365), [], {}
    with Session(store.engine) as s, s.begin():
        head = s.get(AuditChainHead, 1)
        seq, prev = head.last_seq, head.last_hash
        tech = 2
        for first in range(1, n + 1, CHUNK):
            batches, links, allocs, events = [], [], [], []
            for bid in range(first, min(first + CHUNK, n + 1)):
                day = (bid - 1) // per_day
                at = start + dt.timedelta(days=day, seconds=(bid % per_day) * 60)
                counters[at.date()] = counters.get(at.date(), 0) + 1
                lot_number = f"LDN-{at:%y%m%d}-{counters[at.date()]:03d}"
                lots.append(lot_number)
                # inserted as drafts, released once their rows are in (migration 0004 refuses rows added
                # to a released batch)
                batches.append(dict(id=bid, lot_number=lot_number, kind="capsules", status="draft",
                                    strength=snap.strength, order_json=snap.order_json, result_json=snap.result_json,
                                    record_hash=snap.record_hash, engine_version=snap.engine_version,
                                    reference_hash=snap.reference_hash, preparer_id=tech, created_at=at, updated_at=at))
                lot_id = lot_ids[rng.randrange(len(lot_ids))]
                patient = _patient(rng.randrange(PATIENTS))
                links.append(dict(batch_id=bid, ingredient_lot_id=lot_id))
                allocs.append(dict(batch_id=bid, anticipatory=False, patient=patient, patient_key=patient.lower(),
                                   rx_number=f"RX{bid}", quantity=90, recorded_by_id=tech, recorded_at=at))
                for action, new in (("batch_created", f'{{"lot_number":"{lot_number}"}}'),
                                    ("ingredient_lot_used", f'{{"ingredient_lot_id":{lot_id}}}'),
                                    ("allocated", f'{{"patient":"{patient}"}}')):
                    seq += 1
                    ev = AuditEvent(seq=seq, at=at, actor_id=tech, actor_name="tech", action=action, entity="batch",
                                    entity_id=str(bid), old_value=None, new_value=new, reason=None, prev_hash=prev)
                    ev.hash = prev = event_hash(ev)
                    events.append({c: getattr(ev, c) for c in ("seq", "at", "actor_id", "actor_name", "action",
                                                               "entity", "entity_id", "old_value", "new_value",
                                                               "reason", "prev_hash", "hash")})
            for model, rows in ((Batch, batches), (BatchIngredientLot, links), (Allocation, allocs),
                                (AuditEvent, events)):
                s.execute(insert(model), rows)
        s.execute(update(Batch).values(status="released"))
        s.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(last_seq=seq, last_hash=prev))
        s.execute(insert(LotCounter), [{"day": d, "last": c} for d, c in counters.items()])
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect() as c:
            c.exec_driver_sql("SELECT setval('batches_id_seq', (SELECT max(id) FROM batches))")
            c.exec_driver_sql("ANALYZE")
            c.commit()
    return lots


def _median_ms(fn, repeat: int) -> tuple[float, float]:
    """Median wall-clock and median CPU time of this process (ms): on a busy machine the wall clock
    also counts waiting for a core; CPU time does not (but leaves out the PostgreSQL server's)."""
    fn()  # warm up
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def run(url: str, n: int, repeat: int) -> dict[str, tuple[float, float]]:
    upgrade(url)
    store = Store(make_engine(url))
    result = capsule_batch("4.5 mg", 90, potency="99.5%")
    order = {"strength": "4.5 mg", "quantity": 90, "potency": "99.5%"}
    t = time.perf_counter()
    lot_ids = _setup_users_and_lots(store)
    lots = _bulk_fill(store, n, lot_ids, order, result)
    print(f"  filled {n} batches in {time.perf_counter() - t:.0f} s", flush=True)
    rng = random.Random(5)
    pick = lambda seq: seq[rng.randrange(len(seq))]  # noqa: E731

    def save() -> str:
        return store.create_batch("tech", kind="capsules", order=order, result=result, ingredient_lots=[lot_ids[0]],
                                  weights=[{"step": "api_to_weigh", "actual": "407 mg", "tolerance": "5%"}],
                                  allocations=[{"patient": "Jane Doe", "rx_number": "RX-1", "quantity": 90}]).lot_number

    started = [store.start_preparation("tech", save()).lot_number for _ in range(repeat + 1)]
    drafts = [save() for _ in range(repeat + 1)]

    figures = {
        "search by lot number": _median_ms(lambda: store.search_batches(lot_number=pick(lots)), repeat),
        "search by patient": _median_ms(lambda: store.search_batches(patient=_patient(rng.randrange(PATIENTS))),
                                        repeat),
        "search by ingredient lot (page of 50)": _median_ms(
            lambda: store.search_batches(ingredient_lot=f"API-{rng.randrange(API_LOTS):04d}"), repeat),
        "open a batch with its history": _median_ms(lambda: (lambda lot: (store.batch(lot), store.history(lot)))(
            pick(lots)), repeat),
        "save a batch (lot, weight, allocation)": _median_ms(save, repeat),
        "start preparation": _median_ms(lambda: store.start_preparation("tech", drafts.pop()), repeat),
        "sign: submit for review (Argon2id check)": _median_ms(
            lambda: store.submit_for_review("tech", started.pop(), password=PASSWORD), repeat),
    }
    save_ms, sign_ms = figures["save a batch (lot, weight, allocation)"], \
        figures["sign: submit for review (Argon2id check)"]
    figures["save + sign (sum of the medians)"] = (save_ms[0] + sign_ms[0], save_ms[1] + sign_ms[1])
    t, c = time.perf_counter(), time.process_time()
    report = store.audit_check()
    figures[f"audit chain check ({report.events} events)"] = ((time.perf_counter() - t) * 1000,
                                                              (time.process_time() - c) * 1000)
    assert report.ok, str(report)
    store.close()
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="an empty database (default: a SQLite file in a temporary folder)")
    ap.add_argument("--postgres", action="store_true", help="start a private PostgreSQL for the run")
    ap.add_argument("--batches", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()
    with contextlib.ExitStack() as stack:
        if args.postgres:
            from tests.support.postgres import pg_bin_or_skip_reason, run_postgres

            bin_dir, reason = pg_bin_or_skip_reason()
            if bin_dir is None:
                sys.exit(reason)
            url = stack.enter_context(run_postgres(bin_dir)).url()
        else:
            url = args.url or f"sqlite:///{stack.enter_context(tempfile.TemporaryDirectory())}/bench.sqlite3"
        print(f"{url.split(':')[0]}: {args.batches} batches, median of {args.repeat} (wall clock, CPU of this process)")
        for name, (wall, cpu) in run(url, args.batches, args.repeat).items():
            print(f"  {name:<48} {wall:9.1f} ms {cpu:9.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
