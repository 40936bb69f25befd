"""Time one liquid preparation and one titration plan through the public functions.

    .venv/bin/python benchmarks/bench_liquid.py [repeats]

Reference data are loaded once before timing (they are cached for the life of the process), so
the figures are the calculation itself: exact Fraction arithmetic, pint conversions, the trace.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compounding.liquids import prepare_liquid  # noqa: E402
from compounding.titration import plan_titration  # noqa: E402

CASES = {
    "liquid 0.5 mg/mL x 90 mL, crushed tablet, 3 doses": lambda: prepare_liquid(
        concentration="0.5 mg/mL", final_volume="90 mL", tablet_weight="280 mg",
        doses="0.5mg,1.5mg,4.5mg", compounding_date="2026-01-05"),
    "liquid Fawcett 150 mL + JSON": lambda: prepare_liquid(
        concentration="1 mg/mL", final_volume="150 mL", vehicle="fawcett_1997",
        doses="1.5mg,3mg,4.5mg", compounding_date="2026-01-05").as_dict(),
    "titration seed regimen, capsules (56 days)": lambda: plan_titration(
        start="1.5 mg", step="1.5 mg", every=14, target="4.5 mg", maintain=28, form="capsules",
        start_date="2026-01-05"),
    "titration LDN RT slow, liquid + fills (98 days) + JSON": lambda: plan_titration(
        preset="ldnrt_slow", form="liquid", start_date="2026-01-05").as_dict(),
}


def main(repeats: int = 200) -> None:
    for fn in CASES.values():  # warm-up: load and cache the reference data
        fn()
    print(f"{'case':<58} {'median':>10} {'min':>10}   (repeats {repeats})")
    for name, fn in CASES.items():
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        print(f"{name:<58} {statistics.median(times) * 1e3:>8.2f}ms {min(times) * 1e3:>8.2f}ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
