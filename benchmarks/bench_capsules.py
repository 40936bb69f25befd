"""Benchmark: one LDN capsule batch through the public function, the same arithmetic in plain
floats, and the CLI's wall time against the floor of importing pint and building a registry.

    .venv/bin/python benchmarks/bench_capsules.py [--runs 2000] [--cli-runs 10]

Aims (issue 2): a calculation under 2 ms; the CLI within 1.5x of the floor.
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from compounding.capsules import capsule_batch  # noqa: E402

DATE = "2026-01-05"
CASES = {
    "API 4.5 mg x 90 +10%, measured PS": (("4.5 mg", 90), dict(extra="10%", fill_weight="270 mg",
                                                               api_fill_weight="350 mg", potency="98.5%")),
    "tablets 4.5 mg x 30": (("4.5 mg", 30), dict(source="tablets", tablet_weight="321 mg", fill_weight="250 mg")),
    "aliquot 0.1 mg x 10 (2 stages)": (("0.1 mg", 10), {}),
}
CLI_ARGS = ["--strength", "4.5mg", "--quantity", "90", "--extra", "10%", "--fill-weight", "270mg",
            "--api-fill-weight", "350mg", "--date", DATE, "--json"]


def plain_floats(strength, ordered, extra_pct, fill, api_fill, potency, mwq=120.0):
    """The same arithmetic as the API case, in floats (no units, no trace, no checks)."""
    to_make = ordered + math.ceil(ordered * extra_pct)
    drug = strength * to_make
    powder = drug / potency
    dose = powder / to_make
    filler_pc = fill - dose * fill / api_fill
    filler = filler_pc * to_make
    blend = powder + filler
    per_capsule = blend / to_make
    return to_make, powder, filler, blend, per_capsule * 0.9, per_capsule * 1.1, powder < mwq


def timed(fn, runs: int) -> tuple[float, float]:
    for _ in range(min(200, runs)):
        fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    samples.sort()
    return statistics.median(samples) * 1e3, samples[int(0.95 * (len(samples) - 1))] * 1e3


def wall(cmd: list[str], runs: int) -> float:
    subprocess.run(cmd, cwd=REPO, capture_output=True, check=True)  # warm the file cache
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, capture_output=True, check=True)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1e3


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--cli-runs", type=int, default=10)
    args = ap.parse_args()

    print(f"{'calculation':<36} {'median ms':>10} {'p95 ms':>10}")
    worst = 0.0
    for name, (pos, kw) in CASES.items():
        med, p95 = timed(lambda: capsule_batch(*pos, compounding_date=DATE, **kw), args.runs)
        worst = max(worst, med)
        print(f"{name:<36} {med:>10.3f} {p95:>10.3f}")
    med, p95 = timed(lambda: plain_floats(4.5, 90, 0.1, 270.0, 350.0, 0.985), args.runs)
    print(f"{'same API arithmetic, plain floats':<36} {med:>10.4f} {p95:>10.4f}")

    cli = wall([sys.executable, "-m", "compounding", "capsules", *CLI_ARGS], args.cli_runs)
    floor = wall([sys.executable, "-c", "import pint; pint.UnitRegistry()"], args.cli_runs)
    print()
    print(f"{'wall time':<36} {'median ms':>10}")
    print(f"{'python -m compounding capsules --json':<36} {cli:>10.1f}")
    print(f"{'floor: import pint; UnitRegistry()':<36} {floor:>10.1f}")
    print(f"{'ratio CLI / floor':<36} {cli / floor:>10.2f}")
    print()
    ok_calc, ok_cli = worst < 2.0, cli / floor <= 1.5
    print(f"aim: calculation < 2 ms: {'met' if ok_calc else 'NOT met'} (slowest median {worst:.3f} ms); "
          f"CLI <= 1.5x floor: {'met' if ok_cli else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
