"""Benchmark: worklist → validated plan, plan workbook, labels (issue 12 targets on the 2-core machine).

    python benchmarks/bench_worklist.py            # 100, 1,000 and 10,000 prescriptions
    python benchmarks/bench_worklist.py --sizes 100,1000 --labels 1000

Targets: 10,000 prescriptions → validated plan ≤ 5 s; the plan's workbook ≤ 10 s; 1,000 labels to
PDF ≤ 10 s. Prints each time and the time per prescription, so growth from 100 to 10,000 rows shows
(linear growth keeps the per-row time flat). Exit status 1 when a target is missed.

The worklist mix (deterministic, seeded): 75 % capsules (6 strengths, 30/60/90 capsules), 18 % oral
liquids at 1 mg/mL (50/100/150 mL, doses 1.5/3/4.5 mg), 7 % titrations (4 presets, capsules or
liquid, starting on one of 5 days), so the plan has the batches a large pharmacy's day would.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGETS = {"plan": 5.0, "workbook": 10.0, "labels": 10.0}
DATE = "2026-03-02"


def worklist_csv(n: int, seed: int = 12) -> bytes:
    from compounding.worklist.columns import COLUMN_NAMES

    rng = random.Random(seed)
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=COLUMN_NAMES, lineterminator="\n")
    w.writeheader()
    for i in range(n):
        r = {"rx_number": f"RX{i:06d}", "patient": f"Patient {i} {rng.choice(['Lee', 'Müller', 'Okafor', 'Nguyen'])}",
             "prescriber": rng.choice(["Dr A. Smith", "Dr B. Jones", "Dr C. Brown"]),
             "due_date": f"2026-03-0{rng.randint(2, 6)}"}
        kind = rng.random()
        if kind < 0.75:
            r.update(form="capsules", strength=rng.choice(["0.5 mg", "1 mg", "1.5 mg", "2 mg", "3 mg", "4.5 mg"]),
                     quantity=str(rng.choice([30, 60, 90])), directions="Take one capsule at bedtime")
        elif kind < 0.93:
            r.update(form="oral liquid", strength="1 mg/mL", quantity=rng.choice(["50 mL", "100 mL", "150 mL"]),
                     dose=rng.choice(["1.5 mg", "3 mg", "4.5 mg"]), directions="Measure the dose at bedtime")
        else:
            r.update(form=rng.choice(["capsules", "oral liquid"]), directions="Follow the dose chart",
                     titration=rng.choice(["ldnrt_slow", "seed_neuropathic", "ldnrt_weekly", "ldnrt_autoimmune"]))
        w.writerow(r)
    return out.getvalue().encode("utf-8")


def timed(fn):
    t = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--labels", type=int, default=1000, help="labels to render (taken from the largest plan)")
    args = ap.parse_args(argv)
    from compounding.labels import labels_pdf_bytes
    from compounding.worklist import read_worklist
    from compounding.worklist.export import summary_workbook_bytes
    from compounding.worklist.plan import plan_worklist

    read_worklist(worklist_csv(10), compounding_date=DATE)  # imports and data files, once
    missed, plan = [], None
    print(f"{'rows':>7} {'batches':>8} {'plan s':>8} {'µs/row':>8} {'workbook s':>11} {'µs/row':>8}")
    for n in [int(s) for s in args.sizes.split(",")]:
        data = worklist_csv(n)
        plan, t_plan = timed(lambda: plan_worklist(read_worklist(data, compounding_date=DATE), tablet_weight="321 mg"))
        book, t_book = timed(lambda: summary_workbook_bytes(plan))
        print(f"{n:>7} {len(plan.batches):>8} {t_plan:>8.2f} {t_plan / n * 1e6:>8.0f} {t_book:>11.2f} "
              f"{t_book / n * 1e6:>8.0f}")
        if n >= 10000:
            missed += [f"plan {t_plan:.2f} s"] if t_plan > TARGETS["plan"] else []
            missed += [f"workbook {t_book:.2f} s"] if t_book > TARGETS["workbook"] else []
    if plan is not None and args.labels:
        from dataclasses import replace

        pairs = [(b, a) for b in plan.batches for a in b.allocations if a.rx_number][:args.labels]
        keep = {id(a) for _, a in pairs}
        small = replace(plan, batches=tuple(replace(b, allocations=tuple(a for a in b.allocations if id(a) in keep))
                                            for b in plan.batches))
        (pdf, count), t_lab = timed(lambda: labels_pdf_bytes(small, pharmacy="Riverside Compounding Pharmacy",
                                                             contact="12 High St, Springfield, 555-0100"))
        print(f"labels: {count} to PDF in {t_lab:.2f} s ({t_lab / max(count, 1) * 1e3:.1f} ms each, "
              f"{len(pdf) / 1e6:.1f} MB)")
        if count >= 1000 and t_lab > TARGETS["labels"]:
            missed.append(f"labels {t_lab:.2f} s")
    if missed:
        print("MISSED targets: " + ", ".join(missed))
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
